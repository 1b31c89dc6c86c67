#include "timeseries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "observer.h"

/* The columns after `scenario, point, variant, <swept keys>, replication`. */
static const char *const row_header =
    "t_s,class,throughput_rps,failed,latency_p50_us,latency_p99_us,cpu_util_mean,cpu_util_max,"
    "conntrack_max,drops_conntrack,ct_evictions,snat_ports_max,snat_failures,stale_failures,"
    "nodes_ready,events";

/* A row's text is put together in a buffer and written at once: stdio's
 * per-call cost is most of the cost of the file otherwise. */
#define ROW_BUF 1024 /* 16 fields of at most CN_CSV_DOUBLE_BUF, the events aside */

static char *opt_double(char *p, double v)
{
    *p++ = ',';
    return isnan(v) ? p : cn_csv_put_double(p, v);
}

static char *put_uint(char *p, uint64_t v)
{
    *p++ = ',';
    return cn_csv_put_uint(p, v);
}

static char *put_int(char *p, int64_t v)
{
    *p++ = ',';
    return cn_csv_put_int(p, v);
}

static void write_row(FILE *out, const char *t_s, const cn_interval *iv, int k)
{
    G_STATIC_ASSERT(ROW_BUF > 16 * CN_CSV_DOUBLE_BUF + sizeof CN_TIMESERIES_PREFIX + 32);
    char buf[ROW_BUF], *p = buf;
    const char *cls = k == CN_CLASS_COUNT ? "all" : cn_class_name((cn_class)k);
    p = stpcpy(p, CN_TIMESERIES_PREFIX);
    p = stpcpy(p, t_s);
    *p++ = ',';
    p = stpcpy(p, cls);
    *p++ = ',';
    p = cn_csv_put_double(p, iv->width_s > 0 ? (double)iv->done[k] / iv->width_s : 0);
    p = put_uint(p, iv->failed[k]);
    p = opt_double(p, iv->p50_us[k]);
    p = opt_double(p, iv->p99_us[k]);
    if (k != CN_CLASS_COUNT) {
        p = stpcpy(p, ",,,,,,,,,,\n"); /* cluster-wide figures: on the class=all row */
        fwrite(buf, 1, (size_t)(p - buf), out);
        return;
    }
    *p++ = ',';
    p = cn_csv_put_double(p, iv->cpu_util_mean);
    *p++ = ',';
    p = cn_csv_put_double(p, iv->cpu_util_max);
    p = put_int(p, iv->conntrack_max);
    p = put_uint(p, iv->drops_conntrack);
    p = put_uint(p, iv->ct_evictions);
    p = put_int(p, iv->snat_ports_max);
    p = put_uint(p, iv->snat_failures);
    p = put_uint(p, iv->stale_failures);
    p = put_int(p, iv->nodes_ready);
    *p++ = ',';
    fwrite(buf, 1, (size_t)(p - buf), out);
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

/* The columns scenario..replication of a job's rows, with the comma after. */
static void job_prefix(GString *g, const cn_scenario *sc, const cn_config *c, gsize p, int v,
                       int rep)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        g_error("timeseries: out of memory");
    cn_csv_string(out, c->name);
    fprintf(out, ",%" G_GSIZE_FORMAT ",", p + 1);
    cn_csv_string(out, c->variants[v].name);
    for (int a = 0; a < cn_scenario_n_axes(sc); a++) {
        fputc(',', out);
        cn_csv_string(out, cn_scenario_axis_value(sc, a, p));
    }
    fprintf(out, ",%d,", rep + 1);
    fclose(out);
    g_string_append_len(g, buf, (gssize)len);
    free(buf);
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
    g_autoptr(GString) prefix = g_string_new(NULL);
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
                g_string_truncate(prefix, 0);
                for (char *line = text, *nl; *line; line = nl + 1) {
                    nl = strchr(line, '\n');
                    if (!nl)
                        break;
                    if (strncmp(line, CN_TIMESERIES_PREFIX, skip) != 0)
                        continue;
                    if (!prefix->len)
                        job_prefix(prefix, sc, &c, p, v, rep);
                    fwrite(prefix->str, 1, prefix->len, out);
                    fwrite(line + skip, 1, (size_t)(nl - line + 1 - skip), out);
                }
            }
    }
    return cn_outfile_commit(f, error);
}
