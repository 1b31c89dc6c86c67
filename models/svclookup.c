#include "svclookup.h"

#include "rng.h"

double cn_iptables_total_rules(const cn_config *c, int64_t n_services, int64_t endpoints)
{
    /* About 2 + 4 x endpoints rules per Service (imroc: 30k x 4 -> 540k). */
    return (double)n_services *
           (2.0 + c->cost[CAL_iptables_rules_per_endpoint] * (double)endpoints);
}

double cn_iptables_rule_cost_ns(const cn_config *c, double total_rules)
{
    double bytes = total_rules * c->cost[CAL_iptables_rule_bytes];
    double cache = c->cost[CAL_iptables_cache_bytes];
    double miss = bytes > cache ? 1.0 - cache / bytes : 0.0;
    return c->cost[CAL_iptables_rule_ns] *
           (1.0 + (c->cost[CAL_iptables_cache_miss_factor] - 1.0) * miss);
}

double cn_svc_lookup_ns(const cn_config *c, cn_svc_mode mode, uint32_t pos, uint32_t ep_index,
                        int64_t n_services, int64_t endpoints)
{
    switch (mode) {
    case CN_SVC_IPTABLES: {
        double per_rule =
            cn_iptables_rule_cost_ns(c, cn_iptables_total_rules(c, n_services, endpoints));
        /* KUBE-SERVICES up to and including the Service's jump, then one
         * statistic rule per endpoint up to the chosen one, then the
         * endpoint chain's MARK-MASQ and DNAT. */
        double walked = ((double)pos + 1.0) * c->cost[CAL_iptables_rules_per_service] +
                        ((double)ep_index + 1.0) + 2.0;
        return walked * per_rule;
    }
    case CN_SVC_IPVS:
        return c->cost[CAL_ipvs_lookup_ns];
    case CN_SVC_NFTABLES:
        return c->cost[CAL_nft_lookup_ns];
    case CN_SVC_EBPF:
        return c->cost[CAL_ebpf_sock_lb_ns];
    default:
        return 0;
    }
}

int64_t cn_bpf_lb_services_programmed(const cn_config *c, int64_t endpoints)
{
    double per = c->cost[CAL_bpf_lb_entries_per_service] + (double)endpoints;
    return (int64_t)((double)c->bpf_lb_map_max / per);
}

uint32_t cn_chain_walk_position(cn_chain_position mode, uint32_t svc, uint32_t drawn,
                                int64_t n_services, sim_rng *rng)
{
    uint32_t n = n_services > 0 ? (uint32_t)n_services : 1;
    switch (mode) {
    case CN_CHAIN_AVERAGE:
        return (uint32_t)sim_rng_uniform_int(rng, n);
    case CN_CHAIN_FIRST:
        return svc < n ? svc : n - 1;
    case CN_CHAIN_MIDDLE:
        return n / 2;
    case CN_CHAIN_LAST:
        return svc < n ? n - 1 - svc : 0;
    case CN_CHAIN_RANDOM:
    default:
        return drawn;
    }
}
