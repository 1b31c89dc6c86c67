#include "policy.h"

/* Azure NPM programs every policy on every node, a few iptables rules per
 * policy whatever its rule count (its selectors become ipset members): each
 * new flow passes every policy's first rule (an ipset match on the pods it
 * selects) in each direction's chain. */
static double npm_walk_ns(const cn_config *c)
{
    return (double)c->network_policies * c->cost[CAL_ipset_rule_ns];
}

double cn_policy_egress_ns(const cn_config *c, cn_policy engine)
{
    if (engine == CN_POLICY_AZURE_NPM && c->network_policies > 0)
        return npm_walk_ns(c);
    return 0; /* Calico and Cilium: client pods are not selected */
}

double cn_npm_total_rules(const cn_config *c)
{
    return c->cost[CAL_npm_base_rules] +
           (double)c->network_policies * c->cost[CAL_npm_rules_per_policy];
}

double cn_policy_ingress_ns(const cn_config *c, cn_policy engine, uint32_t selecting)
{
    double rules = (double)c->rules_per_policy;
    switch (engine) {
    case CN_POLICY_AZURE_NPM:
        if (c->network_policies == 0)
            return 0;
        /* The policies selecting the pod: their other rules too. */
        return npm_walk_ns(c) + (double)selecting * (c->cost[CAL_npm_rules_per_policy] - 1.0) *
                                    c->cost[CAL_ipset_rule_ns];
    case CN_POLICY_CALICO:
        /* Per-endpoint chains: only the policies selecting this pod. */
        return (double)selecting * (c->cost[CAL_calico_rules_per_policy] + rules) *
               c->cost[CAL_iptables_rule_ns];
    case CN_POLICY_CILIUM:
        return selecting > 0 ? c->cost[CAL_ebpf_policy_lookup_ns] : 0;
    default:
        return 0;
    }
}

bool cn_policy_programmed(const cn_config *c, cn_policy engine, uint32_t selecting)
{
    if (engine != CN_POLICY_CILIUM)
        return true;
    double entries =
        (double)selecting * (double)c->rules_per_policy * c->cost[CAL_bpf_policy_entries_per_rule];
    return entries <= (double)c->bpf_policy_map_max;
}
