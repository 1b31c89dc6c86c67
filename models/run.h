/* One simulation run: a configuration at one sweep point, one variant, one
 * replication.  Builds the cluster, runs the datapath under the workload for
 * warm-up + duration of simulated time and returns what was measured. */
#ifndef CN_RUN_H
#define CN_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"
#include "stats.h"

#define CN_RUN_ERROR (cn_run_error_quark())
GQuark cn_run_error_quark(void);
enum {
    CN_RUN_ERROR_CANCELLED = 1,
    CN_RUN_ERROR_INPUT, /* a configuration the run refuses (bad input) */
};

/* Intervals one run may keep (timeseries.csv): bounds its memory and its
 * part file. */
#define CN_RUN_MAX_INTERVALS 10000

typedef struct {
    uint64_t transactions;    /* completed during the measured window */
    uint64_t failed;          /* gave up during the measured window */
    double throughput_rps;    /* transactions / measured seconds */
    sim_hist *latency;        /* transaction latency, ns (owned) */
    sim_hist *latency_new;    /* of the transactions that opened their connection (owned) */
    sim_hist *latency_reused; /* of those on an open connection (owned) */
} cn_class_result;

/* An open loop past saturation queues without end; past this many
 * transactions in flight (about 200 MiB) the run stops and is flagged
 * (backlog_stopped) instead of eating memory. */
#define CN_OPEN_BACKLOG_MAX 250000

/* One interval of a run (timeseries.csv): counts over the interval, the
 * latency quantiles of the transactions completed in it, and the cluster's
 * state at its end.  Index CN_CLASS_COUNT of the per-class arrays is all
 * classes together. */
typedef struct {
    double t_s;                          /* start, simulated s from the run's start */
    double width_s;                      /* length, s (the last one may be shorter) */
    uint64_t done[CN_CLASS_COUNT + 1];   /* transactions completed */
    uint64_t failed[CN_CLASS_COUNT + 1]; /* transactions given up */
    double p50_us[CN_CLASS_COUNT + 1];   /* NaN when none completed */
    double p99_us[CN_CLASS_COUNT + 1];
    double cpu_util_mean, cpu_util_max;     /* over the interval, mean over nodes and busiest */
    int64_t conntrack_max;                  /* fullest node's table occupancy at the end */
    uint64_t drops_conntrack, ct_evictions; /* during the interval */
    int64_t snat_ports_max;                 /* most ports in use, one node to one destination */
    uint64_t snat_failures, stale_failures; /* during the interval */
    int64_t nodes_ready;                    /* nodes running pods at the end */
    char *events; /* names of the events in the interval, ';'-separated (owned); NULL: none */
} cn_interval;

typedef struct {
    cn_class_result cls[CN_CLASS_COUNT];
    uint64_t seed;            /* the seed of this replication's streams */
    double measured_s;        /* simulated seconds measured */
    double cpu_util_mean;     /* mean over nodes of CPU utilisation (0..1) */
    double cpu_util_max;      /* busiest node */
    int64_t conntrack_peak;   /* largest conntrack occupancy on any node */
    uint64_t drops_conntrack; /* new flows dropped because a table was full */
    uint64_t ct_evictions;    /* Cilium LRU evictions */
    uint64_t snat_failures;   /* connections refused for lack of SNAT ports */
    uint64_t policy_drops;    /* flows dropped because policy was not programmed */
    uint64_t lb_unprogrammed; /* connections to Services past the LB map */
    uint64_t stale_failures;  /* connection attempts sent to removed, still-programmed endpoints */
    uint64_t rule_syncs;      /* service-rule syncs started (per node, all nodes alike) */
    double sync_ms_mean;      /* mean duration of those syncs */
    uint64_t events;          /* simulator events executed */
    bool backlog_stopped;     /* open loop stopped past saturation (CN_OPEN_BACKLOG_MAX) */
    /* Transients, over the whole run from t = 0 (warm-up included); NaN
     * when there was none. */
    double time_to_first_ct_drop_s;       /* first new flow a full conntrack table dropped */
    double time_to_first_snat_failure_s;  /* first connection refused for lack of SNAT ports */
    double admitted_before_exhaustion;    /* connections admitted before the first of those */
    double failure_rate_after_exhaustion; /* from then on: SYNs refused by a full table or pool
                                           * over SYNs so refused or admitted (0..1) */
    double disruption_s;      /* runs with events: from the first event until throughput and
                               * p99 are back in band (NaN: no event) */
    double disruption_failed; /* transactions failed during that window */
    cn_interval *intervals;   /* the run's intervals in time order (owned); NULL when off */
    size_t n_intervals;
} cn_run_result;

/* Run one replication (0-based).  Returns FALSE with error set only for
 * configurations that cannot be built (e.g. pods that do not fit). */
gboolean cn_run(const cn_config *c, const cn_variant *v, uint32_t replication, cn_run_result *out,
                GError **error);
void cn_run_result_clear(cn_run_result *r);

/* Check, without simulating, that a run of this configuration and variant
 * can be built (pods fit the nodes and the variant's ranges): the same
 * error cn_run() would give, found before anything is written. */
gboolean cn_run_check(const cn_config *c, const cn_variant *v, GError **error);

/* A flag polled during runs: when it becomes non-zero, cn_run() returns
 * FALSE with CN_RUN_ERROR_CANCELLED (Ctrl-C in the command). */
void cn_run_set_stop_flag(const volatile gint *flag);

/* Where cn_run() on the calling thread publishes the simulated time it
 * has reached, in ms, warm-up included, after each 50 ms slice (for a
 * progress line; written with g_atomic_int_set).  NULL: nowhere. */
void cn_run_set_progress(volatile gint *sim_ms);

/* The seed of a replication's streams, as recorded in runs.csv. */
uint64_t cn_run_seed(const cn_config *c, uint32_t replication);

#endif
