/* cnisim report: the plots, drawn by gnuplot scripts left in DIR/plots/
 * (NAME.gp with their data inline, so a user can restyle a plot and rerun
 * it by hand: cd DIR/plots && gnuplot NAME.gp). */
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

/* ---- plots ---- */

static void plot_free(gpointer p)
{
    plot *pl = p;
    g_free(pl->name);
    g_free(pl->title);
    g_free(pl);
}

/* A class name as part of a file name. */
static char *file_part(const char *t)
{
    char *s = g_strdup(t);
    for (char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            *c = '_';
    return s;
}

static plot *plot_new(GPtrArray *plots, plot_kind kind, char *name, char *title)
{
    plot *pl = g_new0(plot, 1);
    pl->kind = kind;
    pl->name = name;
    pl->title = title;
    g_ptr_array_add(plots, pl);
    return pl;
}

/* The cluster-wide metrics plotted when the scenario has them: CPU always,
 * the failure and table figures only where some variant has a non-zero one. */
static const char *const run_plots[] = {
    "cpu_util_max",
    "cpu_us_per_txn",
    "conntrack_peak",
    "drops_conntrack",
    "snat_failures",
    "stale_failures",
    "sync_ms_mean",
    "time_to_first_snat_failure_s",
    "time_to_first_ct_drop_s",
    "admitted_before_exhaustion",
    "failure_rate_after_exhaustion",
};

/* The plots of a summary, in the order report.md lists them. */
GPtrArray *plan_plots(const summary *s)
{
    GPtrArray *plots = g_ptr_array_new_with_free_func(plot_free);
    const char *key = s->x_key >= 0 ? g_ptr_array_index(s->keys, (guint)s->x_key) : NULL;
    g_autofree char *kpart = key ? file_part(key) : NULL;
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autofree char *cpart = file_part(cls);
        plot *lat, *tput;
        if (key) {
            lat = plot_new(plots, P_LATENCY, g_strdup_printf("p99-vs-%s-%s", kpart, cpart),
                           g_strdup_printf("%s: p99 latency against %s", cls, key));
            tput =
                plot_new(plots, P_THROUGHPUT, g_strdup_printf("throughput-vs-%s-%s", kpart, cpart),
                         g_strdup_printf("%s: throughput against %s", cls, key));
        } else {
            lat = plot_new(plots, P_LATENCY, g_strdup_printf("latency-%s", cpart),
                           g_strdup_printf("%s: p50 and p99 latency per variant", cls));
            tput = plot_new(plots, P_THROUGHPUT, g_strdup_printf("throughput-%s", cpart),
                            g_strdup_printf("%s: throughput per variant", cls));
        }
        lat->cls = tput->cls = cls;
    }
    for (guint i = 0; i < G_N_ELEMENTS(run_plots); i++) {
        const metric *mt = metric_named(run_plots[i]);
        if (!s->has[mt->c] || !column_any(s, NULL, mt->c))
            continue;
        if (!key && mt->c != C_CPU_TXN && mt->c != C_CPU_MAX)
            continue; /* without a sweep the tables say it */
        g_autofree char *mpart = file_part(mt->col);
        plot *pl =
            plot_new(plots, P_RUN,
                     key ? g_strdup_printf("%s-vs-%s", mpart, kpart) : g_strdup_printf("%s", mpart),
                     key ? g_strdup_printf("%s against %s", mt->what, key)
                         : g_strdup_printf("%s per variant", mt->what));
        pl->mt = mt;
    }
    return plots;
}

/* A label in an inline data block: double-quoted, no quote inside. */
static void gp_label(GString *gp, const char *t)
{
    g_string_append_c(gp, '"');
    for (; *t; t++)
        g_string_append_c(gp, *t == '"' ? '\'' : (*t == '\n' || *t == '\r' ? ' ' : *t));
    g_string_append_c(gp, '"');
}

/* Width of the images: the plot area stays about 800 pixels wide, the key
 * beside it gets what its longest label needs. */
static int image_width = 1100;

static void gp_preamble(GString *gp, const summary *s, const gp_term *term, const plot *pl,
                        const char *what)
{
    g_autofree char *name = g_strdup(s->scenario);
    g_strdelimit(name, "\r\n", ' '); /* a newline would end the comment */
    g_string_append_printf(gp,
                           "# cnisim report: %s, scenario %s.\n"
                           "# Generated from ../summary.csv; edit and rerun from this "
                           "directory with: gnuplot %s.gp\n",
                           what, name, pl->name);
    if (strcmp(term->terminal, "pngcairo") == 0)
        g_string_append(gp, "set encoding utf8\n");
    g_string_append_printf(gp, "set terminal %s size %d,600 noenhanced\n", term->terminal,
                           image_width);
    g_string_append_printf(gp, "set output '%s.png'\n", pl->name);
    /* The key sits right of the plot, outside the data. */
    g_string_append(gp, "set datafile missing 'NaN'\nset grid xtics ytics\n"
                        "set key outside right top vertical Left reverse noopaque\n");
    g_autofree char *title = g_strdup_printf("%s - %s", s->scenario, pl->title);
    g_string_append(gp, "set title ");
    cn_gp_str(gp, title);
    g_string_append_c(gp, '\n');
}

/* The same figure as SVG beside the PNG. */
static void gp_svg(GString *gp, const gp_term *term, const plot *pl)
{
    if (!term->svg)
        return;
    g_string_append_printf(gp,
                           "set terminal svg size %d,600 noenhanced dynamic\n"
                           "set output '%s.svg'\nreplot\n",
                           image_width, pl->name);
}

/* Categories on the x axis of the bar charts: a row's variant, plus the
 * swept values when there are (non-numeric) swept keys. */
static void bar_label(GString *out, const summary *s, const row *r)
{
    g_string_append(out, r->variant);
    if (s->keys->len) {
        g_string_append(out, " (");
        point_label(out, s, r, -1);
        g_string_append_c(out, ')');
    }
}

/* The value a plot draws for a row, with its interval (NaN: none). */
static double plot_value(const plot *pl, const row *r, int which, double *ci)
{
    *ci = NAN;
    switch (pl->kind) {
    case P_LATENCY:
        if (!has_traffic(r))
            return NAN;
        if (which == 0 && !pl->mt) {
            *ci = r->m[C_P99_CI];
            return r->m[C_P99];
        }
        *ci = r->m[C_P50_CI];
        return r->m[C_P50];
    case P_THROUGHPUT:
        *ci = r->m[C_TPUT_CI];
        return r->m[C_TPUT];
    case P_RUN:
        return metric_value(r, pl->mt, ci);
    }
    return NAN;
}

static const row *plot_row(const summary *s, const plot *pl, guint point, const char *variant)
{
    if (pl->kind == P_RUN)
        return metric_row(s, point, variant, NULL, pl->mt);
    return find_row(s, point, variant, pl->cls);
}

static const char *plot_ylabel(const plot *pl, const gp_term *term, char **owned)
{
    switch (pl->kind) {
    case P_LATENCY:
        return *owned = g_strdup_printf("latency (%s)", term->us);
    case P_THROUGHPUT:
        return "throughput (transactions/s)";
    case P_RUN:
        break;
    }
    const char *unit = "";
    switch (pl->mt->unit) {
    case U_US:
        unit = term->us;
        break;
    case U_MS:
        unit = "ms";
        break;
    case U_S:
        unit = "s";
        break;
    case U_RATE:
        unit = "/s";
        break;
    case U_GBPS:
        unit = "Gbit/s";
        break;
    case U_PCT:
        unit = "%";
        break;
    case U_COUNT:
        unit = "count";
        break;
    }
    return *owned = g_strdup_printf("%s (%s)", pl->mt->what, unit);
}

/* A y axis on a log scale when the values span more than two decades
 * (a knee to 350 ms would flatten everything before it otherwise). */
static gboolean wants_log(double lo, double hi)
{
    return lo > 0 && isfinite(hi) && hi / lo > 100;
}

static gboolean gp_bars(GString *gp, const summary *s, const gp_term *term, const plot *pl)
{
    gp_preamble(gp, s, term, pl, pl->title);
    g_autofree char *owned = NULL;
    const char *ylabel = plot_ylabel(pl, term, &owned);
    double scale = pl->kind == P_RUN && pl->mt->unit == U_PCT ? 100 : 1;
    g_string_append(gp, "set xlabel 'variant'\nset ylabel ");
    cn_gp_str(gp, ylabel);
    gboolean bars2 = pl->kind == P_LATENCY;
    gboolean errs =
        s->reps_max > 1 && (pl->kind == P_THROUGHPUT || (pl->kind == P_RUN && pl->mt->ci >= 0));
    g_string_append(gp, "\nset yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n"
                        "set style data histograms\n"
                        "set style fill solid 0.85 border -1\nset boxwidth 0.9\n");
    g_string_append(gp, errs ? "set style histogram errorbars gap 1 lw 1\n"
                             : "set style histogram clustered gap 1\n");
    guint n = 0, finite = 0;
    gsize longest = 0;
    g_autoptr(GString) data = g_string_new("$data << EOD\n");
    g_autoptr(GString) label = g_string_new(NULL);
    for (guint p = 0; p < s->points->len; p++)
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = plot_row(s, pl, g_array_index(s->points, point_info, p).point,
                                    g_ptr_array_index(s->variants, v));
            if (!r)
                continue;
            g_string_truncate(label, 0);
            bar_label(label, s, r);
            gp_label(data, label->str);
            longest = MAX(longest, label->len);
            n++;
            double ci, y = plot_value(pl, r, bars2 ? 1 : 0, &ci);
            cn_gp_num(data, y * scale);
            finite += isfinite(y);
            if (bars2) {
                y = plot_value(pl, r, 0, &ci);
                cn_gp_num(data, y);
                finite += isfinite(y);
            } else if (errs) {
                cn_gp_num(data, isfinite(ci) ? ci * scale : 0);
            }
            g_string_append_c(data, '\n');
        }
    g_string_append(data, "EOD\n");
    if (n > 4 || longest > 12)
        g_string_append(gp, "set xtics rotate by -30 nomirror\n");
    g_string_append(gp, data->str);
    if (bars2)
        g_string_append(gp, "plot $data using 2:xtic(1) title 'p50', \\\n"
                            "     $data using 3 title 'p99'\n");
    else if (errs)
        g_string_append(gp, "plot $data using 2:3:xtic(1) title 'mean, 95% CI'\n");
    else
        g_string_append(gp, s->reps_max > 1
                                ? "plot $data using 2:xtic(1) title 'mean over the replications'\n"
                                : "plot $data using 2:xtic(1) title 'one replication'\n");
    gp_svg(gp, term, pl);
    return finite > 0;
}

/* Whether the x values are evenly spaced (a linear sweep): then a linear
 * axis, whatever their span.  Geometric sweeps over decades get a log axis. */
static gboolean x_is_log(const summary *s)
{
    double lo = INFINITY, hi = -INFINITY;
    g_autoptr(GArray) xs = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint p = 0; p < s->points->len; p++) {
        double x = g_array_index(s->points, point_info, p).x;
        lo = MIN(lo, x), hi = MAX(hi, x);
        g_array_append_val(xs, x);
    }
    if (!(lo > 0) || hi / lo <= 100)
        return FALSE;
    g_array_sort(xs, dbl_cmp);
    /* Compare the spread of the gaps on a linear and on a log scale. */
    double lin_min = INFINITY, lin_max = 0, log_min = INFINITY, log_max = 0;
    for (guint i = 1; i < xs->len; i++) {
        double a = g_array_index(xs, double, i - 1), b = g_array_index(xs, double, i);
        if (b <= a)
            continue;
        lin_min = MIN(lin_min, b - a), lin_max = MAX(lin_max, b - a);
        log_min = MIN(log_min, log(b / a)), log_max = MAX(log_max, log(b / a));
    }
    return lin_max / lin_min > log_max / log_min;
}

static gboolean gp_lines(GString *gp, const summary *s, const gp_term *term, const plot *pl)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    g_autoptr(GPtrArray) lines =
        sweep_lines(s, pl->kind == P_RUN ? g_ptr_array_index(s->classes, 0) : pl->cls);
    gsize longest = 0;
    for (guint i = 0; i < lines->len; i++)
        longest = MAX(longest, strlen(((const sweep_line *)g_ptr_array_index(lines, i))->label));
    image_width = 900 + 8 * (int)MIN(longest, 80);
    gp_preamble(gp, s, term, pl, pl->title);
    image_width = 1100;
    g_autofree char *owned = NULL;
    const char *ylabel = plot_ylabel(pl, term, &owned);
    if (pl->kind == P_LATENCY)
        ylabel =
            owned ? (g_free(owned), owned = g_strdup_printf("p99 latency (%s)", term->us)) : ylabel;
    double scale = pl->kind == P_RUN && pl->mt->unit == U_PCT ? 100 : 1;
    g_string_append(gp, "set xlabel ");
    cn_gp_str(gp, key);
    g_string_append(gp, "\nset ylabel ");
    cn_gp_str(gp, ylabel);
    g_string_append_c(gp, '\n');
    double lo = INFINITY, hi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (guint p = 0; p < s->points->len; p++) {
        double x = g_array_index(s->points, point_info, p).x;
        lo = MIN(lo, x), hi = MAX(hi, x);
    }
    gboolean xlog = x_is_log(s);
    gboolean errs = s->reps_max > 1;
    g_autoptr(GString) data = g_string_new(NULL);
    g_autoptr(GString) cmd = g_string_new("plot ");
    guint drawn = 0;
    for (guint i = 0; i < lines->len; i++) {
        const sweep_line *l = g_ptr_array_index(lines, i);
        g_string_append_printf(data, "$line%u << EOD\n", i + 1);
        guint finite = 0;
        for (guint j = 0; j < l->rows->len; j++) {
            const row *r0 = g_ptr_array_index(l->rows, j);
            const row *r = pl->kind == P_RUN ? plot_row(s, pl, r0->point, r0->variant) : r0;
            double ci = NAN, y = r ? plot_value(pl, r, 0, &ci) : NAN;
            cn_gp_num(data, row_x(s, r0));
            cn_gp_num(data, y * scale);
            cn_gp_num(data, isfinite(ci) ? ci * scale : 0);
            g_string_append_c(data, '\n');
            if (isfinite(y)) {
                finite++;
                if (y > 0)
                    ylo = MIN(ylo, y * scale);
                yhi = MAX(yhi, y * scale);
            }
        }
        g_string_append(data, "EOD\n");
        if (!finite)
            continue; /* an all-failing variant has no line */
        /* Distinct colour, dash and marker: coinciding lines stay visible. */
        g_string_append_printf(cmd,
                               "%s$line%u using 1:2%s with %s lw 2 lc %u dt %u pt %u ps 1.3 "
                               "title ",
                               drawn ? ", \\\n     " : "", i + 1, errs ? ":3" : "",
                               errs ? "yerrorlines" : "linespoints", i % 8 + 1, i % 5 + 1,
                               i % 7 + 1 + (i % 7 >= 3));
        cn_gp_str(cmd, l->label);
        drawn++;
    }
    if (xlog)
        g_string_append(gp, "set logscale x 10\n");
    /* The x range is the data's, so no axis starts below a sweep's 0. */
    if (hi > lo) {
        g_string_append(gp, "set xrange [");
        cn_gp_num(gp, lo);
        g_string_append(gp, ":");
        cn_gp_num(gp, hi);
        g_string_append(gp, "]\n");
    }
    g_string_append(gp, "set offsets graph 0.02, graph 0.02, graph 0.05, 0\n");
    if (wants_log(ylo, yhi))
        g_string_append(gp, "set logscale y 10\n");
    else
        g_string_append(gp, "set yrange [0:*]\n");
    g_string_append(gp, data->str);
    if (!drawn)
        return FALSE;
    if (errs)
        g_string_append(gp, "# error bars: 95% interval over the replications\n");
    g_string_append(gp, cmd->str);
    g_string_append_c(gp, '\n');
    image_width = 900 + 8 * (int)MIN(longest, 80);
    gp_svg(gp, term, pl);
    image_width = 1100;
    return TRUE;
}

static void remove_images(const char *plots_dir, const char *name)
{
    static const char *const ext[] = {"png", "svg"};
    for (guint i = 0; i < G_N_ELEMENTS(ext); i++) {
        g_autofree char *p = g_strdup_printf("%s/%s.%s", plots_dir, name, ext[i]);
        g_unlink(p);
    }
}

static gboolean run_gnuplot(const char *gnuplot, const char *plots_dir, const char *name,
                            GError **error)
{
    g_autofree char *script = g_strdup_printf("%s.gp", name);
    g_autofree char *script_path = g_build_filename(plots_dir, script, NULL);
    char *argv[] = {(char *)gnuplot, script, NULL};
    g_autofree char *err_text = NULL;
    int status;
    GError *spawn_error = NULL;
    if (!g_spawn_sync(plots_dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      &err_text, &status, &spawn_error)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot run gnuplot: %s",
                    script_path, spawn_error->message);
        g_error_free(spawn_error);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_strstrip(err_text);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: gnuplot failed: %s", script_path,
                    *err_text ? err_text : "no message");
        remove_images(plots_dir, name); /* never leave a half-drawn image */
        return FALSE;
    }
    g_autofree char *png = g_strdup_printf("%s/%s.png", plots_dir, name);
    GStatBuf st;
    if (g_stat(png, &st) != 0 || st.st_size == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: gnuplot wrote no image %s",
                    script_path, png);
        remove_images(plots_dir, name);
        return FALSE;
    }
    return TRUE;
}

static gboolean gnuplot_has(const char *gnuplot, const char *terminal)
{
    g_autofree char *cmd = g_strdup_printf("set terminal %s", terminal);
    char *argv[] = {(char *)gnuplot, "-e", cmd, NULL};
    int status;
    return g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                        NULL, NULL, NULL, NULL, &status, NULL) &&
           WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* pngcairo draws antialiased text and UTF-8; the libgd png terminal is the
 * fallback some minimal gnuplot builds have. */
static gp_term pick_terminal(const char *gnuplot)
{
    gp_term t = gnuplot_has(gnuplot, "pngcairo") ? (gp_term){"pngcairo", "µs", FALSE}
                                                 : (gp_term){"png", "us", FALSE};
    t.svg = gnuplot_has(gnuplot, "svg");
    return t;
}

/* Write every plot's script; run gnuplot on each when it is installed.  A
 * plot with nothing to draw gets no script and no image (and loses an image
 * left by an earlier report). */
gboolean draw_plots(const summary *s, GPtrArray *plots, const char *dir, const char *gnuplot,
                    GError **error)
{
    g_autofree char *plots_dir = g_build_filename(dir, "plots", NULL);
    if (g_mkdir_with_parents(plots_dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot create: %s",
                    plots_dir, g_strerror(e));
        return FALSE;
    }
    gp_term term = gnuplot ? pick_terminal(gnuplot) : (gp_term){"pngcairo", "µs", TRUE};
    for (guint i = 0; i < plots->len; i++) {
        plot *pl = g_ptr_array_index(plots, i);
        g_autoptr(GString) gp = g_string_new(NULL);
        gboolean any = s->x_key >= 0 ? gp_lines(gp, s, &term, pl) : gp_bars(gp, s, &term, pl);
        g_autofree char *path = g_strdup_printf("%s/%s.gp", plots_dir, pl->name);
        if (!any) {
            pl->empty = TRUE;
            remove_images(plots_dir, pl->name);
            g_unlink(path);
            continue;
        }
        cn_outfile *f = cn_outfile_open(path, error);
        if (!f)
            return FALSE;
        fputs(gp->str, cn_outfile_stream(f));
        if (!cn_outfile_commit(f, error))
            return FALSE;
        if (gnuplot && !run_gnuplot(gnuplot, plots_dir, pl->name, error))
            return FALSE;
    }
    return TRUE;
}
