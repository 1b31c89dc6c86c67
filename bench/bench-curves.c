/* Cost curves: wall time per simulated transaction as one size grows and
 * the others stay at a base point, to show where the simulation stops
 * scaling flat.  Target (issue 12): each curve within 1.5x of its smallest
 * value.
 *
 *   bench-curves [nodes|services|concurrency|replications|all]
 *                [--transactions N] [--variant NAME] [--at VALUE] [--marginal]
 *
 * Base point: 100 nodes, 1,000 Services x 4 endpoints, closed loop with
 * 1,000 clients, large-cluster's mix (pod-to-service 0.7, cross-node 0.2,
 * external 0.1; 10 requests per connection), one replication, one variant
 * (azure-cni by default), N = 300,000 measured transactions per replication,
 * or 10 per client where that is more (1,000,000 at 100,000 clients).
 * Curves:
 *   nodes         10, 100, 1,000, 5,000 (40 pods per node, room for system pods)
 *   services      1, 100, 10,000, 100,000
 *   concurrency   1, 10, 100, 1,000, 10,000, 100,000
 *   replications  1, 2, 4, 8, run one after the other on this thread, as a
 *                 batch's worker does (the batch's CSV writing is not timed)
 * The time is the whole cn_run() (cluster build, warm-up and run) divided by
 * the transactions finished (completed or given up) in the measured window,
 * as wall time and as this process's CPU time (on a shared machine the
 * wall time also counts other jobs' turns on the CPU).  --marginal also
 * runs each point with 2N transactions and prints the cost of the N more
 * (marginal_*): the cost of simulating a transaction without the one-off
 * work (build, clients' start, warm-up, which grows with concurrency).
 * --repeat R runs each point R times and keeps the least times.
 * One line per point, key=value, for scripts. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <glib.h>

#include "run.h"
#include "scenario.h"

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* CPU time of this process: on a shared machine it is what the run cost,
 * where the wall time also counts the time other jobs held the CPU. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

typedef struct {
    int64_t nodes, services, concurrency, replications;
} point;

static const point base = {100, 1000, 1000, 1};

static char *scenario_text(const point *p, int64_t transactions, const char *variant)
{
    /* AKS allows 1,000 nodes per node pool. */
    GString *pools = g_string_new("");
    if (p->nodes > 1000) {
        g_string_append(pools, "node_pools =");
        for (int64_t left = p->nodes; left > 0; left -= 1000)
            g_string_append_printf(pools, "%s %" G_GINT64_FORMAT, left == p->nodes ? "" : ",",
                                   left < 1000 ? left : 1000);
        g_string_append_c(pools, '\n');
    }
    int64_t targets = p->services < 1000 ? p->services : 1000;
    char *text = g_strdup_printf(
        "[scenario]\nname = bench-curves\nseed = 1\nreplications = %" G_GINT64_FORMAT "\n"
        "duration_s = 1000\nwarmup_s = 0.005\nstop_after_transactions = %" G_GINT64_FORMAT "\n"
        "[cluster]\nnodes = %" G_GINT64_FORMAT "\n%svcpus_per_node = 8\nmax_pods_per_node = 50\n"
        "pods = %" G_GINT64_FORMAT "\npod_cidr = 10.128.0.0/11\n"
        "services = %" G_GINT64_FORMAT "\nendpoints_per_service = 4\n"
        "service_cidr = 10.0.0.0/13\nbpf_lb_map_max = 1000000\n"
        "node_subnet = 10.224.0.0/12\npod_subnet = 10.96.0.0/11\n"
        "allocated_outbound_ports = 48\noutbound_ips = 4\n"
        "[workload]\nmodel = closed\nconcurrency = %" G_GINT64_FORMAT "\n"
        "traffic = pod-to-service:0.7, pod-to-pod-cross-node:0.2, pod-to-external:0.1\n"
        "requests_per_connection = 10\ntarget_services = %" G_GINT64_FORMAT "\n"
        "external_destinations = 100\n"
        "[plugins]\ncompare = %s\n",
        p->replications, transactions, p->nodes, pools->str, p->nodes * 40, p->services,
        p->concurrency, targets, variant);
    g_string_free(pools, TRUE);
    return text;
}

typedef struct {
    uint64_t txns, events; /* finished in the measured window; run in all */
    double seconds, cpu_seconds;
} cost;

/* Run every replication of point p with `transactions` measured each;
 * returns 0 or an exit status. */
static int run_point(const point *p, int64_t transactions, const char *variant, cost *out)
{
    g_autofree char *text = scenario_text(p, transactions, variant);
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data(text, strlen(text), "bench-curves", NULL, &err);
    if (sc == NULL) {
        fprintf(stderr, "bench-curves: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    *out = (cost){0};
    double t0 = now_s(), c0 = cpu_s();
    for (int64_t rep = 0; rep < p->replications; rep++) {
        cn_run_result r;
        if (!cn_run(&c, &c.variants[0], (int)rep, &r, &err)) {
            fprintf(stderr, "bench-curves: %s\n", err->message);
            g_error_free(err);
            cn_scenario_free(sc);
            return 1;
        }
        for (int k = 0; k < CN_CLASS_COUNT; k++)
            out->txns += r.cls[k].transactions + r.cls[k].failed;
        out->events += r.events;
        cn_run_result_clear(&r);
    }
    out->seconds = now_s() - t0;
    out->cpu_seconds = cpu_s() - c0;
    cn_scenario_free(sc);
    return 0;
}

/* Runs of a point (--repeat): the least wall and the least CPU time are
 * kept, as the best estimate of the cost on an idle machine (on a shared
 * one a run is only ever slowed down, never sped up, by the others). */
static int repeats = 1;

static int run_best(const point *p, int64_t transactions, const char *variant, cost *out)
{
    for (int k = 0; k < repeats; k++) {
        cost c;
        int rc = run_point(p, transactions, variant, &c);
        if (rc != 0)
            return rc;
        if (k == 0) {
            *out = c;
            continue;
        }
        if (c.seconds < out->seconds)
            out->seconds = c.seconds;
        if (c.cpu_seconds < out->cpu_seconds)
            out->cpu_seconds = c.cpu_seconds;
    }
    return 0;
}

/* One point: its cost per transaction over the whole cn_run(); with
 * marginal, also the cost of the transactions a run with twice as many
 * adds, which leaves out what does not grow with the run (the cluster
 * build, the clients' start, the warm-up). */
static int measure(const char *curve, const point *p, int64_t transactions, const char *variant,
                   bool marginal)
{
    cost a = {0}, b = {0};
    int rc = run_best(p, transactions, variant, &a);
    if (rc == 0 && marginal)
        rc = run_best(p, 2 * transactions, variant, &b);
    if (rc != 0)
        return rc;
    printf("curve=%s nodes=%" G_GINT64_FORMAT " services=%" G_GINT64_FORMAT
           " concurrency=%" G_GINT64_FORMAT " replications=%" G_GINT64_FORMAT
           " variant=%s transactions=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT
           " seconds=%.3f ns_per_txn=%.0f cpu_seconds=%.3f cpu_ns_per_txn=%.0f"
           " events_per_txn=%.2f",
           curve, p->nodes, p->services, p->concurrency, p->replications, variant, a.txns, a.events,
           a.seconds, a.txns ? a.seconds * 1e9 / (double)a.txns : 0, a.cpu_seconds,
           a.txns ? a.cpu_seconds * 1e9 / (double)a.txns : 0,
           a.txns ? (double)a.events / (double)a.txns : 0);
    if (marginal) {
        double dn = (double)b.txns - (double)a.txns;
        printf(
            " marginal_ns_per_txn=%.0f marginal_cpu_ns_per_txn=%.0f marginal_events_per_txn=%.2f",
            dn > 0 ? (b.seconds - a.seconds) * 1e9 / dn : 0,
            dn > 0 ? (b.cpu_seconds - a.cpu_seconds) * 1e9 / dn : 0,
            dn > 0 ? ((double)b.events - (double)a.events) / dn : 0);
    }
    printf(" repeats=%d peak_rss_mib=%.0f\n", repeats, (double)peak_rss_kib() / 1024);
    fflush(stdout);
    return 0;
}

/* at > 0: only that value of the curve (for profiling one point). */
static int curve(const char *name, int64_t transactions, const char *variant, int64_t at,
                 bool marginal)
{
    static const int64_t nodes[] = {10, 100, 1000, 5000};
    static const int64_t services[] = {1, 100, 10000, 100000};
    static const int64_t concurrency[] = {1, 10, 100, 1000, 10000, 100000};
    static const int64_t replications[] = {1, 2, 4, 8};
    const int64_t *v;
    size_t n;
    int64_t *field;
    point p = base;
    if (strcmp(name, "nodes") == 0) {
        v = nodes, n = G_N_ELEMENTS(nodes), field = &p.nodes;
    } else if (strcmp(name, "services") == 0) {
        v = services, n = G_N_ELEMENTS(services), field = &p.services;
    } else if (strcmp(name, "concurrency") == 0) {
        v = concurrency, n = G_N_ELEMENTS(concurrency), field = &p.concurrency;
    } else if (strcmp(name, "replications") == 0) {
        v = replications, n = G_N_ELEMENTS(replications), field = &p.replications;
    } else {
        fprintf(stderr,
                "bench-curves: unknown curve '%s' (expected nodes, services, "
                "concurrency, replications or all)\n",
                name);
        return 2;
    }
    if (at > 0) {
        v = &at;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        *field = v[i];
        /* At least 10 transactions per client: a closed loop ends with
         * every client's transaction in flight, simulated in part and not
         * counted, and starts with every client's first connection; with
         * 3 per client (100,000 clients, 300,000 transactions) that is a
         * third of the count again. */
        int64_t n_txn = transactions > 10 * p.concurrency ? transactions : 10 * p.concurrency;
        int rc = measure(name, &p, n_txn, variant, marginal);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int main(int argc, char **argv)
{
    gint64 transactions = 300000;
    gchar *variant = NULL;
    gint64 at = 0;
    gboolean marginal = FALSE;
    gint repeat = 1;
    GOptionEntry entries[] = {
        {"transactions", 'n', 0, G_OPTION_ARG_INT64, &transactions,
         "Measured transactions per replication (default 300000; at least 10 per client)", "N"},
        {"variant", 'v', 0, G_OPTION_ARG_STRING, &variant, "Variant (default azure-cni)", "NAME"},
        {"at", 'a', 0, G_OPTION_ARG_INT64, &at, "Only this value of the curve (not with all)",
         "VALUE"},
        {"repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
         "Run each point R times and keep the least times (default 1)", "R"},
        {"marginal", 'm', 0, G_OPTION_ARG_NONE, &marginal,
         "Also run each point with twice the transactions and print the cost of the extra ones",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc =
        g_option_context_new("[nodes|services|concurrency|replications|all] - cost curves");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "bench-curves: %s\n", err->message);
        return 2;
    }
    if (transactions < 1000 || transactions > 100000000) {
        fprintf(stderr,
                "bench-curves: --transactions %" G_GINT64_FORMAT ": expected 1000 .. 100000000\n",
                (gint64)transactions);
        return 2;
    }
    if (repeat < 1 || repeat > 100) {
        fprintf(stderr, "bench-curves: --repeat %d: expected 1 .. 100\n", repeat);
        return 2;
    }
    repeats = repeat;
    const char *v = variant != NULL ? variant : "azure-cni";
    const char *which = argc >= 2 ? argv[1] : "all";
    int rc = 0;
    if (strcmp(which, "all") == 0) {
        const char *all[] = {"nodes", "services", "concurrency", "replications"};
        for (size_t i = 0; i < G_N_ELEMENTS(all) && rc == 0; i++)
            rc = curve(all[i], transactions, v, 0, marginal);
    } else {
        rc = curve(which, transactions, v, at, marginal);
    }
    g_free(variant);
    return rc;
}
