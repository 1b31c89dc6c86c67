/* cnisim report: numbers and markdown as report.md shows them. */
#include "report-internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "csvout.h"
#include "ipam.h"

/* ---- number formatting ---- */

/* v to 3 significant digits, readably: 0.0123, 1.23, 12.3, 123, 1230, 12.3k,
 * 123k, 1.23M; scientific notation outside 1e-4 .. 1e15. */
/* v to n significant digits, readably (n = 3: 0.0123, 1.23, 12.3, 123,
 * 1230, 12.3k, 123k, 1.23M); scientific notation outside 1e-4 .. 1e15. */
void fmt_sig_n(GString *out, double v, int n)
{
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    if (isinf(v)) {
        g_string_append(out, v > 0 ? "∞" : "-∞");
        return;
    }
    if (v == 0) {
        g_string_append_c(out, '0');
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[16];
    g_snprintf(fmt, sizeof fmt, "%%.%de", n - 1);
    g_ascii_formatd(buf, sizeof buf, fmt, v); /* rounds first: 999.6 -> 1.00e+03 */
    int e = atoi(strchr(buf, 'e') + 1);
    double r = g_ascii_strtod(buf, NULL);
    static const char suffix[] = "kMGT";
    if (e >= 4 && e < 15) {
        int g = e / 3;
        g_snprintf(fmt, sizeof fmt, "%%.%df", MAX(0, n - 1 - (e - 3 * g)));
        g_ascii_formatd(buf, sizeof buf, fmt, r / pow(10, 3 * g));
        g_string_append_printf(out, "%s%c", buf, suffix[g - 1]);
    } else if (e >= -4 && e < 4) {
        g_snprintf(fmt, sizeof fmt, "%%.%df", MAX(0, n - 1 - e));
        g_ascii_formatd(buf, sizeof buf, fmt, r);
        g_string_append(out, buf);
    } else {
        g_string_append(out, buf);
    }
}

void fmt_sig(GString *out, double v)
{
    fmt_sig_n(out, v, 3);
}

/* "v ± ci": the interval to two significant digits, and none when it is
 * below half a percent of the value (digits that would only be noise). */
void fmt_ci(GString *out, double v, double ci)
{
    fmt_sig(out, v);
    if (isfinite(ci) && ci > 0 && ci >= 0.005 * fabs(v)) {
        g_string_append(out, " ± ");
        fmt_sig_n(out, ci, 2);
    }
}

/* A count: exact below 10 000, else as fmt_sig. */
/* A count: exact, with thousands separators from 10,000 (a count is read,
 * not estimated: "312,045 drops"), 3 significant digits past 10^12. */
void fmt_count(GString *out, double v)
{
    if (isfinite(v) && fabs(v) >= 100)
        v = round(v); /* a mean of counts: its fraction is noise */
    if (!isfinite(v) || v != floor(v) || fabs(v) >= 1e12) {
        fmt_sig(out, v);
        return;
    }
    char buf[32];
    g_snprintf(buf, sizeof buf, "%.0f", fabs(v));
    if (v < 0)
        g_string_append_c(out, '-');
    gsize n = strlen(buf);
    for (gsize i = 0; i < n; i++) {
        if (i && n >= 5 && (n - i) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, buf[i]);
    }
}

void fmt_pct(GString *out, double util)
{
    fmt_sig(out, util * 100);
    if (!isnan(util))
        g_string_append_c(out, '%');
}

/* Scratch formatting for one-off values in sentences. */
const char *sig(GString *scratch, double v)
{
    g_string_truncate(scratch, 0);
    fmt_sig(scratch, v);
    return scratch->str;
}

/* ---- markdown helpers ---- */

/* Text in a table cell or sentence: escape what markdown would act on. */
void md_text(GString *out, const char *t)
{
    for (; *t; t++) {
        if (strchr("\\|*`<[]", *t))
            g_string_append_c(out, '\\');
        g_string_append_c(out, *t == '\n' || *t == '\r' ? ' ' : *t);
    }
}

/* A name as a code span (wider fences when the name holds a backtick). */
void md_code(GString *out, const char *t)
{
    gboolean tick = strchr(t, '`') != NULL;
    g_string_append(out, tick ? "`` " : "`");
    for (; *t; t++)
        g_string_append_c(out, *t == '\n' || *t == '\r' ? ' ' : *t);
    g_string_append(out, tick ? " ``" : "`");
}

/* "services = 1000, model = open" for a point (all swept keys but skip). */
void point_label(GString *out, const summary *s, const row *r, int skip)
{
    gboolean first = TRUE;
    for (guint k = 0; k < s->keys->len; k++) {
        if ((int)k == skip)
            continue;
        g_string_append_printf(out, "%s%s = %s", first ? "" : ", ",
                               (const char *)g_ptr_array_index(s->keys, k), r->swept[k]);
        first = FALSE;
    }
}

gboolean has_traffic(const row *r)
{
    return r->m[C_TRANSACTIONS] > 0;
}
