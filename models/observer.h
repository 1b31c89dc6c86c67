/* The observer of a run: counters and latency histograms, reset at the end
 * of warm-up, and the figures of cn_run_result. */
#ifndef CN_OBSERVER_H
#define CN_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

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

/* Running totals an interval's counts are differences of. */
typedef struct {
    uint64_t done[CN_CLASS_COUNT], failed[CN_CLASS_COUNT];
    uint64_t snat_failures, stale_failures, drops, evictions;
} cn_iv_counts;

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
    /* Intervals (timeseries.csv), aligned so that warm-up ends on a boundary. */
    sim_time_ns iv_ns;    /* width; 0: off */
    sim_time_ns iv_start; /* start of the interval being filled */
    cn_iv_counts iv_prev; /* totals at iv_start */
    cn_iv_counts iv_warm; /* totals when warm-up ended (before events at that instant) */
    bool iv_warm_set;     /* iv_warm holds them */
    double *iv_busy_prev; /* per node: CPU busy ns (since its reset) at iv_start */
    double *iv_busy_acc;  /* per node: busy ns of this interval from before a reset */
    /* This interval's latencies, for its quantiles (class all: of all of
     * them together).  Measured ones reach lat[] from iv_lat when the
     * interval closes, so a transaction is added once; warm-up's part of
     * the interval that closes when warm-up ends waits in iv_pre. */
    sim_span_hist *iv_lat[CN_CLASS_COUNT];
    sim_span_hist *iv_pre[CN_CLASS_COUNT];
    /* Exhaustion: the first SYN a full conntrack table or SNAT pool refused. */
    sim_time_ns first_ct_drop, first_snat_failure; /* -1: none yet */
    uint64_t admitted;                             /* connections admitted so far */
    uint64_t admitted_at_exhaustion;               /* admitted before the first refusal */
    uint64_t exhaustion_refusals;                  /* SYNs refused by a full table or pool */
    GString *iv_events;      /* names of the events in the interval being filled */
    GString *iv_events_next; /* those exactly at its end: they open the next one */
    sim_time_ns iv_next;     /* the end of the interval being filled */
    sim_time_ns first_event; /* -1: none yet */
    GArray *iv_rows;         /* cn_interval, closed intervals */
} cn_observer;

/* The interval width a configuration asks for, ns: interval_s, or for
 * interval_s < 0 the 1-2-5 value nearest below a hundredth of the run. */
sim_time_ns cn_observer_interval_ns(const cn_config *c);

void observer_init(run *r);
/* Reset at r->warm_end (at once when there is no warm-up). */
void observer_start(run *r);
/* Admission's outcomes that the exhaustion figures count. */
void observer_admitted(run *r);
typedef enum { CN_REFUSED_CONNTRACK, CN_REFUSED_SNAT } cn_refusal;
void observer_exhausted(run *r, cn_refusal why);
/* A transaction of class cls finished, ok or given up, after latency_ns;
 * new_conn: it was its connection's first. */
/* A scheduled event fired now. */
void observer_event(run *r, const char *name);
void observer_txn_done(run *r, int cls, bool ok, bool new_conn, sim_time_ns latency_ns);
/* Fill out from the run's state at its end. */
void observer_result(run *r, uint32_t replication, cn_run_result *out);
void observer_free(run *r);

#endif
