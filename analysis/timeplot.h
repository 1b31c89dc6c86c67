/* Plots over time for the report: from DIR/timeseries.csv, for runs with
 * scheduled events or transients (drops, SNAT or stale failures, failed
 * transactions), throughput, p99, failures and conntrack occupancy against
 * time, one line per variant (replication 1, class all), events marked.
 * Scripts go to DIR/plots/time-pN.gp, images beside them when gnuplot is
 * given; a section for report.md is appended to md. */
#ifndef CN_TIMEPLOT_H
#define CN_TIMEPLOT_H

#include <glib.h>

/* Nothing happens (TRUE) without timeseries.csv or without anything that
 * moves; FALSE with error set when the file is unreadable or malformed. */
gboolean cn_timeplot_write(const char *dir, const char *gnuplot, GString *md, GError **error);

#endif
