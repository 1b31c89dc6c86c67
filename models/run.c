/* One run: builds the cluster and wires its parts (nodes, workload,
 * admission, control plane, observer) on one simulator, then runs it. */
#include "run.h"

#include <math.h>
#include <string.h>

#include "run-internal.h"

G_DEFINE_QUARK(cn - run - error - quark, cn_run_error)

static const volatile gint *stop_flag;

static _Thread_local volatile gint *progress_ms; /* per worker thread */

void cn_run_set_progress(volatile gint *sim_ms)
{
    progress_ms = sim_ms;
}

void cn_run_set_stop_flag(const volatile gint *flag)
{
    stop_flag = flag;
}

uint64_t cn_run_seed(const cn_config *c, uint32_t replication)
{
    /* splitmix64 of (seed, replication): the value recorded in runs.csv;
     * the streams themselves derive from (seed, replication, stream). */
    uint64_t z = c->seed + 0x9e3779b97f4a7c15ull * ((uint64_t)replication + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool uses_services(const cn_config *c)
{
    return c->traffic_weight[CN_CLASS_SERVICE] > 0 || c->traffic_weight[CN_CLASS_INGRESS] > 0;
}

/* Services that receive traffic exist even when [cluster] services is
 * smaller: the cluster has at least target_services of them. */
static cn_config effective_config(const cn_config *c0)
{
    cn_config cc = *c0;
    if (uses_services(&cc) && cc.services < cc.target_services)
        cc.services = cc.target_services;
    return cc;
}

gboolean cn_run_check(const cn_config *c0, const cn_variant *v, GError **error)
{
    cn_config cc = effective_config(c0);
    sim_time_ns iv = cn_observer_interval_ns(&cc);
    double n_iv = iv > 0 ? (cc.warmup_s + cc.duration_s) * SIM_NS_PER_S / (double)iv : 0;
    if (n_iv > CN_RUN_MAX_INTERVALS) {
        g_set_error(error, CN_RUN_ERROR, CN_RUN_ERROR_INPUT,
                    "%s: [scenario] interval_s: %g gives %.0f intervals per run; expected at most "
                    "%d (a larger interval_s, or 0 for no timeseries.csv)",
                    cc.file ? cc.file : "scenario", cc.interval_s, ceil(n_iv),
                    CN_RUN_MAX_INTERVALS);
        return FALSE;
    }
    cn_cluster *cl = cn_cluster_build(&cc, v, 0, error);
    if (!cl)
        return FALSE;
    cn_cluster_free(cl);
    return TRUE;
}

gboolean cn_run(const cn_config *c0, const cn_variant *v, uint32_t replication, cn_run_result *out,
                GError **error)
{
    memset(out, 0, sizeof *out);
    cn_config cc = effective_config(c0);
    const cn_config *c = &cc;

    run R = {0};
    run *r = &R;
    r->c = c;
    r->cm = &cc;
    r->v = v;
    r->cl = cn_cluster_build(c, v, replication, error);
    if (!r->cl)
        return FALSE;
    r->s = sim_new();
    r->var[0] = *v;
    cn_dp_costs_init(&r->kv[0], c, v);
    r->n_vars = 1;
    r->n_nodes = r->cl->n_nodes;
    r->var_nodes[0] = r->n_nodes;
    r->n_services = r->cl->n_services;
    r->nodes_ready = r->n_nodes;
    r->warm_end = (sim_time_ns)llround(c->warmup_s * SIM_NS_PER_S);
    r->end = r->warm_end + (sim_time_ns)llround(c->duration_s * SIM_NS_PER_S);
    admission_init(r);
    workload_init(r, replication);
    r->nodes = cn_nodes_new(r->s, c, v, r->n_nodes);
    r->cpu = r->nodes[0].cpu;
    r->nic = r->nodes[0].nic;
    observer_init(r);
    /* The order of the first events matters to ties: keep it. */
    ctrlplane_init(r, replication);
    observer_start(r);
    workload_start(r);
    events_start(r);

    gboolean ok = TRUE;
    sim_time_ns slice = 50 * SIM_NS_PER_MS;
    for (sim_time_ns t = 0; t < r->end && !r->obs.stopped_at;) {
        t = t + slice < r->end ? t + slice : r->end;
        sim_run_until(r->s, t);
        if (progress_ms)
            g_atomic_int_set(progress_ms, (gint)(t / SIM_NS_PER_MS));
        if (stop_flag && g_atomic_int_get(stop_flag)) {
            g_set_error(error, CN_RUN_ERROR, CN_RUN_ERROR_CANCELLED, "interrupted");
            ok = FALSE;
            break;
        }
    }
    if (ok)
        observer_result(r, replication, out);

    observer_free(r);
    events_free(r);
    cn_nodes_free(r->nodes, r->n_nodes);
    workload_free(r);
    ctrlplane_free(r);
    admission_free(r);
    sim_free(r->s);
    cn_cluster_free(r->cl);
    return ok;
}

void cn_run_result_clear(cn_run_result *r)
{
    for (size_t i = 0; i < r->n_intervals; i++)
        g_free(r->intervals[i].events);
    g_free(r->intervals);
    r->intervals = NULL;
    r->n_intervals = 0;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        sim_hist_free(r->cls[k].latency);
        sim_hist_free(r->cls[k].latency_new);
        sim_hist_free(r->cls[k].latency_reused);
        r->cls[k].latency = r->cls[k].latency_new = r->cls[k].latency_reused = NULL;
    }
}
