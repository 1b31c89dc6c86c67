#include "node.h"

#include <glib.h>
#include <math.h>

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

bool cn_node_has_nf_table(const cn_config *c, const cn_variant *v)
{
    return v->ebpf_dataplane && c->host_routing == CN_HOST_ROUTING_LEGACY;
}

uint64_t cn_node_ct_drops(const cn_node *n)
{
    return n->ct.drops + (n->has_nf ? n->nf.drops : 0);
}

int64_t cn_node_ct_peak(const cn_node *n)
{
    return n->has_nf && n->nf.peak > n->ct.peak ? n->nf.peak : n->ct.peak;
}

/* Node n's tables, empty, as variant v sizes them. */
static void tables_init(cn_node *n, const cn_config *c, const cn_variant *v)
{
    cn_ct_init(&n->ct, cn_node_ct_capacity(c, v), v->ebpf_dataplane, cn_node_ct_hold_ns(c, v));
    n->has_nf = cn_node_has_nf_table(c, v);
    if (n->has_nf)
        cn_ct_init(&n->nf,
                   c->nf_conntrack_max > 0 ? c->nf_conntrack_max
                                           : (int64_t)c->cost[CAL_nf_conntrack_kernel_max],
                   false, (sim_time_ns)llround(c->cost[CAL_nf_time_wait_s] * SIM_NS_PER_S));
}

cn_node *cn_nodes_new(sim *s, const cn_config *c, const cn_variant *v, uint32_t n)
{
    /* Touched per transaction in no order: the sim's arena (sim_mem), on
     * huge pages in a large cluster, freed with the sim. */
    cn_node *nodes = sim_bigmem_alloc(sim_mem(s), (n ? n : 1) * sizeof(cn_node), _Alignof(cn_node));
    /* One array of the nodes' resources, indexed by node, a node's CPU and
     * NIC in one cache line: a hop's NIC step follows its CPU step on the
     * same node, and finds the line loaded. */
    sim_resource *first[2];
    sim_resources_new_kinds(s, n, 2, (const unsigned[]){(unsigned)c->vcpus_per_node, 1}, first);
    sim_resource *cpu = first[0], *nic = first[1];
    for (uint32_t i = 0; i < n; i++) {
        /* Nothing reads the nodes' waiting times: not recording them saves a
         * division and a cache line per start. */
        sim_resource_set_wait_stats(sim_resource_at(cpu, i), false);
        sim_resource_set_wait_stats(sim_resource_at(nic, i), false);
        nodes[i].cpu = sim_resource_at(cpu, i);
        nodes[i].nic = sim_resource_at(nic, i);
        tables_init(&nodes[i], c, v);
    }
    return nodes;
}

void cn_node_set_variant(cn_node *n, const cn_config *c, const cn_variant *v)
{
    /* What the old tables counted stays the node's (in the main table). */
    uint64_t drops = cn_node_ct_drops(n), evictions = n->ct.evictions;
    int64_t peak = cn_node_ct_peak(n);
    cn_ct_clear(&n->ct);
    if (n->has_nf)
        cn_ct_clear(&n->nf);
    tables_init(n, c, v);
    n->ct.drops = drops;
    n->ct.evictions = evictions;
    n->ct.peak = peak;
}

void cn_nodes_free(cn_node *nodes, uint32_t n)
{
    if (n > 0) {
        sim_resources_free(nodes[0].cpu); /* the NICs too */
    }
    for (uint32_t i = 0; i < n; i++) {
        cn_ct_clear(&nodes[i].ct);
        if (nodes[i].has_nf)
            cn_ct_clear(&nodes[i].nf);
    }
}
