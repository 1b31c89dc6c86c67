/* The workload: who talks to whom, the closed- and open-loop clients, and a
 * transaction's life from issue (SYN admission, retransmissions) through its
 * path's steps to its finish. */
#include "workload.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "run-internal.h"
#include "svclookup.h"
#include "units.h"

/* ---- pools ---- */

/* A resource completes a step with the job's address: the txn's. */
_Static_assert(offsetof(txn, job) == 0, "the job is the txn's first field");
/* What every step touches is one cache line (the txn is line-aligned). */
_Static_assert(offsetof(txn, cn) <= 64, "a txn's hot fields fit one cache line");
/* What a transaction's issue and finish touch is the next line. */
_Static_assert(offsetof(txn, own) + offsetof(conn, target) + sizeof(uint32_t) <= 128,
               "a closed-loop client's connection state is in the txn's second line");

static txn *txn_get(run *r)
{
    cn_workload *w = &r->wl;
    if (!w->free_txn) {
        /* Cache-line aligned, so a transaction's hot fields are one line. */
        txn *b = sim_bigmem_alloc(sim_mem(r->s), 256 * sizeof(txn), _Alignof(txn));
        for (int i = 0; i < 256; i++) {
            b[i].next = w->free_txn;
            w->free_txn = &b[i];
        }
    }
    txn *t = w->free_txn;
    w->free_txn = t->next;
    t->r = r;
    return t;
}

static void txn_put(run *r, txn *t)
{
    t->next = r->wl.free_txn;
    r->wl.free_txn = t;
}

static conn *conn_get(run *r)
{
    cn_workload *w = &r->wl;
    if (!w->free_conn) {
        conn *b = sim_bigmem_alloc(sim_mem(r->s), 256 * sizeof(conn), _Alignof(conn));
        for (int i = 0; i < 256; i++) {
            b[i].next_idle = w->free_conn;
            w->free_conn = &b[i];
        }
    }
    conn *c = w->free_conn;
    w->free_conn = c->next_idle;
    memset(c, 0, sizeof *c);
    return c;
}

static void conn_put(run *r, conn *c)
{
    c->next_idle = r->wl.free_conn;
    r->wl.free_conn = c;
}

static cn_path *path_get(run *r)
{
    GPtrArray *f = r->wl.free_paths;
    if (f->len == 0) {
        cn_path *b = sim_bigmem_alloc(sim_mem(r->s), 64 * sizeof(cn_path), _Alignof(cn_path));
        for (int i = 63; i >= 0; i--)
            g_ptr_array_add(f, &b[i]);
    }
    return g_ptr_array_steal_index_fast(f, f->len - 1);
}

static void path_put(run *r, cn_path *p)
{
    g_ptr_array_add(r->wl.free_paths, p);
}

/* ---- choosing who talks to whom ---- */

static uint32_t pod_policies_on(run *r, uint32_t nd)
{
    uint32_t a = r->wl.node_pod_start[nd], b = r->wl.node_pod_start[nd + 1];
    if (a == b || !r->cl->pod_policies)
        return 0;
    uint32_t pod = r->wl.node_pods[a + (uint32_t)sim_rng_uniform_int(r->wl.rng_target, b - a)];
    return r->cl->pod_policies[pod];
}

/* The node that runs what nd ran: nd itself unless it left (drain, fail);
 * then a live node drawn for each connection, as the scheduler spreads a
 * gone node's pods and the clients reconnect from wherever they run now. */
static uint32_t live_node(run *r, uint32_t nd)
{
    if (G_LIKELY(!r->nodes_gone) || !r->node_down[nd])
        return nd;
    return r->live_nodes[sim_rng_uniform_int(r->wl.rng_target, r->n_live)];
}

/* A Service endpoint: fills server node, lookup cost and policy count. */
static void pick_service(run *r, conn *cn, uint32_t *selecting)
{
    const cn_cluster *cl = r->cl;
    uint32_t svc = (uint32_t)sim_rng_uniform_int(r->wl.rng_target, (uint64_t)r->c->target_services);
    uint32_t a = cl->svc_ep_start[svc], n = cl->svc_ep_start[svc + 1] - a;
    uint32_t k = n ? (uint32_t)sim_rng_uniform_int(r->wl.rng_target, n) : 0;
    uint32_t pod = cl->endpoints[a + k];
    cn->target = svc;
    /* A gone node's pods run on its stand-in once their endpoints are
     * reprogrammed (until then the connection is stale and fails). */
    cn->server_node = live_node(r, cl->pod_node[pod]);
    *selecting = cl->pod_policies ? cl->pod_policies[pod] : 0;
    cn->stale = r->cp.ep_stale && r->cp.ep_stale[a + k];
    uint32_t pos = cl->svc_chain_pos[svc];
    /* The translation happens where the connection enters: the client's
     * node, or for ingress the node the load balancer picked. */
    cn_svc_mode mode =
        run_node_variant(r, cn->cls == CN_CLASS_INGRESS ? cn->ingress_node : cn->client_node)->svc;
    uint32_t walk = mode == CN_SVC_IPTABLES
                        ? cn_chain_walk_position(r->c->chain_position, svc, pos, r->n_services,
                                                 r->wl.rng_target)
                        : pos;
    cn->lookup_ns = cn_svc_lookup_ns(r->c, mode, walk, k, r->n_services, n);
    /* eBPF programs Services into the LB map in order until it is full. */
    cn->lb_programmed = mode != CN_SVC_EBPF || (int64_t)pos < r->adm.lb_programmed;
}

/* The policy engine enforcing at node nd: its variant's, except that a
 * Cilium dataplane being migrated to enforces nothing yet. */
static cn_policy node_policy(const run *r, uint32_t nd)
{
    const cn_variant *v = run_node_variant(r, nd);
    return G_UNLIKELY(r->cilium_unenforced) && v->ebpf_dataplane ? CN_POLICY_NONE : v->policy;
}

static void choose_conn(run *r, conn *cn, uint32_t client_node)
{
    const cn_config *c = r->c;
    client_node = live_node(r, client_node); /* a gone node's clients moved */
    cn->cls = (uint8_t)sim_rng_discrete_draw(r->wl.rng_class, r->wl.class_pick);
    cn->client_node = client_node;
    cn->remaining = c->requests_per_connection;
    cn->lookup_ns = cn->egress_ns = cn->ingress_ns = 0;
    cn->lb_programmed = true;
    cn->stale = false;
    cn->snat = NULL;
    uint32_t selecting = 0;
    switch ((cn_class)cn->cls) {
    case CN_CLASS_SAME_NODE:
        cn->server_node = client_node;
        selecting = pod_policies_on(r, client_node);
        break;
    case CN_CLASS_CROSS_NODE:
        cn->server_node = live_node(
            r, (client_node + 1 + (uint32_t)sim_rng_uniform_int(r->wl.rng_target, r->n_nodes - 1)) %
                   r->n_nodes);
        selecting = pod_policies_on(r, cn->server_node);
        break;
    case CN_CLASS_SERVICE:
        pick_service(r, cn, &selecting);
        break;
    case CN_CLASS_EXTERNAL:
        cn->server_node = CN_NODE_EXTERNAL;
        cn->target =
            (uint32_t)sim_rng_uniform_int(r->wl.rng_target, (uint64_t)c->external_destinations);
        cn->snat = admission_snat_pool(r, client_node, cn->target);
        break;
    case CN_CLASS_INGRESS:
        cn->client_node = CN_NODE_EXTERNAL;
        cn->ingress_node =
            live_node(r, (uint32_t)sim_rng_uniform_int(r->wl.rng_target, r->n_nodes));
        pick_service(r, cn, &selecting);
        break;
    default:
        g_assert_not_reached();
    }
    if (cn->client_node != CN_NODE_EXTERNAL)
        cn->egress_ns = cn_policy_egress_ns(c, node_policy(r, cn->client_node));
    if (cn->server_node != CN_NODE_EXTERNAL) {
        cn_policy pol = node_policy(r, cn->server_node);
        cn->ingress_ns = cn_policy_ingress_ns(c, pol, selecting);
        cn->policy_programmed = cn_policy_programmed(c, pol, selecting);
    } else {
        cn->policy_programmed = true;
    }
}

/* ---- transactions ---- */

static void advance(txn *t);
static void start_txn(run *r, txn *t);
static void issue(run *r, txn *t);
static void open_key_release(run *r, conn *cn);
static void finish(txn *t, bool ok);

static bool node_gone(const run *r, uint32_t nd)
{
    return nd != CN_NODE_EXTERNAL && r->node_down[nd];
}

/* Whether the connection runs through a node that left (drain, fail). */
static bool conn_through_gone(const run *r, const conn *cn)
{
    return node_gone(r, cn->client_node) || node_gone(r, cn->server_node) ||
           (cn->cls == CN_CLASS_INGRESS && node_gone(r, cn->ingress_node));
}

/* The connection went with a node: the transaction on it fails and the
 * connection is gone (its entries on the live nodes close); the client's
 * next transaction connects again, to live nodes. */
static void fail_with_node(run *r, txn *t)
{
    if (t->cn->open)
        admission_close(r, t->cn);
    t->cn->remaining = 0;
    finish(t, false);
}

/* The end of a step: at a resource (ctx is the job, the txn's first
 * field) or of a delay (ctx is the txn). */
static void step_done(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    if (G_UNLIKELY(t->r->nodes_gone) && conn_through_gone(t->r, t->cn)) {
        fail_with_node(t->r, t);
        return;
    }
    t->step++;
    advance(t);
}

static void finish(txn *t, bool ok)
{
    run *r = t->r;
    conn *cn = t->cn;
    if (t->new_conn && t->owned) {
        path_put(r, t->owned);
        t->owned = NULL;
    }
    observer_txn_done(r, cn->cls, ok, t->new_conn, sim_now(r->s) - t->start);
    if (ok) {
        cn->remaining--;
        if (cn->remaining <= 0)
            admission_close(r, cn);
    } else {
        cn->remaining = 0; /* the connection never opened */
    }
    if (t->closed_loop) {
        start_txn(r, t);
        return;
    }
    if (cn->remaining > 0)
        open_key_release(r, cn);
    else
        conn_put(r, cn);
    r->wl.open_in_flight--;
    txn_put(r, t);
}

/* A stage's time drawn around its mean (gamma, the stage kind's coefficient
 * of variation), so latency has a tail even when nothing queues. */
static sim_time_ns jitter(run *r, sim_time_ns mean, double cv)
{
    if (cv <= 0)
        return mean;
    sim_time_ns t = cn_units_round(sim_rng_gamma_mean_cv(r->wl.rng_jitter, (double)mean, cv));
    return t > 0 ? t : 1;
}

static void advance(txn *t)
{
    run *r = t->r;
    const cn_step *st = t->step;
    switch (st->kind) {
    case CN_STEP_CPU: {
        sim_time_ns ns = st->ns;
        if (G_UNLIKELY(st->conn != 0))
            ns += ((st->conn & CN_CONN_CLIENT) ? t->conn_ns[0] : 0) +
                  ((st->conn & CN_CONN_SERVER) ? t->conn_ns[1] : 0);
        sim_resource_submit(sim_resource_at(r->cpu, t->node[st->node]), &t->job,
                            jitter(r, ns, r->wl.cpu_cv), step_done);
        break;
    }
    case CN_STEP_NIC:
        /* Serialisation at the NIC's rate: no variability of its own. */
        sim_resource_submit(sim_resource_at(r->nic, t->node[st->node]), &t->job, st->ns, step_done);
        break;
    case CN_STEP_DELAY:
        sim_schedule(r->s, jitter(r, st->ns, r->wl.net_cv), step_done, t);
        break;
    default:
        finish(t, true);
    }
}

static void retry(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    issue(t->r, t);
}

static void give_up(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    finish(t, false); /* counted in failed: the client gave up on the connection */
}

/* A SYN was dropped (table full, no SNAT port, unanswered).  Linux
 * retransmits after the RTO, doubling it each time (1 s: retransmissions at
 * 1, 3, 7, 15, 31, 63 s after the first SYN) and fails the connect one RTO
 * after the last of tcp_syn_retries; the client's own connect timeout ends
 * it earlier when shorter. */
static void syn_dropped(run *r, txn *t)
{
    const double *x = r->c->cost;
    sim_time_ns now = sim_now(r->s);
    if (t->attempts == 0)
        t->syn_start = now;
    t->attempts++;
    double rto_s = x[CAL_syn_rto_initial_s] * ldexp(1.0, t->attempts - 1);
    double left_s = r->c->connect_timeout_s - (double)(now - t->syn_start) / 1e9;
    bool last = t->attempts > (int)x[CAL_tcp_syn_retries];
    if (left_s <= rto_s) {
        sim_schedule(r->s, (sim_time_ns)llround(left_s > 0 ? left_s * 1e9 : 0), give_up, t);
        return;
    }
    sim_schedule(r->s, (sim_time_ns)llround(rto_s * 1e9), last ? give_up : retry, t);
}

/* During a migration: each role's node's costs into f, and the index of
 * the shape for these variants in reuse_mixed and new_mixed. */
static size_t mixed_costs(run *r, cn_flow *f, const uint32_t node[2], unsigned shape)
{
    unsigned nv = CN_MAX_MIGRATIONS + 1;
    uint8_t var[2] = {0, 0};
    uint32_t roles[3] = {f->client_node, f->server_node,
                         f->cls == CN_CLASS_INGRESS ? f->ingress_node : CN_NODE_EXTERNAL};
    for (int i = 0; i < 3; i++)
        if (roles[i] < 2)
            var[roles[i]] = r->node_var[node[roles[i]]];
    f->node_k[0] = &r->kv[var[0]];
    f->node_k[1] = &r->kv[var[1]];
    if (!r->wl.reuse_mixed) {
        r->wl.reuse_mixed = g_new0(cn_path *, (gsize)CN_PATH_SHAPES * nv * nv);
        r->wl.new_mixed = g_new0(cn_path *, (gsize)CN_PATH_SHAPES * nv * nv);
    }
    return ((size_t)shape * nv + var[0]) * nv + var[1];
}

static void issue_path(run *r, txn *t, const conn *cn)
{
    cn_flow f = {
        .cls = (cn_class)cn->cls,
        .new_conn = t->new_conn,
        .client_node = cn->client_node,
        .server_node = cn->server_node,
        .ingress_node = cn->ingress_node,
        .request_bytes = r->c->request_bytes,
        .response_bytes = r->c->response_bytes,
    };
    unsigned shape = cn_flow_roles(&f, t->node);
    cn_path **p = &r->wl.reuse_path[shape];
    cn_path **np = &r->wl.new_path[shape];
    if (G_UNLIKELY(r->node_var != NULL)) {
        size_t i = mixed_costs(r, &f, t->node, shape);
        p = &r->wl.reuse_mixed[i];
        np = &r->wl.new_mixed[i];
    }
    if (!t->new_conn) {
        /* Without set-up the path has no per-connection cost. */
        if (!*p) {
            *p = path_get(r);
            cn_path_build(&r->kv[0], &f, *p);
        }
        t->step = (*p)->step;
        return;
    }
    f.lookup_ns = cn->lookup_ns;
    f.egress_policy_ns = cn->egress_ns;
    f.ingress_policy_ns = cn->ingress_ns;
    if (!*np) {
        *np = path_get(r);
        cn_path_build_shared(&r->kv[0], &f, *np);
    }
    if (!(*np)->unshared && cn_conn_ns(&r->kv[0], &f, t->conn_ns)) {
        t->step = (*np)->step;
        return;
    }
    if (!t->owned)
        t->owned = path_get(r);
    cn_path_build(&r->kv[0], &f, t->owned);
    t->step = t->owned->step;
}

/* Send the transaction: for a new connection, the SYN must get through the
 * tables first. */
static void issue(run *r, txn *t)
{
    conn *cn = t->cn;
    if (G_UNLIKELY(r->nodes_gone) && conn_through_gone(r, cn)) {
        fail_with_node(r, t);
        return;
    }
    if (t->new_conn && !admission_admit(r, cn)) {
        syn_dropped(r, t);
        return;
    }
    issue_path(r, t, cn);
    advance(t);
}

/* Closed loop: the client's next transaction, on its connection while it
 * has requests left, else on a new one. */
static void start_txn(run *r, txn *t)
{
    cn_workload *w = &r->wl;
    if (G_UNLIKELY(w->clients_alive > w->clients_target)) {
        /* Concurrency was lowered: this client leaves, closing its
         * connection. */
        if (t->own.open)
            admission_close(r, &t->own);
        w->clients_alive--;
        txn_put(r, t);
        return;
    }
    t->start = sim_now(r->s);
    t->attempts = 0;
    t->new_conn = !t->own.open || t->own.remaining <= 0;
    if (t->new_conn)
        choose_conn(r, &t->own, t->home);
    t->cn = &t->own;
    issue(r, t);
}

static void client_start(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    start_txn(t->r, t);
}

/* ---- open loop ---- */

static uint64_t conn_key(const conn *cn)
{
    /* A pooled connection serves requests to the same peer: the same
     * Service (any endpoint), external destination, or pod-to-pod node. */
    uint64_t nd = cn->cls == CN_CLASS_INGRESS ? cn->ingress_node : cn->client_node;
    bool by_target =
        cn->cls == CN_CLASS_SERVICE || cn->cls == CN_CLASS_INGRESS || cn->cls == CN_CLASS_EXTERNAL;
    return (nd << 40) ^ ((uint64_t)cn->cls << 32) ^ (by_target ? cn->target : cn->server_node);
}

/* The idle connections to one peer: a stack, allocated once per peer, so
 * that taking and returning a connection allocates nothing. */
typedef struct {
    uint64_t key;
    conn *head;
} idle_list;

static void open_key_release(run *r, conn *cn)
{
    uint64_t key = conn_key(cn);
    idle_list *l = cn_keymap_get(&r->wl.idle, key);
    if (!l) {
        l = g_new0(idle_list, 1);
        l->key = key;
        cn_keymap_add(&r->wl.idle, key, l);
    }
    cn->next_idle = l->head;
    l->head = cn;
}

static void arrival(sim *s, void *ctx)
{
    run *r = ctx;
    const cn_config *c = r->c;
    if (++r->wl.open_in_flight > CN_OPEN_BACKLOG_MAX) {
        r->obs.stopped_at = MAX(sim_now(s), r->warm_end);
        r->obs.backlog_stopped = true;
        sim_stop(s);
        return;
    }
    r->wl.next_arrival = sim_schedule(
        s, (sim_time_ns)llround(sim_rng_exponential(r->wl.rng_arrival, 1e9 / c->rate_rps)), arrival,
        r);
    txn *t = txn_get(r);
    t->closed_loop = false;
    t->start = sim_now(s);
    t->attempts = 0;
    uint32_t nd = (uint32_t)sim_rng_uniform_int(r->wl.rng_arrival, r->wl.n_client_nodes);
    conn *cn = conn_get(r);
    choose_conn(r, cn, nd);
    t->new_conn = true;
    if (c->requests_per_connection > 1) {
        /* Reuse an idle connection to the same peer, as a client's pool does. */
        uint64_t key = conn_key(cn);
        idle_list *l = cn_keymap_get(&r->wl.idle, key);
        if (l && l->head) {
            conn *idle = l->head;
            l->head = idle->next_idle;
            conn_put(r, cn);
            cn = idle;
            t->new_conn = false;
        }
    }
    t->cn = cn;
    issue(r, t);
}

/* ---- setting up ---- */

void workload_init(run *r, uint32_t replication)
{
    const cn_config *c = r->c;
    cn_workload *w = &r->wl;
    w->n_client_nodes = c->client_nodes > 0 ? (uint32_t)c->client_nodes : r->n_nodes;
    w->free_paths = g_ptr_array_new();
    cn_keymap_init(&w->idle);

    /* Node -> pods, to find a pod on a node (pod-to-pod classes). */
    w->node_pod_start = g_new0(uint32_t, r->n_nodes + 1);
    w->node_pods = g_new(uint32_t, r->cl->n_pods ? r->cl->n_pods : 1);
    for (uint32_t p = 0; p < r->cl->n_pods; p++)
        w->node_pod_start[r->cl->pod_node[p] + 1]++;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        w->node_pod_start[i + 1] += w->node_pod_start[i];
    {
        g_autofree uint32_t *fill = g_memdup2(w->node_pod_start, sizeof(uint32_t) * r->n_nodes);
        for (uint32_t p = 0; p < r->cl->n_pods; p++)
            w->node_pods[fill[r->cl->pod_node[p]]++] = p;
    }

    w->rng_class = sim_rng_new(c->seed, replication, sim_rng_stream_id("class"));
    w->rng_target = sim_rng_new(c->seed, replication, sim_rng_stream_id("target"));
    w->rng_arrival = sim_rng_new(c->seed, replication, sim_rng_stream_id("arrival"));
    w->rng_start = sim_rng_new(c->seed, replication, sim_rng_stream_id("start"));
    w->rng_jitter = sim_rng_new(c->seed, replication, sim_rng_stream_id("jitter"));
    w->cpu_cv = c->cost[CAL_cpu_cv];
    w->net_cv = c->cost[CAL_net_cv];
    w->class_pick = sim_rng_discrete_new(CN_CLASS_COUNT, c->traffic_weight);
}

void workload_start(run *r)
{
    const cn_config *c = r->c;
    r->wl.clients_target = r->wl.clients_alive = c->concurrency;
    if (c->model == CN_LOAD_CLOSED) {
        for (int64_t i = 0; i < c->concurrency; i++) {
            txn *t = txn_get(r);
            t->closed_loop = true;
            t->home = (uint32_t)(i % r->wl.n_client_nodes);
            t->own.open = false;
            /* Stagger the first requests over 100 us so clients are not in
             * lockstep. */
            sim_schedule(r->s, (sim_time_ns)sim_rng_uniform_int(r->wl.rng_start, 100000),
                         client_start, t);
        }
    } else if (c->rate_rps > 0) {
        r->wl.next_arrival = sim_schedule(
            r->s, (sim_time_ns)llround(sim_rng_exponential(r->wl.rng_arrival, 1e9 / c->rate_rps)),
            arrival, r);
    }
}

void workload_rate_changed(run *r)
{
    /* Arrivals are memoryless: the pending one is drawn again at the new
     * rate, so the change shows at once. */
    cn_workload *w = &r->wl;
    if (w->next_arrival)
        sim_cancel(r->s, w->next_arrival);
    w->next_arrival = 0;
    if (r->c->rate_rps > 0)
        w->next_arrival = sim_schedule(
            r->s, (sim_time_ns)llround(sim_rng_exponential(w->rng_arrival, 1e9 / r->c->rate_rps)),
            arrival, r);
}

void workload_set_concurrency(run *r, int64_t clients)
{
    cn_workload *w = &r->wl;
    w->clients_target = clients;
    /* New clients start at once, staggered over 100 us as at the start;
     * surplus ones retire when their transaction ends (start_txn). */
    for (; w->clients_alive < clients; w->clients_alive++) {
        txn *t = txn_get(r);
        t->closed_loop = true;
        t->home = (uint32_t)(w->clients_alive % w->n_client_nodes);
        memset(&t->own, 0, sizeof t->own);
        sim_schedule(r->s, (sim_time_ns)sim_rng_uniform_int(w->rng_start, 100000), client_start, t);
    }
}

void workload_traffic_changed(run *r)
{
    sim_rng_discrete_free(r->wl.class_pick);
    r->wl.class_pick = sim_rng_discrete_new(CN_CLASS_COUNT, r->c->traffic_weight);
}

void workload_free(run *r)
{
    cn_workload *w = &r->wl;
    sim_rng_discrete_free(w->class_pick);
    sim_rng_free(w->rng_class);
    sim_rng_free(w->rng_target);
    sim_rng_free(w->rng_arrival);
    sim_rng_free(w->rng_start);
    sim_rng_free(w->rng_jitter);
    cn_keymap_clear(&w->idle, g_free);
    g_ptr_array_unref(w->free_paths);
    g_free(w->reuse_mixed);
    g_free(w->new_mixed);
    g_free(w->node_pod_start);
    g_free(w->node_pods);
}
