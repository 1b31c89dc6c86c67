#include "datapath.h"

#include <math.h>

#include "units.h"

bool cn_variant_masquerades(const cn_variant *v)
{
    return v->ipam != CN_IPAM_POD_SUBNET;
}

void cn_dp_costs_init(cn_dp_costs *k, const cn_config *c, const cn_variant *v)
{
    const double *x = c->cost;
    k->tunnel_pkt_ns = 0;
    if (v->ebpf_dataplane && c->host_routing == CN_HOST_ROUTING_EBPF) {
        /* eBPF host routing: redirected in eBPF, host iptables bypassed. */
        k->pkt_ns = x[CAL_ebpf_pkt_ns];
        k->ct_new_ns = x[CAL_ebpf_ct_new_ns];
    } else if (v->ebpf_dataplane) {
        /* Legacy host routing (AKS default): the host stack as on any
         * node, netfilter conntrack included, plus Cilium's tc programs. */
        k->pkt_ns = x[CAL_nf_pkt_ns] + x[CAL_bpf_prog_pkt_ns];
        k->ct_new_ns = x[CAL_ebpf_ct_new_ns] + x[CAL_nf_ct_new_ns];
    } else {
        k->pkt_ns = x[CAL_nf_pkt_ns] + (v->ipam == CN_IPAM_KUBENET ? x[CAL_bridge_pkt_ns] : 0);
        k->ct_new_ns = x[CAL_nf_ct_new_ns];
    }
    /* A node forwarding NodePort traffic to another node: with Cilium's
     * kube-proxy replacement the tc program at the node's device translates
     * and redirects it in eBPF whatever the host routing (the Cilium 1.8
     * NodePort measurement); kube-proxy forwards through the host stack. */
    k->fwd_pkt_ns = v->ebpf_dataplane ? x[CAL_ebpf_pkt_ns] : k->pkt_ns;
    if (v->ebpf_dataplane && c->tunnel == CN_TUNNEL_VXLAN)
        k->tunnel_pkt_ns = x[CAL_vxlan_pkt_ns];
    k->conn_side_ns = x[CAL_tcp_conn_side_ns];
    k->masq_ns = cn_variant_masquerades(v) ? x[CAL_masq_new_ns] : 0;
    k->sock_msg_ns = x[CAL_sock_msg_ns];
    k->copy_byte_ns = x[CAL_copy_byte_ns];
    k->mss_bytes = x[CAL_mss_bytes];
    k->nic_ns_per_byte = 8.0 / c->nic_gbps;
    /* kubenet: cross-node traffic takes the VNet route table's next hop;
     * overlay: Azure routes the private pod range between nodes itself
     * (no encapsulation), measured slower than node-subnet routing. */
    double route = v->ipam == CN_IPAM_KUBENET ? x[CAL_kubenet_udr_hop_ns]
                   : v->ipam == CN_IPAM_OVERLAY && c->tunnel == CN_TUNNEL_NONE
                       ? x[CAL_overlay_route_one_way_ns]
                       : 0;
    k->vnet_ns = (sim_time_ns)llround(x[CAL_vnet_one_way_ns] + route);
    k->ext_ns = (sim_time_ns)x[CAL_external_one_way_ns];
    k->lb_ns = (sim_time_ns)x[CAL_lb_ns];
    k->server_ns = (sim_time_ns)(c->server_time_us * 1e3);
    k->client_ns = (sim_time_ns)(c->client_time_us * 1e3);
}

/* The stage work of ns joins; mark: the CN_CONN_* share it carries when
 * p is a shared path (0 otherwise). */
static void add_marked(cn_path *p, cn_step_kind kind, uint32_t node, double ns, unsigned mark)
{
    sim_time_ns t = cn_units_round(ns);
    /* Consecutive work on the same resource is one stage. */
    cn_step *last = p->n > 0 ? &p->step[p->n - 1] : NULL;
    bool joins = last && last->kind == kind && (kind == CN_STEP_DELAY || last->node == node);
    if (t <= 0) {
        if (mark && joins)
            last->conn |= (uint8_t)mark;
        else if (mark)
            p->unshared = true; /* the connection's share would start a stage */
        return;
    }
    if (joins) {
        last->ns += t;
        last->conn |= (uint8_t)mark;
        return;
    }
    g_assert(p->n < CN_PATH_MAX);
    p->step[p->n++] = (cn_step){(uint8_t)kind, (uint8_t)mark, node, t};
}

static void add(cn_path *p, cn_step_kind kind, uint32_t node, double ns)
{
    add_marked(p, kind, node, ns, 0);
}

/* The work of a new connection's first stages that includes its own costs
 * (one expression each, shared by the path and cn_conn_ns()). */
static double client_conn_work(const cn_dp_costs *kc, const cn_flow *f)
{
    double w = kc->conn_side_ns + kc->ct_new_ns + f->lookup_ns + f->egress_policy_ns;
    if (f->cls == CN_CLASS_EXTERNAL)
        w += kc->masq_ns;
    return w;
}

static double server_conn_work(const cn_dp_costs *ks, const cn_flow *f, uint32_t peer)
{
    return ks->conn_side_ns + (f->server_node != peer ? ks->ct_new_ns : 0) + f->ingress_policy_ns;
}

static double ingress_conn_work(const cn_dp_costs *ki, const cn_flow *f)
{
    uint32_t in = f->ingress_node, s = f->server_node;
    return (in != s ? ki->fwd_pkt_ns : ki->pkt_ns) + f->lookup_ns + ki->ct_new_ns +
           (in != s ? ki->masq_ns : 0);
}

static double packets(const cn_dp_costs *k, int64_t bytes)
{
    double n = ceil((double)bytes / k->mss_bytes);
    return n < 1 ? 1 : n;
}

/* One message from node a to node b (either may be external): the sender's
 * socket and stack, its NIC, the network, the receiver's stack and socket;
 * ka and kb are the costs at a and b.  A node that is not the pod's end
 * (a_is_pod or b_is_pod false) only forwards. */
static void message(cn_path *p, const cn_dp_costs *ka, const cn_dp_costs *kb, uint32_t a,
                    uint32_t b, int64_t bytes, bool a_is_pod, bool b_is_pod)
{
    double pk = packets(ka, bytes);
    double sock_a = ka->sock_msg_ns + ka->copy_byte_ns * (double)bytes;
    double sock_b = kb->sock_msg_ns + kb->copy_byte_ns * (double)bytes;
    bool a_ext = a == CN_NODE_EXTERNAL, b_ext = b == CN_NODE_EXTERNAL;
    bool tunnel = a != b && !a_ext && !b_ext && ka->tunnel_pkt_ns > 0 && kb->tunnel_pkt_ns > 0;
    double at_a = (a_is_pod ? ka->pkt_ns : ka->fwd_pkt_ns) + (tunnel ? ka->tunnel_pkt_ns : 0);
    double at_b = (b_is_pod ? kb->pkt_ns : kb->fwd_pkt_ns) + (tunnel ? kb->tunnel_pkt_ns : 0);
    if (!a_ext)
        add(p, CN_STEP_CPU, a, (a_is_pod ? sock_a : 0) + pk * at_a);
    if (a == b) {
        /* Same node: veth to veth through the host, no NIC. */
        add(p, CN_STEP_CPU, b, b_is_pod ? sock_b : 0);
        return;
    }
    if (!a_ext)
        add(p, CN_STEP_NIC, a, (double)bytes * ka->nic_ns_per_byte);
    add(p, CN_STEP_DELAY, 0, (double)(a_ext || b_ext ? ka->ext_ns : kb->vnet_ns));
    if (!b_ext)
        add(p, CN_STEP_CPU, b, pk * at_b + (b_is_pod ? sock_b : 0));
}

/* A handshake segment (SYN or SYN-ACK) from a to b: stack and network only.
 * fwd: the node (a or b) that only forwards, or UINT32_MAX. */
static void segment(cn_path *p, const cn_dp_costs *ka, const cn_dp_costs *kb, uint32_t a,
                    uint32_t b, uint32_t fwd)
{
    bool ext = a == CN_NODE_EXTERNAL || b == CN_NODE_EXTERNAL;
    bool tunnel = a != b && !ext && ka->tunnel_pkt_ns > 0 && kb->tunnel_pkt_ns > 0;
    if (a != CN_NODE_EXTERNAL)
        add(p, CN_STEP_CPU, a,
            (a == fwd ? ka->fwd_pkt_ns : ka->pkt_ns) + (tunnel ? ka->tunnel_pkt_ns : 0));
    if (a == b)
        return;
    add(p, CN_STEP_DELAY, 0, (double)(ext ? ka->ext_ns : kb->vnet_ns));
    if (b != CN_NODE_EXTERNAL)
        add(p, CN_STEP_CPU, b,
            (b == fwd ? kb->fwd_pkt_ns : kb->pkt_ns) + (tunnel ? kb->tunnel_pkt_ns : 0));
}

static void build(const cn_dp_costs *k, const cn_flow *f, cn_path *p);
static const cn_dp_costs *at(const cn_dp_costs *k, const cn_flow *f, uint32_t nd);

/* p laid out for f, ended by its CN_STEP_END marker; the steps the
 * connection's own costs go to are marked. */
static void build_path(const cn_dp_costs *k, const cn_flow *f, cn_path *p)
{
    p->n = 0;
    p->unshared = false;
    build(k, f, p);
    p->step[p->n] = (cn_step){CN_STEP_END, 0, 0, 0};
}

/* f without the connection's own costs. */
static cn_flow without_own_costs(const cn_flow *f)
{
    cn_flow z = *f;
    z.lookup_ns = z.egress_policy_ns = z.ingress_policy_ns = 0;
    return z;
}

void cn_path_build(const cn_dp_costs *k, const cn_flow *f, cn_path *p)
{
    build_path(k, f, p);
    /* marks are for shared paths only */
    for (int i = 0; i < p->n; i++)
        p->step[i].conn = 0;
}

bool cn_path_build_shared(const cn_dp_costs *k, const cn_flow *f, cn_path *p)
{
    g_return_val_if_fail(f->new_conn, false);
    cn_flow z = without_own_costs(f);
    build_path(k, &z, p);
    return !p->unshared;
}

/* What f's own costs add to a stage whose work is work(f): the stage's
 * rounded work with them less without them (cn_path_build() rounds each
 * piece of a stage, then adds). */
static bool conn_share(double with, double without, int32_t *out)
{
    sim_time_ns d = cn_units_round(with) - cn_units_round(without);
    if (d < 0 || d > INT32_MAX)
        return false;
    *out = (int32_t)d;
    return true;
}

bool cn_conn_ns(const cn_dp_costs *k, const cn_flow *f, int32_t ns[2])
{
    cn_flow z = without_own_costs(f);
    const cn_dp_costs *ks = at(k, f, f->server_node);
    ns[0] = ns[1] = 0;
    if (f->cls == CN_CLASS_INGRESS) {
        const cn_dp_costs *ki = at(k, f, f->ingress_node);
        return conn_share(ingress_conn_work(ki, f), ingress_conn_work(ki, &z), &ns[0]) &&
               conn_share(server_conn_work(ks, f, f->ingress_node),
                          server_conn_work(ks, &z, f->ingress_node), &ns[1]);
    }
    const cn_dp_costs *kc = at(k, f, f->client_node);
    if (!conn_share(client_conn_work(kc, f), client_conn_work(kc, &z), &ns[0]))
        return false;
    if (f->server_node == CN_NODE_EXTERNAL)
        return true;
    return conn_share(server_conn_work(ks, f, f->client_node),
                      server_conn_work(ks, &z, f->client_node), &ns[1]);
}

/* The costs at node nd of the flow. */
static const cn_dp_costs *at(const cn_dp_costs *k, const cn_flow *f, uint32_t nd)
{
    return nd < 2 && f->node_k[nd] ? f->node_k[nd] : k;
}

static void build(const cn_dp_costs *k, const cn_flow *f, cn_path *p)
{
    uint32_t c = f->client_node, s = f->server_node;
    const cn_dp_costs *ks = at(k, f, s);

    if (f->cls == CN_CLASS_INGRESS) {
        /* External client -> Azure LB -> ingress node (NodePort: service
         * lookup, conntrack, SNAT when forwarding) -> endpoint's node. */
        uint32_t in = f->ingress_node;
        const cn_dp_costs *ki = at(k, f, in);
        if (f->new_conn) {
            add(p, CN_STEP_DELAY, 0, (double)(k->ext_ns + k->lb_ns));
            add_marked(p, CN_STEP_CPU, in, ingress_conn_work(ki, f), CN_CONN_CLIENT);
            if (in != s)
                segment(p, ki, ks, in, s, in);
            add_marked(p, CN_STEP_CPU, s, server_conn_work(ks, f, in), CN_CONN_SERVER);
            if (in != s)
                segment(p, ks, ki, s, in, in);
            add(p, CN_STEP_DELAY, 0, (double)(k->ext_ns + k->lb_ns));
        }
        add(p, CN_STEP_DELAY, 0, (double)(k->ext_ns + k->lb_ns));
        if (in != s) {
            message(p, ki, ks, in, s, f->request_bytes, false, true);
        } else {
            add(p, CN_STEP_CPU, s,
                packets(ks, f->request_bytes) * ks->pkt_ns + ks->sock_msg_ns +
                    ks->copy_byte_ns * (double)f->request_bytes);
        }
        add(p, CN_STEP_CPU, s, (double)ks->server_ns);
        if (in != s)
            message(p, ks, ki, s, in, f->response_bytes, true, false);
        else
            add(p, CN_STEP_CPU, s,
                ks->sock_msg_ns + ks->copy_byte_ns * (double)f->response_bytes +
                    packets(ks, f->response_bytes) * ks->pkt_ns);
        add(p, CN_STEP_NIC, in, (double)f->response_bytes * ki->nic_ns_per_byte);
        add(p, CN_STEP_DELAY, 0, (double)(k->ext_ns + k->lb_ns));
        return;
    }

    const cn_dp_costs *kc = at(k, f, c);
    if (f->new_conn) {
        add_marked(p, CN_STEP_CPU, c, client_conn_work(kc, f), CN_CONN_CLIENT);
        segment(p, kc, ks, c, s, UINT32_MAX); /* SYN */
        if (s != CN_NODE_EXTERNAL)
            add_marked(p, CN_STEP_CPU, s, server_conn_work(ks, f, c), CN_CONN_SERVER);
        segment(p, ks, kc, s, c, UINT32_MAX); /* SYN-ACK; the request follows the ACK */
    }
    add(p, CN_STEP_CPU, c, (double)kc->client_ns);
    message(p, kc, ks, c, s, f->request_bytes, true, true);
    if (s == CN_NODE_EXTERNAL)
        add(p, CN_STEP_DELAY, 0, (double)k->server_ns); /* the external server's own time */
    else
        add(p, CN_STEP_CPU, s, (double)ks->server_ns);
    message(p, ks, kc, s, c, f->response_bytes, true, true);
}

static unsigned role_of(uint32_t *nd, uint32_t *node, unsigned *n_roles)
{
    if (*nd == CN_NODE_EXTERNAL)
        return 3;
    for (unsigned i = 0; i < *n_roles; i++)
        if (node[i] == *nd) {
            *nd = i;
            return i;
        }
    g_assert(*n_roles < 2);
    node[*n_roles] = *nd;
    *nd = *n_roles;
    return (*n_roles)++;
}

unsigned cn_flow_roles(cn_flow *f, uint32_t node[2])
{
    unsigned n = 0, shape = (unsigned)f->cls;
    shape = shape * 4 + role_of(&f->client_node, node, &n);
    shape = shape * 4 + role_of(&f->server_node, node, &n);
    /* the ingress node is part of the path only for ingress traffic */
    shape = shape * 4 + (f->cls == CN_CLASS_INGRESS ? role_of(&f->ingress_node, node, &n) : 3);
    return shape;
}

sim_time_ns cn_path_total_ns(const cn_path *p)
{
    sim_time_ns t = 0;
    for (int i = 0; i < p->n; i++)
        t += p->step[i].ns;
    return t;
}
