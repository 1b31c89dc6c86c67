/* A batch: every (sweep point, variant, replication) run of a scenario, run
 * on a thread pool, written as runs.csv, summary.csv, ipam.csv and meta.ini.
 * Rows are written in job order, so the bytes do not depend on the number of
 * threads.  Each finished run is kept as a part file, so an interrupted batch
 * resumes where it stopped. */
#ifndef CN_BATCH_H
#define CN_BATCH_H

#include <glib.h>

#include "scenario.h"

typedef struct {
    const char *out_dir;      /* output directory */
    int threads;              /* worker threads, >= 1 */
    int shard_index;          /* 1-based; 0: no sharding */
    int shard_count;          /* slices; 0: no sharding */
    gboolean resume;          /* reuse finished runs found in out_dir */
    gboolean force;           /* allow reusing a directory of another scenario */
    gboolean quiet;           /* no progress bar */
    gboolean allow_large;     /* run past the work budget (budget.h) */
    const char *command_line; /* recorded in meta.ini */
    /* --set overrides, NULL-terminated (may be NULL): with the scenario file
     * they decide whether finished runs can be resumed */
    const char *const *sets;
    const char *const *merge_from; /* merge: directories whose runs to join; compute nothing */
} cn_batch_options;

typedef enum {
    CN_BATCH_OK,
    CN_BATCH_BAD_INPUT,   /* exit status 2 */
    CN_BATCH_FAILED,      /* exit status 1 */
    CN_BATCH_INTERRUPTED, /* SIGINT: finished runs kept */
} cn_batch_status;

cn_batch_status cn_batch_run(const cn_scenario *sc, const cn_batch_options *opt, GError **error);

/* Join the runs of shard directories (made with --shard I/N of the same
 * scenario, file and --set values) into out_dir and write the outputs: the
 * same bytes a single run would have written.  The scenario is the copy
 * each run keeps in DIR/.parts/. */
cn_batch_status cn_batch_merge(const char *const *dirs, const char *out_dir, gboolean force,
                               GError **error);

/* Ask a running batch to stop (from a signal handler: only sets a flag). */
void cn_batch_request_stop(void);
gboolean cn_batch_stop_requested(void);

/* The default output directory for a scenario: out/<name>, with the name
 * reduced to [A-Za-z0-9._-] so a scenario cannot point outside out/. */
char *cn_batch_default_dir(const cn_scenario *sc);

#endif
