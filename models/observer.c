#include "observer.h"

#include <math.h>
#include <string.h>

#include "run-internal.h"

sim_time_ns cn_observer_interval_ns(const cn_config *c)
{
    if (c->interval_s >= 0)
        return (sim_time_ns)llround(c->interval_s * SIM_NS_PER_S);
    double want_ns = (c->warmup_s + c->duration_s) * SIM_NS_PER_S / 100;
    if (want_ns < 1)
        return 1;
    double decade = pow(10, floor(log10(want_ns)));
    double m = want_ns / decade;
    double nice = m >= 5 ? 5 : m >= 2 ? 2 : 1;
    return (sim_time_ns)llround(nice * decade);
}

static void iv_counts_now(run *r, cn_iv_counts *x)
{
    const cn_counters *n = &r->obs.now;
    memcpy(x->done, n->done, sizeof x->done);
    memcpy(x->failed, n->failed, sizeof x->failed);
    x->snat_failures = n->snat_failures;
    x->stale_failures = n->stale_failures;
    x->drops = x->evictions = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        x->drops += cn_node_ct_drops(&r->nodes[i]);
        x->evictions += r->nodes[i].ct.evictions;
    }
}

/* The q-quantile of the latencies of hs[0..n) together, µs; NaN: none. */
static double quantile_us(const sim_span_hist *const *hs, int n, double q)
{
    return n ? sim_span_hist_quantile(hs, n, q) / 1e3 : NAN;
}

/* The non-empty ones of the interval's histograms of class k (k =
 * CN_CLASS_COUNT: of every class) into hs; returns how many. */
static int iv_hists(const cn_observer *o, int k, const sim_span_hist **hs)
{
    int n = 0;
    for (int c = k == CN_CLASS_COUNT ? 0 : k; c <= k && c < CN_CLASS_COUNT; c++) {
        if (sim_span_hist_count(o->iv_lat[c]))
            hs[n++] = o->iv_lat[c];
        if (sim_span_hist_count(o->iv_pre[c]))
            hs[n++] = o->iv_pre[c];
    }
    return n;
}

/* Close the interval [iv_start, end): end is now. */
static void close_interval(run *r, sim_time_ns end)
{
    cn_observer *o = &r->obs;
    sim_time_ns now = sim_now(r->s);
    cn_iv_counts cur;
    /* Events at the instant warm-up ended but after its reset belong to
     * the measured window, so to the next interval, as in the summary. */
    if (o->iv_warm_set && end == r->warm_end)
        cur = o->iv_warm;
    else
        iv_counts_now(r, &cur);
    cn_interval row = {.t_s = (double)o->iv_start / 1e9,
                       .width_s = (double)(end - o->iv_start) / 1e9};
    for (int k = 0; k <= CN_CLASS_COUNT; k++) {
        if (k < CN_CLASS_COUNT) {
            row.done[k] = cur.done[k] - o->iv_prev.done[k];
            row.failed[k] = cur.failed[k] - o->iv_prev.failed[k];
            row.done[CN_CLASS_COUNT] += row.done[k];
            row.failed[CN_CLASS_COUNT] += row.failed[k];
        }
        const sim_span_hist *hs[2 * CN_CLASS_COUNT];
        int n = iv_hists(o, k, hs);
        row.p50_us[k] = quantile_us(hs, n, 0.5);
        row.p99_us[k] = quantile_us(hs, n, 0.99);
    }
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        if (o->measuring)
            sim_hist_merge_span(o->lat[k], o->iv_lat[k]);
        sim_span_hist_reset(o->iv_lat[k]);
        sim_span_hist_reset(o->iv_pre[k]);
    }
    double width_ns = (double)(end - o->iv_start), sum = 0, mx = 0;
    int64_t ct = 0;
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        const cn_node *nd = &r->nodes[i];
        double busy = sim_resource_busy_ns(nd->cpu);
        double u = width_ns > 0 ? (o->iv_busy_acc[i] + busy - o->iv_busy_prev[i]) /
                                      (width_ns * sim_resource_servers(nd->cpu))
                                : 0;
        o->iv_busy_prev[i] = busy;
        o->iv_busy_acc[i] = 0;
        if (r->node_down && r->node_down[i])
            continue; /* gone: not part of the cluster's figures */
        live++;
        sum += u;
        mx = u > mx ? u : mx;
        int64_t occ = cn_ct_occupancy(&r->nodes[i].ct, now);
        if (nd->has_nf) {
            int64_t nf = cn_ct_occupancy(&r->nodes[i].nf, now);
            occ = nf > occ ? nf : occ;
        }
        ct = occ > ct ? occ : ct;
    }
    row.cpu_util_mean = live ? sum / live : 0;
    row.cpu_util_max = mx;
    row.conntrack_max = ct;
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, r->adm.snat);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        int64_t used = cn_snat_in_use(val, now);
        row.snat_ports_max = used > row.snat_ports_max ? used : row.snat_ports_max;
    }
    row.drops_conntrack = cur.drops - o->iv_prev.drops;
    row.ct_evictions = cur.evictions - o->iv_prev.evictions;
    row.snat_failures = cur.snat_failures - o->iv_prev.snat_failures;
    row.stale_failures = cur.stale_failures - o->iv_prev.stale_failures;
    row.nodes_ready = r->nodes_ready;
    if (o->iv_events->len)
        row.events = g_strdup(o->iv_events->str);
    GString *t = o->iv_events;
    o->iv_events = o->iv_events_next;
    o->iv_events_next = t;
    g_string_truncate(t, 0);
    o->iv_next = end + o->iv_ns;
    g_array_append_val(o->iv_rows, row);
    o->iv_prev = cur;
    o->iv_start = end;
}

static void sample(sim *s, void *ctx)
{
    close_interval(ctx, sim_now(s));
}

static void warm_done(sim *s, void *ctx)
{
    (void)s;
    run *r = ctx;
    cn_observer *o = &r->obs;
    if (o->iv_ns > 0) {
        /* The interval keeps the CPU time before the reset. */
        iv_counts_now(r, &o->iv_warm);
        o->iv_warm_set = true;
        /* Latencies so far are warm-up's: kept for the interval's quantiles,
         * not merged into the measured ones. */
        for (int k = 0; k < CN_CLASS_COUNT; k++) {
            sim_span_hist *t = o->iv_pre[k];
            o->iv_pre[k] = o->iv_lat[k];
            o->iv_lat[k] = t;
        }
        for (uint32_t i = 0; i < r->n_nodes; i++) {
            o->iv_busy_acc[i] += sim_resource_busy_ns(r->nodes[i].cpu) - o->iv_busy_prev[i];
            o->iv_busy_prev[i] = 0;
        }
    }
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
    cn_observer *o = &r->obs;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        o->lat[k] = sim_hist_new();
        o->lat_new[k] = sim_hist_new();
        o->lat_reused[k] = sim_hist_new();
    }
    o->first_ct_drop = o->first_snat_failure = o->first_event = -1;
    o->iv_ns = cn_observer_interval_ns(r->c);
    if (o->iv_ns > 0) {
        for (int k = 0; k < CN_CLASS_COUNT; k++) {
            o->iv_lat[k] = sim_span_hist_new();
            o->iv_pre[k] = sim_span_hist_new();
        }
        o->iv_busy_prev = g_new0(double, r->n_nodes);
        o->iv_busy_acc = g_new0(double, r->n_nodes);
        o->iv_rows = g_array_new(FALSE, FALSE, sizeof(cn_interval));
        o->iv_events = g_string_new(NULL);
        o->iv_events_next = g_string_new(NULL);
    }
}

void observer_start(run *r)
{
    if (r->warm_end > 0)
        sim_schedule_at(r->s, r->warm_end, warm_done, r);
    else
        warm_done(r->s, r);
    sim_time_ns p = r->obs.iv_ns;
    if (p > 0) {
        /* Boundaries at warm_end + k x p, so the measured window is whole
         * intervals; the first interval may be shorter. */
        sim_time_ns first = r->warm_end % p;
        r->obs.iv_next = first ? first : p;
        sim_set_sampler(r->s, r->obs.iv_next, p, sample, r);
    }
}

void observer_event(run *r, const char *name)
{
    cn_observer *o = &r->obs;
    if (o->first_event < 0)
        o->first_event = sim_now(r->s);
    if (o->iv_events) {
        /* An event at an interval's end (the sampler runs after it) opens
         * the next interval, as its t_s says. */
        GString *g = sim_now(r->s) == o->iv_next ? o->iv_events_next : o->iv_events;
        if (g->len)
            g_string_append_c(g, ';');
        g_string_append(g, name);
    }
}

/* The disruption window of the first event: from it until the cluster is
 * back to its level of the 10 intervals before the event for good: the end
 * of the last out-of-band window after the event, a window being whole
 * intervals long enough to hold 2,500 transactions at that level (at least
 * 2), so that Poisson noise (2%) stays well within the band.  In band: its
 * completed transactions within 10% of the level, its mean p99 at most 1.25
 * times the level's, and its failures no more than the level's rate allows
 * (plus 3 Poisson deviations).  Not back by the end: the window runs to the
 * end of the run. */
static void disruption(const cn_observer *o, cn_run_result *out, sim_time_ns end)
{
    out->disruption_s = out->disruption_failed = NAN;
    if (o->first_event < 0 || !out->intervals)
        return;
    const cn_interval *iv = out->intervals;
    size_t n = out->n_intervals, e = 0;
    double at = (double)o->first_event / 1e9;
    while (e < n && iv[e].t_s + iv[e].width_s <= at)
        e++;
    if (e == 0 || e == n)
        return; /* nothing before it to compare with, or past the end */
    double done = 0, failed = 0, width = 0, p99 = 0;
    int n_p99 = 0;
    for (size_t i = e > 10 ? e - 10 : 0; i < e; i++) {
        done += (double)iv[i].done[CN_CLASS_COUNT];
        failed += (double)iv[i].failed[CN_CLASS_COUNT];
        width += iv[i].width_s;
        if (!isnan(iv[i].p99_us[CN_CLASS_COUNT])) {
            p99 += iv[i].p99_us[CN_CLASS_COUNT];
            n_p99++;
        }
    }
    double rate = width > 0 ? done / width : 0, fail_rate = width > 0 ? failed / width : 0;
    double p99_band = n_p99 ? 1.25 * p99 / n_p99 : INFINITY;
    double per_iv = rate * iv[e].width_s;
    size_t k = per_iv > 0 ? (size_t)ceil(2500 / per_iv) : 2;
    k = k < 2 ? 2 : k;
    /* Back once no window from there on is out of band: the end of the
     * last window that is. */
    size_t back = e;
    for (size_t j = e; j + 2 <= n; j++) {
        double got = 0, bad = 0, w = 0, q = 0;
        int nq = 0;
        for (size_t i = j; i < j + k && i < n; i++) {
            got += (double)iv[i].done[CN_CLASS_COUNT];
            bad += (double)iv[i].failed[CN_CLASS_COUNT];
            w += iv[i].width_s;
            if (!isnan(iv[i].p99_us[CN_CLASS_COUNT])) {
                q += iv[i].p99_us[CN_CLASS_COUNT];
                nq++;
            }
        }
        double want = rate * w, allowed = fail_rate * w + 3 * sqrt(fail_rate * w + 1);
        bool ok = fabs(got - want) <= fmax(0.1 * want, 3 * sqrt(want)) && bad <= allowed &&
                  (nq ? q / nq <= p99_band : want < 1);
        if (!ok)
            back = j + k < n ? j + k : n;
    }
    double until = back < n ? iv[back].t_s : (double)end / 1e9;
    out->disruption_s = fmax(0, until - at);
    double lost = 0;
    for (size_t i = e; i < back; i++)
        lost += (double)iv[i].failed[CN_CLASS_COUNT];
    out->disruption_failed = lost;
}

void observer_admitted(run *r)
{
    r->obs.admitted++;
}

void observer_exhausted(run *r, cn_refusal why)
{
    cn_observer *o = &r->obs;
    sim_time_ns now = sim_now(r->s);
    if (o->first_ct_drop < 0 && o->first_snat_failure < 0)
        o->admitted_at_exhaustion = o->admitted;
    sim_time_ns *first = why == CN_REFUSED_SNAT ? &o->first_snat_failure : &o->first_ct_drop;
    if (*first < 0)
        *first = now;
    o->exhaustion_refusals++;
}

void observer_txn_done(run *r, int cls, bool ok, bool new_conn, sim_time_ns latency_ns)
{
    cn_observer *o = &r->obs;
    /* Counted from the start (intervals cover warm-up); the summary takes
     * the difference from the values at warm-up's end. */
    if (ok) {
        o->now.done[cls]++;
        if (o->iv_ns)
            sim_span_hist_add(o->iv_lat[cls], (uint64_t)latency_ns);
    } else {
        o->now.failed[cls]++;
    }
    if (!o->measuring)
        return;
    if (ok) {
        if (!o->iv_ns)
            sim_hist_add(o->lat[cls], (uint64_t)latency_ns);
        sim_hist_add(new_conn ? o->lat_new[cls] : o->lat_reused[cls], (uint64_t)latency_ns);
        o->measured_done++;
        if (r->c->stop_after_transactions > 0 &&
            o->measured_done >= (uint64_t)r->c->stop_after_transactions) {
            o->stopped_at = sim_now(r->s);
            sim_stop(r->s);
        }
    }
}

void observer_result(run *r, uint32_t replication, cn_run_result *out)
{
    cn_observer *o = &r->obs;
    sim_time_ns stop = o->stopped_at ? o->stopped_at : r->end;
    if (o->iv_ns > 0) {
        if (o->iv_start < stop)
            close_interval(r, stop);
        out->n_intervals = o->iv_rows->len;
        out->intervals = (cn_interval *)(void *)g_array_free(o->iv_rows, FALSE);
        o->iv_rows = NULL;
    }
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
    out->time_to_first_ct_drop_s = o->first_ct_drop >= 0 ? (double)o->first_ct_drop / 1e9 : NAN;
    out->time_to_first_snat_failure_s =
        o->first_snat_failure >= 0 ? (double)o->first_snat_failure / 1e9 : NAN;
    bool exhausted = o->first_ct_drop >= 0 || o->first_snat_failure >= 0;
    uint64_t after = o->exhaustion_refusals + o->admitted - o->admitted_at_exhaustion;
    out->admitted_before_exhaustion = exhausted ? (double)o->admitted_at_exhaustion : NAN;
    out->failure_rate_after_exhaustion =
        exhausted && after ? (double)o->exhaustion_refusals / (double)after : NAN;
    disruption(o, out, stop);
}

void observer_free(run *r)
{
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        sim_hist_free(r->obs.lat[k]);
        sim_hist_free(r->obs.lat_new[k]);
        sim_hist_free(r->obs.lat_reused[k]);
    }
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        sim_span_hist_free(r->obs.iv_lat[k]);
        sim_span_hist_free(r->obs.iv_pre[k]);
    }
    g_free(r->obs.iv_busy_prev);
    g_free(r->obs.iv_busy_acc);
    if (r->obs.iv_rows) {
        for (guint i = 0; i < r->obs.iv_rows->len; i++)
            g_free(g_array_index(r->obs.iv_rows, cn_interval, i).events);
        g_array_unref(r->obs.iv_rows);
    }
    if (r->obs.iv_events) {
        g_string_free(r->obs.iv_events, TRUE);
        g_string_free(r->obs.iv_events_next, TRUE);
    }
}
