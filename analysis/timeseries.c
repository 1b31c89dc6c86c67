#include "timeseries.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csvout.h"
#include "observer.h"

/* The columns after `scenario, point, variant, <swept keys>, replication`. */
static const char *const row_header =
    "t_s,class,throughput_rps,failed,latency_p50_us,latency_p99_us,cpu_util_mean,cpu_util_max,"
    "conntrack_max,drops_conntrack,ct_evictions,snat_ports_max,snat_failures,stale_failures,"
    "nodes_ready,events";

static void opt_double(FILE *out, double v)
{
    fputc(',', out);
    if (!isnan(v))
        cn_csv_double(out, v);
}

static void write_row(FILE *out, const char *t_s, const cn_interval *iv, int k)
{
    fputs(CN_TIMESERIES_PREFIX, out);
    fputs(t_s, out);
    fprintf(out, ",%s,", k == CN_CLASS_COUNT ? "all" : cn_class_name((cn_class)k));
    cn_csv_double(out, iv->width_s > 0 ? (double)iv->done[k] / iv->width_s : 0);
    fprintf(out, ",%" G_GUINT64_FORMAT, iv->failed[k]);
    opt_double(out, iv->p50_us[k]);
    opt_double(out, iv->p99_us[k]);
    if (k != CN_CLASS_COUNT) {
        fputs(",,,,,,,,,,\n", out); /* cluster-wide figures: on the class=all row */
        return;
    }
    fputc(',', out);
    cn_csv_double(out, iv->cpu_util_mean);
    fputc(',', out);
    cn_csv_double(out, iv->cpu_util_max);
    fprintf(out,
            ",%" G_GINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GINT64_FORMAT
            ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GINT64_FORMAT ",",
            iv->conntrack_max, iv->drops_conntrack, iv->ct_evictions, iv->snat_ports_max,
            iv->snat_failures, iv->stale_failures, iv->nodes_ready);
    if (iv->events)
        cn_csv_string(out, iv->events);
    fputc('\n', out);
}

void cn_timeseries_write_part(FILE *out, const cn_config *c, const cn_run_result *r)
{
    for (size_t i = 0; i < r->n_intervals; i++) {
        char t_s[CN_CSV_DOUBLE_BUF];
        cn_csv_format_double(t_s, r->intervals[i].t_s);
        for (int k = 0; k < CN_CLASS_COUNT; k++)
            if (c->traffic_weight[k] > 0)
                write_row(out, t_s, &r->intervals[i], k);
        write_row(out, t_s, &r->intervals[i], CN_CLASS_COUNT);
    }
}

gboolean cn_timeseries_enabled(const cn_scenario *sc)
{
    for (gsize p = 0; p < cn_scenario_n_points(sc); p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        if (cn_observer_interval_ns(&c) > 0)
            return TRUE;
    }
    return FALSE;
}

static void write_prefix(FILE *out, const cn_scenario *sc, const cn_config *c, gsize p, int v,
                         int rep)
{
    cn_csv_string(out, c->name);
    fprintf(out, ",%" G_GSIZE_FORMAT ",", p + 1);
    cn_csv_string(out, c->variants[v].name);
    for (int a = 0; a < cn_scenario_n_axes(sc); a++) {
        fputc(',', out);
        cn_csv_string(out, cn_scenario_axis_value(sc, a, p));
    }
    fprintf(out, ",%d,", rep + 1);
}

gboolean cn_timeseries_write_csv(const cn_scenario *sc,
                                 char *(*part_text)(gconstpointer ctx, gsize job, GError **error),
                                 gconstpointer ctx, const char *path, GError **error)
{
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    int n_axes = cn_scenario_n_axes(sc);
    fputs("scenario,point,variant", out);
    for (int a = 0; a < n_axes; a++) {
        fputc(',', out);
        cn_csv_string(out, cn_scenario_axis_key(sc, a));
    }
    fprintf(out, ",replication,%s\n", row_header);
    gsize job = 0;
    for (gsize p = 0; p < cn_scenario_n_points(sc); p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int v = 0; v < c.n_variants; v++)
            for (int rep = 0; rep < (int)c.replications; rep++, job++) {
                g_autofree char *text = part_text(ctx, job, error);
                if (!text) {
                    cn_outfile_abort(f);
                    return FALSE;
                }
                const size_t skip = strlen(CN_TIMESERIES_PREFIX);
                for (char *line = text, *nl; *line; line = nl + 1) {
                    nl = strchr(line, '\n');
                    if (!nl)
                        break;
                    if (strncmp(line, CN_TIMESERIES_PREFIX, skip) != 0)
                        continue;
                    write_prefix(out, sc, &c, p, v, rep);
                    fwrite(line + skip, 1, (size_t)(nl - line + 1 - skip), out);
                }
            }
    }
    return cn_outfile_commit(f, error);
}
