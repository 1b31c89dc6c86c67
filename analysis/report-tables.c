/* cnisim report: the tables of report.md. */
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

/* ---- the comparison tables ---- */

static gboolean key_numeric(const summary *s, guint k)
{
    for (guint p = 0; p < s->points->len; p++) {
        double x;
        if (!parse_number(g_array_index(s->points, point_info, p).at->swept[k], &x))
            return FALSE;
    }
    return TRUE;
}

/* The scale a whole latency column is shown in: ms when its values reach
 * 10 ms, so a column does not mix units. */
gint dbl_cmp(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median (which = 0.5) or the largest (which = 1) of a column over a
 * class's rows (all rows when cls is NULL); 0 when it has no value. */
static double column_stat(const summary *s, const char *cls, int c, double which)
{
    g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if ((!cls || strcmp(r->cls, cls) == 0) && isfinite(r->m[c]))
            g_array_append_val(v, r->m[c]);
    }
    if (!v->len)
        return 0;
    g_array_sort(v, dbl_cmp);
    return g_array_index(v, double, (guint)(which * (v->len - 1)));
}

static void fmt_scaled(GString *md, double v, double ci, double scale)
{
    if (isnan(v)) {
        g_string_append(md, "–");
        return;
    }
    fmt_ci(md, v * scale, ci * scale);
    /* An interval wider than half the value says the run is too short or
     * the replications too few to trust the figure. */
    if (isfinite(ci) && ci > 0.5 * v)
        g_string_append(md, " (wide)");
}

static void table_head(GString *md, const summary *s, const char *const *cols, guint n)
{
    g_string_append(md, "| variant |");
    for (guint k = 0; k < s->keys->len; k++) {
        g_string_append_c(md, ' ');
        md_text(md, g_ptr_array_index(s->keys, k));
        g_string_append(md, " |");
    }
    for (guint i = 0; i < n; i++)
        g_string_append_printf(md, " %s |", cols[i]);
    g_string_append(md, "\n|---|");
    for (guint k = 0; k < s->keys->len; k++)
        g_string_append(md, key_numeric(s, k) ? "---:|" : "---|");
    for (guint i = 0; i < n; i++)
        g_string_append(md, "---:|");
    g_string_append_c(md, '\n');
}

static guint table_stride(const summary *s)
{
    return (s->points->len + TABLE_POINTS - 1) / TABLE_POINTS;
}

static gboolean table_shows(const summary *s, guint p)
{
    guint k = table_stride(s);
    return p % k == 0 || p + 1 == s->points->len;
}

void table_note(GString *md, const summary *s)
{
    if (table_stride(s) > 1)
        g_string_append_printf(md,
                               "\n(Every %u%s sweep point and the last shown; `summary.csv` "
                               "has all %u.)\n",
                               table_stride(s), table_stride(s) == 2 ? "nd" : "th", s->points->len);
}

static void row_lead(GString *md, const summary *s, const row *r)
{
    g_string_append(md, "| ");
    md_text(md, r->variant);
    if (saturated(s, r->point, r->variant))
        g_string_append(md, " ⚠");
    for (guint k = 0; k < s->keys->len; k++) {
        g_string_append(md, " | ");
        md_text(md, r->swept[k]);
    }
}

gboolean column_any(const summary *s, const char *cls, int c)
{
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if ((!cls || strcmp(r->cls, cls) == 0) && r->m[c] > 0)
            return TRUE;
    }
    return FALSE;
}

/* Per class: throughput, latency and failures; narrow enough to read. */
void class_table(GString *md, const summary *s, const char *cls)
{
    /* One unit per column: ms when the typical p99 is past a millisecond. */
    gboolean ms = column_stat(s, cls, C_P99, 0.5) >= 1e3;
    double lscale = ms ? 1e-3 : 1;
    const char *lu = ms ? "ms" : "µs";
    /* Gbit/s where messages are large enough for it to matter. */
    gboolean gbps = FALSE;
    for (guint i = 0; i < s->rows->len && !gbps; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        /* bytes per transaction = Gbit/s x 1e9 / 8 / rate: 16 KiB or more */
        gbps = strcmp(r->cls, cls) == 0 && r->m[C_TPUT] > 0 && r->m[C_GBPS] >= 0.1 &&
               r->m[C_GBPS] * 1e9 / 8 / r->m[C_TPUT] >= 16384;
    }
    gboolean failed = column_any(s, cls, C_FAILED);
    gboolean split =
        s->has[C_NEW_P99] && column_any(s, cls, C_NEW_P99) && column_any(s, cls, C_REUSED_P99);
    g_autofree char *c_mean = g_strdup_printf("mean (%s)", lu);
    g_autofree char *c_p50 = g_strdup_printf("p50 (%s)", lu);
    g_autofree char *c_p99 = g_strdup_printf("p99 (%s)", lu);
    g_autofree char *c_p999 = g_strdup_printf("p99.9 (%s)", lu);
    g_autofree char *c_new = g_strdup_printf("p99 new / reused conn. (%s)", lu);
    const char *cols[8];
    guint n = 0;
    cols[n++] = "throughput (/s)";
    if (gbps)
        cols[n++] = "Gbit/s";
    cols[n++] = c_mean;
    cols[n++] = c_p50;
    cols[n++] = c_p99;
    cols[n++] = c_p999;
    if (split)
        cols[n++] = c_new;
    if (failed)
        cols[n++] = "failed";
    table_head(md, s, cols, n);
    for (guint p = 0; p < s->points->len; p++) {
        if (!table_shows(s, p))
            continue;
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = find_row(s, point, g_ptr_array_index(s->variants, v), cls);
            if (!r)
                continue;
            const double *m = r->m;
            gboolean lat = has_traffic(r);
            row_lead(md, s, r);
            g_string_append(md, " | ");
            fmt_scaled(md, m[C_TPUT], m[C_TPUT_CI], 1);
            if (gbps) {
                g_string_append(md, " | ");
                fmt_sig(md, m[C_GBPS]);
            }
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_LAT_MEAN] : NAN, m[C_LAT_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P50] : NAN, m[C_P50_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P99] : NAN, m[C_P99_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P999] : NAN, NAN, lscale);
            if (split) {
                g_string_append(md, " | ");
                fmt_scaled(md, m[C_NEW_P99], NAN, lscale);
                g_string_append(md, " / ");
                fmt_scaled(md, m[C_REUSED_P99], NAN, lscale);
            }
            if (failed) {
                g_string_append(md, " | ");
                fmt_count(md, m[C_FAILED]);
                double tried = m[C_FAILED] + m[C_TRANSACTIONS];
                if (m[C_FAILED] > 0 && tried > 0)
                    g_string_append_printf(md, " (%.3g%%)", 100 * m[C_FAILED] / tried);
            }
            g_string_append(md, " |\n");
        }
    }
}

gboolean column_measured(const summary *s, int c)
{
    for (guint i = 0; i < s->rows->len; i++)
        if (isfinite(((const row *)g_ptr_array_index(s->rows, i))->m[c]))
            return TRUE;
    return FALSE;
}

/* The first row of a point and variant that has column c, else its first
 * row: the cluster-wide figures are the same on every class row. */
static const row *run_row(const summary *s, guint point, const char *variant, int c)
{
    const row *first = NULL;
    for (guint k = 0; k < s->classes->len; k++) {
        const row *r = find_row(s, point, variant, g_ptr_array_index(s->classes, k));
        if (r && isfinite(r->m[c]))
            return r;
        if (r && !first)
            first = r;
    }
    return first;
}

/* What the scheduled events cost, once per point and variant: the
 * disruption window and the transactions failed in it (± over the
 * replications), the transactions failed over the whole run, and the
 * exhaustion times when a run had them. */
void disruption_table(GString *md, const summary *s)
{
    g_string_append(md, "From the first scheduled event");
    if (s->events && s->events->len) {
        g_string_append(md, " (");
        describe_events(md, s);
        g_string_append(md, ")");
    }
    g_string_append(md, " until the cluster is back to its level before it; failed in the "
                        "window, and over the whole measured run (all classes); – where a run "
                        "measured no window.\n\n");
    if (!column_measured(s, C_DISRUPTION_S)) {
        g_string_append(md, "Not tested: no run measured a window (see the findings).\n");
        return;
    }
    gboolean t_snat = s->has[C_T_SNAT] && column_any(s, NULL, C_T_SNAT);
    gboolean t_ct = s->has[C_T_CT] && column_any(s, NULL, C_T_CT);
    const char *cols[5];
    guint n = 0;
    cols[n++] = "disruption (s)";
    cols[n++] = "failed in it";
    cols[n++] = "failed (run)";
    if (t_snat)
        cols[n++] = "1st SNAT fail (s)";
    if (t_ct)
        cols[n++] = "1st ct drop (s)";
    table_head(md, s, cols, n);
    for (guint p = 0; p < s->points->len; p++) {
        if (!table_shows(s, p))
            continue;
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const char *variant = g_ptr_array_index(s->variants, v);
            const row *r = run_row(s, point, variant, C_DISRUPTION_S);
            if (!r)
                continue;
            double failed = 0;
            for (guint k = 0; k < s->classes->len; k++) {
                const row *c = find_row(s, point, variant, g_ptr_array_index(s->classes, k));
                if (c && isfinite(c->m[C_FAILED]))
                    failed += c->m[C_FAILED];
            }
            row_lead(md, s, r);
            g_string_append(md, " | ");
            fmt_scaled(md, r->m[C_DISRUPTION_S], r->m[C_DISRUPTION_CI], 1);
            g_string_append(md, " | ");
            if (isnan(r->m[C_DISRUPTION_FAILED]))
                g_string_append(md, "–");
            else
                fmt_count(md, r->m[C_DISRUPTION_FAILED]);
            double lost = r->m[C_DISRUPTION_FAILED], ci = r->m[C_DISRUPTION_FAILED_CI];
            if (isfinite(lost) && isfinite(ci) && ci > 0) {
                g_string_append(md, " ± ");
                fmt_sig_n(md, ci, 2);
                if (ci > 0.5 * lost)
                    g_string_append(md, " (wide)"); /* as fmt_scaled */
            }
            g_string_append(md, " | ");
            fmt_count(md, failed);
            if (t_snat) {
                g_string_append(md, " | ");
                fmt_scaled(md, run_row(s, point, variant, C_T_SNAT)->m[C_T_SNAT], NAN, 1);
            }
            if (t_ct) {
                g_string_append(md, " | ");
                fmt_scaled(md, run_row(s, point, variant, C_T_CT)->m[C_T_CT], NAN, 1);
            }
            g_string_append(md, " |\n");
        }
    }
}

/* Cluster-wide figures, once per point and variant (not per class). */
void cluster_table(GString *md, const summary *s)
{
    static const struct {
        int c;
        const char *head;
        unit_kind u;
        gboolean only_if_any;
    } cols[] = {
        {C_CPU_MEAN, "CPU mean", U_PCT, FALSE},
        {C_CPU_MAX, "CPU busiest", U_PCT, FALSE},
        {C_CPU_TXN, "CPU µs/txn", U_COUNT, FALSE},
        {C_CPU_TXN_MAX, "µs/txn at busiest", U_COUNT, FALSE},
        {C_CT_PEAK, "conntrack peak", U_COUNT, FALSE},
        {C_DROPS_CT, "ct drops", U_COUNT, TRUE},
        {C_CT_EVICT, "ct evictions", U_COUNT, TRUE},
        {C_SNAT, "SNAT fail", U_COUNT, TRUE},
        {C_POLICY, "policy drops", U_COUNT, TRUE},
        {C_LB_UNPROG, "past LB map", U_COUNT, TRUE},
        {C_STALE, "stale fail", U_COUNT, TRUE},
        {C_SYNC_MS, "sync (ms)", U_MS, TRUE},
        {C_T_SNAT, "1st SNAT fail (s)", U_S, TRUE},
        {C_T_CT, "1st ct drop (s)", U_S, TRUE},
        {C_ADMITTED, "admitted before", U_COUNT, TRUE},
        {C_FAIL_AFTER, "fail rate after", U_PCT, TRUE},
    };
    const char *heads[G_N_ELEMENTS(cols)];
    int use[G_N_ELEMENTS(cols)];
    guint n = 0;
    for (guint i = 0; i < G_N_ELEMENTS(cols); i++)
        if (s->has[cols[i].c] && (!cols[i].only_if_any || column_any(s, NULL, cols[i].c))) {
            use[n] = (int)i;
            heads[n++] = cols[i].head;
        }
    table_head(md, s, heads, n);
    const char *cls0 = g_ptr_array_index(s->classes, 0);
    for (guint p = 0; p < s->points->len; p++) {
        if (!table_shows(s, p))
            continue;
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const char *variant = g_ptr_array_index(s->variants, v);
            const row *r = find_row(s, point, variant, cls0);
            for (guint c = 1; !r && c < s->classes->len; c++)
                r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
            if (!r)
                continue;
            row_lead(md, s, r);
            for (guint i = 0; i < n; i++) {
                double v2 = r->m[cols[use[i]].c];
                g_string_append(md, " | ");
                switch (cols[use[i]].u) {
                case U_PCT:
                    fmt_pct(md, v2);
                    break;
                case U_COUNT:
                    if (cols[use[i]].c == C_CPU_TXN || cols[use[i]].c == C_CPU_TXN_MAX)
                        fmt_sig(md, v2);
                    else
                        fmt_count(md, v2);
                    break;
                default:
                    fmt_sig(md, v2);
                    break;
                }
            }
            g_string_append(md, " |\n");
        }
    }
}
