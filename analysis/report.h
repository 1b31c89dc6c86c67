/* `cnisim report DIR`: a comparison table (markdown) and plots from the
 * summary.csv of a finished run. */
#ifndef CN_REPORT_H
#define CN_REPORT_H

#include <stdio.h>
#include <glib.h>

/* Read DIR/summary.csv; write DIR/report.md (also printed to out) and, when
 * gnuplot is installed, DIR/plots/ PNG files.  Errors name the file. */
gboolean cn_report(const char *dir, FILE *out, GError **error);

/* Whether every name in a scenario's [report] headline (comma-separated;
 * NULL or empty: the default) is a metric the report knows; else an error
 * naming file.  run and validate check it before anything runs. */
gboolean cn_report_check_headline(const char *file, const char *headline, GError **error);

#endif
