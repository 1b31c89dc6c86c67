#include "csvout.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cn_outfile {
    char *path; /* final name */
    char *tmp;  /* temporary name, in the target's directory */
    FILE *fp;   /* NULL once closed */
};

static void set_io_error(GError **error, const char *path, int e)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", path,
                g_strerror(e));
}

static void outfile_free(cn_outfile *f)
{
    g_free(f->path);
    g_free(f->tmp);
    g_free(f);
}

cn_outfile *cn_outfile_open(const char *path, GError **error)
{
    cn_outfile *f = g_new0(cn_outfile, 1);
    f->path = g_strdup(path);
    f->tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
    /* O_EXCL with a fresh random name: nothing planted at a predictable name
     * can be written through; O_NOFOLLOW on top in case of a race. */
    int fd = g_mkstemp_full(f->tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
        f->fp = fdopen(fd, "w");
        if (!f->fp) {
            int e = errno;
            close(fd);
            unlink(f->tmp);
            errno = e;
        }
    }
    if (!f->fp) {
        set_io_error(error, path, errno);
        outfile_free(f);
        return NULL;
    }
    return f;
}

FILE *cn_outfile_stream(cn_outfile *f)
{
    return f->fp;
}

gboolean cn_outfile_close(cn_outfile *f, GError **error)
{
    int e = 0;
    if (ferror(f->fp))
        e = EIO;
    if (fclose(f->fp) != 0 && !e)
        e = errno;
    f->fp = NULL;
    if (e) {
        set_io_error(error, f->path, e);
        unlink(f->tmp);
        return FALSE;
    }
    return TRUE;
}

gboolean cn_outfile_publish(cn_outfile *f, GError **error)
{
    g_assert(!f->fp);
    if (rename(f->tmp, f->path) != 0) {
        set_io_error(error, f->path, errno);
        unlink(f->tmp);
        return FALSE;
    }
    outfile_free(f);
    return TRUE;
}

gboolean cn_outfile_commit(cn_outfile *f, GError **error)
{
    if (!cn_outfile_close(f, error) || !cn_outfile_publish(f, error)) {
        outfile_free(f);
        return FALSE;
    }
    return TRUE;
}

void cn_outfile_abort(cn_outfile *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    unlink(f->tmp);
    outfile_free(f);
}

/* NAME.tmp-XXXXXX (6 of g_mkstemp's characters) or NAME.tmp.DIGITS. */
static gboolean is_stale_name(const char *name)
{
    const char *t = strstr(name, ".tmp");
    for (; t; t = strstr(t + 1, ".tmp")) {
        const char *s = t + 4;
        if (s[0] == '-' && strlen(s + 1) == 6)
            return TRUE;
        if (s[0] == '.' && s[1] && strspn(s + 1, "0123456789") == strlen(s + 1))
            return TRUE;
    }
    return FALSE;
}

int cn_outfile_remove_stale(const char *dir)
{
    int n = 0;
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        if (!is_stale_name(name))
            continue;
        g_autofree char *p = g_build_filename(dir, name, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(p) == 0)
            n++;
    }
    return n;
}

/* The decimal digits of x at p, returning the end. */
static char *put_digits(char *p, uint64_t x)
{
    char tmp[20]; /* 2^64 has 20 digits */
    int n = 0;
    do
        tmp[n++] = (char)('0' + x % 10);
    while ((x /= 10) > 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* %.6g of v, 1e-15 <= |v| < 1e6, without the floating-point formatter,
 * which dominates the cost of writing timeseries.csv.  The six digits are
 * |v| x 10^k rounded to nearest, ties to even, as printf rounds: 10^k is
 * exact (k <= 22), the product m is |v| x 10^k rounded, and fma gives the
 * rounding error r exactly, so the true product is m + r.  m's fraction is
 * a multiple of its ulp u (u <= 2^-32 for m < 2^20) and |r| <= u/2, so r
 * decides only when the fraction is exactly one half.  false: |v| out of
 * range (the caller asks printf). */
static bool format_g6(char *buf, double v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double a = fabs(v);
    if (!(a >= 1e-15 && a < 1e6))
        return false;
    int x = (int)floor(log10(a)); /* the exponent, give or take one near a power of 10 */
    double m = 0;
    for (int tries = 0;; tries++) {
        if (tries == 3 || 5 - x < 0 || 5 - x > 22)
            return false;
        m = a * pow10[5 - x];
        if (m < 1e5)
            x--;
        else if (m >= 1e6)
            x++;
        else
            break;
    }
    double r = fma(a, pow10[5 - x], -m);
    double whole = floor(m), frac = m - whole;
    uint32_t d = (uint32_t)whole;
    if (frac > 0.5 || (frac == 0.5 && (r > 0 || (r == 0 && d % 2 == 1))))
        d++;
    if (d == 1000000) {
        d = 100000;
        x++;
    }
    char dig[6];
    for (int i = 5; i >= 0; i--, d /= 10)
        dig[i] = (char)('0' + d % 10);
    int nd = 6; /* significant digits without the trailing zeros %g drops */
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    char *p = buf;
    if (v < 0)
        *p++ = '-';
    if (x < -4 || x >= 6) {
        *p++ = dig[0];
        if (nd > 1) {
            *p++ = '.';
            for (int i = 1; i < nd; i++)
                *p++ = dig[i];
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax < 10)
            *p++ = '0';
        p = put_digits(p, (uint64_t)ax);
    } else if (x >= 0) {
        for (int i = 0; i <= x; i++)
            *p++ = dig[i];
        if (nd > x + 1) {
            *p++ = '.';
            for (int i = x + 1; i < nd; i++)
                *p++ = dig[i];
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *p++ = '0';
        for (int i = 0; i < nd; i++)
            *p++ = dig[i];
    }
    *p = '\0';
    return true;
}

void cn_csv_format_double(char *buf, double v)
{
    double a = fabs(v);
    /* Whole numbers below 10^15 (counts, rates over round intervals): the
     * digits %.6g or %.0f would print, without the floating-point
     * formatter. */
    if (a < 1e15 && v == floor(v) && !(v == 0 && signbit(v))) {
        char *p = buf;
        if (v < 0)
            *p++ = '-';
        *put_digits(p, (uint64_t)a) = '\0';
        return;
    }
    if (a < 1e6 && format_g6(buf, v))
        return;
    g_ascii_formatd(buf, CN_CSV_DOUBLE_BUF, a >= 1e6 && a < 1e15 ? "%.0f" : "%.6g", v);
}

char *cn_csv_put_double(char *p, double v)
{
    cn_csv_format_double(p, v);
    return p + strlen(p);
}

char *cn_csv_put_uint(char *p, uint64_t v)
{
    return put_digits(p, v);
}

char *cn_csv_put_int(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_digits(p, -(uint64_t)v);
    }
    return put_digits(p, (uint64_t)v);
}

void cn_csv_double(FILE *out, double v)
{
    char buf[CN_CSV_DOUBLE_BUF];
    cn_csv_format_double(buf, v);
    fputs(buf, out);
}

static gboolean is_number(const char *s)
{
    char *end;
    if (!*s)
        return FALSE;
    g_ascii_strtod(s, &end);
    return *end == '\0' && strpbrk(s, "xXnNiI") == NULL; /* no hex, nan, inf */
}

void cn_csv_string(FILE *out, const char *s)
{
    if (!s)
        return;
    gboolean formula = strchr("=+-@\t\r", s[0]) && s[0] && !is_number(s);
    if (!formula && strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void cn_gp_num(GString *gp, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isfinite(v)) {
        g_string_append(gp, " NaN");
        return;
    }
    g_ascii_formatd(buf, sizeof buf, "%.6g", v);
    g_string_append_printf(gp, " %s", buf);
}

void cn_gp_str(GString *gp, const char *t)
{
    g_string_append_c(gp, '\'');
    for (; *t; t++) {
        if (*t == '\'')
            g_string_append_c(gp, '\'');
        g_string_append_c(gp, *t == '\n' || *t == '\r' ? ' ' : *t);
    }
    g_string_append_c(gp, '\'');
}
