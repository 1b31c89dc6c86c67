/* A node of the cluster as the datapath sees it: its vCPUs (servers of one
 * queue), its NIC transmit queue and its conntrack table. */
#ifndef CN_NODE_H
#define CN_NODE_H

#include <stdint.h>

#include "config.h"
#include "conntrack.h"
#include "resource.h"
#include "sim.h"

typedef struct {
    sim_resource *cpu; /* vcpus_per_node servers; node i's is sim_resource_at(nodes[0].cpu, i) */
    sim_resource *nic; /* transmit queue; likewise */
    cn_ct_table ct;    /* netfilter conntrack or Cilium's BPF CT map */
    bool has_nf;       /* Cilium on legacy host routing: netfilter conntrack as well */
    cn_ct_table nf;    /* that netfilter table (kernel defaults: no kube-proxy sizes it) */
} cn_node;

/* Entries of one node's conntrack table: Cilium's bpf-ct-global-tcp-max,
 * else nf_conntrack_max as set or as kube-proxy sizes it. */
int64_t cn_node_ct_capacity(const cn_config *c, const cn_variant *v);
/* How long a closed flow's entry lingers (TIME_WAIT or Cilium's FIN timeout). */
sim_time_ns cn_node_ct_hold_ns(const cn_config *c, const cn_variant *v);

/* Cilium with legacy host routing (AKS default) sends pod packets through
 * the host stack, so netfilter conntrack tracks them too. */
bool cn_node_has_nf_table(const cn_config *c, const cn_variant *v);

/* New flows a node's tables dropped (all its tables), and the most entries
 * any of its tables held. */
uint64_t cn_node_ct_drops(const cn_node *n);
int64_t cn_node_ct_peak(const cn_node *n);

/* n nodes (n >= 1) with their resources on s and empty tables. */
cn_node *cn_nodes_new(sim *s, const cn_config *c, const cn_variant *v, uint32_t n);
void cn_nodes_free(cn_node *nodes, uint32_t n);
/* Node n comes back from a reimage on variant v: empty tables, as v sizes them. */
void cn_node_set_variant(cn_node *n, const cn_config *c, const cn_variant *v);

#endif
