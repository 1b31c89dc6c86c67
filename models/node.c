#include "node.h"

#include <glib.h>

int64_t cn_node_ct_capacity(const cn_config *c, const cn_variant *v)
{
    return v->ebpf_dataplane ? c->bpf_ct_tcp_max
           : c->nf_conntrack_max > 0
               ? c->nf_conntrack_max
               : cn_ct_kube_proxy_max((int64_t)c->cost[CAL_nf_conntrack_min],
                                      (int64_t)c->cost[CAL_nf_conntrack_per_core],
                                      c->vcpus_per_node);
}

sim_time_ns cn_node_ct_hold_ns(const cn_config *c, const cn_variant *v)
{
    return (
        sim_time_ns)((v->ebpf_dataplane ? c->cost[CAL_bpf_ct_fin_s] : c->cost[CAL_nf_time_wait_s]) *
                     SIM_NS_PER_S);
}

cn_node *cn_nodes_new(sim *s, const cn_config *c, const cn_variant *v, uint32_t n)
{
    int64_t cap = cn_node_ct_capacity(c, v);
    sim_time_ns hold = cn_node_ct_hold_ns(c, v);
    cn_node *nodes = g_new0(cn_node, n);
    for (uint32_t i = 0; i < n; i++) {
        nodes[i].cpu = sim_resource_new(s, (unsigned)c->vcpus_per_node);
        nodes[i].nic = sim_resource_new(s, 1);
        cn_ct_init(&nodes[i].ct, cap, v->ebpf_dataplane, hold);
    }
    return nodes;
}

void cn_nodes_free(cn_node *nodes, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        sim_resource_free(nodes[i].cpu);
        sim_resource_free(nodes[i].nic);
        cn_ct_clear(&nodes[i].ct);
    }
    g_free(nodes);
}
