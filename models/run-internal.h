/* The state of one run, shared by the files that make it up: the workload
 * (workload.c), connection admission (admission.c), the control plane
 * (ctrlplane.c), the observer (observer.c), wired by cn_run (run.c). */
#ifndef CN_RUN_INTERNAL_H
#define CN_RUN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "admission.h"
#include "cluster.h"
#include "config.h"
#include "ctrlplane.h"
#include "datapath.h"
#include "events.h"
#include "node.h"
#include "observer.h"
#include "sim.h"
#include "workload.h"

struct run {
    const cn_config *c;
    cn_config *cm; /* the same configuration, for events to change */
    const cn_variant *v;
    sim *s;
    cn_cluster *cl;
    cn_node *nodes;
    sim_resource *cpu,
        *nic; /* the nodes' resources, one array: node i's is sim_resource_at(cpu, i) */
    uint32_t n_nodes;
    int64_t nodes_ready; /* the cluster's nodes (scale_nodes, drain, fail events change it) */
    /* Nodes gone (drain, fail events): NULL until one goes.  A gone node
     * takes no traffic; its pods and clients run on the live nodes. */
    uint8_t *node_down;
    uint32_t *live_nodes; /* the live nodes, n_live of them */
    uint32_t n_live;
    bool nodes_gone; /* some node is down: in-flight work checks its path */
    /* The variants the nodes run: var[0] is the run's (*v), and each
     * migrate event adds its target.  node_var is NULL until a migration
     * starts: every node runs var[0]. */
    cn_variant var[CN_MAX_MIGRATIONS + 1];
    cn_dp_costs kv[CN_MAX_MIGRATIONS + 1]; /* kv[i]: var[i]'s path costs */
    int n_vars;
    uint8_t *node_var;
    uint32_t var_nodes[CN_MAX_MIGRATIONS + 1]; /* nodes on each variant */
    /* A migration to the Cilium dataplane: Cilium enforces no policy until
     * every node is reimaged (AKS docs, update-azure-cni). */
    bool cilium_unenforced;
    int64_t n_services;
    sim_time_ns warm_end, end;
    cn_workload wl;
    cn_admission adm;
    cn_ctrlplane cp;
    cn_observer obs;
    cn_events ev;
};

/* The variant node nd runs (the run's for an endpoint outside). */
static inline uint8_t run_node_var(const run *r, uint32_t nd)
{
    return G_LIKELY(!r->node_var) || nd == CN_NODE_EXTERNAL ? 0 : r->node_var[nd];
}

static inline const cn_variant *run_node_variant(const run *r, uint32_t nd)
{
    return &r->var[run_node_var(r, nd)];
}

/* Whether some node runs a variant for which pred holds. */
static inline bool run_some_node(const run *r, bool (*pred)(const cn_variant *))
{
    for (int i = 0; i < r->n_vars; i++)
        if (r->var_nodes[i] > 0 && pred(&r->var[i]))
            return true;
    return false;
}

/* GLib's g_int64_hash folds the halves together, so (node << 32 | key)
 * keys collide massively; mix all bits instead. */
static inline guint run_key_hash(gconstpointer p)
{
    uint64_t z = *(const uint64_t *)p;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (guint)(z ^ (z >> 31));
}

#endif
