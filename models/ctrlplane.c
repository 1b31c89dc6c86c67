#include "ctrlplane.h"

#include <math.h>

#include "resource.h"
#include "run-internal.h"
#include "svclookup.h"

double cn_sync_duration_ns(const cn_config *c, const cn_variant *v, int64_t n_services,
                           uint32_t changes, bool full)
{
    const double *x = c->cost;
    switch (v->svc) {
    case CN_SVC_IPTABLES: {
        /* iptables-restore's time grows with the rules it is given.  A full
         * restore writes every rule; a partial one (KEP-3453) writes
         * KUBE-SERVICES (and the other top-level chains) in full on every
         * sync, plus the chains of the Services that changed. */
        double per_svc =
            2.0 + x[CAL_iptables_rules_per_endpoint] * (double)c->endpoints_per_service;
        double rules;
        if (full || c->sync_mode == CN_SYNC_FULL) {
            rules = cn_iptables_total_rules(c, n_services, c->endpoints_per_service);
        } else {
            double changed =
                (double)changes < (double)n_services ? (double)changes : (double)n_services;
            rules = (double)n_services * x[CAL_iptables_rules_per_service] + changed * per_svc;
        }
        return x[CAL_iptables_sync_fixed_ns] + x[CAL_iptables_sync_ns_per_rule] * rules;
    }
    case CN_SVC_IPVS:
        return x[CAL_ipvs_sync_ns] * (double)changes;
    case CN_SVC_NFTABLES:
        return x[CAL_nft_sync_ns] * (double)changes;
    default:
        return x[CAL_ebpf_sync_ns] * (double)changes;
    }
}

/* ---- the state machine: endpoint churn and rule syncs ---- */

static void sync_start(sim *s, void *ctx);

static bool kube_proxy(const cn_variant *v)
{
    return !v->ebpf_dataplane;
}

static bool iptables(const cn_variant *v)
{
    return v->svc == CN_SVC_IPTABLES;
}

/* Ask for a sync: kube-proxy runs at most one per min-sync period and
 * batches the changes that arrive meanwhile; Cilium applies each change. */
static void request_sync(run *r)
{
    cn_ctrlplane *p = &r->cp;
    if (p->sync_scheduled || p->syncing ||
        (p->pending->len == 0 && p->pending_services == 0 && !p->need_full))
        return;
    sim_time_ns at = sim_now(r->s);
    if (run_some_node(r, kube_proxy) && r->c->min_sync_period_s > 0 && r->obs.now.syncs > 0) {
        sim_time_ns next =
            p->last_sync_start + (sim_time_ns)llround(r->c->min_sync_period_s * SIM_NS_PER_S);
        if (next > at)
            at = next;
    }
    p->sync_scheduled = true;
    sim_schedule_at(r->s, at, sync_start, r);
}

static void sync_end(sim *s, void *ctx)
{
    (void)s;
    run *r = ctx;
    cn_ctrlplane *p = &r->cp;
    for (guint i = 0; i < p->inflight->len; i++)
        p->ep_stale[g_array_index(p->inflight, uint32_t, i)] = 0;
    g_array_set_size(p->inflight, 0);
    p->inflight_services = 0;
    p->syncing = false;
    /* kube-proxy rewrote KUBE-SERVICES in a new order (it iterates a Go
     * map): the target Services now sit somewhere else. */
    if (run_some_node(r, iptables) && r->c->chain_position == CN_CHAIN_RANDOM && r->n_services > 0)
        for (int64_t i = 0; i < r->c->target_services && i < r->n_services; i++)
            r->cl->svc_chain_pos[i] =
                (uint32_t)sim_rng_uniform_int(p->rng_sync, (uint64_t)r->n_services);
    request_sync(r);
}

/* kube-proxy's iptables mode does a full resync at least once per
 * --iptables-sync-period, changes or not (KEP-3453). */
static void resync_due(sim *s, void *ctx)
{
    run *r = ctx;
    cn_ctrlplane *p = &r->cp;
    if (!run_some_node(r, iptables))
        return; /* migrated away from kube-proxy's iptables mode */
    sim_schedule(s, p->resync_ns, resync_due, r);
    p->need_full = true;
    request_sync(r);
}

static void sync_start(sim *s, void *ctx)
{
    run *r = ctx;
    cn_ctrlplane *p = &r->cp;
    p->sync_scheduled = false;
    p->syncing = true;
    p->last_sync_start = sim_now(s);
    GArray *t = p->inflight;
    p->inflight = p->pending;
    p->pending = t;
    p->syncing_full = p->need_full;
    p->need_full = false;
    p->inflight_services = p->pending_services;
    p->pending_services = 0;
    /* Every node's agent syncs at once; during a migration the nodes run
     * different agents, and a change is everywhere once the slowest has it. */
    uint32_t changes = p->inflight->len + p->inflight_services;
    double dv[CN_MAX_MIGRATIONS + 1], d = 0;
    for (int v = 0; v < r->n_vars; v++) {
        dv[v] = r->var_nodes[v] > 0
                    ? cn_sync_duration_ns(r->c, &r->var[v], r->n_services, changes, p->syncing_full)
                    : 0;
        d = dv[v] > d ? dv[v] : d;
    }
    r->obs.now.syncs++;
    r->obs.now.sync_ns += d;
    /* The sync occupies one vCPU on every node while it runs. */
    for (uint32_t i = 0; i < r->n_nodes; i++)
        sim_resource_request(r->nodes[i].cpu, (sim_time_ns)llround(dv[run_node_var(r, i)]), NULL,
                             NULL);
    sim_schedule(s, (sim_time_ns)llround(d), sync_end, r);
}

static void churn(sim *s, void *ctx)
{
    run *r = ctx;
    cn_ctrlplane *p = &r->cp;
    p->churning = r->c->endpoint_churn_per_s > 0; /* an event may have stopped it */
    if (p->churning)
        sim_schedule(s,
                     (sim_time_ns)llround(
                         sim_rng_exponential(p->rng_churn, 1e9 / r->c->endpoint_churn_per_s)),
                     churn, r);
    uint32_t ep = (uint32_t)sim_rng_uniform_int(p->rng_churn, p->n_target_eps);
    if (!p->ep_stale[ep]) {
        p->ep_stale[ep] = 1;
        g_array_append_val(p->pending, ep);
    }
    request_sync(r);
}

static bool uses_services(const cn_config *c)
{
    return c->traffic_weight[CN_CLASS_SERVICE] > 0 || c->traffic_weight[CN_CLASS_INGRESS] > 0;
}

void ctrlplane_init(run *r, uint32_t replication)
{
    const cn_config *c = r->c;
    cn_ctrlplane *p = &r->cp;
    p->pending = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    p->inflight = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    p->rng_sync = sim_rng_new(c->seed, replication, sim_rng_stream_id("sync"));
    if (r->v->svc == CN_SVC_IPTABLES && c->sync_period_s > 0) {
        /* The run starts at a random point of the node's resync cycle. */
        p->resync_ns = (sim_time_ns)llround(c->sync_period_s * SIM_NS_PER_S);
        sim_schedule(r->s, (sim_time_ns)sim_rng_uniform_int(p->rng_sync, (uint64_t)p->resync_ns),
                     resync_due, r);
    }
    /* With events, churn may start mid-run. */
    if ((c->endpoint_churn_per_s > 0 || c->n_events > 0) && uses_services(c)) {
        p->n_target_eps = r->cl->svc_ep_start[c->target_services];
        p->ep_stale = g_new0(uint8_t, p->n_target_eps ? p->n_target_eps : 1);
        p->rng_churn = sim_rng_new(c->seed, replication, sim_rng_stream_id("churn"));
        p->churning = p->n_target_eps && c->endpoint_churn_per_s > 0;
        if (p->churning)
            sim_schedule(r->s,
                         (sim_time_ns)llround(
                             sim_rng_exponential(p->rng_churn, 1e9 / c->endpoint_churn_per_s)),
                         churn, r);
    }
}

/* A Deployment-style rolling update of the first S target Services, all at
 * once: each wave starts max(surge, unavailable) new pods per Service (at
 * least one), which are Ready pod_start_s later; then as many old pods go.
 * A removed pod's endpoint stays in the rules until a sync programs the
 * change, so new connections sent to it fail meanwhile (as with churn); the
 * new pod takes the old one's place in the Service (same node, same slot),
 * which the model cannot tell apart once synced. */
typedef struct {
    run *r;
    uint32_t services; /* Services rolled */
    uint32_t step;     /* pods replaced per Service and wave */
    uint32_t done;     /* pods replaced so far per Service (the first ones) */
    sim_time_ns wave_ns;
} rollout;

static uint32_t pods_of(int64_t spec, uint32_t eps, bool round_up)
{
    if (spec >= 0)
        return (uint32_t)spec;
    double x = (double)eps * (double)-spec / 100.0;
    return (uint32_t)(round_up ? ceil(x) : floor(x));
}

static void rollout_wave(sim *s, void *ctx)
{
    rollout *ro = ctx;
    run *r = ro->r;
    cn_ctrlplane *p = &r->cp;
    const cn_cluster *cl = r->cl;
    bool more = false;
    for (uint32_t svc = 0; svc < ro->services; svc++) {
        uint32_t a = cl->svc_ep_start[svc], n = cl->svc_ep_start[svc + 1] - a;
        for (uint32_t k = ro->done; k < ro->done + ro->step && k < n; k++) {
            uint32_t ep = a + k;
            if (ep < p->n_target_eps && !p->ep_stale[ep]) {
                p->ep_stale[ep] = 1;
                g_array_append_val(p->pending, ep);
            }
        }
        more |= ro->done + ro->step < n;
    }
    ro->done += ro->step;
    request_sync(r);
    if (more)
        sim_schedule(s, ro->wave_ns, rollout_wave, ro);
}

void ctrlplane_rollout(run *r, const cn_event *ev)
{
    cn_ctrlplane *p = &r->cp;
    if (!p->ep_stale || !p->n_target_eps)
        return;
    uint32_t eps = r->cl->svc_ep_start[1] - r->cl->svc_ep_start[0];
    uint32_t surge = pods_of(ev->max_surge, eps, true);
    uint32_t unavail = pods_of(ev->max_unavailable, eps, false);
    rollout *ro = g_new0(rollout, 1);
    ro->r = r;
    ro->services = (uint32_t)ev->rollout_services;
    ro->step = surge > unavail ? surge : unavail;
    ro->step = ro->step ? ro->step : 1;
    ro->wave_ns = (sim_time_ns)llround(ev->pod_start_s * SIM_NS_PER_S);
    if (!p->rollouts)
        p->rollouts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(p->rollouts, ro);
    /* The first old pods go once the first new ones are Ready. */
    sim_schedule(r->s, ro->wave_ns, rollout_wave, ro);
}

/* Node nd left.  Its pods' endpoints stay in every node's rules until the
 * control plane removes them: at once for a drain (the evicted pods are
 * deleted, and the rescheduled ones take their slots), after the node
 * controller's grace period for a failure (until the node is NotReady
 * nothing changes).  Meanwhile new connections sent to them fail. */
typedef struct {
    run *r;
    uint32_t node;
} node_gone_ctx;

static void endpoints_of_node_changed(run *r, uint32_t nd)
{
    cn_ctrlplane *p = &r->cp;
    for (uint32_t ep = 0; ep < p->n_target_eps; ep++)
        if (r->cl->pod_node[r->cl->endpoints[ep]] == nd)
            g_array_append_val(p->pending, ep);
    request_sync(r);
}

static void node_not_ready(sim *s, void *ctx)
{
    (void)s;
    node_gone_ctx *x = ctx;
    endpoints_of_node_changed(x->r, x->node);
}

void ctrlplane_node_gone(run *r, uint32_t nd, bool drained)
{
    cn_ctrlplane *p = &r->cp;
    if (!p->ep_stale || !p->n_target_eps)
        return;
    for (uint32_t ep = 0; ep < p->n_target_eps; ep++)
        if (r->cl->pod_node[r->cl->endpoints[ep]] == nd && !p->ep_stale[ep])
            p->ep_stale[ep] = 1;
    if (drained) {
        endpoints_of_node_changed(r, nd);
        return;
    }
    node_gone_ctx *x = g_new(node_gone_ctx, 1);
    *x = (node_gone_ctx){r, nd};
    if (!p->rollouts)
        p->rollouts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(p->rollouts, x); /* freed with the run's rollouts */
    sim_schedule(r->s, (sim_time_ns)llround(r->c->cost[CAL_node_fail_detect_s] * SIM_NS_PER_S),
                 node_not_ready, x);
}

void ctrlplane_churn_changed(run *r)
{
    /* A running churn picks the new rate up at its next change; a stopped
     * one starts now. */
    cn_ctrlplane *p = &r->cp;
    if (p->churning || !p->rng_churn || !p->n_target_eps || r->c->endpoint_churn_per_s <= 0)
        return;
    p->churning = true;
    sim_schedule(
        r->s,
        (sim_time_ns)llround(sim_rng_exponential(p->rng_churn, 1e9 / r->c->endpoint_churn_per_s)),
        churn, r);
}

void ctrlplane_services_changed(run *r, int64_t before)
{
    int64_t d = r->n_services - before;
    r->cp.pending_services += (uint32_t)(d < 0 ? -d : d);
    request_sync(r);
}

void ctrlplane_free(run *r)
{
    cn_ctrlplane *p = &r->cp;
    if (p->rollouts)
        g_ptr_array_unref(p->rollouts);
    if (p->rng_churn)
        sim_rng_free(p->rng_churn);
    sim_rng_free(p->rng_sync);
    g_free(p->ep_stale);
    g_array_unref(p->pending);
    g_array_unref(p->inflight);
}
