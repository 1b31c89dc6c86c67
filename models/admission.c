#include "admission.h"

#include <math.h>

#include "conntrack.h"
#include "outbound.h"
#include "svclookup.h"
#include "run-internal.h"

static void snat_free(gpointer p)
{
    cn_snat_clear(p);
    g_free(p);
}

void admission_init(run *r)
{
    const cn_config *c = r->c;
    r->adm.lb_programmed = cn_bpf_lb_services_programmed(c, c->endpoints_per_service);
    r->adm.snat_ports = cn_lb_ports_per_node(c, c->nodes);
    r->adm.snat = g_hash_table_new_full(run_key_hash, g_int64_equal, g_free, snat_free);
    cn_keymap_init(&r->adm.snat_find);
    double hold_s =
        c->close == CN_CLOSE_RST ? c->cost[CAL_lb_rst_hold_s] : c->cost[CAL_lb_fin_hold_s];
    r->adm.snat_hold_ns = (sim_time_ns)llround(hold_s * SIM_NS_PER_S);
}

void admission_scale_nodes(run *r, int64_t nodes)
{
    /* Azure reallocates every node's ports to the new tier at once; a port
     * in use stays with its connection, so a pool above its new size takes
     * no new connection until enough have closed and their holds ended. */
    r->adm.snat_ports = cn_lb_ports_per_node(r->c, nodes);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->adm.snat);
    while (g_hash_table_iter_next(&it, &k, &v))
        ((cn_snat_pool *)v)->ports = r->adm.snat_ports;
}

void admission_node_gone(run *r, uint32_t nd)
{
    /* The node's tables and its SNAT ports go with it: what was open
     * through it is gone, what lingered is gone. */
    cn_node *n = &r->nodes[nd];
    cn_ct_empty(&n->ct);
    if (n->has_nf)
        cn_ct_empty(&n->nf);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->adm.snat);
    while (g_hash_table_iter_next(&it, &k, &v))
        if ((uint32_t)(*(uint64_t *)k >> 32) == nd) {
            cn_snat_pool *p = v;
            int64_t ports = p->ports;
            cn_snat_clear(p);
            cn_snat_init(p, ports);
        }
}

void admission_free(run *r)
{
    cn_keymap_clear(&r->adm.snat_find, NULL);
    g_hash_table_unref(r->adm.snat);
}

cn_snat_pool *admission_snat_pool(run *r, uint32_t node, uint32_t destination)
{
    uint64_t key = ((uint64_t)node << 32) | destination;
    cn_snat_pool *p = cn_keymap_get(&r->adm.snat_find, key);
    if (!p) {
        uint64_t *kk = g_new(uint64_t, 1);
        *kk = key;
        p = g_new(cn_snat_pool, 1);
        cn_snat_init(p, r->adm.snat_ports);
        g_hash_table_insert(r->adm.snat, kk, p);
        cn_keymap_add(&r->adm.snat_find, key, p);
    }
    return p;
}

#define FLOW_TABLES_MAX 6 /* 3 nodes, 2 tables each */

/* The conntrack tables a flow occupies: each distinct node's table, and its
 * netfilter table too where the node has one besides Cilium's. */
static int flow_tables(run *r, const conn *cn, cn_ct_table **t)
{
    uint32_t nds[3] = {cn->client_node, cn->server_node,
                       cn->cls == CN_CLASS_INGRESS ? cn->ingress_node : CN_NODE_EXTERNAL};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        if (nds[i] == CN_NODE_EXTERNAL)
            continue;
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= nds[j] == nds[i];
        if (dup)
            continue;
        if (G_UNLIKELY(r->node_down != NULL) && r->node_down[nds[i]])
            continue; /* its table went with it */
        cn_node *nd = &r->nodes[nds[i]];
        t[n++] = &nd->ct;
        if (nd->has_nf)
            t[n++] = &nd->nf;
    }
    return n;
}

bool admission_admit(run *r, conn *cn)
{
    sim_time_ns now = sim_now(r->s);
    if (!cn->lb_programmed) {
        r->obs.now.lb_unprogrammed++;
        return false;
    }
    if (cn->stale) {
        /* Rules still send it to a pod that is gone: the SYN goes
         * unanswered, and retransmissions follow the same conntrack entry
         * (or socket) to the same address. */
        r->obs.now.stale_failures++;
        return false;
    }
    if (!cn->policy_programmed) {
        r->obs.now.policy_drops++;
        return false;
    }
    cn_ct_table *t[FLOW_TABLES_MAX];
    int n = flow_tables(r, cn, t);
    for (int i = 0; i < n; i++)
        if (!cn_ct_open(t[i], now)) {
            for (int j = 0; j < i; j++)
                cn_ct_abandon(t[j]);
            observer_exhausted(r, CN_REFUSED_CONNTRACK);
            return false;
        }
    if (cn->snat && !cn_snat_open(cn->snat, now)) {
        r->obs.now.snat_failures++;
        observer_exhausted(r, CN_REFUSED_SNAT);
        for (int i = 0; i < n; i++)
            cn_ct_abandon(t[i]);
        return false;
    }
    cn->open = true;
    observer_admitted(r);
    return true;
}

void admission_close(run *r, conn *cn)
{
    sim_time_ns now = sim_now(r->s);
    cn_ct_table *t[FLOW_TABLES_MAX];
    int n = flow_tables(r, cn, t);
    for (int i = 0; i < n; i++)
        cn_ct_close(t[i], now);
    /* Azure LB releases a closed connection's SNAT port after a hold that
     * depends on how it ended (Azure docs, load-balancer-outbound-
     * connections): after a FIN, after a RST. */
    if (cn->snat && !(G_UNLIKELY(r->node_down != NULL) && r->node_down[cn->client_node]))
        cn_snat_close(cn->snat, now, r->adm.snat_hold_ns);
    cn->open = false;
}
