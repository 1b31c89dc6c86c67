#include "events.h"

#include <math.h>

#include "run-internal.h"

/* The n highest-numbered live nodes leave (at least one node stays):
 * their work in flight fails when it next steps (workload.c), their tables
 * and ports go, their Service endpoints become stale until reprogrammed,
 * and their pods and clients are spread over the live nodes. */
static void nodes_leave(run *r, int64_t n, bool drained)
{
    if (!r->node_down) {
        r->node_down = g_new0(uint8_t, r->n_nodes);
        r->live_nodes = g_new(uint32_t, r->n_nodes);
    }
    uint32_t live = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        live += !r->node_down[i];
    for (uint32_t i = r->n_nodes; i-- > 0 && n > 0 && live > 1;) {
        if (r->node_down[i])
            continue;
        r->node_down[i] = 1;
        live--;
        n--;
        r->nodes_ready--;
        r->nodes_gone = true;
        admission_node_gone(r, i);
        ctrlplane_node_gone(r, i, drained);
    }
    r->n_live = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        if (!r->node_down[i])
            r->live_nodes[r->n_live++] = i;
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
        r->n_services =
            to_services && c->services < c->target_services ? c->target_services : c->services;
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
        r->ev.ctx[i] = (cn_event_ctx){r, &c->events[i]};
        sim_schedule_at(r->s, (sim_time_ns)llround(c->events[i].at_s * SIM_NS_PER_S), fire,
                        &r->ev.ctx[i]);
    }
}

void events_free(run *r)
{
    g_free(r->ev.ctx);
    g_free(r->node_down);
    g_free(r->live_nodes);
}
