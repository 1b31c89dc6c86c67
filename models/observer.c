#include "observer.h"

#include "run-internal.h"

static void warm_done(sim *s, void *ctx)
{
    (void)s;
    run *r = ctx;
    cn_observer *o = &r->obs;
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        sim_resource_reset_stats(r->nodes[i].cpu);
        sim_resource_reset_stats(r->nodes[i].nic);
    }
    o->at_warm = o->now;
    uint64_t d = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        d += cn_node_ct_drops(&r->nodes[i]);
    o->drops_at_warm = d;
    o->measuring = true;
}

void observer_init(run *r)
{
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        r->obs.lat[k] = sim_hist_new();
        r->obs.lat_new[k] = sim_hist_new();
        r->obs.lat_reused[k] = sim_hist_new();
    }
}

void observer_start(run *r)
{
    if (r->warm_end > 0)
        sim_schedule_at(r->s, r->warm_end, warm_done, r);
    else
        warm_done(r->s, r);
}

void observer_txn_done(run *r, int cls, bool ok, bool new_conn, sim_time_ns latency_ns)
{
    cn_observer *o = &r->obs;
    if (!o->measuring)
        return;
    if (ok) {
        o->now.done[cls]++;
        sim_hist_add(o->lat[cls], (uint64_t)latency_ns);
        sim_hist_add(new_conn ? o->lat_new[cls] : o->lat_reused[cls], (uint64_t)latency_ns);
        o->measured_done++;
        if (r->c->stop_after_transactions > 0 &&
            o->measured_done >= (uint64_t)r->c->stop_after_transactions) {
            o->stopped_at = sim_now(r->s);
            sim_stop(r->s);
        }
    } else {
        o->now.failed[cls]++;
    }
}

void observer_result(run *r, uint32_t replication, cn_run_result *out)
{
    cn_observer *o = &r->obs;
    sim_time_ns stop = o->stopped_at ? o->stopped_at : r->end;
    out->measured_s = (double)(stop - r->warm_end) / 1e9;
    out->backlog_stopped = o->backlog_stopped;
    out->seed = cn_run_seed(r->c, replication);
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        out->cls[k].transactions = o->now.done[k] - o->at_warm.done[k];
        out->cls[k].failed = o->now.failed[k] - o->at_warm.failed[k];
        out->cls[k].throughput_rps =
            out->measured_s > 0 ? (double)out->cls[k].transactions / out->measured_s : 0;
        out->cls[k].latency = o->lat[k];
        out->cls[k].latency_new = o->lat_new[k];
        out->cls[k].latency_reused = o->lat_reused[k];
        o->lat[k] = o->lat_new[k] = o->lat_reused[k] = NULL;
    }
    double sum = 0, mx = 0;
    uint64_t drops = 0, evict = 0;
    int64_t peak = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        double u = sim_resource_utilisation(r->nodes[i].cpu);
        sum += u;
        mx = u > mx ? u : mx;
        drops += cn_node_ct_drops(&r->nodes[i]);
        evict += r->nodes[i].ct.evictions;
        int64_t pk = cn_node_ct_peak(&r->nodes[i]);
        peak = pk > peak ? pk : peak;
    }
    out->cpu_util_mean = sum / r->n_nodes;
    out->cpu_util_max = mx;
    out->conntrack_peak = peak;
    out->drops_conntrack = drops - o->drops_at_warm;
    out->ct_evictions = evict;
    out->snat_failures = o->now.snat_failures - o->at_warm.snat_failures;
    out->policy_drops = o->now.policy_drops - o->at_warm.policy_drops;
    out->lb_unprogrammed = o->now.lb_unprogrammed - o->at_warm.lb_unprogrammed;
    out->stale_failures = o->now.stale_failures - o->at_warm.stale_failures;
    out->rule_syncs = o->now.syncs - o->at_warm.syncs;
    out->sync_ms_mean =
        out->rule_syncs ? (o->now.sync_ns - o->at_warm.sync_ns) / 1e6 / (double)out->rule_syncs : 0;
    out->events = sim_executed(r->s);
}

void observer_free(run *r)
{
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        sim_hist_free(r->obs.lat[k]);
        sim_hist_free(r->obs.lat_new[k]);
        sim_hist_free(r->obs.lat_reused[k]);
    }
}
