/* Output files written safely: to a temporary file beside the target, then
 * renamed, so a reader never sees a half-written file and an interrupted run
 * leaves nothing partial behind.  Floats use "%.6g" in the C locale. */
#ifndef CN_CSVOUT_H
#define CN_CSVOUT_H

#include <stdio.h>
#include <glib.h>

typedef struct cn_outfile cn_outfile;

/* Open path for writing (really path.tmp.PID until committed). */
cn_outfile *cn_outfile_open(const char *path, GError **error);
FILE *cn_outfile_stream(cn_outfile *f);
/* Flush, fsync-free close and rename onto the target; frees f. */
gboolean cn_outfile_commit(cn_outfile *f, GError **error);
/* Close and delete the temporary file; frees f.  NULL is fine. */
void cn_outfile_abort(cn_outfile *f);

/* Write a double as %.6g in the C locale (no locale-dependent commas);
 * from 1e6 up to 1e15 as a whole number, so a large rate or count keeps its
 * digits (1234567, not 1.23457e+06). */
void cn_csv_double(FILE *out, double v);
#define CN_CSV_DOUBLE_BUF 40
/* The same text into buf (CN_CSV_DOUBLE_BUF bytes). */
void cn_csv_format_double(char *buf, double v);
/* Write a CSV field, quoting it when it holds a comma, quote or newline. */
void cn_csv_string(FILE *out, const char *s);

#endif
