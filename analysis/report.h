/* `cnisim report DIR`: a comparison table (markdown) and plots from the
 * summary.csv of a finished run. */
#ifndef CN_REPORT_H
#define CN_REPORT_H

#include <stdio.h>
#include <glib.h>

/* Read DIR/summary.csv; write DIR/report.md (also printed to out) and, when
 * gnuplot is installed, DIR/plots/ PNG files.  Errors name the file. */
gboolean cn_report(const char *dir, FILE *out, GError **error);

#endif
