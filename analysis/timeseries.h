/* timeseries.csv: one row per (point, variant, replication, interval,
 * class) of a batch, from the intervals each run keeps (cn_run_result).
 * Each run's rows go into its record in DIR/.parts/runs.log as lines starting
 * "ts," when the run finishes; the file joins them in job order, so its
 * bytes do not depend on the number of threads, and memory holds one run's
 * intervals at a time. */
#ifndef CN_TIMESERIES_H
#define CN_TIMESERIES_H

#include <stdio.h>
#include <glib.h>

#include "run.h"
#include "scenario.h"

#define CN_TIMESERIES_PREFIX "ts,"

/* Write one run's rows (without the leading scenario..replication columns),
 * each prefixed CN_TIMESERIES_PREFIX; nothing when it kept no intervals. */
void cn_timeseries_write_part(FILE *out, const cn_config *c, const cn_run_result *r);

/* Whether timeseries.csv is written: interval_s is not 0 at some point. */
gboolean cn_timeseries_enabled(const cn_scenario *sc);

/* Join the rows of every run into path; part_text(ctx, job, error) gives
 * the text of job's record (point, variant, replication, in the batch's
 * order) from the run log, or NULL with error set. */
gboolean cn_timeseries_write_csv(const cn_scenario *sc,
                                 char *(*part_text)(gconstpointer ctx, gsize job, GError **error),
                                 gconstpointer ctx, const char *path, GError **error);

#endif
