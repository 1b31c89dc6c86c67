/* The observer of a run: counters and latency histograms, reset at the end
 * of warm-up, and the figures of cn_run_result. */
#ifndef CN_OBSERVER_H
#define CN_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "run.h"
#include "sim.h"
#include "stats.h"

typedef struct run run;

typedef struct {
    uint64_t done[CN_CLASS_COUNT], failed[CN_CLASS_COUNT];
    uint64_t snat_failures, policy_drops, lb_unprogrammed, stale_failures;
    uint64_t syncs;
    double sync_ns; /* total duration of the syncs started */
} cn_counters;

typedef struct {
    bool measuring;           /* past warm-up */
    cn_counters now, at_warm; /* running totals, and their values at warm-up end */
    sim_hist *lat[CN_CLASS_COUNT];
    /* the same split by whether the transaction opened its connection: a
     * mix of the two is two-peaked, each peak is a result of its own */
    sim_hist *lat_new[CN_CLASS_COUNT], *lat_reused[CN_CLASS_COUNT];
    uint64_t measured_done;
    uint64_t drops_at_warm;
    sim_time_ns stopped_at; /* when stop_after_transactions (or the backlog bound) was reached */
    bool backlog_stopped;   /* stopped by CN_OPEN_BACKLOG_MAX */
} cn_observer;

void observer_init(run *r);
/* Reset at r->warm_end (at once when there is no warm-up). */
void observer_start(run *r);
/* A transaction of class cls finished, ok or given up, after latency_ns;
 * new_conn: it was its connection's first. */
void observer_txn_done(run *r, int cls, bool ok, bool new_conn, sim_time_ns latency_ns);
/* Fill out from the run's state at its end. */
void observer_result(run *r, uint32_t replication, cn_run_result *out);
void observer_free(run *r);

#endif
