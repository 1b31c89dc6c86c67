#include "budget.h"

#include <math.h>
#include <string.h>

#include "datapath.h"
#include "run.h"

/* Memory a run holds, roughly (measured peak RSS in bench/README.md:
 * about 190 MiB for 250,000 pods, 120,000 endpoints and 20,000 clients): a
 * transaction in flight with its path and connection, an endpoint, a node's
 * tables, and the fixed part. */
#define BYTES_PER_IN_FLIGHT 1024.0
#define BYTES_PER_ENDPOINT  64.0
#define BYTES_PER_NODE      8192.0
#define BYTES_PER_RUN       (4.0 * 1024 * 1024)
/* What the batch keeps per run until the outputs are written. */
#define BYTES_PER_RESULT 1024.0

/* Zero-load latency and CPU of one transaction of class cls (keepalive: no
 * connection set-up, the cheaper case, so the bound holds). */
static void class_path(const cn_config *c, const cn_variant *v, cn_class cls, double *latency_ns,
                       double *cpu_ns)
{
    cn_dp_costs k;
    cn_dp_costs_init(&k, c, v);
    uint32_t other = c->nodes > 1 ? 1 : 0;
    cn_flow f = {.cls = cls,
                 .new_conn = false,
                 .client_node = 0,
                 .server_node = other,
                 .ingress_node = 0,
                 .request_bytes = c->request_bytes,
                 .response_bytes = c->response_bytes};
    if (cls == CN_CLASS_SAME_NODE)
        f.server_node = 0;
    else if (cls == CN_CLASS_EXTERNAL)
        f.server_node = CN_NODE_EXTERNAL;
    else if (cls == CN_CLASS_INGRESS)
        f.client_node = CN_NODE_EXTERNAL;
    cn_path p;
    cn_path_build(&k, &f, &p);
    *latency_ns = (double)cn_path_total_ns(&p);
    *cpu_ns = 0;
    for (int i = 0; i < p.n; i++)
        if (p.step[i].kind == CN_STEP_CPU)
            *cpu_ns += (double)p.step[i].ns;
}

/* Transactions and memory of one run of point config c, variant v. */
static void run_estimate(const cn_config *c, const cn_variant *v, double *txn, double *mem)
{
    double t_s = c->warmup_s + c->duration_s;
    double lat = 0, cpu = 0;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        if (c->traffic_weight[k] <= 0)
            continue;
        double l, u;
        class_path(c, v, (cn_class)k, &l, &u);
        lat += c->traffic_weight[k] * l;
        cpu += c->traffic_weight[k] * u;
    }
    lat = fmax(lat, 1.0);
    double capacity = cpu > 0 ? (double)c->nodes * (double)c->vcpus_per_node * 1e9 / cpu : INFINITY;
    double in_flight;
    if (c->model == CN_LOAD_OPEN) {
        *txn = c->rate_rps * t_s;
        /* Past saturation the backlog grows for the whole run. */
        in_flight = fmin(*txn, c->rate_rps * lat / 1e9 + fmax(0, c->rate_rps - capacity) * t_s);
        in_flight = fmin(in_flight, CN_OPEN_BACKLOG_MAX); /* the run stops there */
    } else {
        *txn = fmin((double)c->concurrency * t_s * 1e9 / lat, capacity * t_s);
        in_flight = (double)c->concurrency;
    }
    if (c->stop_after_transactions > 0)
        *txn = fmin(*txn, (double)c->stop_after_transactions * (1 + c->warmup_s / c->duration_s));
    double endpoints = (double)c->services * (double)c->endpoints_per_service;
    *mem = BYTES_PER_RUN + BYTES_PER_IN_FLIGHT * in_flight + BYTES_PER_ENDPOINT * endpoints +
           BYTES_PER_NODE * (double)c->nodes;
}

void cn_budget_estimate(const cn_scenario *sc, int threads, cn_budget *b)
{
    memset(b, 0, sizeof *b);
    gsize np = cn_scenario_n_points(sc);
    double max_mem = 0;
    for (gsize p = 0; p < np; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        double reps = (double)c.replications;
        b->runs += (double)c.n_variants * reps;
        b->max_run_s = fmax(b->max_run_s, c.warmup_s + c.duration_s);
        for (int v = 0; v < c.n_variants; v++) {
            double txn, mem;
            run_estimate(&c, &c.variants[v], &txn, &mem);
            b->transactions += txn * reps;
            max_mem = fmax(max_mem, mem);
        }
    }
    double at_once = fmin(fmax(threads, 1), b->runs);
    b->memory_bytes = at_once * max_mem + BYTES_PER_RESULT * b->runs;
    GString *why = g_string_new(NULL);
    if (b->runs > CN_BUDGET_RUNS)
        g_string_append_printf(why, "%s%.3g runs (budget %d)", why->len ? ", " : "", b->runs,
                               CN_BUDGET_RUNS);
    if (b->transactions > CN_BUDGET_TRANSACTIONS)
        g_string_append_printf(why, "%sabout %.3g transactions (budget %.3g)", why->len ? ", " : "",
                               b->transactions, CN_BUDGET_TRANSACTIONS);
    if (b->max_run_s > CN_BUDGET_RUN_S)
        g_string_append_printf(why, "%s%.3g simulated s in one run (budget %.3g)",
                               why->len ? ", " : "", b->max_run_s, CN_BUDGET_RUN_S);
    if (b->memory_bytes > CN_BUDGET_MEMORY_BYTES)
        g_string_append_printf(why, "%sabout %.3g GiB of memory (budget %.3g)",
                               why->len ? ", " : "", b->memory_bytes / 1073741824.0,
                               CN_BUDGET_MEMORY_BYTES / 1073741824.0);
    b->over = why->len > 0;
    b->why = g_string_free(why, !b->over);
}

void cn_budget_clear(cn_budget *b)
{
    g_free(b->why);
    b->why = NULL;
}

char *cn_budget_describe(const cn_budget *b)
{
    return g_strdup_printf("%.3g runs, at most about %.3g transactions, about %.3g GiB", b->runs,
                           b->transactions, b->memory_bytes / 1073741824.0);
}
