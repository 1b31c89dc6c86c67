#include "timeplot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "csvout.h"
#include "report-internal.h"

#define MAX_POINTS 4 /* sweep points drawn (the first ones) */

/* Split one CSV line (RFC 4180 quoting, as cn_csv_string writes). */
static GPtrArray *csv_fields(const char *line)
{
    GPtrArray *f = g_ptr_array_new_with_free_func(g_free);
    GString *cur = g_string_new(NULL);
    gboolean q = FALSE;
    for (const char *p = line;; p++) {
        if (q) {
            if (*p == '"' && p[1] == '"')
                g_string_append_c(cur, '"'), p++;
            else if (*p == '"')
                q = FALSE;
            else if (*p)
                g_string_append_c(cur, *p);
            else
                break;
            continue;
        }
        if (*p == '"')
            q = TRUE;
        else if (*p == ',' || !*p) {
            g_ptr_array_add(f, g_strdup(cur->str));
            g_string_truncate(cur, 0);
            if (!*p)
                break;
        } else
            g_string_append_c(cur, *p);
    }
    g_string_free(cur, TRUE);
    return f;
}

typedef struct {
    double t, tput, p99, failed, ct, p50;
} sample;

typedef struct {
    char *variant;
    GArray *samples; /* of sample */
} line;

typedef struct {
    guint point;
    GPtrArray *lines;  /* of line, in file order */
    GPtrArray *events; /* "name at t s" */
    GArray *event_t;   /* double */
    gboolean moves;    /* events, or failures/drops/stale anywhere */
} panel;

static void line_free(gpointer p)
{
    line *l = p;
    g_free(l->variant);
    g_array_unref(l->samples);
    g_free(l);
}

static void panel_free(gpointer p)
{
    panel *x = p;
    g_ptr_array_unref(x->lines);
    g_ptr_array_unref(x->events);
    g_array_unref(x->event_t);
    g_free(x);
}

static int col(GPtrArray *h, const char *name)
{
    for (guint i = 0; i < h->len; i++)
        if (strcmp(g_ptr_array_index(h, i), name) == 0)
            return (int)i;
    return -1;
}

static double num(GPtrArray *f, int c)
{
    if (c < 0 || (guint)c >= f->len)
        return NAN;
    const char *s = g_ptr_array_index(f, c);
    char *end;
    double v = g_ascii_strtod(s, &end);
    return *s && !*end ? v : NAN;
}

static void script(GString *gp, const panel *pn, const char *name)
{
    g_string_append_printf(gp,
                           "# cnisim report: point %u over time, from ../timeseries.csv "
                           "(replication 1, all classes).\n"
                           "# Rerun from this directory with: gnuplot %s.gp\n"
                           "set terminal pngcairo size 1100,900 noenhanced\n"
                           "set output '%s.png'\nset datafile missing 'NaN'\n"
                           "set grid\nset key outside right top\n",
                           pn->point, name, name);
    for (guint v = 0; v < pn->lines->len; v++) {
        const line *l = g_ptr_array_index(pn->lines, v);
        g_string_append_printf(gp, "$v%u << EOD\n", v);
        for (guint i = 0; i < l->samples->len; i++) {
            const sample *s = &g_array_index(l->samples, sample, i);
            cn_gp_num(gp, s->t);
            cn_gp_num(gp, s->tput);
            cn_gp_num(gp, s->p99);
            cn_gp_num(gp, s->failed);
            cn_gp_num(gp, s->ct);
            cn_gp_num(gp, s->p50);
            g_string_append_c(gp, '\n');
        }
        g_string_append(gp, "EOD\n");
    }
    for (guint e = 0; e < pn->event_t->len; e++)
        g_string_append_printf(gp,
                               "set arrow %u from first %.6g, graph 0 to first %.6g, graph 1 "
                               "nohead dashtype 2 linecolor rgb 'gray40'\n",
                               e + 1, g_array_index(pn->event_t, double, e),
                               g_array_index(pn->event_t, double, e));
    static const struct {
        int column;
        const char *ylabel;
    } rows[] = {{2, "throughput (rps)"},
                {3, "p99 and p50 (dashed) latency (us)"},
                {4, "failed per interval"},
                {5, "conntrack entries (fullest node)"}};
    g_string_append(gp, "set multiplot layout 4,1\n");
    for (gsize k = 0; k < G_N_ELEMENTS(rows); k++) {
        g_string_append(gp, "set ylabel ");
        cn_gp_str(gp, rows[k].ylabel);
        g_string_append(gp, k + 1 == G_N_ELEMENTS(rows) ? "\nset xlabel 's from the start'\n"
                                                        : "\nunset xlabel\n");
        g_string_append(gp, "plot ");
        for (guint v = 0; v < pn->lines->len; v++) {
            const line *l = g_ptr_array_index(pn->lines, v);
            g_string_append_printf(gp, "%s$v%u using 1:%d with lines linecolor %u title ",
                                   v ? ", " : "", v, rows[k].column, v + 1);
            cn_gp_str(gp, l->variant);
            /* the median with the p99: a change of the typical path (a
             * migration's routing) that the tail would hide */
            if (rows[k].column == 3)
                g_string_append_printf(gp,
                                       ", $v%u using 1:6 with lines linecolor %u dashtype 2 "
                                       "notitle",
                                       v, v + 1);
        }
        g_string_append_c(gp, '\n');
    }
    g_string_append(gp, "unset multiplot\n");
}

static gboolean run_gnuplot(const char *gnuplot, const char *plots_dir, const char *name,
                            GError **error)
{
    g_autofree char *gp = g_strdup_printf("%s.gp", name);
    char *argv[] = {(char *)gnuplot, gp, NULL};
    g_autofree char *err = NULL;
    int status;
    if (!g_spawn_sync(plots_dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                      &status, error))
        return FALSE;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s/%s: gnuplot failed: %s",
                    plots_dir, gp, err ? g_strstrip(err) : "no message");
        return FALSE;
    }
    return TRUE;
}

gboolean cn_timeplot_write(const char *dir, const char *gnuplot, GString *md, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "timeseries.csv", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return TRUE;
    /* Streamed: the rows are in point order, and only the first points are
     * read, however long the sweep. */
    FILE *in = fopen(path, "r");
    if (!in) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot read", path);
        return FALSE;
    }
    char *ln = NULL;
    size_t cap = 0;
    ssize_t got = getline(&ln, &cap, in);
    if (got <= 0) {
        free(ln);
        fclose(in);
        return TRUE;
    }
    ln[strcspn(ln, "\r\n")] = '\0';
    g_autoptr(GPtrArray) h = csv_fields(ln);
    int c_point = col(h, "point"), c_var = col(h, "variant"), c_rep = col(h, "replication"),
        c_t = col(h, "t_s"), c_cls = col(h, "class"), c_tp = col(h, "throughput_rps"),
        c_p99 = col(h, "latency_p99_us"), c_p50 = col(h, "latency_p50_us"),
        c_fail = col(h, "failed"), c_ct = col(h, "conntrack_max"),
        c_drop = col(h, "drops_conntrack"), c_snat = col(h, "snat_failures"),
        c_stale = col(h, "stale_failures"), c_ev = col(h, "events");
    if (c_point < 0 || c_var < 0 || c_rep < 0 || c_t < 0 || c_cls < 0 || c_tp < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: not a cnisim timeseries.csv (columns point, variant, replication, t_s, "
                    "class, throughput_rps expected)",
                    path);
        free(ln);
        fclose(in);
        return FALSE;
    }
    g_autoptr(GPtrArray) panels = g_ptr_array_new_with_free_func(panel_free);
    while (getline(&ln, &cap, in) > 0) {
        ln[strcspn(ln, "\r\n")] = '\0';
        g_autoptr(GPtrArray) f = csv_fields(ln);
        if ((int)f->len <= c_cls || strcmp(g_ptr_array_index(f, c_cls), "all") != 0 ||
            num(f, c_rep) != 1)
            continue;
        double pt = num(f, c_point);
        if (pt > MAX_POINTS)
            break;
        if (!(pt >= 1))
            continue;
        panel *pn = NULL;
        for (guint i = 0; i < panels->len && !pn; i++)
            if (((panel *)g_ptr_array_index(panels, i))->point == (guint)pt)
                pn = g_ptr_array_index(panels, i);
        if (!pn) {
            pn = g_new0(panel, 1);
            pn->point = (guint)pt;
            pn->lines = g_ptr_array_new_with_free_func(line_free);
            pn->events = g_ptr_array_new_with_free_func(g_free);
            pn->event_t = g_array_new(FALSE, FALSE, sizeof(double));
            g_ptr_array_add(panels, pn);
        }
        const char *var = g_ptr_array_index(f, c_var);
        line *l = pn->lines->len ? g_ptr_array_index(pn->lines, pn->lines->len - 1) : NULL;
        if (!l || strcmp(l->variant, var) != 0) {
            l = g_new0(line, 1);
            l->variant = g_strdup(var);
            l->samples = g_array_new(FALSE, FALSE, sizeof(sample));
            g_ptr_array_add(pn->lines, l);
        }
        sample s = {num(f, c_t),    num(f, c_tp), num(f, c_p99),
                    num(f, c_fail), num(f, c_ct), num(f, c_p50)};
        g_array_append_val(l->samples, s);
        if (s.failed > 0 || num(f, c_drop) > 0 || num(f, c_snat) > 0 || num(f, c_stale) > 0)
            pn->moves = TRUE;
        const char *ev = c_ev >= 0 && (guint)c_ev < f->len ? g_ptr_array_index(f, c_ev) : "";
        if (*ev && pn->lines->len == 1) { /* the events are the same for every variant */
            pn->moves = TRUE;
            g_array_append_val(pn->event_t, s.t);
            GString *e = g_string_new(NULL);
            md_code(e, ev); /* a name may hold a backtick */
            g_string_append_printf(e, " at %.6g s", s.t);
            g_ptr_array_add(pn->events, g_string_free(e, FALSE));
        }
    }
    free(ln);
    fclose(in);
    gboolean any = FALSE;
    for (guint i = 0; i < panels->len; i++)
        any |= ((panel *)g_ptr_array_index(panels, i))->moves;
    if (!any)
        return TRUE;
    g_autofree char *plots_dir = g_build_filename(dir, "plots", NULL);
    g_mkdir_with_parents(plots_dir, 0755);
    g_string_append(md, "\n## Over time\n\nFrom `timeseries.csv` (replication 1, all classes): "
                        "throughput, p99 and p50 latency, failed transactions per interval and the "
                        "fullest node's conntrack table against simulated time from the start of "
                        "the run (warm-up included), one line per variant; dashed lines mark "
                        "scheduled events.\n");
    for (guint i = 0; i < panels->len; i++) {
        const panel *pn = g_ptr_array_index(panels, i);
        if (!pn->moves)
            continue;
        g_autofree char *name = g_strdup_printf("time-p%u", pn->point);
        g_autoptr(GString) gp = g_string_new(NULL);
        script(gp, pn, name);
        g_autofree char *gp_path = g_strdup_printf("%s/%s.gp", plots_dir, name);
        cn_outfile *f = cn_outfile_open(gp_path, error);
        if (!f)
            return FALSE;
        fputs(gp->str, cn_outfile_stream(f));
        if (!cn_outfile_commit(f, error))
            return FALSE;
        if (gnuplot && !run_gnuplot(gnuplot, plots_dir, name, error))
            return FALSE;
        g_string_append_printf(md, "\n### Point %u\n\n", pn->point);
        if (pn->events->len) {
            g_string_append(md, "Events: ");
            for (guint e = 0; e < pn->events->len; e++)
                g_string_append_printf(md, "%s%s", e ? ", " : "",
                                       (const char *)g_ptr_array_index(pn->events, e));
            g_string_append(md, ".\n\n");
        }
        g_string_append_printf(md, "![point %u over time](plots/%s.png)\n", pn->point, name);
    }
    return TRUE;
}
