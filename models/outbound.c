#include "outbound.h"

#include <math.h>

static int64_t cost_int(const cn_config *c, cn_cal_id id)
{
    return (int64_t)llround(c->cost[id]);
}

int64_t cn_lb_default_ports(const cn_config *c, int64_t backend)
{
    /* Default port allocation table, ports per instance and frontend IP by
     * backend pool size: Azure docs load-balancer-outbound-connections. */
    static const struct {
        int64_t max_instances;
        cn_cal_id ports;
    } tiers[] = {
        {50, CAL_lb_default_ports_50},   {100, CAL_lb_default_ports_100},
        {200, CAL_lb_default_ports_200}, {400, CAL_lb_default_ports_400},
        {800, CAL_lb_default_ports_800}, {1000, CAL_lb_default_ports_1000},
    };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++)
        if (backend <= tiers[i].max_instances)
            return cost_int(c, tiers[i].ports);
    /* Past the table's last row (assumption, calibration entry). */
    return cost_int(c, CAL_lb_default_ports_beyond);
}

int64_t cn_lb_ports_per_node(const cn_config *c, int64_t backend)
{
    if (c->allocated_outbound_ports > 0)
        return c->allocated_outbound_ports;
    /* Default allocation: the table's ports for each frontend IP, at most
     * 1,024 per node whatever the number of IPs. */
    int64_t p = cn_lb_default_ports(c, backend) * c->outbound_ips;
    int64_t cap = cost_int(c, CAL_lb_default_ports_max);
    return p < cap ? p : cap;
}

void cn_lb_capacity_check(const cn_config *c, int64_t backend, cn_lb_capacity *out)
{
    out->backend_instances = backend;
    out->ports_per_node = cn_lb_ports_per_node(c, backend);
    out->ports_needed = backend * out->ports_per_node;
    /* 64,000 SNAT ports per frontend public IP. */
    out->ports_available = c->outbound_ips * cost_int(c, CAL_lb_ports_per_ip);
    out->fits = out->ports_needed <= out->ports_available;
}

int64_t cn_lb_max_backend(const cn_config *c)
{
    /* Fits is monotone in the backend size: the default table halves the
     * ports as the pool doubles, a manual allocation is constant. */
    cn_lb_capacity cap;
    int64_t lo = 0, hi = INT64_C(1) << 32;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        cn_lb_capacity_check(c, mid, &cap);
        if (cap.fits)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}
