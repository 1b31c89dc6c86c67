#include "csvout.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

struct cn_outfile {
    char *path; /* final name */
    char *tmp;  /* temporary name */
    FILE *fp;
};

cn_outfile *cn_outfile_open(const char *path, GError **error)
{
    cn_outfile *f = g_new0(cn_outfile, 1);
    f->path = g_strdup(path);
    f->tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp, "w");
    if (!f->fp) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", path,
                    g_strerror(e));
        g_free(f->path);
        g_free(f->tmp);
        g_free(f);
        return NULL;
    }
    return f;
}

FILE *cn_outfile_stream(cn_outfile *f)
{
    return f->fp;
}

gboolean cn_outfile_commit(cn_outfile *f, GError **error)
{
    gboolean ok = TRUE;
    int e = 0;
    if (ferror(f->fp))
        ok = FALSE, e = EIO;
    if (fclose(f->fp) != 0 && ok)
        ok = FALSE, e = errno;
    if (ok && rename(f->tmp, f->path) != 0)
        ok = FALSE, e = errno;
    if (!ok) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s",
                    f->path, g_strerror(e));
        unlink(f->tmp);
    }
    g_free(f->path);
    g_free(f->tmp);
    g_free(f);
    return ok;
}

void cn_outfile_abort(cn_outfile *f)
{
    if (!f)
        return;
    fclose(f->fp);
    unlink(f->tmp);
    g_free(f->path);
    g_free(f->tmp);
    g_free(f);
}

void cn_csv_format_double(char *buf, double v)
{
    double a = fabs(v);
    g_ascii_formatd(buf, CN_CSV_DOUBLE_BUF, a >= 1e6 && a < 1e15 ? "%.0f" : "%.6g", v);
}

void cn_csv_double(FILE *out, double v)
{
    char buf[CN_CSV_DOUBLE_BUF];
    cn_csv_format_double(buf, v);
    fputs(buf, out);
}

void cn_csv_string(FILE *out, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
