/* `cnisim report DIR`: read DIR/summary.csv, write DIR/report.md (a markdown
 * comparison of the variants, per traffic class, with what stands out) and,
 * through gnuplot, PNG plots in DIR/plots/.
 *
 * The plots are drawn by gnuplot scripts left in DIR/plots/NAME.gp with their
 * data inline, so a user can restyle a plot and rerun it by hand
 * (cd DIR/plots && gnuplot NAME.gp). */
#include "report.h"
#include "report-internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "csvout.h"
#include "timeplot.h"
#include "ipam.h"

/* ---- the report ---- */

/* What the findings lead with when the scenario does not say. */
static const char *const default_headline[] = {"latency_p99_us", "throughput_rps",
                                               "cpu_us_per_txn"};

static void describe_keys(GString *md, const summary *s)
{
    for (guint k = 0; k < s->keys->len; k++) {
        /* Distinct values in order of first appearance (a set: a sweep
         * can have tens of thousands of them). */
        g_autoptr(GPtrArray) seen = g_ptr_array_new();
        g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint p = 0; p < s->points->len; p++) {
            const char *v = g_array_index(s->points, point_info, p).at->swept[k];
            if (g_hash_table_add(set, (gpointer)v))
                g_ptr_array_add(seen, (gpointer)v);
        }
        g_string_append(md, k == 0 ? "" : k + 1 == s->keys->len ? " and " : ", ");
        md_text(md, g_ptr_array_index(s->keys, k));
        g_string_append(md, " (");
        for (guint i = 0; i < seen->len; i++) {
            if (seen->len > 8 && i == 3) {
                g_string_append(md, ", …");
                i = seen->len - 2;
                continue;
            }
            g_string_append(md, i ? ", " : "");
            md_text(md, g_ptr_array_index(seen, i));
        }
        g_string_append(md, ")");
    }
}

/* A knee belongs to a load curve: a sweep of the offered load, or one
 * that drives some variant into saturation. */
static gboolean load_sweep(const summary *s)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    if (strcmp(key, "rate_rps") == 0 || strcmp(key, "concurrency") == 0)
        return TRUE;
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if (saturated(s, r->point, r->variant))
            return TRUE;
    }
    return FALSE;
}

static void write_markdown(GString *md, const summary *s, const GPtrArray *plots, gboolean drawn,
                           const GPtrArray *skipped)
{
    g_string_append(md, "# cnisim report: ");
    md_text(md, s->scenario);
    g_string_append(md, "\n\nScenario ");
    md_code(md, s->scenario);
    g_string_append(md, ", from ");
    md_code(md, s->path);
    g_string_append_printf(md, ": %u variant%s, %u traffic class%s", s->variants->len,
                           s->variants->len == 1 ? "" : "s", s->classes->len,
                           s->classes->len == 1 ? "" : "es");
    if (s->keys->len) {
        g_string_append_printf(md, ", %u sweep point%s over ", s->points->len,
                               s->points->len == 1 ? "" : "s");
        describe_keys(md, s);
    }
    if (s->reps_min == s->reps_max)
        g_string_append_printf(md, "; %u replication%s per row.\n", s->reps_min,
                               s->reps_min == 1 ? "" : "s");
    else
        g_string_append_printf(md, "; %u to %u replications per row.\n", s->reps_min, s->reps_max);

    g_string_append(md, "\n## Findings\n\n");
    if (s->reps_max < 2)
        g_string_append(md, "*One replication: no confidence intervals, so no difference below "
                            "is tested; run with `--set scenario.replications=3` or more before "
                            "drawing conclusions.*\n\n");
    else
        g_string_append(md, "A difference is stated only where the 95% intervals do not overlap "
                            "(±: half-width over the replications); otherwise the text says *no "
                            "significant difference*.\n\n");
    gboolean events = has_events(s);
    if (events)
        disruption_findings(md, s);
    gboolean plan_flagged = FALSE;
    if (s->plan) {
        g_autoptr(GString) p = g_string_new(NULL);
        plan_flagged = plan_findings(p, s, s->plan);
        if (plan_flagged) {
            g_string_append(md, "**Address plan and limits** (from `ipam.csv`):\n\n");
            g_string_append(md, p->str);
            g_string_append_c(md, '\n');
        }
    }
    g_autoptr(GString) problems = g_string_new(NULL);
    gboolean any_problem = standout_problems(problems, s);
    if (s->variants->len > 1 || s->x_key >= 0) {
        g_string_append(md, "**Headline figures**");
        if (s->baseline) {
            g_string_append(md, " (against the baseline ");
            md_code(md, s->baseline);
            g_string_append(md, ")");
        }
        g_string_append(md, ":\n\n");
        for (guint i = 0; i < s->headline->len; i++) {
            const metric *mt = g_ptr_array_index(s->headline, i);
            if (!events || !is_disruption_metric(mt)) /* told first, above */
                headline_metric(md, s, mt);
        }
        g_string_append_c(md, '\n');
    }
    if (s->x_key >= 0 && load_sweep(s)) {
        g_autoptr(GString) k = g_string_new(NULL);
        for (guint c = 0; c < s->classes->len; c++) {
            g_autoptr(GString) one = g_string_new(NULL);
            knees(one, s, g_ptr_array_index(s->classes, c));
            if (!one->len)
                continue;
            g_string_append(k, "- ");
            md_text(k, g_ptr_array_index(s->classes, c));
            g_string_append_c(k, ':');
            g_string_append_c(k, '\n');
            g_string_append(k, one->str);
        }
        if (k->len) {
            g_string_append_printf(md,
                                   "**Knee** (where p99 first exceeds %.0f× its value at the "
                                   "first point of the sweep, or the busiest CPU passes %.0f%%):"
                                   "\n\n",
                                   KNEE_FACTOR, SATURATED_CPU * 100);
            g_string_append(md, k->str);
            g_string_append_c(md, '\n');
        }
    }
    g_autoptr(GString) sat = g_string_new(NULL);
    if (saturation_findings(sat, s)) {
        g_string_append(md, sat->str);
        g_string_append_c(md, '\n');
    }
    g_string_append(md, "**Failures and drops:**\n\n");
    if (any_problem)
        g_string_append(md, problems->str);
    else
        g_string_append_printf(md,
                               "- No failed transactions, conntrack drops, SNAT failures or "
                               "policy drops in the simulated traffic%s.\n",
                               plan_flagged ? " (but see the plan's limits above: the simulation "
                                              "does not refuse a cluster past them)"
                                            : "");
    identical_variants(md, s);

    if (events) {
        g_string_append(md, "\n## Disruption\n\n");
        disruption_table(md, s);
        table_note(md, s);
    }
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_string_append(md, "\n## ");
        md_text(md, cls);
        g_string_append(md, "\n\n");
        class_table(md, s, cls);
        table_note(md, s);
    }
    g_string_append(md, "\n## Cluster-wide, per run\n\nCPU (mean over nodes and the busiest "
                        "node), CPU time per completed transaction of any class (cluster-wide, and "
                        "at the busiest node's load: as if every node were as busy, the cost that "
                        "decides where the cluster saturates), table occupancy and the failure "
                        "counters; ⚠ marks a saturated point.\n\n");
    cluster_table(md, s);
    table_note(md, s);
    if (s->plan && s->plan->len) {
        g_string_append(md, "\n## Address plan\n\n");
        if (s->keys->len)
            g_string_append(md, "At the last sweep point (`ipam.csv` has every point); ");
        g_string_append(md, "⚠: more nodes than the plan allows.\n\n");
        plan_table(md, s, s->plan);
    }

    g_string_append(md, "\n## Plots\n\n");
    if (!drawn) {
        g_string_append(md, "gnuplot was not found, so no images were drawn; the scripts are "
                            "in `plots/` (run `gnuplot NAME.gp` there).\n");
        return;
    }
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        if (pl->empty)
            continue;
        g_string_append(md, "![");
        md_text(md, pl->title);
        g_string_append_printf(md, "](plots/%s.png) ([SVG](plots/%s.svg))\n", pl->name, pl->name);
    }
    for (guint i = 0; skipped && i < skipped->len; i++) {
        g_string_append(md, "- no plot of ");
        md_text(md, g_ptr_array_index(skipped, i));
        g_string_append(md, ": no variant has a value to draw\n");
    }
}

/* The metrics a headline names, in order, into out (may be NULL: check
 * only); an unknown name is an error naming file and the known ones. */
static gboolean headline_metrics(const char *file, const char *headline, GPtrArray *out,
                                 GError **error)
{
    g_auto(GStrv) names = g_strsplit(headline, ",", -1);
    for (int i = 0; names[i]; i++) {
        g_strstrip(names[i]);
        const metric *mt = metric_named(names[i]);
        if (!mt) {
            g_autoptr(GString) known = g_string_new(NULL);
            for (guint k = 0; k < n_metrics; k++)
                g_string_append_printf(known, "%s%s", k ? ", " : "", metrics[k].col);
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: [report] headline: unknown metric '%s' (expected some of: %s)", file,
                        names[i], known->str);
            return FALSE;
        }
        if (out)
            g_ptr_array_add(out, (gpointer)mt);
    }
    return TRUE;
}

gboolean cn_report_check_headline(const char *file, const char *headline, GError **error)
{
    return !headline || !*headline || headline_metrics(file, headline, NULL, error);
}

/* The optional [report] section of DIR/meta.ini (from the scenario's
 * [report] group): the baseline variant and the metrics to lead with. */
static gboolean read_report_options(summary *s, const char *dir, GError **error)
{
    s->headline = g_ptr_array_new();
    g_autofree char *meta = g_build_filename(dir, "meta.ini", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *baseline = NULL, *headline = NULL;
    g_auto(GStrv) events = NULL, event_at = NULL;
    gsize n_events = 0, n_at = 0;
    if (g_key_file_load_from_file(kf, meta, G_KEY_FILE_NONE, NULL)) {
        baseline = g_key_file_get_string(kf, "report", "baseline", NULL);
        headline = g_key_file_get_string(kf, "report", "headline", NULL);
        events = g_key_file_get_string_list(kf, "scenario", "events", &n_events, NULL);
        event_at = g_key_file_get_string_list(kf, "scenario", "event_at_s", &n_at, NULL);
    }
    s->events = g_ptr_array_new_with_free_func(g_free);
    s->event_at_s = g_array_new(FALSE, FALSE, sizeof(double));
    for (gsize i = 0; i < n_events; i++) {
        double at = NAN;
        if (i < n_at && !parse_number(event_at[i], &at))
            at = NAN;
        g_ptr_array_add(s->events, g_strdup(events[i]));
        g_array_append_val(s->event_at_s, at);
    }
    if (baseline && *baseline) {
        if (!str_in(s->variants, baseline)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: [report] baseline '%s' is not a variant of %s", meta, baseline,
                        s->path);
            return FALSE;
        }
        s->baseline = g_strdup(baseline);
    }
    if (headline && *headline && !headline_metrics(meta, headline, s->headline, error))
        return FALSE;
    if (s->headline->len == 0)
        for (guint i = 0; i < G_N_ELEMENTS(default_headline); i++)
            g_ptr_array_add(s->headline, (gpointer)metric_named(default_headline[i]));
    return TRUE;
}

gboolean cn_report(const char *dir, FILE *out, GError **error)
{
    g_return_val_if_fail(dir != NULL, FALSE);
    g_autoptr(summary) s = summary_read(dir, error);
    if (!s)
        return FALSE;
    if (!read_report_options(s, dir, error))
        return FALSE;
    g_autofree char *ts = g_build_filename(dir, "timeseries.csv", NULL);
    s->timeseries = g_file_test(ts, G_FILE_TEST_EXISTS);
    GError *perr = NULL;
    s->plan = plan_read(dir, &perr);
    if (perr) {
        g_propagate_error(error, perr);
        return FALSE;
    }
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    g_autoptr(GPtrArray) plots = plan_plots(s);
    /* Scripts first: they say which plots have nothing to draw. */
    if (!draw_plots(s, plots, dir, NULL, error))
        return FALSE;
    g_autoptr(GString) md = g_string_new(NULL);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new();
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        if (pl->empty)
            g_ptr_array_add(skipped, pl->title);
    }
    write_markdown(md, s, plots, gnuplot != NULL, skipped);
    if (!cn_timeplot_write(dir, gnuplot, md, error)) /* plots over time: timeplot.c */
        return FALSE;

    g_autofree char *path = g_build_filename(dir, "report.md", NULL);
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    fputs(md->str, cn_outfile_stream(f));
    if (!cn_outfile_commit(f, error))
        return FALSE;
    if (out) {
        fputs(md->str, out);
        fflush(out);
    }
    if (!gnuplot) {
        fprintf(stderr,
                "cnisim report: gnuplot not found on PATH: no plots drawn (scripts "
                "written to %s/plots/)\n",
                dir);
        return TRUE;
    }
    return draw_plots(s, plots, dir, gnuplot, error);
}
