#include "batch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cnisim-config.h"
#include "csvout.h"
#include "plan.h"
#include "run.h"

/* ---- the metrics of one (run, class) row ---- */

enum {
    M_TRANSACTIONS,
    M_FAILED,
    M_THROUGHPUT,
    M_LAT_MEAN,
    M_LAT_P50,
    M_LAT_P90,
    M_LAT_P99,
    M_LAT_P999,
    M_CPU_MEAN,
    M_CPU_MAX,
    M_CT_PEAK,
    M_DROPS_CT,
    M_SNAT_FAIL,
    M_POLICY_DROPS,
    M_CT_EVICT,
    M_LB_UNPROG,
    M_STALE_FAIL,
    M_SYNCS,
    M_SYNC_MS,
    M_CPU_US_TXN,
    M_CPU_US_TXN_MAX,
    M_COUNT
};

static const char *const metric_names[M_COUNT] = {
    "transactions",           "failed",         "throughput_rps", "latency_mean_us",
    "latency_p50_us",         "latency_p90_us", "latency_p99_us", "latency_p999_us",
    "cpu_util_mean",          "cpu_util_max",   "conntrack_peak", "drops_conntrack",
    "snat_failures",          "policy_drops",   "ct_evictions",   "lb_unprogrammed",
    "stale_failures",         "rule_syncs",     "sync_ms_mean",   "cpu_us_per_txn",
    "cpu_us_per_txn_busiest",
};

/* Latency histograms kept per (run, class) in the part files, pooled over
 * the replications for the summary's quantiles. */
enum { H_ALL, H_KINDS };
static const char *const hist_kinds[H_KINDS] = {"all"};

/* Counts are written as exact integers; the rest as %.6g. */
static gboolean is_count(int i)
{
    switch (i) {
    case M_TRANSACTIONS:
    case M_FAILED:
    case M_CT_PEAK:
    case M_DROPS_CT:
    case M_SNAT_FAIL:
    case M_POLICY_DROPS:
    case M_CT_EVICT:
    case M_LB_UNPROG:
    case M_STALE_FAIL:
    case M_SYNCS:
        return TRUE;
    default:
        return FALSE;
    }
}

/* An undefined value (NaN: no completed transaction, an interval from one
 * replication) is an empty field. */
static void write_metric(FILE *out, int i, double v)
{
    if (isnan(v))
        return;
    if (is_count(i))
        fprintf(out, "%.0f", v);
    else
        cn_csv_double(out, v);
}

typedef struct {
    gboolean done;
    uint64_t seed;
    double m[CN_CLASS_COUNT][M_COUNT]; /* rounded to what the CSV holds */
} job_result;

static volatile gint stop_flag;

void cn_batch_request_stop(void)
{
    g_atomic_int_set(&stop_flag, 1);
}

gboolean cn_batch_stop_requested(void)
{
    return g_atomic_int_get(&stop_flag) != 0;
}

typedef struct {
    const cn_scenario *sc;
    const cn_batch_options *opt;
    char *parts_dir;
    gsize n_points;
    int n_variants;
    int n_reps;
    gsize n_jobs;
    job_result *res;
    GAsyncQueue *done_q; /* job indices (+1) finished, or &job_not_done */
    GMutex err_lock;
    GError *first_error;
} batch;

static void job_coords(const batch *b, gsize j, gsize *point, int *variant, int *rep)
{
    *rep = (int)(j % (gsize)b->n_reps);
    *variant = (int)((j / (gsize)b->n_reps) % (gsize)b->n_variants);
    *point = j / ((gsize)b->n_reps * (gsize)b->n_variants);
}

static char *part_path(const batch *b, gsize j)
{
    gsize p;
    int v, r;
    job_coords(b, j, &p, &v, &r);
    return g_strdup_printf("%s/p%" G_GSIZE_FORMAT "-v%d-r%d.csv", b->parts_dir, p + 1, v + 1,
                           r + 1);
}

/* Keep exactly what the CSV will show: the summary is computed from these
 * rounded values, so it comes out the same from memory, from part files left
 * by an interrupted run, or from shards joined by merge. */
static double rounded(double v)
{
    if (isnan(v))
        return v;
    char buf[CN_CSV_DOUBLE_BUF];
    cn_csv_format_double(buf, v);
    return g_ascii_strtod(buf, NULL);
}

static void fill_result(job_result *jr, const cn_run_result *r, const cn_config *c)
{
    jr->seed = r->seed;
    /* CPU per completed transaction (netperf's "service demand"): the CPU
     * time the run used, cluster-wide and on its busiest node, over the
     * transactions of every class. */
    uint64_t done = 0;
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        done += r->cls[k].transactions;
    double cpu_s = r->cpu_util_mean * (double)c->nodes * (double)c->vcpus_per_node * r->measured_s;
    double busiest_s = r->cpu_util_max * (double)c->vcpus_per_node * r->measured_s;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        const cn_class_result *cr = &r->cls[k];
        double *m = jr->m[k];
        m[M_TRANSACTIONS] = (double)cr->transactions;
        m[M_FAILED] = (double)cr->failed;
        m[M_THROUGHPUT] = cr->throughput_rps;
        bool any = cr->latency && sim_hist_count(cr->latency) > 0;
        m[M_LAT_MEAN] = any ? sim_hist_mean(cr->latency) / 1e3 : NAN;
        m[M_LAT_P50] = any ? sim_hist_quantile(cr->latency, 0.5) / 1e3 : NAN;
        m[M_LAT_P90] = any ? sim_hist_quantile(cr->latency, 0.9) / 1e3 : NAN;
        m[M_LAT_P99] = any ? sim_hist_quantile(cr->latency, 0.99) / 1e3 : NAN;
        m[M_LAT_P999] = any ? sim_hist_quantile(cr->latency, 0.999) / 1e3 : NAN;
        m[M_CPU_MEAN] = r->cpu_util_mean;
        m[M_CPU_MAX] = r->cpu_util_max;
        m[M_CT_PEAK] = (double)r->conntrack_peak;
        m[M_DROPS_CT] = (double)r->drops_conntrack;
        m[M_SNAT_FAIL] = (double)r->snat_failures;
        m[M_POLICY_DROPS] = (double)r->policy_drops;
        m[M_CT_EVICT] = (double)r->ct_evictions;
        m[M_LB_UNPROG] = (double)r->lb_unprogrammed;
        m[M_STALE_FAIL] = (double)r->stale_failures;
        m[M_SYNCS] = (double)r->rule_syncs;
        m[M_SYNC_MS] = r->rule_syncs ? r->sync_ms_mean : NAN;
        m[M_CPU_US_TXN] = done ? cpu_s * 1e6 / (double)done : NAN;
        m[M_CPU_US_TXN_MAX] = done ? busiest_s * 1e6 / (double)done : NAN;
        for (int i = 0; i < M_COUNT; i++)
            m[i] = is_count(i) ? m[i] : rounded(m[i]);
    }
}

/* A part file: "seed,<n>", then one line per class: "class,m0,m1,...",
 * then "hist,class,kind,<sim_hist text>" for each non-empty latency
 * histogram (the pooled quantiles of the summary are read back from these). */
static gboolean write_part(const batch *b, gsize j, const cn_run_result *rr, GError **error)
{
    g_autofree char *path = part_path(b, j);
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    const job_result *jr = &b->res[j];
    fprintf(out, "seed,%" G_GUINT64_FORMAT "\n", jr->seed);
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        fputs(cn_class_name((cn_class)k), out);
        for (int i = 0; i < M_COUNT; i++) {
            fputc(',', out);
            write_metric(out, i, jr->m[k][i]);
        }
        fputc('\n', out);
    }
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        const sim_hist *hs[H_KINDS] = {rr->cls[k].latency};
        for (int h = 0; h < H_KINDS; h++) {
            if (!hs[h] || sim_hist_count(hs[h]) == 0)
                continue;
            g_autofree char *text = sim_hist_to_text(hs[h]);
            fprintf(out, "hist,%s,%s,%s\n", cn_class_name((cn_class)k), hist_kinds[h], text);
        }
    }
    return cn_outfile_commit(f, error);
}

/* Add the latency histograms of part file path into hs[class][kind]. */
static gboolean read_part_hists(const char *path, sim_hist *hs[CN_CLASS_COUNT][H_KINDS],
                                GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (!g_str_has_prefix(lines[i], "hist,"))
            continue;
        g_auto(GStrv) f = g_strsplit(lines[i], ",", 4);
        int k = -1, h = -1;
        for (int c = 0; f[1] && f[2] && c < CN_CLASS_COUNT; c++)
            if (strcmp(f[1], cn_class_name((cn_class)c)) == 0)
                k = c;
        for (int c = 0; f[1] && f[2] && c < H_KINDS; c++)
            if (strcmp(f[2], hist_kinds[c]) == 0)
                h = c;
        if (k < 0 || h < 0 || !f[3] || !sim_hist_parse(hs[k][h], f[3])) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: line %d: not a latency histogram; delete the file to run it again",
                        path, i + 1);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean read_part(const char *path, job_result *jr)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    if (!lines[0] || sscanf(lines[0], "seed,%" G_GUINT64_FORMAT, &jr->seed) != 1)
        return FALSE;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        if (!lines[k + 1])
            return FALSE;
        g_auto(GStrv) f = g_strsplit(lines[k + 1], ",", -1);
        if (g_strv_length(f) != M_COUNT + 1 || strcmp(f[0], cn_class_name((cn_class)k)) != 0)
            return FALSE;
        for (int i = 0; i < M_COUNT; i++) {
            char *end;
            if (!*f[i + 1]) {
                jr->m[k][i] = NAN; /* undefined, written empty */
                continue;
            }
            jr->m[k][i] = g_ascii_strtod(f[i + 1], &end);
            if (*end)
                return FALSE;
        }
    }
    jr->done = TRUE;
    return TRUE;
}

/* What a worker posts for a job that failed or was skipped after a stop:
 * GAsyncQueue refuses NULL, so it cannot be index 0. */
static char job_not_done;

static void worker(gpointer data, gpointer user)
{
    batch *b = user;
    gsize j = GPOINTER_TO_SIZE(data) - 1;
    if (cn_batch_stop_requested()) {
        g_async_queue_push(b->done_q, &job_not_done);
        return;
    }
    gsize p;
    int v, r;
    job_coords(b, j, &p, &v, &r);
    cn_config c;
    cn_scenario_config(b->sc, p, &c);
    cn_run_result rr;
    GError *err = NULL;
    gboolean ok = cn_run(&c, &c.variants[v], (uint32_t)r, &rr, &err);
    if (ok) {
        fill_result(&b->res[j], &rr, &c);
        ok = write_part(b, j, &rr, &err);
        cn_run_result_clear(&rr);
        if (ok)
            b->res[j].done = TRUE;
    }
    if (!ok) {
        g_mutex_lock(&b->err_lock);
        if (!b->first_error && !g_error_matches(err, CN_RUN_ERROR, CN_RUN_ERROR_CANCELLED))
            b->first_error = g_steal_pointer(&err);
        g_mutex_unlock(&b->err_lock);
        g_clear_error(&err);
    }
    g_async_queue_push(b->done_q, ok ? GSIZE_TO_POINTER(j + 1) : (gpointer)&job_not_done);
}

static void progress(const batch *b, gsize done, gsize total, gint64 start_us)
{
    if (b->opt->quiet || !isatty(STDERR_FILENO))
        return;
    double el = (double)(g_get_monotonic_time() - start_us) / 1e6;
    double eta = done ? el / (double)done * (double)(total - done) : 0;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr,
            "\r[%.*s%*s] %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT " runs, %.0fs elapsed, ETA %.0fs ",
            fill, "==============================", width - fill, "", done, total, el, eta);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- writing the outputs ---- */

static gboolean class_used(const cn_config *c, int k)
{
    return c->traffic_weight[k] > 0;
}

static void write_prefix(FILE *out, const batch *b, gsize p, int v, const cn_config *c)
{
    const cn_variant *var = &c->variants[v];
    cn_csv_string(out, c->name);
    fprintf(out, ",%" G_GSIZE_FORMAT ",", p + 1);
    cn_csv_string(out, var->name);
    fprintf(out, ",%s,%s,%s", cn_ipam_name(var->ipam), cn_variant_dataplane(var),
            cn_policy_name(var->policy));
    for (int a = 0; a < cn_scenario_n_axes(b->sc); a++) {
        fputc(',', out);
        cn_csv_string(out, cn_scenario_axis_value(b->sc, a, p));
    }
}

static void write_header_prefix(FILE *out, const batch *b)
{
    fputs("scenario,point,variant,ipam,dataplane,policy", out);
    for (int a = 0; a < cn_scenario_n_axes(b->sc); a++) {
        fputc(',', out);
        cn_csv_string(out, cn_scenario_axis_key(b->sc, a));
    }
}

static gboolean write_runs_csv(const batch *b, const char *path, GError **error)
{
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    write_header_prefix(out, b);
    fputs(",class,replication,seed", out);
    for (int i = 0; i < M_COUNT; i++)
        fprintf(out, ",%s", metric_names[i]);
    fputc('\n', out);
    for (gsize j = 0; j < b->n_jobs; j++) {
        gsize p;
        int v, r;
        job_coords(b, j, &p, &v, &r);
        cn_config c;
        cn_scenario_config(b->sc, p, &c);
        for (int k = 0; k < CN_CLASS_COUNT; k++) {
            if (!class_used(&c, k))
                continue;
            write_prefix(out, b, p, v, &c);
            fprintf(out, ",%s,%d,%" G_GUINT64_FORMAT, cn_class_name((cn_class)k), r + 1,
                    b->res[j].seed);
            for (int i = 0; i < M_COUNT; i++) {
                fputc(',', out);
                write_metric(out, i, b->res[j].m[k][i]);
            }
            fputc('\n', out);
        }
    }
    return cn_outfile_commit(f, error);
}

/* Half-width of a 95% confidence interval of the mean of the defined
 * (non-NaN) values of xs; NaN when fewer than two are defined.  *mean is their
 * mean, NaN when none is. */
static double ci95(const double *xs, int n, double *mean)
{
    sim_welford w;
    sim_welford_init(&w);
    for (int i = 0; i < n; i++)
        if (!isnan(xs[i]))
            sim_welford_add(&w, xs[i]);
    *mean = w.n ? w.mean : NAN;
    return w.n >= 2 ? sim_welford_ci95(&w) : NAN;
}

/* The summary's columns after `class,replications`: the required ones, then
 * the extras.  Each names the metric it is made of and how. */
typedef enum {
    S_SUM,    /* total over replications (a count) */
    S_MAX,    /* largest over replications (a count) */
    S_MEAN,   /* mean of the replications' values */
    S_CI,     /* half-width of the 95% interval of that mean */
    S_POOLED, /* quantile of the replications' merged histograms */
    S_GBPS,   /* throughput x (request + response bytes), in Gbit/s */
} summary_how;

static const struct {
    const char *name;
    int metric;
    summary_how how;
    double q; /* S_POOLED: the quantile */
} summary_cols[] = {
    {"transactions", M_TRANSACTIONS, S_SUM, 0},
    {"failed", M_FAILED, S_SUM, 0},
    {"throughput_rps", M_THROUGHPUT, S_MEAN, 0},
    {"throughput_ci95", M_THROUGHPUT, S_CI, 0},
    {"latency_mean_us", M_LAT_MEAN, S_MEAN, 0},
    {"latency_ci95_us", M_LAT_MEAN, S_CI, 0},
    {"latency_p50_us", M_LAT_P50, S_POOLED, 0.5},
    {"latency_p90_us", M_LAT_P90, S_POOLED, 0.9},
    {"latency_p99_us", M_LAT_P99, S_POOLED, 0.99},
    {"latency_p999_us", M_LAT_P999, S_POOLED, 0.999},
    {"cpu_util_mean", M_CPU_MEAN, S_MEAN, 0},
    {"cpu_util_max", M_CPU_MAX, S_MEAN, 0},
    {"conntrack_peak", M_CT_PEAK, S_MAX, 0},
    {"drops_conntrack", M_DROPS_CT, S_SUM, 0},
    {"snat_failures", M_SNAT_FAIL, S_SUM, 0},
    {"policy_drops", M_POLICY_DROPS, S_SUM, 0},
    /* extras */
    {"ct_evictions", M_CT_EVICT, S_SUM, 0},
    {"lb_unprogrammed", M_LB_UNPROG, S_SUM, 0},
    {"stale_failures", M_STALE_FAIL, S_SUM, 0},
    {"rule_syncs", M_SYNCS, S_SUM, 0},
    {"sync_ms_mean", M_SYNC_MS, S_MEAN, 0},
    {"latency_p50_ci95_us", M_LAT_P50, S_CI, 0},
    {"latency_p99_ci95_us", M_LAT_P99, S_CI, 0},
    {"cpu_us_per_txn", M_CPU_US_TXN, S_MEAN, 0},
    {"cpu_us_per_txn_busiest", M_CPU_US_TXN_MAX, S_MEAN, 0},
    {"goodput_gbps", M_THROUGHPUT, S_GBPS, 0},
};

static void load_group_hists(const batch *b, gsize j0, sim_hist *hs[CN_CLASS_COUNT][H_KINDS],
                             GError **error)
{
    for (int r = 0; r < b->n_reps && !*error; r++) {
        g_autofree char *pp = part_path(b, j0 + (gsize)r);
        read_part_hists(pp, hs, error);
    }
}

static gboolean write_summary_csv(const batch *b, const char *path, GError **error)
{
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    write_header_prefix(out, b);
    fputs(",class,replications", out);
    for (gsize i = 0; i < G_N_ELEMENTS(summary_cols); i++)
        fprintf(out, ",%s", summary_cols[i].name);
    fputc('\n', out);
    int n = b->n_reps;
    g_autofree double *xs = g_new(double, n);
    sim_hist *hs[CN_CLASS_COUNT][H_KINDS];
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        for (int h = 0; h < H_KINDS; h++)
            hs[k][h] = sim_hist_new();
    GError *err = NULL;
    for (gsize p = 0; p < b->n_points && !err; p++) {
        cn_config c;
        cn_scenario_config(b->sc, p, &c);
        double msg_bits = 8.0 * (double)(c.request_bytes + c.response_bytes);
        for (int v = 0; v < b->n_variants && !err; v++) {
            gsize j0 = (p * (gsize)b->n_variants + (gsize)v) * (gsize)n;
            const job_result *jr = &b->res[j0];
            for (int k = 0; k < CN_CLASS_COUNT; k++)
                for (int h = 0; h < H_KINDS; h++)
                    sim_hist_reset(hs[k][h]);
            load_group_hists(b, j0, hs, &err);
            for (int k = 0; k < CN_CLASS_COUNT && !err; k++) {
                if (!class_used(&c, k))
                    continue;
                write_prefix(out, b, p, v, &c);
                fprintf(out, ",%s,%d", cn_class_name((cn_class)k), n);
                for (gsize i = 0; i < G_N_ELEMENTS(summary_cols); i++) {
                    int mi = summary_cols[i].metric;
                    double sum = 0, mx = NAN, mean;
                    for (int r = 0; r < n; r++) {
                        xs[r] = jr[r].m[k][mi];
                        sum += isnan(xs[r]) ? 0 : xs[r];
                        mx = isnan(mx) || xs[r] > mx ? xs[r] : mx;
                    }
                    double half = ci95(xs, n, &mean), val = NAN;
                    const sim_hist *pooled = hs[k][H_ALL];
                    switch (summary_cols[i].how) {
                    case S_SUM:
                        val = sum;
                        break;
                    case S_MAX:
                        val = mx;
                        break;
                    case S_MEAN:
                        val = mean;
                        break;
                    case S_CI:
                        val = half;
                        break;
                    case S_POOLED:
                        val = sim_hist_count(pooled)
                                  ? sim_hist_quantile(pooled, summary_cols[i].q) / 1e3
                                  : NAN;
                        break;
                    case S_GBPS:
                        val = mean * msg_bits / 1e9;
                        break;
                    }
                    fputc(',', out);
                    if (isnan(val))
                        continue;
                    if (summary_cols[i].how == S_SUM || summary_cols[i].how == S_MAX)
                        fprintf(out, "%.0f", val);
                    else
                        cn_csv_double(out, val);
                }
                fputc('\n', out);
            }
        }
    }
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        for (int h = 0; h < H_KINDS; h++)
            sim_hist_free(hs[k][h]);
    if (err) {
        g_propagate_error(error, err);
        cn_outfile_abort(f);
        return FALSE;
    }
    return cn_outfile_commit(f, error);
}

static gboolean write_meta(const batch *b, const char *path, GError **error)
{
    cn_config c;
    cn_scenario_config(b->sc, 0, &c);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_string(kf, "cnisim", "version", CNISIM_VERSION);
    g_key_file_set_string(kf, "scenario", "name", c.name);
    g_key_file_set_string(kf, "scenario", "file", cn_scenario_path(b->sc));
    g_key_file_set_string(kf, "scenario", "sha256", cn_scenario_digest(b->sc));
    g_key_file_set_string(kf, "scenario", "command_line",
                          b->opt->command_line ? b->opt->command_line : "");
    g_key_file_set_uint64(kf, "scenario", "seed", c.seed);
    g_key_file_set_int64(kf, "scenario", "replications", c.replications);
    g_key_file_set_uint64(kf, "scenario", "points", b->n_points);
    g_key_file_set_integer(kf, "scenario", "variants", b->n_variants);
    GString *seeds = g_string_new(NULL);
    for (int r = 0; r < b->n_reps; r++)
        g_string_append_printf(seeds, "%s%" G_GUINT64_FORMAT, r ? "," : "",
                               cn_run_seed(&c, (uint32_t)r));
    g_key_file_set_string(kf, "scenario", "replication_seeds", seeds->str);
    g_string_free(seeds, TRUE);
    gsize len;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    fwrite(data, 1, len, cn_outfile_stream(f));
    return cn_outfile_commit(f, error);
}

/* ---- the output directory ---- */

char *cn_batch_default_dir(const cn_scenario *sc)
{
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    g_autofree char *name = g_strdup(c.name && *c.name ? c.name : "scenario");
    for (char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    if (name[0] == '.')
        name[0] = '_';
    return g_build_filename("out", name, NULL);
}

static gboolean in_shard(const batch *b, gsize j)
{
    if (b->opt->shard_count <= 0)
        return TRUE;
    return (int)(j % (gsize)b->opt->shard_count) == b->opt->shard_index - 1;
}

/* A directory that holds another scenario's output is not reused without
 * --force.  The owner is recorded in .parts/scenario at the start of a run. */
static gboolean prepare_dir(batch *b, GError **error)
{
    const char *dir = b->opt->out_dir;
    cn_config c;
    cn_scenario_config(b->sc, 0, &c);
    g_autofree char *owner_path = g_build_filename(b->parts_dir, "scenario", NULL);
    g_autofree char *meta_path = g_build_filename(dir, "meta.ini", NULL);
    /* The runs in .parts belong to the scenario file and its --set values:
     * a resume with other values must not reuse them. */
    GString *own = g_string_new(NULL);
    g_string_printf(own, "%s\n%s\n", c.name, cn_scenario_digest(b->sc));
    for (const char *const *s = b->opt->sets; s && *s; s++)
        g_string_append_printf(own, "set %s\n", *s);
    g_autofree char *owner = g_string_free(own, FALSE);
    g_autofree char *had = NULL;
    if (!g_file_get_contents(owner_path, &had, NULL, NULL)) {
        g_autoptr(GKeyFile) meta = g_key_file_new();
        if (g_key_file_load_from_file(meta, meta_path, G_KEY_FILE_NONE, NULL)) {
            g_autofree char *n = g_key_file_get_string(meta, "scenario", "name", NULL);
            g_autofree char *d = g_key_file_get_string(meta, "scenario", "sha256", NULL);
            had = g_strdup_printf("%s\n%s\n", n ? n : "", d ? d : "");
        }
    }
    if (had && strcmp(had, owner) != 0) {
        gboolean same_name =
            strncmp(had, c.name, strlen(c.name)) == 0 && had[strlen(c.name)] == '\n';
        if (b->opt->resume) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s: cannot resume: the directory holds runs of %s", dir,
                        same_name ? "a different version of this scenario file or "
                                    "other --set values"
                                  : "another scenario");
            return FALSE;
        }
        if (!same_name && !b->opt->force) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s: holds the output of another scenario; choose another -o or pass "
                        "--force to replace it",
                        dir);
            return FALSE;
        }
    }
    if (g_mkdir_with_parents(b->parts_dir, 0777) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "%s: cannot create the output directory: %s", dir, g_strerror(e));
        return FALSE;
    }
    gboolean same_owner = had && strcmp(had, owner) == 0;
    if (b->opt->shard_count > 0 && same_owner && !b->opt->resume) {
        /* A fresh start of one shard: forget only this shard's runs, the
         * other shards may share the directory. */
        for (gsize j = 0; j < b->n_jobs; j++)
            if (in_shard(b, j)) {
                g_autofree char *pp = part_path(b, j);
                unlink(pp);
            }
    } else if (!b->opt->resume || !same_owner) {
        /* A fresh start: forget runs left by an earlier batch, and the
         * outputs of another scenario or version (replaced with --force): an
         * interrupted run must not leave them looking like its own. */
        static const char *const outputs[] = {"summary.csv", "runs.csv", "ipam.csv", "meta.ini"};
        for (gsize i = 0; had && !same_owner && i < G_N_ELEMENTS(outputs); i++) {
            g_autofree char *op = g_build_filename(dir, outputs[i], NULL);
            unlink(op);
        }
        g_autoptr(GDir) d = g_dir_open(b->parts_dir, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d)))
            if (g_str_has_suffix(name, ".csv")) {
                g_autofree char *pp = g_build_filename(b->parts_dir, name, NULL);
                unlink(pp);
            }
    }
    /* Keep the scenario itself, so that shards can be merged anywhere. */
    gsize len;
    const char *text = cn_scenario_text(b->sc, &len);
    g_autofree char *copy = g_build_filename(b->parts_dir, "scenario.ini", NULL);
    g_autofree char *origin = g_build_filename(b->parts_dir, "origin", NULL);
    return g_file_set_contents(copy, text, (gssize)len, error) &&
           g_file_set_contents(origin, cn_scenario_path(b->sc), -1, error) &&
           g_file_set_contents(owner_path, owner, -1, error);
}

/* Copy the part files of other directories into this batch's. */
static gboolean gather_parts(batch *b, GError **error)
{
    for (const char *const *d = b->opt->merge_from; *d; d++) {
        g_autofree char *from = g_build_filename(*d, ".parts", NULL);
        g_autoptr(GDir) dir = g_dir_open(from, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            if (name[0] != 'p' || !g_str_has_suffix(name, ".csv"))
                continue;
            g_autofree char *src = g_build_filename(from, name, NULL);
            g_autofree char *dst = g_build_filename(b->parts_dir, name, NULL);
            g_autofree char *text = NULL;
            gsize len;
            if (!g_file_get_contents(src, &text, &len, error) ||
                !g_file_set_contents(dst, text, (gssize)len, error))
                return FALSE;
        }
    }
    return TRUE;
}

static gboolean finalize(batch *b, GError **error)
{
    const char *dir = b->opt->out_dir;
    g_autofree char *runs = g_build_filename(dir, "runs.csv", NULL);
    g_autofree char *summary = g_build_filename(dir, "summary.csv", NULL);
    g_autofree char *ipam = g_build_filename(dir, "ipam.csv", NULL);
    g_autofree char *meta = g_build_filename(dir, "meta.ini", NULL);
    return write_runs_csv(b, runs, error) && write_summary_csv(b, summary, error) &&
           cn_plan_write_ipam_csv(b->sc, ipam, error) && write_meta(b, meta, error);
}

cn_batch_status cn_batch_run(const cn_scenario *sc, const cn_batch_options *opt, GError **error)
{
    batch b = {0};
    b.sc = sc;
    b.opt = opt;
    cn_config c0;
    cn_scenario_config(sc, 0, &c0);
    b.n_points = cn_scenario_n_points(sc);
    b.n_variants = c0.n_variants;
    b.n_reps = (int)c0.replications;
    b.n_jobs = b.n_points * (gsize)b.n_variants * (gsize)b.n_reps;
    b.parts_dir = g_build_filename(opt->out_dir, ".parts", NULL);
    b.res = g_new0(job_result, b.n_jobs);
    g_mutex_init(&b.err_lock);
    cn_batch_status status = CN_BATCH_OK;
    cn_run_set_stop_flag(&stop_flag);

    /* Configurations that cannot be built are bad input: say so before the
     * output directory is touched. */
    for (gsize p = 0; p < b.n_points; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int v = 0; v < c.n_variants; v++)
            if (!cn_run_check(&c, &c.variants[v], error)) {
                status = CN_BATCH_BAD_INPUT;
                goto out;
            }
    }
    if (!prepare_dir(&b, error)) {
        status = CN_BATCH_BAD_INPUT;
        goto out;
    }
    if (opt->merge_from && !gather_parts(&b, error)) {
        status = CN_BATCH_FAILED;
        goto out;
    }
    gsize todo = 0, total = 0, done = 0;
    for (gsize j = 0; j < b.n_jobs; j++) {
        if (!in_shard(&b, j))
            continue;
        total++;
        if (opt->resume) {
            g_autofree char *pp = part_path(&b, j);
            if (read_part(pp, &b.res[j])) {
                done++;
                continue;
            }
        }
        todo++;
    }
    if (opt->merge_from && todo > 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                    " runs are in none of the directories merged; run the missing shards "
                    "(or cnisim run --resume -o %s)",
                    opt->out_dir, todo, total, opt->out_dir);
        status = CN_BATCH_FAILED;
        goto out;
    }
    b.done_q = g_async_queue_new();
    GThreadPool *pool = g_thread_pool_new(worker, &b, opt->threads, TRUE, NULL);
    for (gsize j = 0; j < b.n_jobs; j++)
        if (in_shard(&b, j) && !b.res[j].done)
            g_thread_pool_push(pool, GSIZE_TO_POINTER(j + 1), NULL);
    gint64 start = g_get_monotonic_time();
    progress(&b, done, total, start);
    for (gsize i = 0; i < todo; i++) {
        gboolean r = g_async_queue_pop(b.done_q) != (gpointer)&job_not_done;
        if (r)
            progress(&b, ++done, total, start);
        if (!r && !cn_batch_stop_requested() && b.first_error)
            cn_batch_request_stop(); /* a failed run ends the batch */
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    g_async_queue_unref(b.done_q);

    if (b.first_error) {
        g_propagate_error(error, b.first_error);
        b.first_error = NULL;
        status = CN_BATCH_FAILED;
        goto out;
    }
    if (done < total) {
        status = CN_BATCH_INTERRUPTED;
        g_set_error(error, CN_RUN_ERROR, CN_RUN_ERROR_CANCELLED,
                    "interrupted: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                    " runs finished and kept in %s; run again with --resume to finish",
                    done, total, opt->out_dir);
        goto out;
    }
    if (opt->shard_count > 0) {
        if (!opt->quiet)
            fprintf(stderr,
                    "shard %d/%d: %" G_GSIZE_FORMAT " runs kept in %s; join with 'cnisim merge'\n",
                    opt->shard_index, opt->shard_count, total, b.parts_dir);
        goto out;
    }
    if (!finalize(&b, error))
        status = CN_BATCH_FAILED;
out:
    g_mutex_clear(&b.err_lock);
    g_free(b.parts_dir);
    g_free(b.res);
    return status;
}

static char *read_parts_file(const char *dir, const char *name, gsize *len, GError **error)
{
    g_autofree char *p = g_build_filename(dir, ".parts", name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(p, &text, len, NULL)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: not a cnisim run directory (no .parts/%s)", dir, name);
        return NULL;
    }
    return text;
}

cn_batch_status cn_batch_merge(const char *const *dirs, const char *out_dir, gboolean force,
                               GError **error)
{
    gsize len, olen;
    g_autofree char *owner = read_parts_file(dirs[0], "scenario", &olen, error);
    g_autofree char *text = owner ? read_parts_file(dirs[0], "scenario.ini", &len, error) : NULL;
    g_autofree char *origin = text ? read_parts_file(dirs[0], "origin", &olen, error) : NULL;
    if (!origin)
        return CN_BATCH_BAD_INPUT;
    for (int i = 1; dirs[i]; i++) {
        g_autofree char *o = read_parts_file(dirs[i], "scenario", &olen, error);
        if (!o)
            return CN_BATCH_BAD_INPUT;
        if (strcmp(o, owner) != 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: holds runs of another scenario, file version or --set values "
                        "than %s; only shards of one run can be merged",
                        dirs[i], dirs[0]);
            return CN_BATCH_BAD_INPUT;
        }
    }
    /* The owner record lists the --set values after the name and digest. */
    g_auto(GStrv) lines = g_strsplit(owner, "\n", -1);
    GPtrArray *sets = g_ptr_array_new();
    for (int i = 2; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "set "))
            g_ptr_array_add(sets, lines[i] + 4);
    g_ptr_array_add(sets, NULL);
    cn_scenario *sc =
        cn_scenario_load_data(text, len, origin, (const char *const *)sets->pdata, error);
    if (!sc) {
        g_ptr_array_free(sets, TRUE);
        return CN_BATCH_BAD_INPUT;
    }
    cn_batch_options opt = {
        .out_dir = out_dir,
        .threads = 1,
        .resume = TRUE,
        .force = force,
        .quiet = TRUE,
        .command_line = "cnisim merge",
        .sets = (const char *const *)sets->pdata,
        .merge_from = dirs,
    };
    cn_batch_status st = cn_batch_run(sc, &opt, error);
    cn_scenario_free(sc);
    g_ptr_array_free(sets, TRUE);
    return st;
}
