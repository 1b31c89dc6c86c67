/* The control plane: endpoints churn (pods replaced) and every node's
 * service rules are reprogrammed by syncs.  A sync's cost: iptables rewrites
 * the table (the whole of it, or the changed chains with partial restore,
 * KEP-3453) so the time grows with the number of Services; IPVS, nftables and
 * eBPF update only what changed.  Until the change is programmed, new
 * connections can still be sent to the removed endpoint, and fail. */
#ifndef CN_CTRLPLANE_H
#define CN_CTRLPLANE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"
#include "rng.h"
#include "sim.h"

/* Duration (ns) of one sync on a node with n_services Services that
 * programs `changes` endpoint changes; full: a full resync (kube-proxy's
 * periodic one, --iptables-sync-period) even in partial mode. */
double cn_sync_duration_ns(const cn_config *c, const cn_variant *v, int64_t n_services,
                           uint32_t changes, bool full);

/* ---- the state machine of one run ---- */

typedef struct run run;

typedef struct {
    uint8_t *ep_stale; /* per endpoint of the target Services: replaced, not yet reprogrammed */
    uint32_t n_target_eps;
    GArray *pending;  /* endpoints changed since the last sync started */
    GArray *inflight; /* endpoints the running sync will program */
    /* Services added or removed (events) since the last sync started, and
     * in the running sync: their chains are written too. */
    uint32_t pending_services, inflight_services;
    bool sync_scheduled, syncing;
    sim_time_ns last_sync_start;
    bool need_full;        /* kube-proxy's periodic full resync is due */
    bool syncing_full;     /* the running sync is a full one */
    sim_time_ns resync_ns; /* --iptables-sync-period (0: none) */
    sim_rng *rng_churn;
    bool churning;       /* a churn event is pending */
    GPtrArray *rollouts; /* rolling updates and node failures under way (events) */
    sim_rng *rng_sync;   /* resync phase, KUBE-SERVICES order */
} cn_ctrlplane;

/* Set up r->cp and, when endpoints churn, schedule the first change. */
void ctrlplane_init(run *r, uint32_t replication);
void ctrlplane_free(run *r);
/* A rolling update (event kind CN_EVENT_ROLLOUT) starts now. */
void ctrlplane_rollout(run *r, const cn_event *ev);
/* Node nd left (drained: its pods evicted; else failed): its pods'
 * endpoints become stale until the control plane reprograms them. */
void ctrlplane_node_gone(run *r, uint32_t nd, bool drained);
/* An event changed r->cm->endpoint_churn_per_s. */
void ctrlplane_churn_changed(run *r);
/* An event changed the cluster's Service count from `before` to
 * r->n_services: the change is synced like an endpoint change. */
void ctrlplane_services_changed(run *r, int64_t before);

#endif
