/* One run: the cluster, its nodes' resources and tables, the workload, and
 * the transactions walking their paths. */
#include "run.h"

#include <math.h>
#include <string.h>

#include "cluster.h"
#include "conntrack.h"
#include "ctrlplane.h"
#include "datapath.h"
#include "outbound.h"
#include "policy.h"
#include "resource.h"
#include "rng.h"
#include "sim.h"
#include "snat.h"
#include "svclookup.h"

G_DEFINE_QUARK(cn - run - error - quark, cn_run_error)

static const volatile gint *stop_flag;

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

typedef struct {
    sim_resource *cpu; /* vcpus_per_node servers */
    sim_resource *nic; /* transmit queue */
    cn_ct_table ct;
} node;

typedef struct conn conn;
struct conn {
    uint8_t cls;
    bool open;             /* set up and not yet closed */
    uint32_t client_node;  /* CN_NODE_EXTERNAL for ingress */
    uint32_t server_node;  /* CN_NODE_EXTERNAL for egress */
    uint32_t ingress_node; /* ingress: the node the LB chose */
    uint32_t target;       /* Service index or external destination */
    int64_t remaining;     /* transactions left on this connection */
    double lookup_ns, egress_ns, ingress_ns;
    bool lb_programmed, policy_programmed;
    bool stale;         /* its endpoint is gone but still programmed */
    cn_snat_pool *snat; /* egress: the port pool used */
    conn *next_idle;    /* open loop: idle list link */
};

typedef struct run run;
typedef struct txn txn;
struct txn {
    run *r;
    conn *cn;
    bool new_conn;
    bool closed_loop;  /* a closed-loop client: starts again when done */
    uint8_t attempts;  /* SYNs sent for this connection */
    uint32_t home;     /* closed loop: the node the client pod runs on */
    int cur;           /* step being executed */
    sim_time_ns start; /* when the transaction was issued */
    cn_path path;
    conn own;  /* closed loop: the client's connection */
    txn *next; /* free list */
};

typedef struct {
    uint64_t done[CN_CLASS_COUNT], failed[CN_CLASS_COUNT];
    uint64_t snat_failures, policy_drops, lb_unprogrammed, stale_failures;
    uint64_t syncs;
    double sync_ns; /* total duration of the syncs started */
} counters;

struct run {
    const cn_config *c;
    const cn_variant *v;
    sim *s;
    cn_cluster *cl;
    cn_dp_costs k;
    node *nodes;
    uint32_t n_nodes;
    uint32_t n_client_nodes;
    uint32_t *node_pod_start; /* CSR: pods of each node */
    uint32_t *node_pods;
    int64_t n_services;
    int64_t lb_programmed; /* eBPF: Services that fit the LB map */
    int64_t snat_ports;    /* per node */
    GHashTable *snat;      /* (node << 32 | destination) -> cn_snat_pool */
    GHashTable *idle;      /* open loop: connection key -> idle conn list */
    sim_rng *rng_class, *rng_target, *rng_arrival, *rng_start;
    sim_rng_discrete *class_pick;
    sim_time_ns warm_end, end;
    bool measuring;
    counters now, at_warm;
    sim_hist *lat[CN_CLASS_COUNT];
    uint64_t measured_done;
    uint64_t drops_at_warm;
    sim_time_ns stopped_at; /* when stop_after_transactions was reached */
    /* Control plane: endpoints replaced but not yet reprogrammed. */
    uint8_t *ep_stale; /* per endpoint of the target Services */
    uint32_t n_target_eps;
    GArray *pending;  /* endpoints changed since the last sync started */
    GArray *inflight; /* endpoints the running sync will program */
    bool sync_scheduled, syncing;
    sim_time_ns last_sync_start;
    sim_rng *rng_churn;
    txn *free_txn;
    conn *free_conn;
    GPtrArray *blocks; /* allocations of pooled txns and conns */
};

/* ---- pools ---- */

static txn *txn_get(run *r)
{
    if (!r->free_txn) {
        txn *b = g_new0(txn, 256);
        g_ptr_array_add(r->blocks, b);
        for (int i = 0; i < 256; i++) {
            b[i].next = r->free_txn;
            r->free_txn = &b[i];
        }
    }
    txn *t = r->free_txn;
    r->free_txn = t->next;
    t->r = r;
    return t;
}

static void txn_put(run *r, txn *t)
{
    t->next = r->free_txn;
    r->free_txn = t;
}

static conn *conn_get(run *r)
{
    if (!r->free_conn) {
        conn *b = g_new0(conn, 256);
        g_ptr_array_add(r->blocks, b);
        for (int i = 0; i < 256; i++) {
            b[i].next_idle = r->free_conn;
            r->free_conn = &b[i];
        }
    }
    conn *c = r->free_conn;
    r->free_conn = c->next_idle;
    memset(c, 0, sizeof *c);
    return c;
}

static void conn_put(run *r, conn *c)
{
    c->next_idle = r->free_conn;
    r->free_conn = c;
}

/* ---- choosing who talks to whom ---- */

static uint32_t pod_policies_on(run *r, uint32_t nd)
{
    uint32_t a = r->node_pod_start[nd], b = r->node_pod_start[nd + 1];
    if (a == b || !r->cl->pod_policies)
        return 0;
    uint32_t pod = r->node_pods[a + (uint32_t)sim_rng_uniform_int(r->rng_target, b - a)];
    return r->cl->pod_policies[pod];
}

/* A Service endpoint: fills server node, lookup cost and policy count. */
static void pick_service(run *r, conn *cn, uint32_t *selecting)
{
    const cn_cluster *cl = r->cl;
    uint32_t svc = (uint32_t)sim_rng_uniform_int(r->rng_target, (uint64_t)r->c->target_services);
    uint32_t a = cl->svc_ep_start[svc], n = cl->svc_ep_start[svc + 1] - a;
    uint32_t k = n ? (uint32_t)sim_rng_uniform_int(r->rng_target, n) : 0;
    uint32_t pod = cl->endpoints[a + k];
    cn->target = svc;
    cn->server_node = cl->pod_node[pod];
    *selecting = cl->pod_policies ? cl->pod_policies[pod] : 0;
    cn->stale = r->ep_stale && r->ep_stale[a + k];
    uint32_t pos = cl->svc_chain_pos[svc];
    cn->lookup_ns = cn_svc_lookup_ns(r->c, r->v->svc, pos, k, r->n_services, n);
    /* eBPF programs Services into the LB map in order until it is full. */
    cn->lb_programmed = r->v->svc != CN_SVC_EBPF || (int64_t)pos < r->lb_programmed;
}

static void choose_conn(run *r, conn *cn, uint32_t client_node)
{
    const cn_config *c = r->c;
    cn->cls = (uint8_t)sim_rng_discrete_draw(r->rng_class, r->class_pick);
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
        cn->server_node =
            (client_node + 1 + (uint32_t)sim_rng_uniform_int(r->rng_target, r->n_nodes - 1)) %
            r->n_nodes;
        selecting = pod_policies_on(r, cn->server_node);
        break;
    case CN_CLASS_SERVICE:
        pick_service(r, cn, &selecting);
        break;
    case CN_CLASS_EXTERNAL: {
        cn->server_node = CN_NODE_EXTERNAL;
        cn->target =
            (uint32_t)sim_rng_uniform_int(r->rng_target, (uint64_t)c->external_destinations);
        uint64_t key = ((uint64_t)client_node << 32) | cn->target;
        cn_snat_pool *p = g_hash_table_lookup(r->snat, &key);
        if (!p) {
            uint64_t *kk = g_new(uint64_t, 1);
            *kk = key;
            p = g_new(cn_snat_pool, 1);
            cn_snat_init(p, r->snat_ports);
            g_hash_table_insert(r->snat, kk, p);
        }
        cn->snat = p;
        break;
    }
    case CN_CLASS_INGRESS:
        cn->client_node = CN_NODE_EXTERNAL;
        cn->ingress_node = (uint32_t)sim_rng_uniform_int(r->rng_target, r->n_nodes);
        pick_service(r, cn, &selecting);
        break;
    default:
        g_assert_not_reached();
    }
    if (cn->client_node != CN_NODE_EXTERNAL)
        cn->egress_ns = cn_policy_egress_ns(c, r->v->policy);
    if (cn->server_node != CN_NODE_EXTERNAL) {
        cn->ingress_ns = cn_policy_ingress_ns(c, r->v->policy, selecting);
        cn->policy_programmed = cn_policy_programmed(c, r->v->policy, selecting);
    } else {
        cn->policy_programmed = true;
    }
}

/* ---- connection admission: tables, ports, programmed state ---- */

static cn_ct_table *ct_of(run *r, uint32_t nd)
{
    return nd == CN_NODE_EXTERNAL ? NULL : &r->nodes[nd].ct;
}

/* The distinct nodes whose conntrack tables a flow occupies. */
static int flow_tables(run *r, const conn *cn, cn_ct_table **t)
{
    uint32_t nds[3] = {cn->client_node, cn->server_node,
                       cn->cls == CN_CLASS_INGRESS ? cn->ingress_node : CN_NODE_EXTERNAL};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        cn_ct_table *x = ct_of(r, nds[i]);
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup |= t[j] == x;
        if (x && !dup)
            t[n++] = x;
    }
    return n;
}

static bool admit(run *r, conn *cn)
{
    sim_time_ns now = sim_now(r->s);
    if (!cn->lb_programmed) {
        r->now.lb_unprogrammed++;
        return false;
    }
    if (cn->stale) {
        /* Rules still send it to a pod that is gone: the SYN goes
         * unanswered, and retransmissions follow the same conntrack entry
         * (or socket) to the same address. */
        r->now.stale_failures++;
        return false;
    }
    if (!cn->policy_programmed) {
        r->now.policy_drops++;
        return false;
    }
    cn_ct_table *t[3];
    int n = flow_tables(r, cn, t);
    for (int i = 0; i < n; i++)
        if (!cn_ct_open(t[i], now)) {
            for (int j = 0; j < i; j++)
                cn_ct_abandon(t[j]);
            return false;
        }
    if (cn->snat && !cn_snat_open(cn->snat, now)) {
        r->now.snat_failures++;
        for (int i = 0; i < n; i++)
            cn_ct_abandon(t[i]);
        return false;
    }
    cn->open = true;
    return true;
}

static void close_conn(run *r, conn *cn)
{
    sim_time_ns now = sim_now(r->s);
    cn_ct_table *t[3];
    int n = flow_tables(r, cn, t);
    for (int i = 0; i < n; i++)
        cn_ct_close(t[i], now);
    if (cn->snat)
        cn_snat_close(cn->snat, now,
                      (sim_time_ns)(r->c->cost[CAL_lb_idle_timeout_s] * SIM_NS_PER_S));
    cn->open = false;
}

/* ---- transactions ---- */

static void advance(txn *t);
static void start_txn(run *r, txn *t);
static void issue(run *r, txn *t);

static void step_done(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    t->cur++;
    advance(t);
}

static void open_key_release(run *r, conn *cn);

static void finish(txn *t, bool ok)
{
    run *r = t->r;
    sim_time_ns now = sim_now(r->s);
    conn *cn = t->cn;
    int cls = cn->cls;
    if (r->measuring) {
        if (ok) {
            r->now.done[cls]++;
            sim_hist_add(r->lat[cls], (uint64_t)(now - t->start));
            r->measured_done++;
            if (r->c->stop_after_transactions > 0 &&
                r->measured_done >= (uint64_t)r->c->stop_after_transactions) {
                r->stopped_at = now;
                sim_stop(r->s);
            }
        } else {
            r->now.failed[cls]++;
        }
    }
    if (ok) {
        cn->remaining--;
        if (cn->remaining <= 0)
            close_conn(r, cn);
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
    txn_put(r, t);
}

static void advance(txn *t)
{
    run *r = t->r;
    if (t->cur == t->path.n) {
        finish(t, true);
        return;
    }
    const cn_step *st = &t->path.step[t->cur];
    switch (st->kind) {
    case CN_STEP_CPU:
        sim_resource_request(r->nodes[st->node].cpu, st->ns, step_done, t);
        break;
    case CN_STEP_NIC:
        sim_resource_request(r->nodes[st->node].nic, st->ns, step_done, t);
        break;
    default:
        sim_schedule(r->s, st->ns, step_done, t);
    }
}

static void retry(sim *s, void *ctx)
{
    (void)s;
    txn *t = ctx;
    issue(t->r, t);
}

/* Send the transaction: for a new connection, the SYN must get through the
 * tables first; a dropped SYN is retransmitted after 1 s, then 3 s, then the
 * client gives up. */
static void issue(run *r, txn *t)
{
    conn *cn = t->cn;
    if (t->new_conn && !admit(r, cn)) {
        t->attempts++;
        if (t->attempts >= 3) {
            finish(t, false);
            return;
        }
        double wait_s =
            t->attempts == 1 ? r->c->cost[CAL_syn_retry1_s] : r->c->cost[CAL_syn_retry2_s];
        sim_schedule(r->s, (sim_time_ns)(wait_s * SIM_NS_PER_S), retry, t);
        return;
    }
    cn_flow f = {
        .cls = (cn_class)cn->cls,
        .new_conn = t->new_conn,
        .client_node = cn->client_node,
        .server_node = cn->server_node,
        .ingress_node = cn->ingress_node,
        .lookup_ns = cn->lookup_ns,
        .egress_policy_ns = cn->egress_ns,
        .ingress_policy_ns = cn->ingress_ns,
        .request_bytes = r->c->request_bytes,
        .response_bytes = r->c->response_bytes,
    };
    cn_path_build(&r->k, &f, &t->path);
    t->cur = 0;
    advance(t);
}

/* Closed loop: the client's next transaction, on its connection while it
 * has requests left, else on a new one. */
static void start_txn(run *r, txn *t)
{
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
    idle_list *l = g_hash_table_lookup(r->idle, &key);
    if (!l) {
        l = g_new0(idle_list, 1);
        l->key = key;
        g_hash_table_insert(r->idle, &l->key, l);
    }
    cn->next_idle = l->head;
    l->head = cn;
}

static void arrival(sim *s, void *ctx)
{
    run *r = ctx;
    const cn_config *c = r->c;
    sim_schedule(s, (sim_time_ns)llround(sim_rng_exponential(r->rng_arrival, 1e9 / c->rate_rps)),
                 arrival, r);
    txn *t = txn_get(r);
    t->closed_loop = false;
    t->start = sim_now(s);
    t->attempts = 0;
    uint32_t nd = (uint32_t)sim_rng_uniform_int(r->rng_arrival, r->n_client_nodes);
    conn *cn = conn_get(r);
    choose_conn(r, cn, nd);
    t->new_conn = true;
    if (c->requests_per_connection > 1) {
        /* Reuse an idle connection to the same peer, as a client's pool does. */
        uint64_t key = conn_key(cn);
        idle_list *l = g_hash_table_lookup(r->idle, &key);
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

/* ---- control plane: endpoint churn and rule syncs ---- */

static void sync_start(sim *s, void *ctx);

/* Ask for a sync: kube-proxy runs at most one per min-sync period and
 * batches the changes that arrive meanwhile; Cilium applies each change. */
static void request_sync(run *r)
{
    if (r->sync_scheduled || r->syncing || r->pending->len == 0)
        return;
    sim_time_ns at = sim_now(r->s);
    if (!r->v->ebpf_dataplane && r->c->min_sync_period_s > 0 && r->now.syncs > 0) {
        sim_time_ns next =
            r->last_sync_start + (sim_time_ns)llround(r->c->min_sync_period_s * SIM_NS_PER_S);
        if (next > at)
            at = next;
    }
    r->sync_scheduled = true;
    sim_schedule_at(r->s, at, sync_start, r);
}

static void sync_end(sim *s, void *ctx)
{
    (void)s;
    run *r = ctx;
    for (guint i = 0; i < r->inflight->len; i++)
        r->ep_stale[g_array_index(r->inflight, uint32_t, i)] = 0;
    g_array_set_size(r->inflight, 0);
    r->syncing = false;
    request_sync(r);
}

static void sync_start(sim *s, void *ctx)
{
    run *r = ctx;
    r->sync_scheduled = false;
    r->syncing = true;
    r->last_sync_start = sim_now(s);
    GArray *t = r->inflight;
    r->inflight = r->pending;
    r->pending = t;
    double d = cn_sync_duration_ns(r->c, r->v, r->n_services, r->inflight->len);
    r->now.syncs++;
    r->now.sync_ns += d;
    /* The sync occupies one vCPU on every node while it runs. */
    for (uint32_t i = 0; i < r->n_nodes; i++)
        sim_resource_request(r->nodes[i].cpu, (sim_time_ns)llround(d), NULL, NULL);
    sim_schedule(s, (sim_time_ns)llround(d), sync_end, r);
}

static void churn(sim *s, void *ctx)
{
    run *r = ctx;
    sim_schedule(
        s,
        (sim_time_ns)llround(sim_rng_exponential(r->rng_churn, 1e9 / r->c->endpoint_churn_per_s)),
        churn, r);
    uint32_t ep = (uint32_t)sim_rng_uniform_int(r->rng_churn, r->n_target_eps);
    if (!r->ep_stale[ep]) {
        r->ep_stale[ep] = 1;
        g_array_append_val(r->pending, ep);
    }
    request_sync(r);
}

/* ---- the run ---- */

static void warm_done(sim *s, void *ctx)
{
    (void)s;
    run *r = ctx;
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        sim_resource_reset_stats(r->nodes[i].cpu);
        sim_resource_reset_stats(r->nodes[i].nic);
    }
    r->at_warm = r->now;
    uint64_t d = 0;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        d += r->nodes[i].ct.drops;
    r->drops_at_warm = d;
    r->measuring = true;
}

/* GLib's g_int64_hash folds the halves together, so (node << 32 | dest)
 * keys collide massively; mix all bits instead. */
static guint key_hash(gconstpointer p)
{
    uint64_t z = *(const uint64_t *)p;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (guint)(z ^ (z >> 31));
}

static void snat_free(gpointer p)
{
    cn_snat_clear(p);
    g_free(p);
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
    r->v = v;
    r->cl = cn_cluster_build(c, v, replication, error);
    if (!r->cl)
        return FALSE;
    r->s = sim_new();
    cn_dp_costs_init(&r->k, c, v);
    r->n_nodes = r->cl->n_nodes;
    r->n_client_nodes = c->client_nodes > 0 ? (uint32_t)c->client_nodes : r->n_nodes;
    r->n_services = r->cl->n_services;
    r->lb_programmed = cn_bpf_lb_services_programmed(c, c->endpoints_per_service);
    r->snat_ports = cn_lb_ports_per_node(c, c->nodes);
    r->blocks = g_ptr_array_new_with_free_func(g_free);
    r->snat = g_hash_table_new_full(key_hash, g_int64_equal, g_free, snat_free);
    r->idle = g_hash_table_new_full(key_hash, g_int64_equal, NULL, g_free);

    /* Node -> pods, to find a pod on a node (pod-to-pod classes). */
    r->node_pod_start = g_new0(uint32_t, r->n_nodes + 1);
    r->node_pods = g_new(uint32_t, r->cl->n_pods ? r->cl->n_pods : 1);
    for (uint32_t p = 0; p < r->cl->n_pods; p++)
        r->node_pod_start[r->cl->pod_node[p] + 1]++;
    for (uint32_t i = 0; i < r->n_nodes; i++)
        r->node_pod_start[i + 1] += r->node_pod_start[i];
    {
        g_autofree uint32_t *fill = g_memdup2(r->node_pod_start, sizeof(uint32_t) * r->n_nodes);
        for (uint32_t p = 0; p < r->cl->n_pods; p++)
            r->node_pods[fill[r->cl->pod_node[p]]++] = p;
    }

    int64_t ct_cap =
        v->ebpf_dataplane ? c->bpf_ct_tcp_max
        : c->nf_conntrack_max > 0
            ? c->nf_conntrack_max
            : cn_ct_kube_proxy_max((int64_t)c->cost[CAL_nf_conntrack_min],
                                   (int64_t)c->cost[CAL_nf_conntrack_per_core], c->vcpus_per_node);
    sim_time_ns hold = (sim_time_ns)((v->ebpf_dataplane ? c->cost[CAL_bpf_ct_fin_s]
                                                        : c->cost[CAL_nf_time_wait_s]) *
                                     SIM_NS_PER_S);
    r->nodes = g_new0(node, r->n_nodes);
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        r->nodes[i].cpu = sim_resource_new(r->s, (unsigned)c->vcpus_per_node);
        r->nodes[i].nic = sim_resource_new(r->s, 1);
        cn_ct_init(&r->nodes[i].ct, ct_cap, v->ebpf_dataplane, hold);
    }
    r->rng_class = sim_rng_new(c->seed, replication, sim_rng_stream_id("class"));
    r->rng_target = sim_rng_new(c->seed, replication, sim_rng_stream_id("target"));
    r->rng_arrival = sim_rng_new(c->seed, replication, sim_rng_stream_id("arrival"));
    r->rng_start = sim_rng_new(c->seed, replication, sim_rng_stream_id("start"));
    r->class_pick = sim_rng_discrete_new(CN_CLASS_COUNT, c->traffic_weight);
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        r->lat[k] = sim_hist_new();
    r->pending = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    r->inflight = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (c->endpoint_churn_per_s > 0 && uses_services(c)) {
        r->n_target_eps = r->cl->svc_ep_start[c->target_services];
        r->ep_stale = g_new0(uint8_t, r->n_target_eps ? r->n_target_eps : 1);
        r->rng_churn = sim_rng_new(c->seed, replication, sim_rng_stream_id("churn"));
        if (r->n_target_eps)
            sim_schedule(r->s,
                         (sim_time_ns)llround(
                             sim_rng_exponential(r->rng_churn, 1e9 / c->endpoint_churn_per_s)),
                         churn, r);
    }

    r->warm_end = (sim_time_ns)llround(c->warmup_s * SIM_NS_PER_S);
    r->end = r->warm_end + (sim_time_ns)llround(c->duration_s * SIM_NS_PER_S);
    if (r->warm_end > 0)
        sim_schedule_at(r->s, r->warm_end, warm_done, r);
    else
        warm_done(r->s, r);

    if (c->model == CN_LOAD_CLOSED) {
        for (int64_t i = 0; i < c->concurrency; i++) {
            txn *t = txn_get(r);
            t->closed_loop = true;
            t->home = (uint32_t)(i % r->n_client_nodes);
            t->own.open = false;
            /* Stagger the first requests over 100 us so clients are not in
             * lockstep. */
            sim_schedule(r->s, (sim_time_ns)sim_rng_uniform_int(r->rng_start, 100000), client_start,
                         t);
        }
    } else {
        sim_schedule(r->s,
                     (sim_time_ns)llround(sim_rng_exponential(r->rng_arrival, 1e9 / c->rate_rps)),
                     arrival, r);
    }

    gboolean ok = TRUE;
    sim_time_ns slice = 50 * SIM_NS_PER_MS;
    for (sim_time_ns t = 0; t < r->end && !r->stopped_at;) {
        t = t + slice < r->end ? t + slice : r->end;
        sim_run_until(r->s, t);
        if (stop_flag && g_atomic_int_get(stop_flag)) {
            g_set_error(error, CN_RUN_ERROR, CN_RUN_ERROR_CANCELLED, "interrupted");
            ok = FALSE;
            break;
        }
    }

    if (ok) {
        sim_time_ns stop = r->stopped_at ? r->stopped_at : r->end;
        out->measured_s = (double)(stop - r->warm_end) / 1e9;
        out->seed = cn_run_seed(c, replication);
        for (int k = 0; k < CN_CLASS_COUNT; k++) {
            out->cls[k].transactions = r->now.done[k] - r->at_warm.done[k];
            out->cls[k].failed = r->now.failed[k] - r->at_warm.failed[k];
            out->cls[k].throughput_rps =
                out->measured_s > 0 ? (double)out->cls[k].transactions / out->measured_s : 0;
            out->cls[k].latency = r->lat[k];
            r->lat[k] = NULL;
        }
        double sum = 0, mx = 0;
        uint64_t drops = 0, evict = 0;
        int64_t peak = 0;
        for (uint32_t i = 0; i < r->n_nodes; i++) {
            double u = sim_resource_utilisation(r->nodes[i].cpu);
            sum += u;
            mx = u > mx ? u : mx;
            drops += r->nodes[i].ct.drops;
            evict += r->nodes[i].ct.evictions;
            peak = r->nodes[i].ct.peak > peak ? r->nodes[i].ct.peak : peak;
        }
        out->cpu_util_mean = sum / r->n_nodes;
        out->cpu_util_max = mx;
        out->conntrack_peak = peak;
        out->drops_conntrack = drops - r->drops_at_warm;
        out->ct_evictions = evict;
        out->snat_failures = r->now.snat_failures - r->at_warm.snat_failures;
        out->policy_drops = r->now.policy_drops - r->at_warm.policy_drops;
        out->lb_unprogrammed = r->now.lb_unprogrammed - r->at_warm.lb_unprogrammed;
        out->stale_failures = r->now.stale_failures - r->at_warm.stale_failures;
        out->rule_syncs = r->now.syncs - r->at_warm.syncs;
        out->sync_ms_mean =
            out->rule_syncs ? (r->now.sync_ns - r->at_warm.sync_ns) / 1e6 / (double)out->rule_syncs
                            : 0;
        out->events = sim_executed(r->s);
    }

    for (int k = 0; k < CN_CLASS_COUNT; k++)
        if (r->lat[k])
            sim_hist_free(r->lat[k]);
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        sim_resource_free(r->nodes[i].cpu);
        sim_resource_free(r->nodes[i].nic);
        cn_ct_clear(&r->nodes[i].ct);
    }
    g_free(r->nodes);
    sim_rng_discrete_free(r->class_pick);
    sim_rng_free(r->rng_class);
    sim_rng_free(r->rng_target);
    sim_rng_free(r->rng_arrival);
    sim_rng_free(r->rng_start);
    if (r->rng_churn)
        sim_rng_free(r->rng_churn);
    g_free(r->ep_stale);
    g_array_unref(r->pending);
    g_array_unref(r->inflight);
    g_hash_table_unref(r->snat);
    g_hash_table_unref(r->idle);
    g_ptr_array_unref(r->blocks);
    g_free(r->node_pod_start);
    g_free(r->node_pods);
    sim_free(r->s);
    cn_cluster_free(r->cl);
    return ok;
}

void cn_run_result_clear(cn_run_result *r)
{
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        if (r->cls[k].latency) {
            sim_hist_free(r->cls[k].latency);
            r->cls[k].latency = NULL;
        }
}
