/* The work budget: before a batch runs (and in validate), an estimate of its
 * work and memory from the scenario alone, and a refusal past a documented
 * budget unless --allow-large is given (issue 9, item 2).
 *
 * The estimate is an upper bound on transactions: an open loop generates
 * rate x (warm-up + duration) arrivals whatever happens to them; a closed
 * loop completes at most concurrency transactions per zero-load path latency
 * and at most what the nodes' CPUs can serve at the path's CPU cost. */
#ifndef CN_BUDGET_H
#define CN_BUDGET_H

#include <glib.h>

#include "scenario.h"

/* The budget (README "Work budget"). */
#define CN_BUDGET_RUNS         1000000 /* runs per batch */
#define CN_BUDGET_TRANSACTIONS 2e9     /* simulated transactions per batch */
#define CN_BUDGET_RUN_S        1e5     /* simulated seconds per run (warm-up + duration) */
#define CN_BUDGET_MEMORY_BYTES (8.0 * 1024 * 1024 * 1024)

typedef struct {
    double runs;         /* points x variants x replications */
    double transactions; /* upper bound, whole batch */
    double max_run_s;    /* longest run's simulated seconds */
    double memory_bytes; /* estimate of the peak with threads runs at once */
    gboolean over;       /* past the budget */
    char *why;           /* what is past it (NULL if nothing) */
} cn_budget;

/* Estimate the batch's work with threads runs at once. */
void cn_budget_estimate(const cn_scenario *sc, int threads, cn_budget *b);
void cn_budget_clear(cn_budget *b);

/* "1.2e+06 runs, about 3.4e+09 transactions (upper bound), 2.1 GiB": for
 * messages. Free with g_free. */
char *cn_budget_describe(const cn_budget *b);

#endif
