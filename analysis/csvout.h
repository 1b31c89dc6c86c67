/* Output files written safely: to a temporary file created beside the target
 * (O_CREAT|O_EXCL|O_NOFOLLOW, a random name: a planted file or symbolic link
 * is never written through), then renamed, so a reader never sees a
 * half-written file and an interrupted run leaves nothing partial behind.
 * Floats use "%.6g" in the C locale. */
#ifndef CN_CSVOUT_H
#define CN_CSVOUT_H

#include <stdint.h>
#include <stdio.h>
#include <glib.h>

typedef struct cn_outfile cn_outfile;

/* Open path for writing (really path.tmp-XXXXXX until published). */
cn_outfile *cn_outfile_open(const char *path, GError **error);
FILE *cn_outfile_stream(cn_outfile *f);
/* Flush, fsync-free close and rename onto the target; frees f. */
gboolean cn_outfile_commit(cn_outfile *f, GError **error);
/* The two halves of commit, for publishing several files all or none:
 * close checks every write (the temporary is kept, not yet visible under the
 * target's name); publish renames a closed file onto its target and frees
 * f.  On failure both delete the temporary; f must still be freed with
 * cn_outfile_abort. */
gboolean cn_outfile_close(cn_outfile *f, GError **error);
gboolean cn_outfile_publish(cn_outfile *f, GError **error);
/* Close (if open) and delete the temporary file; frees f.  NULL is fine. */
void cn_outfile_abort(cn_outfile *f);

/* Delete the temporary files an earlier process left in dir when it was
 * killed (NAME.tmp-XXXXXX, and NAME.tmp.PID of older versions).  Links and
 * files are unlinked, never followed.  Returns how many were removed. */
int cn_outfile_remove_stale(const char *dir);

/* Write a double as %.6g in the C locale (no locale-dependent commas);
 * from 1e6 up to 1e15 as a whole number, so a large rate or count keeps its
 * digits (1234567, not 1.23457e+06). */
void cn_csv_double(FILE *out, double v);
#define CN_CSV_DOUBLE_BUF 40
/* The same text into buf (CN_CSV_DOUBLE_BUF bytes). */
void cn_csv_format_double(char *buf, double v);
/* For rows put together in a buffer: the text of cn_csv_double, or of an
 * integer in decimal, at p (room for CN_CSV_DOUBLE_BUF bytes), without a
 * terminating NUL; they return the end. */
char *cn_csv_put_double(char *p, double v);
char *cn_csv_put_int(char *p, int64_t v);
char *cn_csv_put_uint(char *p, uint64_t v);
/* Write a CSV field, quoting it when it holds a comma, quote or newline.  A
 * text field starting with =, +, -, @, tab or CR (a spreadsheet would take
 * it for a formula) is written quoted with a leading apostrophe, the usual
 * spreadsheet-safe rule (OWASP "CSV Injection"); numbers are written as
 * they are. */
void cn_csv_string(FILE *out, const char *s);

/* A number for a gnuplot data block: a space, then %.6g in the C locale,
 * or NaN (a gap in the line) when v is not finite. */
void cn_gp_num(GString *gp, double v);

/* A gnuplot single-quoted string ('' stands for a quote; line breaks
 * become spaces). */
void cn_gp_str(GString *gp, const char *t);

#endif
