#include "batch.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "calibration.h"
#include "cnisim-config.h"
#include "csvout.h"
#include "plan.h"
#include "run.h"
#include "timeseries.h"

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
    M_TXN_NEW,
    M_NEW_P50,
    M_NEW_P99,
    M_REUSED_P50,
    M_REUSED_P99,
    M_T_CT_DROP, /* transients (run-wide, the same on every class row) */
    M_T_SNAT_FAIL,
    M_ADMITTED_BEFORE,
    M_FAIL_RATE_AFTER,
    M_DISRUPTION_S,
    M_DISRUPTION_FAILED,
    M_COUNT
};

static const char *const metric_names[M_COUNT] = {
    "transactions",
    "failed",
    "throughput_rps",
    "latency_mean_us",
    "latency_p50_us",
    "latency_p90_us",
    "latency_p99_us",
    "latency_p999_us",
    "cpu_util_mean",
    "cpu_util_max",
    "conntrack_peak",
    "drops_conntrack",
    "snat_failures",
    "policy_drops",
    "ct_evictions",
    "lb_unprogrammed",
    "stale_failures",
    "rule_syncs",
    "sync_ms_mean",
    "cpu_us_per_txn",
    "cpu_us_per_txn_busiest",
    "transactions_new",
    "latency_new_p50_us",
    "latency_new_p99_us",
    "latency_reused_p50_us",
    "latency_reused_p99_us",
    "time_to_first_ct_drop_s",
    "time_to_first_snat_failure_s",
    "admitted_before_exhaustion",
    "failure_rate_after_exhaustion",
    "disruption_s",
    "disruption_failed",
};

/* Latency histograms kept per (run, class) in the part files, pooled over
 * the replications for the summary's quantiles. */
enum { H_ALL, H_NEW, H_REUSED, H_KINDS };
static const char *const hist_kinds[H_KINDS] = {"all", "new", "reused"};

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
    case M_TXN_NEW:
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
    GAsyncQueue *done_q;   /* job indices (+1) finished, or &job_not_done */
    volatile gint *sim_ms; /* per job: simulated ms reached while it runs, 0 otherwise */
    GMutex err_lock;
    GError *first_error;
    GPtrArray *made_dirs; /* directories prepare_dir created, outermost first */
    int lock_fd;          /* .parts/lock, locked; -1 before */
    gboolean made_lock;   /* the lock file was created by this process */
    gboolean same_owner;  /* the directory already held this configuration */
    /* the run log (.parts/runs.log) */
    char **text;       /* a finished run's record text, until the main thread logs it */
    gint64 *log_off;   /* where each job's record text is in the log */
    guint32 *log_len;  /* and its length */
    int log_fd;        /* -1 before it is opened */
    GString *log_buf;  /* records not yet written */
    gint64 log_size;   /* bytes written */
    gsize log_pending; /* records in log_buf */
    gint64 log_flushed_us;
} batch;

/* Part files are small (metrics and a few histograms): anything larger is
 * not one. */
#define PART_MAX_BYTES (16u << 20)
#define LOG_NAME       "runs.log"

static void job_coords(const batch *b, gsize j, gsize *point, int *variant, int *rep)
{
    *rep = (int)(j % (gsize)b->n_reps);
    *variant = (int)((j / (gsize)b->n_reps) % (gsize)b->n_variants);
    *point = j / ((gsize)b->n_reps * (gsize)b->n_variants);
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
    /* The busiest node's CPU as if every node were as loaded: the cost per
     * transaction that decides where the cluster saturates (its ratio to
     * the cluster-wide figure is the imbalance). */
    double busiest_s =
        r->cpu_util_max * (double)c->vcpus_per_node * (double)c->nodes * r->measured_s;
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
        const sim_hist *hn = cr->latency_new, *hr = cr->latency_reused;
        bool any_new = hn && sim_hist_count(hn) > 0, any_reused = hr && sim_hist_count(hr) > 0;
        m[M_TXN_NEW] = hn ? (double)sim_hist_count(hn) : 0;
        m[M_NEW_P50] = any_new ? sim_hist_quantile(hn, 0.5) / 1e3 : NAN;
        m[M_NEW_P99] = any_new ? sim_hist_quantile(hn, 0.99) / 1e3 : NAN;
        m[M_REUSED_P50] = any_reused ? sim_hist_quantile(hr, 0.5) / 1e3 : NAN;
        m[M_REUSED_P99] = any_reused ? sim_hist_quantile(hr, 0.99) / 1e3 : NAN;
        m[M_T_CT_DROP] = r->time_to_first_ct_drop_s;
        m[M_T_SNAT_FAIL] = r->time_to_first_snat_failure_s;
        m[M_ADMITTED_BEFORE] = r->admitted_before_exhaustion;
        m[M_FAIL_RATE_AFTER] = r->failure_rate_after_exhaustion;
        m[M_DISRUPTION_S] = r->disruption_s;
        m[M_DISRUPTION_FAILED] = r->disruption_failed;
        for (int i = 0; i < M_COUNT; i++)
            m[i] = is_count(i) ? m[i] : rounded(m[i]);
    }
}

/* Read a regular file, never through a symbolic link, of at most cap bytes. */
static gboolean read_regular(const char *path, gsize cap, char **text, gsize *len, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot read: %s", path,
                    e == ELOOP ? "a symbolic link (cnisim reads none)" : g_strerror(e));
        return FALSE;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size > cap) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: cannot read: not a regular file of at most %" G_GSIZE_FORMAT " bytes",
                    path, cap);
        close(fd);
        return FALSE;
    }
    gsize n = (gsize)st.st_size, got = 0;
    char *buf = g_malloc(n + 1);
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot read: %s",
                        path, g_strerror(e));
            g_free(buf);
            close(fd);
            return FALSE;
        }
        got += (gsize)r;
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    if (len)
        *len = n;
    return TRUE;
}

/* Write text to path through a fresh temporary and a rename. */
static gboolean write_small(const char *path, const char *text, gsize len, GError **error)
{
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    fwrite(text, 1, len, cn_outfile_stream(f));
    return cn_outfile_commit(f, error);
}

/* Add the latency histograms of a part file's text into hs[class][kind]. */
static gboolean hists_from_text(const char *text, const char *path,
                                sim_hist *hs[CN_CLASS_COUNT][H_KINDS], GError **error)
{
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

/* Metrics a part file may hold: finite and not negative (empty for an
 * undefined one), counts whole. */
static gboolean metric_ok(int i, double v)
{
    if (isnan(v))
        return !is_count(i);
    return isfinite(v) && v >= 0 && (!is_count(i) || v == floor(v));
}

/* Parse and check a part file's text (see write_part). */
static gboolean parse_part(const char *text, job_result *jr, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *why = NULL;
    int at = 1;
    char *end = NULL;
    if (!lines[0] || !g_str_has_prefix(lines[0], "seed,") ||
        (jr->seed = g_ascii_strtoull(lines[0] + 5, &end, 10), !end || *end || end == lines[0] + 5))
        why = "expected seed,N";
    for (int k = 0; !why && k < CN_CLASS_COUNT; k++) {
        at = k + 2;
        if (!lines[k + 1]) {
            why = "a class line is missing";
            break;
        }
        g_auto(GStrv) f = g_strsplit(lines[k + 1], ",", -1);
        if (g_strv_length(f) != M_COUNT + 1 || strcmp(f[0], cn_class_name((cn_class)k)) != 0) {
            why = "expected the class and its metrics";
            break;
        }
        for (int i = 0; i < M_COUNT; i++) {
            double v = NAN; /* undefined, written empty */
            if (*f[i + 1]) {
                v = g_ascii_strtod(f[i + 1], &end);
                if (*end)
                    v = -1;
            }
            if (!metric_ok(i, v)) {
                why = "a metric is not a number of its kind (negative, not finite, or not whole)";
                break;
            }
            jr->m[k][i] = v;
        }
    }
    for (int i = CN_CLASS_COUNT + 1; !why && lines[i]; i++) {
        at = i + 1;
        if (!*lines[i] && !lines[i + 1])
            break;
        if (!g_str_has_prefix(lines[i], "hist,") &&
            !g_str_has_prefix(lines[i], CN_TIMESERIES_PREFIX))
            why = "expected a latency histogram or an interval";
    }
    if (why) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "line %d: not a cnisim run record (%s); damaged or edited", at, why);
        return FALSE;
    }
    jr->done = TRUE;
    return TRUE;
}

static char *format_part(const job_result *jr, const cn_config *c, const cn_run_result *rr);

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
    cn_run_set_progress(&b->sim_ms[j]);
    gboolean ok = cn_run(&c, &c.variants[v], (uint32_t)r, &rr, &err);
    cn_run_set_progress(NULL);
    g_atomic_int_set(&b->sim_ms[j], 0);
    if (ok) {
        fill_result(&b->res[j], &rr, &c);
        if (rr.backlog_stopped)
            fprintf(stderr,
                    "cnisim: warning: point %" G_GSIZE_FORMAT
                    ", variant %s, replication %d: the open loop is past saturation (%d "
                    "transactions waiting); the run stopped after %.3g measured s\n",
                    p + 1, c.variants[v].name, r + 1, CN_OPEN_BACKLOG_MAX, rr.measured_s);
        b->text[j] = format_part(&b->res[j], &c, &rr);
        cn_run_result_clear(&rr);
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

/* Simulated seconds a job runs for (warm-up included). */
static double job_sim_s(const batch *b, gsize j)
{
    gsize p;
    int v, r;
    job_coords(b, j, &p, &v, &r);
    cn_config c;
    cn_scenario_config(b->sc, p, &c);
    return c.warmup_s + c.duration_s;
}

/* The progress line: runs done, simulated time of the runs in flight,
 * elapsed, and an ETA from the simulated seconds still to do at the rate
 * simulated so far (so it moves within a long run, not only between runs). */
typedef struct {
    gint64 start_us;   /* when the batch started */
    double todo_sim_s; /* simulated seconds of the runs to do at the start */
    double done_sim_s; /* of those finished since */
} progress_state;

static void progress(const batch *b, gsize done, gsize total, const progress_state *ps)
{
    if (b->opt->quiet || !isatty(STDERR_FILENO))
        return;
    double el = (double)(g_get_monotonic_time() - ps->start_us) / 1e6;
    double flight_s = 0;
    guint running = 0;
    for (gsize j = 0; j < b->n_jobs; j++) {
        gint ms = g_atomic_int_get(&b->sim_ms[j]);
        if (ms > 0)
            flight_s += ms / 1e3, running++;
    }
    double sim_done = ps->done_sim_s + flight_s;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT " runs", fill,
            "==============================", width - fill, "", done, total);
    if (running)
        fprintf(stderr, ", %u running at %.3g simulated s", running, flight_s);
    fprintf(stderr, ", %.0fs elapsed", el);
    if (done < total && sim_done > 0 && el > 0.5)
        fprintf(stderr, ", ETA %.0fs", el / sim_done * (ps->todo_sim_s - sim_done));
    fputs("   ", stderr);
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

/* The summary's columns after `class,replications` (summary-cols.def): the
 * required ones, then the extras.  Each names the metric it is made of and
 * how. */
typedef enum {
    S_SUM,           /* total over replications (a count) */
    S_MAX,           /* largest over replications (a count) */
    S_MEAN,          /* mean of the replications' values */
    S_CI,            /* half-width of the 95% interval of that mean */
    S_POOLED,        /* quantile of the replications' merged histograms */
    S_POOLED_NEW,    /* the same, of the transactions that opened a connection */
    S_POOLED_REUSED, /* the same, of those on an open connection */
    S_GBPS,          /* throughput x (request + response bytes), in Gbit/s */
} summary_how;

static const struct {
    const char *name;
    int metric;
    summary_how how;
    double q; /* S_POOLED: the quantile */
} summary_cols[] = {
#define SUMMARY_COL(id, name, required, metric, how, q) {name, metric, how, q},
#include "summary-cols.def"
#undef SUMMARY_COL
};

static char *log_read_text(const batch *b, gsize j, GError **error);

static void load_group_hists(const batch *b, gsize j0, sim_hist *hs[CN_CLASS_COUNT][H_KINDS],
                             GError **error)
{
    for (int r = 0; r < b->n_reps && !*error; r++) {
        g_autofree char *text = log_read_text(b, j0 + (gsize)r, error);
        if (text)
            hists_from_text(text, b->parts_dir, hs, error);
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
                    case S_POOLED_NEW:
                    case S_POOLED_REUSED:
                        pooled = hs[k][summary_cols[i].how == S_POOLED       ? H_ALL
                                       : summary_cols[i].how == S_POOLED_NEW ? H_NEW
                                                                             : H_REUSED];
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
    if (c.n_events) {
        /* For the report: a scenario with events leads with its disruption
         * window, or says why it has none. */
        g_autoptr(GPtrArray) names = g_ptr_array_new(), at = g_ptr_array_new_with_free_func(g_free);
        for (int e = 0; e < c.n_events; e++) {
            char t[CN_CSV_DOUBLE_BUF];
            cn_csv_format_double(t, c.events[e].at_s);
            g_ptr_array_add(names, (gpointer)c.events[e].name);
            g_ptr_array_add(at, g_strdup(t));
        }
        g_key_file_set_string_list(kf, "scenario", "events", (const char *const *)names->pdata,
                                   names->len);
        g_key_file_set_string_list(kf, "scenario", "event_at_s", (const char *const *)at->pdata,
                                   at->len);
    }
    if (c.report_baseline)
        g_key_file_set_string(kf, "report", "baseline", c.report_baseline);
    if (c.report_headline)
        g_key_file_set_string(kf, "report", "headline", c.report_headline);
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

/* Errors of the file system that are not the user's input: exit 1. */
static gboolean is_io_errno(int e)
{
    return e == ENOSPC || e == EIO || e == EDQUOT || e == ENOMEM || e == EMFILE || e == ENFILE;
}

static cn_batch_status errno_status(int e)
{
    return is_io_errno(e) ? CN_BATCH_FAILED : CN_BATCH_BAD_INPUT;
}

/* The calibration a run was made with: the built-in table (names, defaults,
 * ranges).  [costs] overrides are part of the scenario digest and the --set
 * list, which the owner record holds too. */
static const char *calibration_fingerprint(void)
{
    static char *fp;
    if (g_once_init_enter(&fp)) {
        GString *g = g_string_new(NULL);
        for (int i = 0; i < CAL_COUNT; i++)
            g_string_append_printf(g, "%s=%.17g,%.17g,%.17g\n", cn_cal_table[i].name,
                                   cn_cal_table[i].value, cn_cal_table[i].min, cn_cal_table[i].max);
        char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA256, g->str, (gssize)g->len);
        g_string_free(g, TRUE);
        g_once_init_leave(&fp, d);
    }
    return fp;
}

/* The owner record (.parts/owner.ini): which configuration the runs in the
 * directory belong to. */
typedef struct {
    char *name, *sha256, *version, *calibration;
    char **sets; /* NULL-terminated */
} owner_rec;

static void owner_clear(owner_rec *o)
{
    g_free(o->name);
    g_free(o->sha256);
    g_free(o->version);
    g_free(o->calibration);
    g_strfreev(o->sets);
    memset(o, 0, sizeof *o);
}

static void owner_of(const cn_scenario *sc, const char *const *sets, owner_rec *o)
{
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    o->name = g_strdup(c.name);
    o->sha256 = g_strdup(cn_scenario_digest(sc));
    o->version = g_strdup(CNISIM_VERSION);
    o->calibration = g_strdup(calibration_fingerprint());
    o->sets = g_strdupv((char **)(sets ? sets : (const char *const[]){NULL}));
}

static char *owner_to_data(const owner_rec *o, gsize *len)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_string(kf, "owner", "name", o->name);
    g_key_file_set_string(kf, "owner", "scenario_sha256", o->sha256);
    g_key_file_set_string(kf, "owner", "cnisim_version", o->version);
    g_key_file_set_string(kf, "owner", "calibration_sha256", o->calibration);
    g_key_file_set_integer(kf, "owner", "sets", (gint)g_strv_length(o->sets));
    for (guint i = 0; o->sets[i]; i++) {
        g_autofree char *k = g_strdup_printf("set%u", i + 1);
        g_key_file_set_string(kf, "owner", k, o->sets[i]);
    }
    return g_key_file_to_data(kf, len, NULL);
}

static gboolean owner_parse(const char *text, gsize len, owner_rec *o)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, NULL))
        return FALSE;
    o->name = g_key_file_get_string(kf, "owner", "name", NULL);
    o->sha256 = g_key_file_get_string(kf, "owner", "scenario_sha256", NULL);
    o->version = g_key_file_get_string(kf, "owner", "cnisim_version", NULL);
    o->calibration = g_key_file_get_string(kf, "owner", "calibration_sha256", NULL);
    GError *e = NULL;
    gint n = g_key_file_get_integer(kf, "owner", "sets", &e);
    if (e || n < 0 || n > 100000 || !o->name || !o->sha256 || !o->version || !o->calibration) {
        g_clear_error(&e);
        owner_clear(o);
        return FALSE;
    }
    o->sets = g_new0(char *, (gsize)n + 1);
    for (gint i = 0; i < n; i++) {
        g_autofree char *k = g_strdup_printf("set%d", i + 1);
        o->sets[i] = g_key_file_get_string(kf, "owner", k, NULL);
        if (!o->sets[i]) {
            owner_clear(o);
            return FALSE;
        }
    }
    return TRUE;
}

/* NULL if a and b are the same configuration, else what differs. */
static const char *owner_diff(const owner_rec *a, const owner_rec *b)
{
    if (strcmp(a->name, b->name) != 0)
        return "another scenario";
    if (strcmp(a->sha256, b->sha256) != 0)
        return "a different version of this scenario file";
    if (!g_strv_equal((const char *const *)a->sets, (const char *const *)b->sets))
        return "other --set values";
    if (strcmp(a->version, b->version) != 0)
        return "another cnisim version";
    if (strcmp(a->calibration, b->calibration) != 0)
        return "another calibration table";
    return NULL;
}

/* "scenario X (file sha256 0123abcd..., --set a=b, cnisim 0.1.0)", with
 * control characters shown as escapes. */
static char *owner_describe(const owner_rec *o)
{
    GString *g = g_string_new(NULL);
    g_string_append_printf(g, "scenario '%s' (file sha256 %.12s", o->name, o->sha256);
    for (char **s = o->sets; *s; s++)
        g_string_append_printf(g, ", --set %s", *s);
    g_string_append_printf(g, ", cnisim %s)", o->version);
    char *r = g_strescape(g->str, "\"'");
    g_string_free(g, TRUE);
    return r;
}

/* Delete the part files (one file per run) of cnisim versions before the
 * run log; lstat so a link is removed, never followed. */
static void remove_legacy_parts(const batch *b)
{
    g_autoptr(GDir) d = g_dir_open(b->parts_dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        if (name[0] != 'p' || !g_str_has_suffix(name, ".csv"))
            continue;
        g_autofree char *pp = g_build_filename(b->parts_dir, name, NULL);
        struct stat st;
        if (lstat(pp, &st) == 0 && !S_ISDIR(st.st_mode))
            unlink(pp);
    }
}

static const char *const outputs[] = {"runs.csv", "summary.csv", "ipam.csv", "meta.ini"};

/* Make dir and its missing parents, remembering the ones made so that a
 * refusal can take them away again. */
static gboolean make_dirs(batch *b, const char *dir, int *err)
{
    struct stat st;
    if (lstat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            *err = ENOTDIR;
            return FALSE;
        }
        return TRUE;
    }
    if (errno != ENOENT) {
        *err = errno;
        return FALSE;
    }
    g_autofree char *parent = g_path_get_dirname(dir);
    if (strcmp(parent, dir) != 0 && !make_dirs(b, parent, err))
        return FALSE;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        *err = errno;
        return FALSE;
    }
    g_ptr_array_add(b->made_dirs, g_strdup(dir));
    return TRUE;
}

/* A refusal leaves nothing behind: remove what prepare_dir made. */
static void unmake_dirs(batch *b)
{
    if (b->lock_fd >= 0 && b->made_lock) {
        g_autofree char *lock = g_build_filename(b->parts_dir, "lock", NULL);
        unlink(lock);
    }
    for (guint i = b->made_dirs->len; i-- > 0;)
        rmdir(g_ptr_array_index(b->made_dirs, i));
    g_ptr_array_set_size(b->made_dirs, 0);
}

/* Whether dir holds nothing but what prepare_dir writes before the owner
 * record (a process killed in between): the lock, the scenario copy, its
 * origin, temporaries. */
static gboolean only_cnisim_files(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        if (strcmp(name, "lock") != 0 && strcmp(name, "scenario.ini") != 0 &&
            strcmp(name, "origin") != 0 && !strstr(name, ".tmp"))
            return FALSE;
    return d != NULL;
}

static gboolean dir_is_empty(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    return d && g_dir_read_name(d) == NULL;
}

/* Take the directory's lock (a POSIX record lock on .parts/lock, held until
 * the process ends or the batch closes it): one run, resume or merge at a
 * time.  A record lock, unlike flock, tells who holds it. */
static cn_batch_status take_lock(batch *b, GError **error)
{
    const char *dir = b->opt->out_dir;
    g_autofree char *lock = g_build_filename(b->parts_dir, "lock", NULL);
    struct stat st;
    b->made_lock = lstat(lock, &st) != 0;
    b->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (b->lock_fd < 0 || fstat(b->lock_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = b->lock_fd < 0 ? errno : EINVAL;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot lock: %s", lock,
                    e == ELOOP ? "a symbolic link" : g_strerror(e));
        return errno_status(e);
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(b->lock_fd, F_SETLK, &fl) == 0)
        return CN_BATCH_OK;
    int e = errno;
    struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if ((e == EACCES || e == EAGAIN) && fcntl(b->lock_fd, F_GETLK, &who) == 0 &&
        who.l_type != F_UNLCK) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: in use by cnisim process %ld (a run, resume or merge); wait for it to "
                    "finish or choose another -o (--force does not override a live lock)",
                    dir, (long)who.l_pid);
        return CN_BATCH_BAD_INPUT;
    }
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot lock: %s", lock,
                g_strerror(e));
    return errno_status(e);
}

/* Check that the directory is cnisim's, lock it, and decide what its runs
 * are worth: a directory holding another configuration's results is not
 * reused without --force (and never resumed); one cnisim did not make is
 * never written in; .parts must be a real directory. */
static cn_batch_status prepare_dir(batch *b, GError **error)
{
    const char *dir = b->opt->out_dir;
    const gboolean merging = b->opt->merge_from != NULL;
    if (!*dir) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "-o '': expected an output directory name");
        return CN_BATCH_BAD_INPUT;
    }
    struct stat st;
    if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: is a symbolic link; cnisim writes through none (give the directory it "
                    "points to)",
                    dir);
        return CN_BATCH_BAD_INPUT;
    }
    int e = 0;
    if (!make_dirs(b, dir, &e)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "%s: cannot create the output directory: %s", dir, g_strerror(e));
        unmake_dirs(b);
        return errno_status(e);
    }
    gboolean made_dir = b->made_dirs->len > 0;
    if (lstat(b->parts_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: is %s, not a directory cnisim made; remove it or choose another -o",
                        b->parts_dir, S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
            return CN_BATCH_BAD_INPUT;
        }
    } else if (!made_dir && !dir_is_empty(dir)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: is not empty and was not made by cnisim (no .parts/); choose a new or "
                    "empty directory",
                    dir);
        return CN_BATCH_BAD_INPUT;
    } else if (!make_dirs(b, b->parts_dir, &e)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "%s: cannot create the output directory: %s", dir, g_strerror(e));
        unmake_dirs(b);
        return errno_status(e);
    }
    cn_batch_status st_lock = take_lock(b, error);
    if (st_lock != CN_BATCH_OK) {
        if (b->lock_fd >= 0)
            close(b->lock_fd);
        b->lock_fd = -1;
        unmake_dirs(b);
        return st_lock;
    }

    /* Locked: what does the directory hold? */
    owner_rec mine = {0}, had = {0};
    owner_of(b->sc, b->opt->sets, &mine);
    g_autofree char *owner_path = g_build_filename(b->parts_dir, "owner.ini", NULL);
    g_autofree char *legacy = g_build_filename(b->parts_dir, "scenario", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    gboolean has_owner = read_regular(owner_path, 1 << 20, &text, &len, NULL);
    gboolean has_record = has_owner && owner_parse(text, len, &had);
    const char *diff = NULL;
    if (has_record) {
        diff = owner_diff(&had, &mine);
    } else if (has_owner || (lstat(legacy, &st) == 0 && S_ISREG(st.st_mode))) {
        diff = "an unknown configuration (an older cnisim, or a damaged owner record)";
        has_owner = TRUE;
    } else if (!only_cnisim_files(b->parts_dir)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: was not made by cnisim (no owner record, other files); remove it or "
                    "choose another -o",
                    b->parts_dir);
        owner_clear(&mine);
        return CN_BATCH_BAD_INPUT;
    }
    cn_batch_status status = CN_BATCH_OK;
    if (diff) {
        g_autofree char *was =
            has_record ? owner_describe(&had) : g_strdup("results without a valid owner record");
        g_autofree char *now = owner_describe(&mine);
        if (b->opt->resume && !merging) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s: cannot resume: the directory holds runs of %s: %s, not %s", dir, diff,
                        was, now);
            status = CN_BATCH_BAD_INPUT;
        } else if (!b->opt->force) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s: holds the output of %s: %s, not %s; choose another -o or pass "
                        "--force to replace it",
                        dir, diff, was, now);
            status = CN_BATCH_BAD_INPUT;
        }
    }
    owner_clear(&had);
    if (status != CN_BATCH_OK) {
        owner_clear(&mine);
        return status;
    }
    b->same_owner = has_owner && !diff;

    /* Ours now.  Temporary files of a killed process go first. */
    cn_outfile_remove_stale(dir);
    cn_outfile_remove_stale(b->parts_dir);
    if (!b->same_owner) {
        /* Replacing another configuration (--force): its outputs and runs
         * must not be left looking like this one's. */
        for (gsize i = 0; i < G_N_ELEMENTS(outputs); i++) {
            g_autofree char *op = g_build_filename(dir, outputs[i], NULL);
            g_autofree char *staged = g_build_filename(b->parts_dir, outputs[i], NULL);
            unlink(op);
            unlink(staged);
        }
        g_autofree char *ts = g_build_filename(dir, "timeseries.csv", NULL);
        g_autofree char *ts_staged = g_build_filename(b->parts_dir, "timeseries.csv", NULL);
        unlink(ts);
        unlink(ts_staged);
        g_autofree char *log = g_build_filename(b->parts_dir, LOG_NAME, NULL);
        unlink(log);
        unlink(legacy);
    }
    /* Which runs of the log are kept is decided by log_open. */
    remove_legacy_parts(b);

    /* Keep the scenario itself, so that shards can be merged anywhere; the
     * owner record last, once the rest is in place. */
    gsize slen;
    const char *stext = cn_scenario_text(b->sc, &slen);
    g_autofree char *copy = g_build_filename(b->parts_dir, "scenario.ini", NULL);
    g_autofree char *origin = g_build_filename(b->parts_dir, "origin", NULL);
    const char *opath = cn_scenario_path(b->sc);
    gsize olen;
    g_autofree char *odata = owner_to_data(&mine, &olen);
    owner_clear(&mine);
    GError *werr = NULL;
    if (!write_small(copy, stext, slen, &werr) ||
        !write_small(origin, opath, strlen(opath), &werr) ||
        !write_small(owner_path, odata, olen, &werr)) {
        int code = werr->code;
        g_propagate_error(error, werr);
        return code == G_FILE_ERROR_NOSPC || code == G_FILE_ERROR_IO ? CN_BATCH_FAILED
                                                                     : CN_BATCH_BAD_INPUT;
    }
    return CN_BATCH_OK;
}

/* A source directory of merge: a real .parts made by cnisim, its scenario
 * copy matching the digest its owner record names. */
static cn_batch_status check_source(const char *dir, owner_rec *o, char **text, gsize *len,
                                    char **origin, GError **error)
{
    g_autofree char *parts = g_build_filename(dir, ".parts", NULL);
    struct stat st;
    if (lstat(parts, &st) != 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: not a cnisim run directory (.parts/ %s)", dir,
                    errno == ENOENT || lstat(parts, &st) != 0 ? "missing"
                    : S_ISLNK(st.st_mode)                     ? "is a symbolic link"
                                                              : "is not a directory");
        return CN_BATCH_BAD_INPUT;
    }
    g_autofree char *op = g_build_filename(parts, "owner.ini", NULL);
    g_autofree char *sp = g_build_filename(parts, "scenario.ini", NULL);
    g_autofree char *orp = g_build_filename(parts, "origin", NULL);
    g_autofree char *otext = NULL;
    gsize olen;
    if (!read_regular(op, 1 << 20, &otext, &olen, NULL) || !owner_parse(otext, olen, o)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: not a cnisim run directory of this version (no valid .parts/owner.ini)",
                    dir);
        return CN_BATCH_BAD_INPUT;
    }
    if (!read_regular(sp, CN_SCENARIO_MAX_BYTES, text, len, error) ||
        !read_regular(orp, 1 << 16, origin, NULL, error))
        return CN_BATCH_BAD_INPUT;
    g_autofree char *d =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)*text, *len);
    if (strcmp(d, o->sha256) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: .parts/scenario.ini does not match the digest its runs were made with "
                    "(edited?); refusing to label them with it",
                    dir);
        return CN_BATCH_BAD_INPUT;
    }
    if (strcmp(o->version, CNISIM_VERSION) != 0 ||
        strcmp(o->calibration, calibration_fingerprint()) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: runs made by cnisim %s with another calibration table or version than "
                    "this cnisim %s; rerun that shard",
                    dir, o->version, CNISIM_VERSION);
        return CN_BATCH_BAD_INPUT;
    }
    return CN_BATCH_OK;
}

/* A variant that completed no transaction anywhere is a result (e.g. every
 * SNAT port taken), not a failure of the simulation: the batch succeeds,
 * and says so, and the report marks the variant. */
static void warn_all_failing(const batch *b)
{
    for (int v = 0; v < b->n_variants; v++) {
        double done = 0, failed = 0;
        for (gsize j = 0; j < b->n_jobs; j++) {
            gsize p;
            int jv, r;
            job_coords(b, j, &p, &jv, &r);
            if (jv != v)
                continue;
            for (int k = 0; k < CN_CLASS_COUNT; k++) {
                done += b->res[j].m[k][M_TRANSACTIONS];
                failed += b->res[j].m[k][M_FAILED];
            }
        }
        if (done == 0 && failed > 0) {
            cn_config c;
            cn_scenario_config(b->sc, 0, &c);
            fprintf(stderr,
                    "cnisim: warning: variant %s completed no transaction (%.0f failed); "
                    "see the failure counters in summary.csv\n",
                    c.variants[v].name, failed);
        }
    }
}

/* ---- the run log: .parts/runs.log ----
 *
 * Finished runs are appended to one file instead of one file each (a batch
 * of 100,000 tiny runs spent most of its time creating part files).  A
 * record is a header line "run JOB LENGTH CHECK" and LENGTH bytes of the
 * run's text (format_part); CHECK is the FNV-1a hash of the text, so a
 * record torn by a crash is recognised.  The main thread appends, and
 * writes and fdatasyncs in batches (LOG_BATCH records, LOG_BATCH_US, or at
 * the end and on an interrupt): a crash loses at most the last batch, whose
 * runs are run again.  At each start the log is rebuilt into a new file
 * holding the records kept (resume, the other shards, merged shards) and
 * renamed into place, which also drops a torn tail. */

#define LOG_BATCH    256
#define LOG_BATCH_US G_USEC_PER_SEC

static guint32 fnv1a(const char *s, gsize n)
{
    guint32 h = 2166136261u;
    for (gsize i = 0; i < n; i++) {
        h ^= (guint8)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The text of a finished run: "seed,<n>", then one line per class:
 * "class,m0,m1,...", then "hist,class,kind,<sim_hist text>" for each
 * non-empty latency histogram (the pooled quantiles of the summary are read
 * back from these), then the run's intervals as "ts," lines. */
static char *format_part(const job_result *jr, const cn_config *c, const cn_run_result *rr)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
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
        const sim_hist *hs[H_KINDS] = {rr->cls[k].latency, rr->cls[k].latency_new,
                                       rr->cls[k].latency_reused};
        for (int h = 0; h < H_KINDS; h++) {
            if (!hs[h] || sim_hist_count(hs[h]) == 0)
                continue;
            g_autofree char *text = sim_hist_to_text(hs[h]);
            fprintf(out, "hist,%s,%s,%s\n", cn_class_name((cn_class)k), hist_kinds[h], text);
        }
    }
    cn_timeseries_write_part(out, c, rr); /* its intervals, as "ts," lines */
    fclose(out);
    return buf; /* malloc'd by open_memstream: free() */
}

/* Queue a record for the log; its text will sit at log_off[j]. */
static void log_append(batch *b, gsize j, const char *text, gsize len)
{
    g_string_append_printf(b->log_buf, "run %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %08x\n", j, len,
                           fnv1a(text, len));
    b->log_off[j] = b->log_size + (gint64)b->log_buf->len;
    b->log_len[j] = (guint32)len;
    g_string_append_len(b->log_buf, text, (gssize)len);
    b->log_pending++;
}

/* Write the queued records and make them durable. */
static gboolean log_flush(batch *b, GError **error)
{
    gsize done = 0;
    while (done < b->log_buf->len) {
        ssize_t w = write(b->log_fd, b->log_buf->str + done, b->log_buf->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s/%s: cannot write: %s",
                        b->parts_dir, LOG_NAME, g_strerror(e));
            return FALSE;
        }
        done += (gsize)w;
    }
    b->log_size += (gint64)b->log_buf->len;
    g_string_truncate(b->log_buf, 0);
    if (b->log_pending > 0 && fdatasync(b->log_fd) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s/%s: cannot write: %s",
                    b->parts_dir, LOG_NAME, g_strerror(e));
        return FALSE;
    }
    b->log_pending = 0;
    b->log_flushed_us = g_get_monotonic_time();
    return TRUE;
}

static gboolean log_flush_due(const batch *b)
{
    return b->log_pending >= LOG_BATCH || b->log_buf->len >= (4u << 20) ||
           (b->log_pending > 0 && g_get_monotonic_time() - b->log_flushed_us >= LOG_BATCH_US);
}

/* Read the records of the log at path, calling keep() on each valid one
 * and appending those it accepts to this batch's new log.  strict: a bad
 * record is an error (a shard merged); otherwise the log ends there (a torn
 * tail: its runs are run again). */
static cn_batch_status log_scan(batch *b, const char *path, gboolean strict,
                                gboolean (*keep)(const batch *, gsize), GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return CN_BATCH_OK; /* no runs yet */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: cannot read: %s", path,
                    e == ELOOP ? "a symbolic link (cnisim reads none)" : "not a regular file");
        return CN_BATCH_BAD_INPUT;
    }
    FILE *in = fdopen(fd, "r");
    char *line = NULL, *text = NULL;
    size_t cap = 0;
    gsize text_cap = 0, rec = 0;
    cn_batch_status status = CN_BATCH_OK;
    const char *why = NULL;
    for (;;) {
        ssize_t n = getline(&line, &cap, in);
        if (n < 0)
            break;
        rec++;
        gsize j = 0, len = 0;
        unsigned check = 0;
        int end = 0;
        if (sscanf(line, "run %" G_GSIZE_MODIFIER "u %" G_GSIZE_MODIFIER "u %8x%n", &j, &len,
                   &check, &end) != 3 ||
            line[end] != '\n' || j >= b->n_jobs || len > PART_MAX_BYTES) {
            why = "not a run record header";
            break;
        }
        if (len + 1 > text_cap) {
            text_cap = len + 1;
            text = g_realloc(text, text_cap);
        }
        if (fread(text, 1, len, in) != len) {
            why = "a record cut short";
            break;
        }
        text[len] = '\0';
        job_result jr = {0};
        GError *perr = NULL;
        if (fnv1a(text, len) != check) {
            why = "a record whose check does not match (damaged or edited)";
            break;
        }
        if (!parse_part(text, &jr, &perr)) {
            why = "a record that is not a cnisim run (damaged or edited)";
            g_clear_error(&perr);
            break;
        }
        if (b->res[j].done || (keep && !keep(b, j)))
            continue;
        b->res[j] = jr;
        log_append(b, j, text, len);
        if (log_flush_due(b) && !log_flush(b, error)) {
            status = CN_BATCH_FAILED;
            break;
        }
    }
    if (why && strict) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: record %" G_GSIZE_FORMAT ": %s",
                    path, rec, why);
        status = CN_BATCH_BAD_INPUT;
    }
    free(line);
    g_free(text);
    fclose(in);
    return status;
}

static gboolean keep_other_shards(const batch *b, gsize j)
{
    return !in_shard(b, j);
}

/* Start this batch's log: a new file with the records kept from the old
 * one (all on --resume or merge, the other shards' on a fresh shard, none
 * on a fresh start) and from merged shards, renamed into place. */
static cn_batch_status log_open(batch *b, GError **error)
{
    g_autofree char *path = g_build_filename(b->parts_dir, LOG_NAME, NULL);
    g_autofree char *tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
    b->log_fd = g_mkstemp_full(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (b->log_fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", path,
                    g_strerror(e));
        return errno_status(e);
    }
    b->log_buf = g_string_new(NULL);
    b->log_flushed_us = g_get_monotonic_time();
    const gboolean merging = b->opt->merge_from != NULL;
    cn_batch_status st = CN_BATCH_OK;
    if (b->same_owner && (b->opt->resume || merging))
        st = log_scan(b, path, FALSE, NULL, error);
    else if (b->same_owner && b->opt->shard_count > 0)
        st = log_scan(b, path, FALSE, keep_other_shards, error);
    for (const char *const *d = b->opt->merge_from; st == CN_BATCH_OK && d && *d; d++) {
        g_autofree char *src = g_build_filename(*d, ".parts", LOG_NAME, NULL);
        st = log_scan(b, src, TRUE, NULL, error);
    }
    if (st == CN_BATCH_OK && !log_flush(b, error))
        st = CN_BATCH_FAILED;
    if (st == CN_BATCH_OK && rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", path,
                    g_strerror(e));
        st = CN_BATCH_FAILED;
    }
    if (st != CN_BATCH_OK)
        unlink(tmp);
    return st;
}

/* The text of job j's record, read back from the log. */
static char *log_read_text(const batch *b, gsize j, GError **error)
{
    gsize len = b->log_len[j];
    char *text = g_malloc(len + 1);
    gsize got = 0;
    while (got < len) {
        ssize_t r = pread(b->log_fd, text + got, len - got, (off_t)(b->log_off[j] + (gint64)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s/%s: cannot read: %s",
                        b->parts_dir, LOG_NAME, r < 0 ? g_strerror(errno) : "cut short");
            g_free(text);
            return NULL;
        }
        got += (gsize)r;
    }
    text[len] = '\0';
    return text;
}

static char *ts_text(gconstpointer ctx, gsize job, GError **error)
{
    return log_read_text(ctx, job, error);
}

/* The outputs (timeseries.csv too, when intervals are on) are written in
 * .parts first, then renamed into place, meta.ini last: an interrupted or
 * failed publish leaves no meta.ini and none of the others, and a meta.ini
 * means the set beside it is complete. */
static gboolean finalize(batch *b, GError **error)
{
    const char *dir = b->opt->out_dir;
    char *staged[G_N_ELEMENTS(outputs)], *final[G_N_ELEMENTS(outputs)];
    for (gsize i = 0; i < G_N_ELEMENTS(outputs); i++) {
        staged[i] = g_build_filename(b->parts_dir, outputs[i], NULL);
        final[i] = g_build_filename(dir, outputs[i], NULL);
    }
    gboolean with_ts = cn_timeseries_enabled(b->sc);
    g_autofree char *ts = g_build_filename(dir, "timeseries.csv", NULL);
    g_autofree char *ts_staged = g_build_filename(b->parts_dir, "timeseries.csv", NULL);
    if (!with_ts)
        unlink(ts); /* not one left by an earlier configuration */
    gboolean ok = (!with_ts || cn_timeseries_write_csv(b->sc, ts_text, b, ts_staged, error)) &&
                  write_runs_csv(b, staged[0], error) && write_summary_csv(b, staged[1], error) &&
                  cn_plan_write_ipam_csv(b->sc, staged[2], error) &&
                  write_meta(b, staged[3], error);
    if (ok && unlink(final[3]) != 0 && errno != ENOENT) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot replace: %s",
                    final[3], g_strerror(errno));
        ok = FALSE;
    }
    gboolean ts_published = FALSE;
    if (ok && with_ts) {
        ts_published = rename(ts_staged, ts) == 0;
        if (!ts_published) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot write: %s",
                        ts, g_strerror(errno));
            ok = FALSE;
        }
    }
    gsize published = 0;
    for (; ok && published < G_N_ELEMENTS(outputs); published++)
        if (rename(staged[published], final[published]) != 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot write: %s",
                        final[published], g_strerror(errno));
            ok = FALSE;
            break;
        }
    if (!ok && with_ts)
        unlink(ts_published ? ts : ts_staged);
    for (gsize i = 0; i < G_N_ELEMENTS(outputs); i++) {
        if (!ok)
            unlink(i < published ? final[i] : staged[i]);
        g_free(staged[i]);
        g_free(final[i]);
    }
    return ok;
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
    b.made_dirs = g_ptr_array_new_with_free_func(g_free);
    b.lock_fd = -1;
    b.log_fd = -1;
    b.text = g_new0(char *, b.n_jobs);
    b.log_off = g_new0(gint64, b.n_jobs);
    b.log_len = g_new0(guint32, b.n_jobs);
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
    {
        cn_config c;
        cn_scenario_config(sc, 0, &c);
        if (!cn_report_check_headline(cn_scenario_path(sc), c.report_headline, error)) {
            status = CN_BATCH_BAD_INPUT;
            goto out;
        }
    }
    /* The work budget, also before the directory is touched (merge
     * computes nothing). */
    if (!opt->merge_from) {
        cn_budget bud;
        cn_budget_estimate(sc, opt->threads, &bud);
        if (bud.over && !opt->allow_large) {
            g_autofree char *d = cn_budget_describe(&bud);
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: past the work budget: %s (estimate: %s); make the batch smaller or "
                        "pass --allow-large",
                        cn_scenario_path(sc), bud.why, d);
            cn_budget_clear(&bud);
            status = CN_BATCH_BAD_INPUT;
            goto out;
        }
        cn_budget_clear(&bud);
    }
    status = prepare_dir(&b, error);
    if (status == CN_BATCH_OK)
        status = log_open(&b, error);
    if (status != CN_BATCH_OK)
        goto out;
    gsize todo = 0, total = 0, done = 0;
    for (gsize j = 0; j < b.n_jobs; j++) {
        if (!in_shard(&b, j))
            continue;
        total++;
        if (b.res[j].done) /* kept in the log */
            done++;
        else
            todo++;
    }
    if (opt->merge_from && todo > 0) {
        /* A hint that works as typed: the scenario file and --set values
         * the shards were run with, resuming into the merged directory. */
        GString *hint = g_string_new("cnisim run ");
        g_autofree char *qpath = g_shell_quote(cn_scenario_path(sc));
        g_string_append(hint, qpath);
        for (const char *const *st = opt->sets; st && *st; st++) {
            g_autofree char *q = g_shell_quote(*st);
            g_string_append_printf(hint, " --set %s", q);
        }
        g_autofree char *qdir = g_shell_quote(opt->out_dir);
        g_string_append_printf(hint, " --resume -o %s", qdir);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                    " runs are in none of the directories merged; run the missing shards, or "
                    "finish them here with: %s",
                    opt->out_dir, todo, total, hint->str);
        g_string_free(hint, TRUE);
        status = CN_BATCH_BAD_INPUT;
        goto out;
    }
    b.done_q = g_async_queue_new();
    b.sim_ms = g_new0(gint, b.n_jobs);
    progress_state ps = {.start_us = g_get_monotonic_time()};
    for (gsize j = 0; j < b.n_jobs; j++)
        if (in_shard(&b, j) && !b.res[j].done)
            ps.todo_sim_s += job_sim_s(&b, j);
    GThreadPool *pool = g_thread_pool_new(worker, &b, opt->threads, TRUE, NULL);
    for (gsize j = 0; j < b.n_jobs; j++)
        if (in_shard(&b, j) && !b.res[j].done)
            g_thread_pool_push(pool, GSIZE_TO_POINTER(j + 1), NULL);
    progress(&b, done, total, &ps);
    GError *log_err = NULL;
    for (gsize i = 0; i < todo;) {
        /* Woken a few times a second to move the line within long runs and
         * so that finished runs reach the disk (log_flush_due). */
        gpointer got = g_async_queue_timeout_pop(b.done_q, 250000);
        if (got && got != (gpointer)&job_not_done) {
            gsize j = GPOINTER_TO_SIZE(got) - 1;
            log_append(&b, j, b.text[j], strlen(b.text[j]));
            free(b.text[j]);
            b.text[j] = NULL;
            ps.done_sim_s += job_sim_s(&b, j);
            progress(&b, ++done, total, &ps);
        }
        if (!log_err && log_flush_due(&b) && !log_flush(&b, &log_err))
            cn_batch_request_stop(); /* the disk is full: keep what is written */
        if (!got) {
            progress(&b, done, total, &ps);
            continue;
        }
        i++;
        if (got == (gpointer)&job_not_done && !cn_batch_stop_requested() && b.first_error)
            cn_batch_request_stop(); /* a failed run ends the batch */
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    g_async_queue_unref(b.done_q);
    if (!log_err)
        log_flush(&b, &log_err);
    if (log_err && !b.first_error)
        b.first_error = log_err;
    else if (log_err)
        g_error_free(log_err);

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
    else if (!opt->quiet)
        warn_all_failing(&b);
out:
    if (b.log_fd >= 0)
        close(b.log_fd);
    if (b.log_buf)
        g_string_free(b.log_buf, TRUE);
    for (gsize j = 0; j < b.n_jobs; j++)
        free(b.text[j]);
    g_free(b.text);
    g_free(b.log_off);
    g_free(b.log_len);
    if (b.lock_fd >= 0)
        close(b.lock_fd); /* releases the lock */
    g_ptr_array_free(b.made_dirs, TRUE);
    g_mutex_clear(&b.err_lock);
    g_free(b.parts_dir);
    g_free(b.res);
    g_free((gpointer)b.sim_ms);
    return status;
}

cn_batch_status cn_batch_merge(const char *const *dirs, const char *out_dir, gboolean force,
                               GError **error)
{
    owner_rec first = {0};
    g_autofree char *text = NULL, *origin = NULL;
    gsize len = 0;
    cn_batch_status st = check_source(dirs[0], &first, &text, &len, &origin, error);
    for (int i = 1; st == CN_BATCH_OK && dirs[i]; i++) {
        owner_rec o = {0};
        g_autofree char *t = NULL, *orig = NULL;
        gsize l;
        st = check_source(dirs[i], &o, &t, &l, &orig, error);
        if (st == CN_BATCH_OK && owner_diff(&o, &first)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: holds runs of %s than %s; only shards of one run can be merged",
                        dirs[i], owner_diff(&o, &first), dirs[0]);
            st = CN_BATCH_BAD_INPUT;
        }
        owner_clear(&o);
    }
    if (st != CN_BATCH_OK) {
        owner_clear(&first);
        return st;
    }
    cn_scenario *sc =
        cn_scenario_load_data(text, len, origin, (const char *const *)first.sets, error);
    if (!sc) {
        owner_clear(&first);
        return CN_BATCH_BAD_INPUT;
    }
    cn_batch_options opt = {
        .out_dir = out_dir,
        .threads = 1,
        .resume = TRUE,
        .force = force,
        .quiet = TRUE,
        .command_line = "cnisim merge",
        .sets = (const char *const *)first.sets,
        .merge_from = dirs,
    };
    st = cn_batch_run(sc, &opt, error);
    cn_scenario_free(sc);
    owner_clear(&first);
    return st;
}
