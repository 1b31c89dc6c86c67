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
    cn_dp_costs k;
    cn_node *nodes;
    sim_resource *cpu,
        *nic; /* the nodes' resources, contiguous: node i's is sim_resource_at(cpu, i) */
    uint32_t n_nodes;
    int64_t nodes_ready; /* the cluster's nodes (scale_nodes, drain, fail events change it) */
    /* Nodes gone (drain, fail events): NULL until one goes.  A gone node
     * takes no traffic; its pods and clients run on the live nodes. */
    uint8_t *node_down;
    uint32_t *live_nodes; /* the live nodes, n_live of them */
    uint32_t n_live;
    bool nodes_gone; /* some node is down: in-flight work checks its path */
    int64_t n_services;
    sim_time_ns warm_end, end;
    cn_workload wl;
    cn_admission adm;
    cn_ctrlplane cp;
    cn_observer obs;
    cn_events ev;
};

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
