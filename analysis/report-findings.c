/* cnisim report: the findings report.md leads with: comparisons that
 * respect the intervals, sweeps, knees, saturation, failures, the plan. */
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

/* Counters that mean something went wrong, with how the report names them.
 * All but `failed` are cluster-wide for a run (batch.c repeats them in every
 * class's row). */
static const struct {
    int col;
    const char *what;
} problem_cols[] = {
    {C_DROPS_CT, "conntrack drops"},
    {C_SNAT, "SNAT failures"},
    {C_POLICY, "policy drops"},
    {C_CT_EVICT, "conntrack evictions"},
    {C_LB_UNPROG, "connections past the LB map (lb_unprogrammed)"},
    {C_STALE, "connections sent to removed endpoints (stale_failures)"},
};

/* ---- metrics, units and intervals ---- */

const metric metrics[] = {
    {"latency_p99_us", C_P99, C_P99_CI, "p99 latency", U_US, TRUE, FALSE},
    {"latency_p50_us", C_P50, C_P50_CI, "p50 latency", U_US, TRUE, FALSE},
    {"latency_mean_us", C_LAT_MEAN, C_LAT_CI, "mean latency", U_US, TRUE, FALSE},
    {"latency_p90_us", C_P90, -1, "p90 latency", U_US, TRUE, FALSE},
    {"latency_p999_us", C_P999, -1, "p99.9 latency", U_US, TRUE, FALSE},
    {"latency_new_p99_us", C_NEW_P99, -1, "p99 latency of new connections", U_US, TRUE, FALSE},
    {"latency_reused_p99_us", C_REUSED_P99, -1, "p99 latency of reused connections", U_US, TRUE,
     FALSE},
    {"throughput_rps", C_TPUT, C_TPUT_CI, "throughput", U_RATE, FALSE, FALSE},
    {"goodput_gbps", C_GBPS, -1, "goodput", U_GBPS, FALSE, FALSE},
    {"failed", C_FAILED, -1, "failed transactions", U_COUNT, TRUE, FALSE},
    {"cpu_us_per_txn", C_CPU_TXN, C_CPU_TXN_CI, "CPU per transaction", U_US, TRUE, TRUE},
    {"cpu_us_per_txn_busiest", C_CPU_TXN_MAX, -1, "CPU per transaction at the busiest node's load",
     U_US, TRUE, TRUE},
    {"cpu_util_mean", C_CPU_MEAN, -1, "mean CPU", U_PCT, TRUE, TRUE},
    {"cpu_util_max", C_CPU_MAX, -1, "busiest node's CPU", U_PCT, TRUE, TRUE},
    {"conntrack_peak", C_CT_PEAK, -1, "conntrack peak occupancy", U_COUNT, TRUE, TRUE},
    {"drops_conntrack", C_DROPS_CT, -1, "conntrack drops", U_COUNT, TRUE, TRUE},
    {"snat_failures", C_SNAT, -1, "SNAT failures", U_COUNT, TRUE, TRUE},
    {"stale_failures", C_STALE, -1, "stale-endpoint failures", U_COUNT, TRUE, TRUE},
    {"sync_ms_mean", C_SYNC_MS, -1, "rule sync time", U_MS, TRUE, TRUE},
    {"time_to_first_snat_failure_s", C_T_SNAT, -1, "time to the first SNAT failure", U_S, FALSE,
     TRUE},
    {"time_to_first_ct_drop_s", C_T_CT, -1, "time to the first conntrack drop", U_S, FALSE, TRUE},
    {"admitted_before_exhaustion", C_ADMITTED, -1, "connections admitted before exhaustion",
     U_COUNT, FALSE, TRUE},
    {"failure_rate_after_exhaustion", C_FAIL_AFTER, -1, "failure rate after exhaustion", U_PCT,
     TRUE, TRUE},
    {"disruption_s", C_DISRUPTION_S, C_DISRUPTION_CI, "disruption window", U_S, TRUE, TRUE},
    {"disruption_failed", C_DISRUPTION_FAILED, C_DISRUPTION_FAILED_CI,
     "transactions failed in the disruption window", U_COUNT, TRUE, TRUE},
};
const gsize n_metrics = G_N_ELEMENTS(metrics);

const metric *metric_named(const char *col)
{
    for (guint i = 0; i < n_metrics; i++)
        if (strcmp(metrics[i].col, col) == 0)
            return &metrics[i];
    return NULL;
}

/* A latency or time in the unit that suits its size; ci (NaN: none) in the
 * same unit.  "1.48 ms ± 0.12". */
static void fmt_value(GString *out, unit_kind u, double v, double ci)
{
    double scale = 1;
    const char *unit = "";
    switch (u) {
    case U_US:
        if (fabs(v) >= 1e6)
            scale = 1e-6, unit = " s";
        else if (fabs(v) >= 1e3)
            scale = 1e-3, unit = " ms";
        else
            unit = " µs";
        break;
    case U_MS:
        if (fabs(v) >= 1e3)
            scale = 1e-3, unit = " s";
        else
            unit = " ms";
        break;
    case U_S:
        if (fabs(v) < 1 && v != 0)
            scale = 1e3, unit = " ms";
        else
            unit = " s";
        break;
    case U_RATE:
        unit = "/s";
        break;
    case U_GBPS:
        unit = " Gbit/s";
        break;
    case U_PCT:
        scale = 100, unit = "%";
        break;
    case U_COUNT:
        break;
    }
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    if (u == U_COUNT) {
        fmt_count(out, v);
        g_string_append(out, unit);
        if (isfinite(ci) && ci > 0 && ci >= 0.005 * fabs(v)) {
            g_string_append(out, " ± ");
            fmt_sig_n(out, ci, 2);
        }
        return;
    }
    fmt_sig(out, v * scale);
    g_string_append(out, unit);
    if (isfinite(ci) && ci > 0 && ci >= 0.005 * fabs(v)) {
        g_string_append(out, " ± ");
        fmt_sig_n(out, ci * scale, 2);
    }
}

static significance compare_ci(double a, double ca, double b, double cb)
{
    if (isnan(ca) || isnan(cb))
        return a == b ? SIG_NONE : SIG_UNKNOWN;
    return fabs(a - b) > ca + cb ? SIG_YES : SIG_NONE;
}

/* The row holding metric mt for (point, variant, class): for a cluster-wide
 * metric, the first class row that has it. */
const row *metric_row(const summary *s, guint point, const char *variant, const char *cls,
                      const metric *mt)
{
    if (!mt->per_run)
        return find_row(s, point, variant, cls);
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
        if (r && isfinite(r->m[mt->c]))
            return r;
    }
    return NULL;
}

double metric_value(const row *r, const metric *mt, double *ci)
{
    *ci = NAN;
    if (!r || !isfinite(r->m[mt->c]))
        return NAN;
    /* Latencies of a class that completed nothing are not results. */
    if (mt->unit == U_US && !mt->per_run && !has_traffic(r))
        return NAN;
    if (mt->ci >= 0)
        *ci = r->m[mt->ci];
    return r->m[mt->c];
}

/* ---- saturation and the knee ---- */

/* Whether a variant at a point is saturated: the busiest CPU past 95%, or
 * (with a swept rate_rps) completed throughput well short of the offered
 * rate. Such a point's figures grow or fall with the run's length. */
gboolean saturated(const summary *s, guint point, const char *variant)
{
    double tput = 0, cpu = NAN;
    const row *any = NULL;
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
        if (!r)
            continue;
        any = r;
        if (isfinite(r->m[C_TPUT]))
            tput += r->m[C_TPUT];
        if (isfinite(r->m[C_CPU_MAX]))
            cpu = r->m[C_CPU_MAX];
    }
    if (!any)
        return FALSE;
    if (cpu >= SATURATED_CPU)
        return TRUE;
    double rate;
    if (s->rate_key >= 0 && parse_number(any->swept[s->rate_key], &rate) && rate > 0)
        return tput < OPEN_SHORTFALL * rate;
    return FALSE;
}

/* ---- findings ---- */

static gint entry_cmp_low(gconstpointer a, gconstpointer b)
{
    double x = ((const entry *)a)->v, y = ((const entry *)b)->v;
    return x < y ? -1 : x > y;
}

/* Collect metric mt of every variant at point (NaN-free), sorted best first. */
static GArray *entries_at(const summary *s, guint point, const char *cls, const metric *mt)
{
    GArray *e = g_array_new(FALSE, FALSE, sizeof(entry));
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        entry x = {variant, NAN, NAN};
        x.v = metric_value(metric_row(s, point, variant, cls, mt), mt, &x.ci);
        if (!isnan(x.v))
            g_array_append_val(e, x);
    }
    g_array_sort(e, entry_cmp_low);
    if (!mt->low_good)
        for (guint i = 0; i < e->len / 2; i++) {
            entry t = g_array_index(e, entry, i);
            g_array_index(e, entry, i) = g_array_index(e, entry, e->len - 1 - i);
            g_array_index(e, entry, e->len - 1 - i) = t;
        }
    return e;
}

static void name_value(GString *md, const metric *mt, const entry *x)
{
    md_code(md, x->name);
    g_string_append_c(md, ' ');
    fmt_value(md, mt->unit, x->v, x->ci);
}

/* One sentence comparing the variants on mt at a point: the best, those not
 * significantly different from it, and the worst with its ratio; or "no
 * significant difference" when the intervals of best and worst overlap. */
static void compare_sentence(GString *md, const summary *s, guint point, const char *cls,
                             const metric *mt)
{
    g_autoptr(GArray) e = entries_at(s, point, cls, mt);
    if (e->len < 2) {
        g_string_append(md, "fewer than two variants have a value");
        return;
    }
    const entry *best = &g_array_index(e, entry, 0), *worst = &g_array_index(e, entry, e->len - 1);
    significance sw = compare_ci(best->v, best->ci, worst->v, worst->ci);
    if (best->v == worst->v) {
        g_string_append(md, "the same for every variant (");
        fmt_value(md, mt->unit, best->v, NAN);
        g_string_append_c(md, ')');
        return;
    }
    if (sw == SIG_NONE) {
        g_string_append(md, "no significant difference between the variants (");
        fmt_value(md, mt->unit, mt->low_good ? best->v : worst->v, NAN);
        g_string_append(md, " to ");
        fmt_value(md, mt->unit, mt->low_good ? worst->v : best->v, NAN);
        g_string_append(md, ", 95% intervals overlap)");
        return;
    }
    g_string_append(md, mt->low_good ? "lowest " : "highest ");
    name_value(md, mt, best);
    guint tied = 0;
    for (guint i = 1; i + 1 < e->len; i++) {
        const entry *x = &g_array_index(e, entry, i);
        if (compare_ci(best->v, best->ci, x->v, x->ci) != SIG_NONE)
            continue;
        /* Without intervals a tie is only an equal value. */
        gboolean untested = isnan(best->ci) || isnan(x->ci);
        g_string_append(md, tied++     ? ", "
                            : untested ? " (the same: "
                                       : " (no significant difference from ");
        md_code(md, x->name);
    }
    if (tied)
        g_string_append_c(md, ')');
    g_string_append(md, mt->low_good ? "; highest " : "; lowest ");
    name_value(md, mt, worst);
    double lo = MIN(best->v, worst->v), hi = MAX(best->v, worst->v);
    g_autoptr(GString) t = g_string_new(NULL);
    if (lo > 0)
        g_string_append_printf(md, ", %s×", sig(t, hi / lo));
    if (sw == SIG_UNKNOWN)
        g_string_append(md, s->reps_max > 1 ? " (no interval for this figure: not tested)"
                                            : " (one replication: not tested)");
}

/* Against the [report] baseline: each other variant's ratio, significant or not. */
static void baseline_sentence(GString *md, const summary *s, guint point, const char *cls,
                              const metric *mt)
{
    double bci;
    double b = metric_value(metric_row(s, point, s->baseline, cls, mt), mt, &bci);
    if (isnan(b)) {
        g_string_append(md, "the baseline has no value here");
        return;
    }
    g_autoptr(GString) t = g_string_new(NULL);
    md_code(md, s->baseline);
    g_string_append_c(md, ' ');
    fmt_value(md, mt->unit, b, bci);
    g_string_append(md, "; against it:");
    gboolean first = TRUE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        if (strcmp(variant, s->baseline) == 0)
            continue;
        double ci, x = metric_value(metric_row(s, point, variant, cls, mt), mt, &ci);
        if (isnan(x))
            continue;
        g_string_append(md, first ? " " : ", ");
        first = FALSE;
        md_code(md, variant);
        significance sg = compare_ci(b, bci, x, ci);
        g_string_append_c(md, ' ');
        fmt_value(md, mt->unit, x, NAN);
        if (sg == SIG_NONE)
            g_string_append(md, " (no significant difference)");
        else if (b > 0)
            g_string_append_printf(md, " (%s×%s)", sig(t, x / b),
                                   sg == SIG_UNKNOWN ? ", not tested" : "");
    }
}

/* The comparison at a point: against the baseline when there is one. */
static void point_sentence(GString *md, const summary *s, guint point, const char *cls,
                           const metric *mt)
{
    if (s->baseline)
        baseline_sentence(md, s, point, cls, mt);
    else
        compare_sentence(md, s, point, cls, mt);
}

/* The point where the variants differ most on mt (largest best-to-worst
 * ratio with disjoint intervals), saturated points left out when others
 * remain.  0 when no point qualifies. */
static guint divergence_point(const summary *s, const char *cls, const metric *mt,
                              double *ratio_out)
{
    guint best_point = 0;
    double best_ratio = 1;
    for (int pass = 0; pass < 2 && !best_point; pass++)
        for (guint p = 0; p < s->points->len; p++) {
            guint point = g_array_index(s->points, point_info, p).point;
            gboolean sat = FALSE;
            for (guint v = 0; v < s->variants->len && !sat; v++)
                sat = saturated(s, point, g_ptr_array_index(s->variants, v));
            if (sat && pass == 0)
                continue;
            g_autoptr(GArray) e = entries_at(s, point, cls, mt);
            if (e->len < 2)
                continue;
            const entry *a = &g_array_index(e, entry, 0), *b = &g_array_index(e, entry, e->len - 1);
            if (compare_ci(a->v, a->ci, b->v, b->ci) == SIG_NONE)
                continue;
            double lo = MIN(a->v, b->v), hi = MAX(a->v, b->v);
            double ratio = lo > 0 ? hi / lo : (hi > 0 ? INFINITY : 1);
            if (ratio > best_ratio)
                best_ratio = ratio, best_point = point;
        }
    *ratio_out = best_ratio;
    return best_point;
}

static const point_info *point_by_number(const summary *s, guint point)
{
    for (guint p = 0; p < s->points->len; p++)
        if (g_array_index(s->points, point_info, p).point == point)
            return &g_array_index(s->points, point_info, p);
    return NULL;
}

/* Whether two lines share the values of the swept keys other than x: only
 * those are compared point by point. */
static gboolean same_other_keys(const summary *s, const sweep_line *a, const sweep_line *b)
{
    const row *ra = g_ptr_array_index(a->rows, 0), *rb = g_ptr_array_index(b->rows, 0);
    for (guint k = 0; k < s->keys->len; k++)
        if ((int)k != s->x_key && strcmp(ra->swept[k], rb->swept[k]) != 0)
            return FALSE;
    return TRUE;
}

/* Crossovers along the sweep: where one line, significantly ahead of
 * another, falls significantly behind it.  At most max_out are told. */
static guint crossovers(GString *md, const summary *s, const GPtrArray *lines, const char *cls,
                        const metric *mt, guint max_out)
{
    (void)cls;
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    guint told = 0;
    for (guint i = 0; i < lines->len; i++)
        for (guint j = i + 1; j < lines->len; j++) {
            const sweep_line *a = g_ptr_array_index(lines, i), *b = g_ptr_array_index(lines, j);
            if (a->rows->len != b->rows->len || !same_other_keys(s, a, b))
                continue;
            int last_sign = 0;
            const row *last_at = NULL;
            for (guint k = 0; k < a->rows->len; k++) {
                const row *ra = g_ptr_array_index(a->rows, k), *rb = g_ptr_array_index(b->rows, k);
                double ca, cb, va = metric_value(ra, mt, &ca), vb = metric_value(rb, mt, &cb);
                if (isnan(va) || isnan(vb) || compare_ci(va, ca, vb, cb) != SIG_YES)
                    continue;
                /* +1: a is better. */
                int sign = (va < vb) == mt->low_good ? 1 : -1;
                if (last_sign && sign != last_sign) {
                    if (told < max_out) {
                        g_string_append(md, "  - ");
                        md_code(md, sign > 0 ? b->label : a->label);
                        g_string_append(md, " falls behind ");
                        md_code(md, sign > 0 ? a->label : b->label);
                        g_string_append_printf(md, " on %s between %s = %s and %s\n", mt->what, key,
                                               last_at->swept[s->x_key], ra->swept[s->x_key]);
                    }
                    told++;
                }
                last_sign = sign;
                last_at = ra;
            }
        }
    return told;
}

/* The knee of each line: the first point where p99 passes KNEE_FACTOR x its
 * value at the lowest x, or the busiest CPU passes SATURATED_CPU. */
void knees(GString *md, const summary *s, const char *cls)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
    g_autoptr(GString) t = g_string_new(NULL);
    g_autoptr(GString) none = g_string_new(NULL);
    guint n_none = 0, n_knee = 0;
    for (guint i = 0; i < lines->len; i++) {
        const sweep_line *l = g_ptr_array_index(lines, i);
        const row *first = NULL;
        for (guint k = 0; k < l->rows->len && !first; k++) {
            const row *r = g_ptr_array_index(l->rows, k);
            if (has_traffic(r) && r->m[C_P99] > 0)
                first = r;
        }
        if (!first || l->rows->len < 3)
            continue;
        const row *knee = NULL;
        gboolean by_cpu = FALSE;
        for (guint k = 0; k < l->rows->len && !knee; k++) {
            const row *r = g_ptr_array_index(l->rows, k);
            if (r->m[C_CPU_MAX] >= SATURATED_CPU)
                knee = r, by_cpu = TRUE;
            else if (has_traffic(r) && r->m[C_P99] > KNEE_FACTOR * first->m[C_P99])
                knee = r;
        }
        if (!knee) {
            g_string_append(none, n_none++ ? ", " : "");
            md_code(none, l->label);
            continue;
        }
        n_knee++;
        g_string_append(md, "  - ");
        md_code(md, l->label);
        g_string_append_printf(md, ": knee at %s = %s (", key, knee->swept[s->x_key]);
        if (by_cpu) {
            g_string_append(md, "busiest CPU ");
            fmt_pct(md, knee->m[C_CPU_MAX]);
            g_string_append(md, ", p99 ");
        } else {
            g_string_append(md, "p99 ");
        }
        fmt_value(md, U_US, knee->m[C_P99], NAN);
        g_string_append_printf(md, ", %s× its ", sig(t, knee->m[C_P99] / first->m[C_P99]));
        fmt_value(md, U_US, first->m[C_P99], NAN);
        g_string_append_printf(md, " at %s = %s)\n", key, first->swept[s->x_key]);
    }
    if (n_none) {
        g_string_append(md, "  - no knee up to the last point: ");
        g_string_append(md, none->str);
        g_string_append_c(md, '\n');
    }
    (void)n_knee;
}

/* Saturated points, per variant: the first one, and how many. */
gboolean saturation_findings(GString *md, const summary *s)
{
    gboolean any = FALSE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        guint n = 0;
        const point_info *first = NULL;
        for (guint p = 0; p < s->points->len; p++) {
            const point_info *pi = &g_array_index(s->points, point_info, p);
            if (saturated(s, pi->point, variant)) {
                n++;
                if (!first)
                    first = pi;
            }
        }
        if (!n)
            continue;
        if (!any)
            g_string_append_printf(
                md,
                "- **Saturated (⚠ in the tables)**: the busiest node's CPU is past %.0f%%%s, "
                "so the backlog and latency grow with the run's length and the figures "
                "there are not steady-state results:\n",
                SATURATED_CPU * 100,
                s->rate_key >= 0 ? " or completed throughput is under 90% of the offered rate"
                                 : "");
        any = TRUE;
        g_string_append(md, "  - ");
        md_code(md, variant);
        if (s->keys->len) {
            g_string_append_printf(md, ": %u of %u points, from ", n, s->points->len);
            point_label(md, s, first->at, -1);
        }
        g_string_append_c(md, '\n');
    }
    return any;
}

/* The problem counters of one variant at one point: failed per class, the
 * cluster-wide counters once (the largest over the class rows, which batch.c
 * writes equal). */
static double problems_at(const summary *s, guint v, guint point, double counters[])
{
    double total = 0;
    for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
        counters[i] = 0;
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r =
            find_row(s, point, g_ptr_array_index(s->variants, v), g_ptr_array_index(s->classes, c));
        if (!r)
            continue;
        if (isfinite(r->m[C_FAILED]))
            total += r->m[C_FAILED];
        for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
            if (isfinite(r->m[problem_cols[i].col]))
                counters[i] = MAX(counters[i], r->m[problem_cols[i].col]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
        total += counters[i];
    return total;
}

/* Whether a variant completed no transaction at all, anywhere. */
static gboolean all_failing(const summary *s, const char *variant, double *failed)
{
    *failed = 0;
    gboolean any_row = FALSE;
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if (strcmp(r->variant, variant) != 0)
            continue;
        any_row = TRUE;
        if (has_traffic(r))
            return FALSE;
        if (isfinite(r->m[C_FAILED]))
            *failed += r->m[C_FAILED];
    }
    return any_row;
}

gboolean standout_problems(GString *md, const summary *s)
{
    gboolean any = FALSE;
    double counters[G_N_ELEMENTS(problem_cols)];
    g_autoptr(GString) t = g_string_new(NULL);
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        double failed;
        if (all_failing(s, variant, &failed)) {
            any = TRUE;
            g_string_append(md, "- ");
            md_code(md, variant);
            g_string_append(md, ": **every transaction failed**");
            if (s->keys->len)
                g_string_append(md, " at every point");
            g_string_append(md, " (");
            fmt_count(md, failed);
            g_string_append(md, " failed, none completed): it has no latency or throughput to "
                                "compare and is left out of the comparisons and plots.\n");
            continue;
        }
        int n_bad = 0;
        const point_info *first = NULL, *worst = NULL;
        double worst_total = 0;
        for (guint p = 0; p < s->points->len; p++) {
            const point_info *pi = &g_array_index(s->points, point_info, p);
            double total = problems_at(s, v, pi->point, counters);
            if (total <= 0)
                continue;
            n_bad++;
            if (!first)
                first = pi;
            if (total > worst_total)
                worst = pi, worst_total = total;
        }
        if (!n_bad)
            continue;
        any = TRUE;
        g_string_append(md, "- ");
        md_code(md, variant);
        g_string_append(md, ": ");
        if (s->keys->len) {
            g_string_append_printf(md, "problems at %d of %u points", n_bad, s->points->len);
            if (n_bad > 1) {
                g_string_append(md, " (first at ");
                point_label(md, s, first->at, -1);
                g_string_append(md, ")");
            }
            g_string_append(md, "; at ");
            point_label(md, s, worst->at, -1);
            g_string_append(md, ": ");
        }
        problems_at(s, v, worst->point, counters);
        gboolean sep = FALSE;
        const row *any_row = NULL;
        for (guint c = 0; c < s->classes->len; c++) {
            const row *r = find_row(s, worst->point, variant, g_ptr_array_index(s->classes, c));
            if (r && !any_row)
                any_row = r;
            if (!r || !(r->m[C_FAILED] > 0))
                continue;
            double tried =
                r->m[C_FAILED] + (isfinite(r->m[C_TRANSACTIONS]) ? r->m[C_TRANSACTIONS] : 0);
            g_string_append(md, sep ? ", " : "");
            fmt_count(md, r->m[C_FAILED]);
            g_string_append(md, " failed ");
            md_text(md, r->cls);
            g_string_append_printf(md, " transactions (%s%% of attempts)",
                                   sig(t, 100 * r->m[C_FAILED] / tried));
            sep = TRUE;
        }
        for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++) {
            if (!(counters[i] > 0))
                continue;
            g_string_append(md, sep ? ", " : "");
            fmt_count(md, counters[i]);
            g_string_append_printf(md, " %s", problem_cols[i].what);
            sep = TRUE;
        }
        /* The exhaustion figures, when the run measured them: what does not
         * depend on the run's length. */
        static const int exh[] = {C_T_SNAT, C_T_CT, C_ADMITTED, C_FAIL_AFTER};
        for (guint i = 0; any_row && i < G_N_ELEMENTS(exh); i++) {
            const metric *mt = metric_named(col_names[exh[i]]);
            double ci, x = metric_value(metric_row(s, worst->point, variant, NULL, mt), mt, &ci);
            if (isnan(x))
                continue;
            g_string_append_printf(md, "; %s ", mt->what);
            fmt_value(md, mt->unit, x, ci);
        }
        g_string_append(md, ".\n");
    }
    return any;
}

/* Variants with identical rows everywhere: their plot lines coincide. */
void identical_variants(GString *md, const summary *s)
{
    for (guint a = 0; a < s->variants->len; a++)
        for (guint b = a + 1; b < s->variants->len; b++) {
            const char *va = g_ptr_array_index(s->variants, a);
            const char *vb = g_ptr_array_index(s->variants, b);
            gboolean same = TRUE, any = FALSE;
            for (guint i = 0; i < s->rows->len && same; i++) {
                const row *r = g_ptr_array_index(s->rows, i);
                if (strcmp(r->variant, va) != 0)
                    continue;
                const row *o = find_row(s, r->point, vb, r->cls);
                if (!o) {
                    same = FALSE;
                    break;
                }
                any = TRUE;
                for (int c = C_TRANSACTIONS; c < C_COUNT && same; c++)
                    same = (isnan(r->m[c]) && isnan(o->m[c])) || r->m[c] == o->m[c];
            }
            if (same && any) {
                g_string_append(md, "- ");
                md_code(md, va);
                g_string_append(md, " and ");
                md_code(md, vb);
                g_string_append(md, " gave identical results (same datapath model for this "
                                    "workload): their lines coincide in the plots.\n");
            }
        }
}

/* ---- the plan (ipam.csv) ---- */

static void plan_row_free(gpointer p)
{
    plan_row *r = p;
    g_free(r->variant);
    g_free(r->limiting);
    g_free(r->flags);
    g_free(r);
}

/* Read DIR/ipam.csv by column name (columns may be added); NULL when the
 * file is absent.  A malformed file is an error. */
GPtrArray *plan_read(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "ipam.csv", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return NULL;
    g_autoptr(GString) text = g_string_new(NULL);
    if (!read_file(path, text, error))
        return NULL;
    csv_reader rd = {text->str, text->str + text->len, 1, path};
    g_autoptr(GPtrArray) f = g_ptr_array_new_with_free_func(g_free);
    guint line;
    if (csv_next(&rd, f, &line, error) <= 0)
        return NULL;
    static const char *const want[] = {"point",     "variant",         "nodes",
                                       "max_nodes", "limiting_factor", "flags"};
    int at[G_N_ELEMENTS(want)];
    for (guint w = 0; w < G_N_ELEMENTS(want); w++) {
        at[w] = -1;
        for (guint i = 0; i < f->len; i++)
            if (strcmp(g_ptr_array_index(f, i), want[w]) == 0)
                at[w] = (int)i;
        if (at[w] < 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: line 1: no column '%s'", path,
                        want[w]);
            return NULL;
        }
    }
    /* Optional: newer plans say how far an upgrade's surge nodes fit. */
    int at_upg = -1;
    for (guint i = 0; i < f->len; i++)
        if (strcmp(g_ptr_array_index(f, i), "max_nodes_upgradable") == 0)
            at_upg = (int)i;
    guint nf = f->len;
    GPtrArray *rows = g_ptr_array_new_with_free_func(plan_row_free);
    int got;
    while ((got = csv_next(&rd, f, &line, error)) > 0) {
        if (f->len != nf) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: line %u: expected %u fields, as in the header, got %u", path, line, nf,
                        f->len);
            g_ptr_array_unref(rows);
            return NULL;
        }
        plan_row *r = g_new0(plan_row, 1);
        double pt = 0;
        parse_number(g_ptr_array_index(f, (guint)at[0]), &pt);
        r->point = (guint)pt;
        r->variant = g_strdup(g_ptr_array_index(f, (guint)at[1]));
        r->nodes = r->max_nodes = NAN;
        parse_number(g_ptr_array_index(f, (guint)at[2]), &r->nodes);
        parse_number(g_ptr_array_index(f, (guint)at[3]), &r->max_nodes);
        r->limiting = g_strdup(g_ptr_array_index(f, (guint)at[4]));
        r->flags = g_strdup(g_ptr_array_index(f, (guint)at[5]));
        r->max_nodes_upgradable = NAN;
        if (at_upg >= 0)
            parse_number(g_ptr_array_index(f, (guint)at_upg), &r->max_nodes_upgradable);
        g_ptr_array_add(rows, r);
    }
    if (got < 0) {
        g_ptr_array_unref(rows);
        return NULL;
    }
    return rows;
}

static const char *flag_help(const char *name)
{
    for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
        if (strcmp(cn_ipam_flag_name((cn_ipam_flag)(1u << i)), name) == 0)
            return cn_ipam_flag_help((cn_ipam_flag)(1u << i));
    return NULL;
}

static const char *limit_help(const char *name)
{
    for (int l = 0; l < CN_LIMIT_COUNT; l++)
        if (strcmp(cn_limit_name((cn_limit)l), name) == 0)
            return cn_limit_help((cn_limit)l);
    return NULL;
}

/* Per variant: the limits passed (flags) and whether the cluster is past
 * its max_nodes, with the first resource that runs out.  Returns whether
 * any variant is flagged or past a limit. */
gboolean plan_findings(GString *md, const summary *s, const GPtrArray *plan)
{
    gboolean any = FALSE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func(g_free);
        const plan_row *past = NULL, *no_surge = NULL;
        guint n_past = 0;
        for (guint i = 0; i < plan->len; i++) {
            const plan_row *r = g_ptr_array_index(plan, i);
            if (strcmp(r->variant, variant) != 0)
                continue;
            g_auto(GStrv) fl = g_strsplit(r->flags, ";", -1);
            for (int k = 0; fl[k]; k++)
                if (*fl[k] && !str_in(flags, fl[k]))
                    g_ptr_array_add(flags, g_strdup(fl[k]));
            if (r->nodes > r->max_nodes) {
                n_past++;
                if (!past)
                    past = r;
            } else if (r->nodes > r->max_nodes_upgradable && !no_surge) {
                no_surge = r;
            }
        }
        /* SNAT surge tiers are a note, not a limit passed. */
        gboolean real_flag = FALSE;
        for (guint k = 0; k < flags->len; k++)
            real_flag |= strcmp(g_ptr_array_index(flags, k), "snat_surge_tier") != 0;
        if (!past && !real_flag && !no_surge)
            continue;
        any = TRUE;
        g_string_append(md, "- ");
        md_code(md, variant);
        g_string_append(md, ": ");
        if (past) {
            g_string_append_printf(md, "**past its limits**: %.0f nodes where the plan allows %.0f",
                                   past->nodes, past->max_nodes);
            if (*past->limiting) {
                g_string_append(md, "; first exhausted: ");
                md_code(md, past->limiting);
                const char *h = limit_help(past->limiting);
                if (h) {
                    g_string_append(md, " (");
                    md_text(md, h);
                    g_string_append_c(md, ')');
                }
            }
            if (s->keys->len && n_past > 1)
                g_string_append_printf(md, "; at %u points", n_past);
            g_string_append(md, real_flag ? ". " : ".");
        }
        if (!past && no_surge)
            g_string_append_printf(
                md,
                "fits at %.0f nodes, but an upgrade's surge nodes do not (at most "
                "%.0f nodes can be upgraded, `max_nodes_upgradable`). ",
                no_surge->nodes, no_surge->max_nodes_upgradable);
        gboolean first = TRUE;
        for (guint k = 0; k < flags->len; k++) {
            const char *fl = g_ptr_array_index(flags, k);
            if (strcmp(fl, "snat_surge_tier") == 0)
                continue;
            g_string_append(md, first ? "Flagged (simulated, past a documented limit): " : "; ");
            first = FALSE;
            md_code(md, fl);
            const char *h = flag_help(fl);
            if (h) {
                g_string_append(md, " ");
                md_text(md, h);
            }
        }
        g_string_append(md, first ? "\n" : ".\n");
    }
    return any;
}

/* The plan at the last sweep point, one row per variant. */
void plan_table(GString *md, const summary *s, const GPtrArray *plan)
{
    guint last = 0;
    for (guint i = 0; i < plan->len; i++)
        last = MAX(last, ((const plan_row *)g_ptr_array_index(plan, i))->point);
    g_string_append(md, "| variant | nodes | max nodes | limited by | flags |\n"
                        "|---|---:|---:|---|---|\n");
    for (guint i = 0; i < plan->len; i++) {
        const plan_row *r = g_ptr_array_index(plan, i);
        if (r->point != last)
            continue;
        g_string_append(md, "| ");
        md_text(md, r->variant);
        g_string_append(md, " | ");
        fmt_count(md, r->nodes);
        g_string_append(md, r->nodes > r->max_nodes ? " ⚠ | " : " | ");
        fmt_count(md, r->max_nodes);
        g_string_append(md, " | ");
        md_text(md, *r->limiting ? r->limiting : "–");
        g_string_append(md, " | ");
        g_auto(GStrv) fl = g_strsplit(r->flags, ";", -1);
        g_string_append(md, *r->flags ? "" : "–");
        for (int k = 0; fl[k]; k++) {
            g_string_append(md, k ? ", " : "");
            md_text(md, fl[k]);
        }
        g_string_append(md, " |\n");
    }
}

/* ---- headline findings ---- */

static void point_prefix(GString *md, const summary *s, guint point)
{
    const point_info *pi = point_by_number(s, point);
    if (s->keys->len && pi) {
        g_string_append(md, " at ");
        point_label(md, s, pi->at, -1);
    }
}

/* Whether every variant has the same value of mt at each point. */
static gboolean all_equal(const summary *s, const char *cls, const metric *mt)
{
    for (guint p = 0; p < s->points->len; p++) {
        g_autoptr(GArray) e = entries_at(s, g_array_index(s->points, point_info, p).point, cls, mt);
        for (guint i = 1; i < e->len; i++)
            if (g_array_index(e, entry, i).v != g_array_index(e, entry, 0).v)
                return FALSE;
    }
    return TRUE;
}

void headline_metric(GString *md, const summary *s, const metric *mt)
{
    guint n_cls = mt->per_run ? 1 : s->classes->len;
    for (guint c = 0; c < n_cls; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autoptr(GString) line = g_string_new(NULL);
        g_string_append(line, "- **");
        g_string_append(line, mt->what);
        g_string_append(line, "**");
        if (!mt->per_run) {
            g_string_append(line, ", ");
            md_text(line, cls);
        }
        /* A metric nobody has (e.g. no sync in this scenario) is left out. */
        gboolean defined = FALSE;
        for (guint p = 0; p < s->points->len && !defined; p++) {
            g_autoptr(GArray) e =
                entries_at(s, g_array_index(s->points, point_info, p).point, cls, mt);
            defined = e->len > 0;
        }
        if (!defined)
            continue;
        if (s->x_key < 0 || s->points->len == 1) {
            for (guint p = 0; p < s->points->len && p < 6; p++) {
                guint point = g_array_index(s->points, point_info, p).point;
                g_string_append(md, line->str);
                point_prefix(md, s, point);
                g_string_append(md, ": ");
                point_sentence(md, s, point, cls, mt);
                g_string_append(md, ".\n");
            }
            continue;
        }
        g_string_append(md, line->str);
        double ratio;
        guint point = divergence_point(s, cls, mt, &ratio);
        if (!point && all_equal(s, cls, mt)) {
            g_string_append(md, ": the same for every variant at every point");
            for (guint p = 0; p < s->points->len && s->points->len <= 6; p++) {
                const point_info *pi = &g_array_index(s->points, point_info, p);
                g_autoptr(GArray) e = entries_at(s, pi->point, cls, mt);
                if (!e->len)
                    continue;
                g_string_append(md, p ? "; " : " (");
                fmt_value(md, mt->unit, g_array_index(e, entry, 0).v, NAN);
                g_string_append(md, " at ");
                point_label(md, s, pi->at, -1);
                if (p + 1 == s->points->len)
                    g_string_append_c(md, ')');
            }
            g_string_append(md, ".\n");
        } else if (!point) {
            g_string_append(md, ": no significant difference between the variants at any point "
                                "(95% intervals overlap).\n");
        } else {
            const point_info *pi = point_by_number(s, point);
            g_string_append(md, ": the variants differ most at ");
            point_label(md, s, pi->at, -1);
            gboolean sat = FALSE;
            for (guint v = 0; v < s->variants->len && !sat; v++)
                sat = saturated(s, point, g_ptr_array_index(s->variants, v));
            g_string_append(md, sat ? " (a saturated point: below it they do not differ)" : "");
            g_string_append(md, ": ");
            point_sentence(md, s, point, cls, mt);
            g_string_append(md, ".\n");
        }
        g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
        guint n = crossovers(md, s, lines, cls, mt, 6);
        if (n > 6)
            g_string_append_printf(md, "  - and %u more crossovers\n", n - 6);
    }
}

/* ---- scheduled events: the disruption window ---- */

gboolean is_disruption_metric(const metric *mt)
{
    return mt->c == C_DISRUPTION_S || mt->c == C_DISRUPTION_FAILED;
}

/* Whether the runs had scheduled events: meta.ini names them, or (a
 * directory without them in meta.ini) some run measured a window. */
gboolean has_events(const summary *s)
{
    return (s->events && s->events->len) || column_measured(s, C_DISRUPTION_S);
}

/* "`roll` at 5 s, `drain` at 40 s"; nothing when meta.ini does not say. */
void describe_events(GString *md, const summary *s)
{
    for (guint i = 0; s->events && i < s->events->len && i < 6; i++) {
        g_string_append(md, i ? ", " : "");
        md_code(md, g_ptr_array_index(s->events, i));
        double at = g_array_index(s->event_at_s, double, i);
        if (isfinite(at)) {
            /* as the plots over time write it (timeplot.c) */
            char t[CN_CSV_DOUBLE_BUF];
            cn_csv_format_double(t, at);
            g_string_append_printf(md, " at %s s", t);
        }
    }
    if (s->events && s->events->len > 6)
        g_string_append_printf(md, " and %u more", s->events->len - 6);
}

/* One variant: its value at each point, as no comparison can be made. */
static void values_sentence(GString *md, const summary *s, const metric *mt)
{
    const char *variant = g_ptr_array_index(s->variants, 0);
    for (guint p = 0; p < s->points->len && p < 6; p++) {
        guint point = g_array_index(s->points, point_info, p).point;
        double ci, v = metric_value(metric_row(s, point, variant, NULL, mt), mt, &ci);
        g_string_append(md, "- **");
        g_string_append(md, mt->what);
        g_string_append(md, "**");
        point_prefix(md, s, point);
        g_string_append(md, ": ");
        md_code(md, variant);
        g_string_append_c(md, ' ');
        fmt_value(md, mt->unit, v, ci);
        if (isnan(ci) && !isnan(v))
            g_string_append(md, s->reps_max > 1 ? " (no interval)"
                                                : " (one replication: no "
                                                  "interval)");
        g_string_append(md, ".\n");
    }
}

/* The findings of a scenario with scheduled events lead with what the
 * events cost: the disruption window and the transactions failed in it,
 * compared as the headline figures are, or why there is none. */
void disruption_findings(GString *md, const summary *s)
{
    g_string_append(md, "**Disruption**");
    if (s->events && s->events->len) {
        g_string_append(md, " (scheduled events: ");
        describe_events(md, s);
        g_string_append(md, ")");
    }
    g_string_append(md, ": from the first event until throughput and p99 latency are back, for "
                        "good, within the band of their level before it (README, \"Disruption "
                        "window\"), in whole intervals of `timeseries.csv`.\n\n");
    const metric *win = metric_named("disruption_s"), *lost = metric_named("disruption_failed");
    if (!column_measured(s, C_DISRUPTION_S)) {
        if (!s->timeseries)
            g_string_append(md, "- **disruption window**: not tested: the runs kept no "
                                "intervals (no `timeseries.csv`; `interval_s = 0` turns them off), "
                                "and the window is measured from them.\n\n");
        else
            g_string_append(md, "- **disruption window**: not tested: no run had a level before "
                                "the first event to come back to (the event falls in the first "
                                "interval, or after the end of the run).\n\n");
        return;
    }
    const metric *both[] = {win, lost};
    for (guint i = 0; i < G_N_ELEMENTS(both); i++) {
        if (s->variants->len < 2)
            values_sentence(md, s, both[i]);
        else
            headline_metric(md, s, both[i]);
    }
    g_string_append_c(md, '\n');
}
