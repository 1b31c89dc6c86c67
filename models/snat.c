#include "snat.h"

void cn_snat_init(cn_snat_pool *p, int64_t ports)
{
    *p = (cn_snat_pool){.ports = ports};
    cn_expiry_init(&p->held);
}

void cn_snat_clear(cn_snat_pool *p)
{
    cn_expiry_clear(&p->held);
}

int64_t cn_snat_in_use(cn_snat_pool *p, sim_time_ns now)
{
    cn_expiry_drain(&p->held, now);
    return p->open + p->held.total;
}

bool cn_snat_open(cn_snat_pool *p, sim_time_ns now)
{
    if (cn_snat_in_use(p, now) >= p->ports)
        return false;
    p->open++;
    return true;
}

void cn_snat_close(cn_snat_pool *p, sim_time_ns now, sim_time_ns hold_ns)
{
    if (p->open > 0)
        p->open--;
    cn_expiry_add(&p->held, now + hold_ns);
}
