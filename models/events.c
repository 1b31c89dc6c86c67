#include "events.h"

#include <math.h>

#include "node.h"
#include "run-internal.h"

static void live_changed(run *r)
{
    r->n_live = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        if (!r->node_down[i])
            r->live_nodes[r->n_live++] = i;
    r->nodes_gone = r->n_live < r->n_nodes;
}

/* Node i leaves: its work in flight fails when it next steps (workload.c),
 * its tables and ports go, its Service endpoints become stale until
 * reprogrammed, and its pods and clients are spread over the live nodes. */
static void node_leave(run *r, uint32_t i, bool drained)
{
    if (!r->node_down) {
        r->node_down = g_new0(uint8_t, r->n_nodes);
        r->live_nodes = g_new(uint32_t, r->n_nodes);
    }
    r->node_down[i] = 1;
    r->nodes_ready--;
    admission_node_gone(r, i);
    ctrlplane_node_gone(r, i, drained);
    live_changed(r);
}

/* The n highest-numbered live nodes leave (at least one node stays). */
static void nodes_leave(run *r, int64_t n, bool drained)
{
    for (uint32_t i = r->n_nodes; i-- > 0 && n > 0;) {
        if (r->node_down && (r->node_down[i] || r->n_live <= 1))
            continue;
        node_leave(r, i, drained);
        n--;
    }
}

/* AKS's node-by-node reimage: a node image upgrade (az aks upgrade) or a
 * migration (az aks update --network-plugin-mode overlay, --network-dataplane
 * cilium, --network-policy), which AKS performs the same way.  max_surge
 * surge nodes join the load balancer's pool (the SNAT tier follows, as with
 * scale_nodes; they carry no pods), then the nodes are reimaged in order,
 * max_surge at a time: each is cordoned and drained (as a drain event), down
 * for reimage_s, and back, empty, on the new image (for a migration: running
 * the target variant); the surge nodes leave after the last.  The reimaged
 * node's pods come back to it (the model has no other placement for them).
 * AKS runs one such operation at a time: one asked for meanwhile waits. */
typedef struct {
    run *r;
    const cn_event_ctx *x;
    uint32_t next;      /* the next node to reimage */
    uint32_t reimaging; /* nodes down now */
    int64_t surge;
    sim_time_ns reimage_ns;
    int var; /* the variant the nodes come back on; -1: theirs (an upgrade) */
    bool done;
} upgrade;

typedef struct {
    upgrade *u;
    uint32_t node;
} reimage;

static void reimage_next(upgrade *u);
static void upgrade_start(run *r, const cn_event_ctx *x);

static void node_back(sim *s, void *ctx)
{
    (void)s;
    reimage *x = ctx;
    upgrade *u = x->u;
    run *r = u->r;
    if (u->var >= 0) {
        uint8_t was = r->node_var[x->node];
        r->var_nodes[was]--;
        r->var_nodes[u->var]++;
        r->node_var[x->node] = (uint8_t)u->var;
        cn_node_set_variant(&r->nodes[x->node], r->c, &r->var[u->var]);
    }
    r->node_down[x->node] = 0;
    r->nodes_ready++;
    live_changed(r);
    g_free(x);
    u->reimaging--;
    reimage_next(u);
}

/* The last node is back: the surge nodes leave, and the next operation
 * asked for starts. */
static void upgrade_done(upgrade *u)
{
    run *r = u->r;
    r->nodes_ready -= u->surge;
    admission_scale_nodes(r, r->nodes_ready);
    if (u->var >= 0)
        r->cilium_unenforced = false; /* every node runs the target now */
    g_autofree char *mark = g_strdup_printf("%s done", u->x->ev->name);
    observer_event(r, mark);
    r->ev.reimaging = false;
    if (r->ev.waiting && r->ev.waiting->len > 0) {
        const cn_event_ctx *next = g_ptr_array_steal_index(r->ev.waiting, 0);
        upgrade_start(r, next);
    }
}

static void reimage_next(upgrade *u)
{
    run *r = u->r;
    /* A node already gone (a fail or drain event) is not reimaged; at least
     * one node stays up. */
    while (u->next < r->n_nodes && r->node_down && r->node_down[u->next])
        u->next++;
    bool last_up = r->node_down && r->n_live <= 1; /* wait for a node to come back */
    if (last_up && u->reimaging > 0)
        return;
    if (u->next >= r->n_nodes || last_up || r->n_nodes < 2) {
        u->next = r->n_nodes;
        if (u->reimaging == 0 && !u->done) {
            u->done = true;
            upgrade_done(u);
        }
        return;
    }
    reimage *x = g_new(reimage, 1);
    *x = (reimage){u, u->next++};
    u->reimaging++;
    node_leave(r, x->node, true);
    sim_schedule(r->s, u->reimage_ns, node_back, x);
}

static void upgrade_start(run *r, const cn_event_ctx *x)
{
    const cn_event *ev = x->ev;
    if (r->ev.reimaging) {
        if (!r->ev.waiting)
            r->ev.waiting = g_ptr_array_new();
        g_ptr_array_add(r->ev.waiting, (gpointer)x);
        return;
    }
    r->ev.reimaging = true;
    observer_event(r, ev->name);
    upgrade *u = g_new0(upgrade, 1);
    u->r = r;
    u->x = x;
    u->var = x->var;
    if (u->var >= 0) {
        if (!r->node_var)
            r->node_var = g_new0(uint8_t, r->n_nodes);
        /* Cilium enforces policy only once every node runs it. */
        r->cilium_unenforced = r->var[u->var].ebpf_dataplane;
        for (uint32_t i = 0; i < r->n_nodes; i++)
            r->cilium_unenforced = r->cilium_unenforced && !r->var[r->node_var[i]].ebpf_dataplane;
    }
    int64_t surge = ev->max_surge >= 0 ? ev->max_surge
                                       : (int64_t)ceil((double)r->n_nodes * -ev->max_surge / 100.0);
    u->surge = surge > 0 ? surge : 1;
    double reimage_s = ev->reimage_s >= 0 ? ev->reimage_s : r->c->cost[CAL_node_reimage_s];
    u->reimage_ns = (sim_time_ns)llround(reimage_s * SIM_NS_PER_S);
    if (!r->ev.upgrades)
        r->ev.upgrades = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(r->ev.upgrades, u);
    r->nodes_ready += u->surge;
    admission_scale_nodes(r, r->nodes_ready);
    for (int64_t k = 0; k < u->surge && u->next < r->n_nodes; k++)
        reimage_next(u);
}

static void fire(sim *s, void *ctx)
{
    (void)s;
    cn_event_ctx *x = ctx;
    run *r = x->r;
    const cn_event *ev = x->ev;
    cn_config *c = r->cm;
    if (ev->kind == CN_EVENT_SCALE) {
        admission_scale_nodes(r, ev->scale_nodes);
        r->nodes_ready = ev->scale_nodes;
        observer_event(r, ev->name);
        return;
    }
    if (ev->kind == CN_EVENT_DRAIN || ev->kind == CN_EVENT_FAIL) {
        nodes_leave(r, ev->gone_nodes, ev->kind == CN_EVENT_DRAIN);
        observer_event(r, ev->name);
        return;
    }
    if (ev->kind == CN_EVENT_UPGRADE || ev->kind == CN_EVENT_MIGRATE) {
        upgrade_start(r, x); /* marks the event when it starts */
        return;
    }
    if (ev->kind == CN_EVENT_ROLLOUT) {
        ctrlplane_rollout(r, ev);
        observer_event(r, ev->name);
        return;
    }
    switch (ev->key) {
    case CN_SET_RATE_RPS:
        c->rate_rps = ev->value;
        workload_rate_changed(r);
        break;
    case CN_SET_CONCURRENCY:
        c->concurrency = (int64_t)ev->value;
        workload_set_concurrency(r, c->concurrency);
        break;
    case CN_SET_CHURN:
        c->endpoint_churn_per_s = ev->value;
        ctrlplane_churn_changed(r);
        break;
    case CN_SET_TRAFFIC:
        memcpy(c->traffic_weight, ev->traffic_weight, sizeof c->traffic_weight);
        workload_traffic_changed(r);
        break;
    case CN_SET_SERVICES: {
        /* New connections walk the new table (lookup cost) and syncs
         * rewrite it; the Services that receive traffic stay. */
        c->services = (int64_t)ev->value;
        bool to_services =
            c->traffic_weight[CN_CLASS_SERVICE] > 0 || c->traffic_weight[CN_CLASS_INGRESS] > 0;
        int64_t before = r->n_services;
        r->n_services =
            to_services && c->services < c->target_services ? c->target_services : c->services;
        /* The added or removed Services' rules are written at the next sync. */
        ctrlplane_services_changed(r, before);
        break;
    }
    case CN_SET_POLICIES:
        /* New connections pay the policy engine's cost for the new count;
         * which pods the policies select stays as built. */
        c->network_policies = (int64_t)ev->value;
        break;
    }
    observer_event(r, ev->name);
}

void events_start(run *r)
{
    const cn_config *c = r->c;
    if (c->n_events == 0)
        return;
    r->ev.ctx = g_new(cn_event_ctx, c->n_events);
    for (int i = 0; i < c->n_events; i++) {
        r->ev.ctx[i] = (cn_event_ctx){r, &c->events[i], -1};
        if (c->events[i].kind == CN_EVENT_MIGRATE && r->n_vars <= CN_MAX_MIGRATIONS) {
            /* The scenario's check made each migration one documented step
             * from the variant before it. */
            int k = r->n_vars++;
            r->var[k] = c->events[i].target;
            cn_dp_costs_init(&r->kv[k], c, &r->var[k]);
            r->ev.ctx[i].var = k;
        }
        sim_schedule_at(r->s, (sim_time_ns)llround(c->events[i].at_s * SIM_NS_PER_S), fire,
                        &r->ev.ctx[i]);
    }
}

void events_free(run *r)
{
    g_free(r->ev.ctx);
    if (r->ev.upgrades)
        g_ptr_array_unref(r->ev.upgrades);
    if (r->ev.waiting)
        g_ptr_array_unref(r->ev.waiting);
    g_free(r->node_var);
    g_free(r->node_down);
    g_free(r->live_nodes);
}
