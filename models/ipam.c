#include "ipam.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "outbound.h"
#include "scenario.h"
#include "syspods.h"

#define NO_CAP INT64_MAX

static const char *const limit_names[CN_LIMIT_COUNT] = {
    "node_subnet", "pod_cidr",  "pod_subnet", "vnet_limit",
    "route_table", "npm_limit", "snat_ports", "cluster_limit",
};

static const char *const flag_names[CN_IPAM_FLAG_COUNT] = {
    "node_subnet_full", "pod_cidr_full",      "pod_subnet_full", "vnet_ips", "kubenet_nodes",
    "cluster_nodes",    "pool_nodes",         "npm_nodes",       "npm_pods", "snat_ports",
    "snat_surge_tier",  "pods_unschedulable", "max_pods",
};

static const char *const limit_help[CN_LIMIT_COUNT] = {
    "the node subnet's usable addresses (Azure reserves 5 per subnet)",
    "the pod CIDR's /24 node blocks (one per node, surge included)",
    "the pod subnet's usable addresses or whole /28 blocks",
    "64,000 VNet addresses per cluster (AKS quotas, plan-pod-networking)",
    "kubenet's 400 nodes, one UDR route each (AKS configure-kubenet)",
    "Azure NPM's 250 nodes and 20,000 pods (AKS use-network-policies)",
    "nodes x SNAT ports must fit outbound IPs x 64,000 (Azure LB outbound connections)",
    "5,000 nodes per cluster (AKS quotas)",
};

static const char *const flag_help[CN_IPAM_FLAG_COUNT] = {
    "node subnet too small for the nodes (and pods) with the surge nodes",
    "pod CIDR has fewer /24 blocks than nodes with the surge nodes",
    "pod subnet too small for the pods' addresses with the surge nodes",
    "over 64,000 VNet addresses (AKS quotas, plan-pod-networking)",
    "kubenet past 400 nodes: not supported (AKS configure-kubenet, route table limit)",
    "past 5,000 nodes per cluster (AKS quotas)",
    "a node pool past 1,000 nodes (AKS quotas): split it into pools",
    "Azure NPM past 250 nodes: not supported (AKS use-network-policies)",
    "Azure NPM past 20,000 pods: not supported (AKS use-network-policies)",
    "(nodes + surge) x SNAT ports per node exceed outbound IPs x 64,000",
    ("during an upgrade the surge nodes move the default SNAT allocation to a smaller tier: "
     "half the ports are reclaimed and their flows reset (Azure LB outbound connections)"),
    "more pods than nodes x max pods per node: the rest stay pending",
    "max pods per node past 250 (AKS IP address planning)",
};

const char *cn_limit_help(cn_limit l)
{
    g_return_val_if_fail(l < CN_LIMIT_COUNT, "?");
    return limit_help[l];
}

const char *cn_ipam_flag_help(cn_ipam_flag f)
{
    for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
        if ((uint32_t)f == 1u << i)
            return flag_help[i];
    g_return_val_if_reached("?");
}

const char *cn_limit_name(cn_limit l)
{
    g_return_val_if_fail(l < CN_LIMIT_COUNT, "?");
    return limit_names[l];
}

const char *cn_ipam_flag_name(cn_ipam_flag f)
{
    for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
        if ((uint32_t)f == 1u << i)
            return flag_names[i];
    g_return_val_if_reached("?");
}

void cn_ipam_flags_append(uint32_t flags, GString *out)
{
    bool first = true;
    for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
        if (flags & (1u << i)) {
            g_string_append_printf(out, "%s%s", first ? "" : ";", flag_names[i]);
            first = false;
        }
}

static int64_t cost_int(const cn_config *c, cn_cal_id id)
{
    return (int64_t)llround(c->cost[id]);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    /* Every divisor is a count the checks keep at 1 or more (a [costs] max
     * pods of 0 once reached here: issue 9). */
    g_assert(b > 0);
    return (a + b - 1) / b;
}

/* Products of node counts and per-node addresses saturate: the capacity
 * search tries node counts up to 2^32, and a [costs] override can make a
 * node's share huge; past INT64_MAX nothing fits anyway. */
static int64_t mul_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (a < 0 || b < 0)
        return 0;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* ---- subnet arithmetic ---- */

/* Azure reserves the first four addresses and the last of every subnet
 * (Azure VNet FAQ): the calibrated count minus one at the start, one at the
 * end. */
static int64_t reserved_lead(const cn_config *c)
{
    return max64(0, cost_int(c, CAL_subnet_reserved_addrs) - 1);
}

static int64_t reserved_trail(const cn_config *c)
{
    return cost_int(c, CAL_subnet_reserved_addrs) > 0 ? 1 : 0;
}

int64_t cn_subnet_usable(const cn_config *c, cn_cidr r)
{
    return max64(0, (int64_t)cn_cidr_size(r) - reserved_lead(c) - reserved_trail(c));
}

bool cn_subnet_usable_range(const cn_config *c, cn_cidr r, uint32_t *first, uint32_t *last)
{
    if (cn_subnet_usable(c, r) <= 0)
        return false;
    *first = (uint32_t)(r.addr + (uint64_t)reserved_lead(c));
    *last = (uint32_t)(cn_cidr_last(r) - (uint64_t)reserved_trail(c));
    return true;
}

static int64_t block_addrs(const cn_config *c)
{
    return max64(1, cost_int(c, CAL_static_block_addrs));
}

int64_t cn_subnet_static_blocks(const cn_config *c, cn_cidr r, uint32_t *first_block)
{
    uint32_t first, last;
    if (!cn_subnet_usable_range(c, r, &first, &last))
        return 0;
    /* Whole /28 blocks between the reserved addresses: the first and last
     * block of the subnet hold reserved addresses and cannot be given out. */
    uint64_t b = (uint64_t)block_addrs(c);
    uint64_t start = ((uint64_t)first + b - 1) / b * b;
    uint64_t end = ((uint64_t)last + 1) / b * b;
    if (first_block)
        *first_block = (uint32_t)start;
    return end > start ? (int64_t)((end - start) / b) : 0;
}

/* ---- per-plugin rules ---- */

int64_t cn_ipam_default_max_pods(const cn_config *c, cn_ipam ipam)
{
    /* AKS defaults: kubenet 110, node subnet 30, overlay 250, pod subnet 250
     * (one page says 110; see the calibration entry). */
    static const cn_cal_id ids[CN_IPAM_COUNT] = {
        CAL_max_pods_default_kubenet,
        CAL_max_pods_default_node_subnet,
        CAL_max_pods_default_overlay,
        CAL_max_pods_default_pod_subnet,
    };
    return cost_int(c, ids[ipam]);
}

int64_t cn_ipam_max_pods(const cn_config *c, cn_ipam ipam)
{
    return c->max_pods_per_node > 0 ? c->max_pods_per_node : cn_ipam_default_max_pods(c, ipam);
}

static int64_t pool_surge(const cn_config *c, int64_t pool_nodes)
{
    if (c->max_surge_percent > 0)
        /* A percentage of the pool, fractional nodes rounded up (AKS
         * maxSurge); the epsilon keeps 33% of 100 at 33. */
        return (int64_t)ceil((double)pool_nodes * c->max_surge_percent / 100.0 - 1e-9);
    return c->max_surge_nodes;
}

/* Surge nodes for n nodes: the config's pools when n is the config's node
 * count, otherwise n spread evenly over the same number of pools. */
static int64_t surge_for(const cn_config *c, int64_t n)
{
    int pools = c->n_node_pools > 0 ? c->n_node_pools : 1;
    bool actual = c->n_node_pools > 0 && n == c->nodes;
    int64_t total = 0, largest = 0;
    for (int i = 0; i < pools; i++) {
        int64_t size = actual ? c->node_pools[i] : n / pools + (i < n % pools ? 1 : 0);
        int64_t s = pool_surge(c, size);
        total += s;
        largest = max64(largest, s);
    }
    /* All pools surge together when an update reimages every pool at once. */
    return c->cost[CAL_surge_pools_at_once] >= 0.5 ? total : largest;
}

int64_t cn_ipam_surge_nodes(const cn_config *c)
{
    return surge_for(c, c->nodes);
}

/* User pods node k holds: max pods less the system pods placed there. */
static int64_t user_cap(const cn_syspods *s, int64_t mp, int64_t k)
{
    int64_t host, pod;
    cn_syspods_on_node(s, k, &host, &pod);
    return max64(0, mp - host - pod);
}

int64_t cn_ipam_user_slots(const cn_config *c, const cn_variant *v, int64_t nodes)
{
    cn_syspods s;
    cn_syspods_count(c, v, nodes, &s);
    int64_t mp = cn_ipam_max_pods(c, v->ipam), sum = 0;
    /* Nodes past the system pool hold DaemonSets only: all alike. */
    int64_t pool = min64(s.pool_nodes, nodes);
    for (int64_t k = 0; k < pool; k++)
        sum += user_cap(&s, mp, k);
    return add_sat(sum, mul_sat(nodes - pool, max64(0, mp - cn_syspods_per_node(&s))));
}

int64_t cn_ipam_pods_requested(const cn_config *c, const cn_variant *v)
{
    if (c->pods > 0)
        return c->pods;
    int64_t clients = c->client_nodes > 0 ? c->client_nodes : c->nodes;
    return min64(c->target_services * c->endpoints_per_service + clients,
                 cn_ipam_user_slots(c, v, c->nodes));
}

/* Sum over the nodes of min(cap_k, r): the pods r full rounds place. */
static int64_t rounds_hold(const int64_t *cap, int64_t n, int64_t r)
{
    int64_t sum = 0;
    for (int64_t k = 0; k < n; k++)
        sum += min64(cap[k], r);
    return sum;
}

void cn_ipam_user_pods_per_node(const cn_config *c, const cn_variant *v, int64_t pods,
                                int64_t *per_node)
{
    int64_t n = c->nodes, mp = cn_ipam_max_pods(c, v->ipam);
    cn_syspods s;
    cn_syspods_count(c, v, n, &s);
    g_autofree int64_t *cap = g_new(int64_t, n);
    for (int64_t k = 0; k < n; k++)
        cap[k] = user_cap(&s, mp, k);
    /* Pods dealt in turn, a full node skipped: after r whole rounds node k
     * holds min(cap_k, r); the largest r that pods complete, then one more
     * each for the first nodes with room. */
    int64_t lo = 0, hi = mp;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (rounds_hold(cap, n, mid) <= pods)
            lo = mid;
        else
            hi = mid - 1;
    }
    int64_t left = pods - rounds_hold(cap, n, lo);
    for (int64_t k = 0; k < n; k++) {
        per_node[k] = min64(cap[k], lo);
        if (left > 0 && cap[k] > lo) {
            per_node[k]++;
            left--;
        }
    }
}

int64_t cn_ipam_dynamic_addrs(const cn_config *c, int64_t pods_on_node, int64_t max_pods)
{
    /* A node starts with a batch of 16 and takes another whenever fewer than
     * 8 are free: 16 x ceil((pods + 8) / 16), capped at the node's max pods
     * (CNS calculateTargetIPCountOrMax). */
    int64_t batch = max64(1, cost_int(c, CAL_dynamic_batch_addrs));
    int64_t min_free = max64(0, cost_int(c, CAL_dynamic_min_free_addrs));
    int64_t want = batch * ceil_div(pods_on_node + min_free, batch);
    return min64(want, max_pods);
}

int64_t cn_ipam_static_blocks(const cn_config *c, int64_t max_pods)
{
    /* /28 blocks holding max pods + the node's reserved address:
     * max pods = 16 x blocks - 1 (31 pods: 2 blocks, no waste). */
    int64_t reserved = max64(0, cost_int(c, CAL_static_block_reserved_per_node));
    return ceil_div(max_pods + reserved, block_addrs(c));
}

/* ---- the plan ---- */

typedef struct {
    const cn_config *c;
    const cn_variant *v;
    cn_ipam ipam;
    bool static_block; /* pod subnet with static block allocation */
    int64_t mp;        /* max pods per node */
    int64_t node_usable;
    int64_t pod_usable; /* addresses (kubenet/overlay: /24 blocks x 256) */
    int64_t node_block; /* addresses of a kubenet/overlay node block */
    int64_t blocks;     /* static /28 blocks per node */
    int64_t ds_host;    /* host-network DaemonSet pods per node: slots, no address */
} plan_ctx;

/* Node subnet addresses for total nodes (surge included): node subnet IPAM
 * takes 1 + max pods per node up front, the others one per node. */
static int64_t node_subnet_need(const plan_ctx *x, int64_t total)
{
    return x->ipam == CN_IPAM_NODE_SUBNET ? mul_sat(total, add_sat(1, x->mp)) : total;
}

/* Pod range addresses for total nodes, every node full. */
static int64_t pod_range_need_full(const plan_ctx *x, int64_t total)
{
    switch (x->ipam) {
    case CN_IPAM_KUBENET:
    case CN_IPAM_OVERLAY:
        return mul_sat(total, x->node_block);
    case CN_IPAM_POD_SUBNET:
        if (x->static_block)
            return mul_sat(total, mul_sat(x->blocks, block_addrs(x->c)));
        /* A full node's pods hold addresses, except the host-network
         * DaemonSets' slots. */
        return mul_sat(total, cn_ipam_dynamic_addrs(x->c, max64(0, x->mp - x->ds_host), x->mp));
    default:
        return 0;
    }
}

/* VNet addresses: node subnet and pod subnet addresses count one each, a
 * static /28 block counts as one (AKS PodIPAllocationMode StaticBlock). */
static int64_t vnet_need(const plan_ctx *x, int64_t total, int64_t pod_need)
{
    if (x->ipam == CN_IPAM_POD_SUBNET)
        return add_sat(total, x->static_block ? pod_need / block_addrs(x->c) : pod_need);
    return node_subnet_need(x, total);
}

/* Whether n nodes fit the limit f; with_surge adds the surge nodes of an
 * upgrade (what can still be upgraded), without is the docs' convention
 * (what the range holds). */
static bool fits(const plan_ctx *x, cn_limit f, int64_t n, bool with_surge)
{
    int64_t total = with_surge ? add_sat(n, surge_for(x->c, n)) : n;
    switch (f) {
    case CN_LIMIT_NODE_SUBNET:
        return node_subnet_need(x, total) <= x->node_usable;
    case CN_LIMIT_POD_CIDR:
    case CN_LIMIT_POD_SUBNET:
        return pod_range_need_full(x, total) <= x->pod_usable;
    case CN_LIMIT_VNET:
        return vnet_need(x, total, pod_range_need_full(x, total)) <=
               cost_int(x->c, CAL_vnet_max_ips);
    case CN_LIMIT_SNAT: {
        cn_lb_capacity cap;
        cn_lb_capacity_check(x->c, total, &cap);
        return cap.fits;
    }
    default:
        g_assert_not_reached();
    }
}

/* The largest node count the limit allows alone (monotone in n). */
static int64_t search_cap(const plan_ctx *x, cn_limit f, bool with_surge)
{
    if (!fits(x, f, 0, with_surge))
        return 0;
    int64_t lo = 0, hi = INT64_C(1) << 32;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (fits(x, f, mid, with_surge))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int64_t range_min_prefix_subnet(const cn_config *c, int64_t needed, bool blocks)
{
    /* The longest prefix (smallest Azure subnet, /29 at least) whose usable
     * addresses or whole blocks hold needed. */
    /* The checks keep the entry a prefix; clamped so that no shift here can
     * go negative whatever reaches it (issue 9: 33 did). */
    int limit = (int)CLAMP(cost_int(c, CAL_subnet_min_prefix), 0, 32);
    for (int p = limit; p >= 0; p--) {
        cn_cidr r = {0, (uint8_t)p};
        int64_t have =
            blocks ? cn_subnet_static_blocks(c, r, NULL) * block_addrs(c) : cn_subnet_usable(c, r);
        if (have >= needed)
            return p;
    }
    return -1;
}

void cn_ipam_plan_compute(const cn_config *c, const cn_variant *v, cn_ipam_plan *out)
{
    memset(out, 0, sizeof *out);
    plan_ctx x = {.c = c, .v = v, .ipam = v->ipam};
    x.static_block =
        v->ipam == CN_IPAM_POD_SUBNET && c->pod_subnet_allocation == CN_PODSUBNET_STATIC_BLOCK;
    x.mp = cn_ipam_max_pods(c, v->ipam);
    x.node_usable = cn_subnet_usable(c, c->node_subnet);
    unsigned block_prefix = (unsigned)cost_int(c, CAL_node_pod_block_prefix);
    x.node_block = block_prefix <= 32 ? INT64_C(1) << (32 - block_prefix) : 1;
    x.blocks = cn_ipam_static_blocks(c, x.mp);

    out->ipam = v->ipam;
    out->nodes = c->nodes;
    out->surge_nodes = cn_ipam_surge_nodes(c);
    out->max_pods_per_node = x.mp;
    int64_t total = out->nodes + out->surge_nodes;

    /* AKS's own pods first: every one takes a slot, the pod-network ones an
     * address of the range the user pods use (models/syspods.def). */
    cn_syspods sp;
    cn_syspods_count(c, v, out->nodes, &sp);
    x.ds_host = sp.ds_host;
    out->system_pods_per_node = cn_syspods_per_node(&sp);
    out->system_pods = cn_syspods_total(&sp, out->nodes);
    out->system_pod_addrs = cn_syspods_addrs(&sp, out->nodes);
    out->user_pods_per_node = max64(0, x.mp - out->system_pods_per_node);
    int64_t user_slots = cn_ipam_user_slots(c, v, out->nodes);

    out->pods_requested = cn_ipam_pods_requested(c, v);
    out->pods_scheduled = min64(out->pods_requested, user_slots);
    if (out->pods_requested > user_slots)
        out->flags |= CN_FLAG_PODS_UNSCHEDULABLE;

    out->node_subnet = c->node_subnet;
    out->node_subnet_usable = x.node_usable;
    out->node_subnet_needed = node_subnet_need(&x, total);
    out->node_subnet_min_prefix = (int)range_min_prefix_subnet(c, out->node_subnet_needed, false);

    cn_limit pod_limit = CN_LIMIT_POD_CIDR;
    out->pod_range_min_prefix = -1;
    switch (v->ipam) {
    case CN_IPAM_KUBENET:
    case CN_IPAM_OVERLAY: {
        /* One /24 per node from the pod CIDR, in order; no Azure reservation
         * (the pod CIDR is not a VNet subnet). */
        out->has_pod_range = true;
        out->pod_range = c->pod_cidr;
        x.pod_usable = (int64_t)cn_cidr_subnet_count(c->pod_cidr, block_prefix) * x.node_block;
        out->pod_range_needed = mul_sat(total, x.node_block);
        int p = cn_prefix_for_addresses((uint64_t)out->pod_range_needed);
        out->pod_range_min_prefix = p > (int)block_prefix ? (int)block_prefix : p;
        break;
    }
    case CN_IPAM_POD_SUBNET: {
        out->has_pod_range = true;
        out->pod_range = c->pod_subnet;
        pod_limit = CN_LIMIT_POD_SUBNET;
        if (x.static_block) {
            x.pod_usable = cn_subnet_static_blocks(c, c->pod_subnet, NULL) * block_addrs(c);
            out->pod_range_needed = mul_sat(total, mul_sat(x.blocks, block_addrs(c)));
        } else {
            /* Dynamic: what the scheduled pods hold, batch by batch; a surge
             * node takes what the fullest node holds (its pods move there
             * while the drained node still holds its addresses). */
            x.pod_usable = cn_subnet_usable(c, c->pod_subnet);
            g_autofree int64_t *user = g_new(int64_t, out->nodes);
            cn_ipam_user_pods_per_node(c, v, out->pods_scheduled, user);
            int64_t sum = 0, fullest = 0;
            for (int64_t k = 0; k < out->nodes; k++) {
                int64_t host, pod;
                cn_syspods_on_node(&sp, k, &host, &pod);
                int64_t a = cn_ipam_dynamic_addrs(c, user[k] + pod, x.mp);
                sum = add_sat(sum, a);
                fullest = max64(fullest, a);
            }
            out->pod_range_needed = add_sat(sum, mul_sat(out->surge_nodes, fullest));
        }
        out->pod_range_min_prefix =
            (int)range_min_prefix_subnet(c, out->pod_range_needed, x.static_block);
        break;
    }
    default:
        break;
    }
    out->pod_range_usable = x.pod_usable;

    /* Flags: ranges exhausted (surge included) and documented limits passed. */
    if (out->node_subnet_needed > out->node_subnet_usable)
        out->flags |= CN_FLAG_NODE_SUBNET_FULL;
    if (out->has_pod_range && out->pod_range_needed > out->pod_range_usable)
        out->flags |=
            pod_limit == CN_LIMIT_POD_CIDR ? CN_FLAG_POD_CIDR_FULL : CN_FLAG_POD_SUBNET_FULL;
    out->vnet_ips = vnet_need(&x, total, out->pod_range_needed);
    if (out->vnet_ips > cost_int(c, CAL_vnet_max_ips))
        out->flags |= CN_FLAG_VNET_IPS;
    if (v->ipam == CN_IPAM_KUBENET && out->nodes > cost_int(c, CAL_kubenet_max_nodes))
        out->flags |= CN_FLAG_KUBENET_NODES;
    if (out->nodes > cost_int(c, CAL_cluster_max_nodes))
        out->flags |= CN_FLAG_CLUSTER_NODES;
    int64_t largest_pool = out->nodes;
    if (c->n_node_pools > 0) {
        largest_pool = 0;
        for (int i = 0; i < c->n_node_pools; i++)
            largest_pool = max64(largest_pool, c->node_pools[i]);
    }
    if (largest_pool > cost_int(c, CAL_pool_max_nodes))
        out->flags |= CN_FLAG_POOL_NODES;
    bool npm = v->policy == CN_POLICY_AZURE_NPM;
    if (npm && out->nodes > cost_int(c, CAL_npm_max_nodes))
        out->flags |= CN_FLAG_NPM_NODES;
    if (npm && out->pods_scheduled > cost_int(c, CAL_npm_max_pods))
        out->flags |= CN_FLAG_NPM_PODS;
    if (x.mp > cost_int(c, CAL_max_pods_max))
        out->flags |= CN_FLAG_MAX_PODS;

    /* SNAT: steady state, and the upgrade when the surge nodes join the
     * backend pool; the check counts the surge nodes. */
    cn_lb_capacity cap;
    cn_lb_capacity_check(c, total, &cap);
    out->snat_ports_per_node = cn_lb_ports_per_node(c, out->nodes);
    out->snat_ports_per_node_surge = cap.ports_per_node;
    out->snat_ports_needed = cap.ports_needed;
    out->snat_ports_available = cap.ports_available;
    if (!cap.fits)
        out->flags |= CN_FLAG_SNAT_PORTS;
    /* A default allocation that moves to a smaller tier reclaims half the
     * ports and resets their flows (Azure docs, outbound connections). */
    if (out->snat_ports_per_node_surge < out->snat_ports_per_node)
        out->flags |= CN_FLAG_SNAT_SURGE_TIER;

    /* How far it grows: each limit alone, then the smallest; once as the
     * AKS docs count (what the ranges hold: a /24 holds 8 node-subnet nodes
     * at 30 pods) and once with the surge nodes of an upgrade (7). */
    int64_t *caps_up = out->node_caps_upgradable;
    for (int f = 0; f < CN_LIMIT_COUNT; f++)
        out->node_caps[f] = caps_up[f] = NO_CAP;
    static const cn_limit searched[] = {CN_LIMIT_NODE_SUBNET, CN_LIMIT_POD_CIDR,
                                        CN_LIMIT_POD_SUBNET, CN_LIMIT_VNET, CN_LIMIT_SNAT};
    for (size_t i = 0; i < G_N_ELEMENTS(searched); i++) {
        cn_limit f = searched[i];
        if ((f == CN_LIMIT_POD_CIDR || f == CN_LIMIT_POD_SUBNET) &&
            (!out->has_pod_range || f != pod_limit))
            continue;
        out->node_caps[f] = search_cap(&x, f, false);
        caps_up[f] = search_cap(&x, f, true);
    }
    /* Documented node counts are counts of nodes, surge nodes included. */
    if (v->ipam == CN_IPAM_KUBENET)
        out->node_caps[CN_LIMIT_ROUTE_TABLE] = caps_up[CN_LIMIT_ROUTE_TABLE] =
            cost_int(c, CAL_kubenet_max_nodes);
    if (npm)
        out->node_caps[CN_LIMIT_NPM] = caps_up[CN_LIMIT_NPM] =
            min64(cost_int(c, CAL_npm_max_nodes), cost_int(c, CAL_npm_max_pods) / max64(1, x.mp));
    out->node_caps[CN_LIMIT_CLUSTER] = caps_up[CN_LIMIT_CLUSTER] =
        cost_int(c, CAL_cluster_max_nodes);
    out->limiting = CN_LIMIT_CLUSTER;
    out->max_nodes = out->max_nodes_upgradable = NO_CAP;
    for (int f = 0; f < CN_LIMIT_COUNT; f++) {
        if (out->node_caps[f] < out->max_nodes) {
            out->max_nodes = out->node_caps[f];
            out->limiting = (cn_limit)f;
        }
        out->max_nodes_upgradable = min64(out->max_nodes_upgradable, caps_up[f]);
    }
    out->max_pods = mul_sat(out->max_nodes, x.mp);
    /* The user pods that fit at max_nodes: its slots less the system pods
     * a cluster of that size runs. */
    out->user_pods_max = out->max_nodes > 0 && out->max_nodes <= CN_IPAM_USER_PODS_MAX_NODES
                             ? cn_ipam_user_slots(c, v, out->max_nodes)
                             : 0;
}

/* ---- checks AKS enforces ---- */

G_GNUC_PRINTF(5, 6)
static gboolean fail(GError **error, const char *file, const char *where, const char *at,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_COMBINATION, "%s: %s: %s%s", file,
                where, msg, at ? at : "");
    return FALSE;
}

/* Calibration entries the plan computes with, checked as the plan needs
 * them whatever range the table gives (issue 9: a max pods of 0 divided by
 * zero, a minimum prefix of 33 shifted by a negative count, a node block
 * prefix of 0 overflowed). */
static gboolean check_plan_costs(const cn_config *c, const char *file, const char *at,
                                 GError **error)
{
    static const struct {
        cn_cal_id id;
        double lo, hi;
        const char *what;
    } prefixes[] = {
        {CAL_subnet_min_prefix, 0, 32, "an IPv4 prefix length from 0 to 32"},
        {CAL_node_pod_block_prefix, 1, 32, "an IPv4 prefix length from 1 to 32"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        double v = c->cost[prefixes[i].id];
        if (!(v >= prefixes[i].lo && v <= prefixes[i].hi && v == floor(v))) {
            g_autofree char *where =
                g_strdup_printf("[costs] %s", cn_cal_table[prefixes[i].id].name);
            return fail(error, file, where, at, "expected %s, got %g", prefixes[i].what, v);
        }
    }
    /* A plugin's default max pods, when a variant uses it: a whole number
     * from AKS's minimum (at least 1) to cnisim's bound. */
    static const cn_cal_id defaults[CN_IPAM_COUNT] = {
        CAL_max_pods_default_kubenet,
        CAL_max_pods_default_node_subnet,
        CAL_max_pods_default_overlay,
        CAL_max_pods_default_pod_subnet,
    };
    int64_t lo = max64(1, cost_int(c, CAL_max_pods_min));
    for (int i = 0; i < c->n_variants && c->max_pods_per_node == 0; i++) {
        cn_cal_id id = defaults[c->variants[i].ipam];
        double v = c->cost[id];
        if (!(v >= (double)lo && v <= CN_IPAM_MAX_PODS_BOUND && v == floor(v))) {
            g_autofree char *where = g_strdup_printf("[costs] %s", cn_cal_table[id].name);
            return fail(error, file, where, at,
                        "expected a whole number of pods from %" PRId64
                        " (max_pods_min, at least 1) to %d (cnisim's bound), got %g (variant '%s')",
                        lo, CN_IPAM_MAX_PODS_BOUND, v, c->variants[i].name);
        }
    }
    return TRUE;
}

/* Ranges no Azure VNet or Kubernetes cluster can use for nodes, pods or
 * Services: loopback, multicast and the rest of the special-purpose IPv4
 * space (Azure VNet FAQ, "Are there any restrictions on using IP addresses
 * within these subnets?"; IANA IPv4 special-purpose registry). */
static const struct {
    cn_cidr range;
    const char *why;
} special_ranges[] = {
    {{0x00000000u, 8}, "0.0.0.0/8 is 'this network'"},
    {{0x7f000000u, 8}, "127.0.0.0/8 is loopback"},
    {{0xe0000000u, 4}, "224.0.0.0/4 is multicast"},
    {{0xf0000000u, 4}, "240.0.0.0/4 is reserved (and holds the broadcast address)"},
};

static gboolean check_layout(const cn_config *c, const char *file, const char *at, GError **error)
{
    char b1[20], b2[20];
    bool pod_subnet = false, pod_cidr = false;
    for (int i = 0; i < c->n_variants; i++) {
        cn_ipam ip = c->variants[i].ipam;
        pod_subnet = pod_subnet || ip == CN_IPAM_POD_SUBNET;
        pod_cidr = pod_cidr || ip == CN_IPAM_KUBENET || ip == CN_IPAM_OVERLAY;
    }
    const struct {
        const char *key;
        cn_cidr r;
        bool used;
    } ranges[] = {
        {"node_subnet", c->node_subnet, true},
        {"pod_subnet", c->pod_subnet, pod_subnet},
        {"pod_cidr", c->pod_cidr, pod_cidr},
        {"service_cidr", c->service_cidr, true},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ranges); i++)
        for (size_t j = 0; ranges[i].used && j < G_N_ELEMENTS(special_ranges); j++)
            if (cn_cidr_overlaps(ranges[i].r, special_ranges[j].range)) {
                g_autofree char *where = g_strdup_printf("[cluster] %s", ranges[i].key);
                return fail(error, file, where, at,
                            "%s overlaps %s; no node, pod or Service can use it (Azure VNet "
                            "FAQ: address restrictions)",
                            cn_cidr_format(ranges[i].r, b1),
                            cn_cidr_format(special_ranges[j].range, b2));
            }
    /* ClusterIPs: the allocator gives out neither the network nor the
     * broadcast address of an IPv4 service range, and kubernetes.default
     * and kube-dns take one each (Kubernetes docs: Service ClusterIP
     * allocation). */
    int64_t services = max64(c->services, c->target_services);
    int64_t ips = max64(0, (int64_t)cn_cidr_size(c->service_cidr) - 2);
    if (services + 2 > ips)
        return fail(
            error, file, "[cluster] services", at,
            "%" PRId64 " Services need %" PRId64
            " ClusterIPs with kubernetes.default and kube-dns; service_cidr %s holds %" PRId64
            " (the network and broadcast addresses are not allocated: Kubernetes docs, "
            "Service ClusterIP allocation)",
            services, services + 2, cn_cidr_format(c->service_cidr, b1), ips);
    int64_t max_pools = cost_int(c, CAL_cluster_max_pools);
    if (c->n_node_pools > max_pools)
        return fail(error, file, "[cluster] node_pools", at,
                    "%d node pools; AKS allows %" PRId64
                    " node pools per cluster (Azure subscription and service limits, AKS)",
                    c->n_node_pools, max_pools);
    return TRUE;
}

gboolean cn_ipam_check_config(const cn_config *c, const char *file, const char *at, GError **error)
{
    char b[20];
    if (!check_plan_costs(c, file, at, error) || !check_layout(c, file, at, error) ||
        !cn_syspods_check_config(c, file, at, error))
        return FALSE;
    /* AKS's own pods must fit the nodes they run on: node 0 of the system
     * pool holds the most (the Deployments are dealt from it). */
    for (int i = 0; i < c->n_variants; i++) {
        const cn_variant *v = &c->variants[i];
        cn_syspods sp;
        cn_syspods_count(c, v, c->nodes, &sp);
        int64_t host, pod, mp = cn_ipam_max_pods(c, v->ipam);
        cn_syspods_on_node(&sp, 0, &host, &pod);
        if (host + pod > mp)
            return fail(error, file, "[cluster] system_pods", at,
                        "AKS's own pods need %" PRId64 " slots on the first node of the system "
                        "pool (%" PRId64 " on every node, the system Deployments over %" PRId64
                        " nodes) but max pods per node is %" PRId64
                        " (variant '%s'): raise max_pods_per_node or the first pool's nodes",
                        host + pod, cn_syspods_per_node(&sp), sp.pool_nodes, mp, v->name);
    }
    int64_t multiple = max64(1, cost_int(c, CAL_lb_ports_multiple));
    if (c->allocated_outbound_ports % multiple != 0)
        return fail(error, file, "[cluster] allocated_outbound_ports", at,
                    "expected 0 (the Azure LB default table) or a multiple of %" PRId64
                    " up to 64000 (AKS docs: configure-load-balancer-standard), got %" PRId64,
                    multiple, c->allocated_outbound_ports);
    int64_t min_prefix = cost_int(c, CAL_subnet_min_prefix);
    if (c->node_subnet.prefix > min_prefix)
        return fail(error, file, "[cluster] node_subnet", at,
                    "expected a /%" PRId64 " or larger range (the smallest Azure subnet: Azure "
                    "VNet FAQ), got %s",
                    min_prefix, cn_cidr_format(c->node_subnet, b));
    bool pod_subnet = false, static_block = c->pod_subnet_allocation == CN_PODSUBNET_STATIC_BLOCK;
    for (int i = 0; i < c->n_variants; i++) {
        const cn_variant *v = &c->variants[i];
        if (v->ipam != CN_IPAM_POD_SUBNET)
            continue;
        pod_subnet = true;
        if (static_block && v->ebpf_dataplane)
            return fail(error, file, "[cluster] pod_subnet_allocation", at,
                        "static-block is not supported with the Cilium dataplane of variant '%s' "
                        "(AKS docs: concepts-network-azure-cni-pod-subnet, static block "
                        "limitations); use dynamic",
                        v->name);
    }
    if (pod_subnet && c->pod_subnet.prefix > min_prefix)
        return fail(error, file, "[cluster] pod_subnet", at,
                    "expected a /%" PRId64 " or larger range (the smallest Azure subnet: Azure "
                    "VNet FAQ), got %s",
                    min_prefix, cn_cidr_format(c->pod_subnet, b));
    int64_t max_block_subnet = cost_int(c, CAL_static_block_max_subnet_prefix);
    if (pod_subnet && static_block && c->pod_subnet.prefix < max_block_subnet)
        return fail(error, file, "[cluster] pod_subnet", at,
                    "static block allocation supports pod subnets up to a /%" PRId64
                    " (AKS docs: concepts-network-azure-cni-pod-subnet), got %s",
                    max_block_subnet, cn_cidr_format(c->pod_subnet, b));
    /* AKS's minimum max pods (the loader checks the documented 10; this
     * follows the calibration entry when [costs] changes it). */
    int64_t min_pods = cost_int(c, CAL_max_pods_min);
    if (c->max_pods_per_node > 0 && c->max_pods_per_node < min_pods)
        return fail(error, file, "[cluster] max_pods_per_node", at,
                    "expected 0 (the plugin's default) or at least %" PRId64
                    " (AKS minimum: AKS docs, IP address planning), got %" PRId64,
                    min_pods, c->max_pods_per_node);
    /* Max pods below 30 needs room for 30 pods in every pool (AKS IP
     * address planning, strictly enforced). */
    int64_t pool_pods = cost_int(c, CAL_max_pods_min_pool_pods);
    for (int i = 0; i < c->n_variants; i++) {
        int64_t mp = cn_ipam_max_pods(c, c->variants[i].ipam);
        if (mp >= pool_pods)
            continue;
        int pools = c->n_node_pools > 0 ? c->n_node_pools : 1;
        for (int p = 0; p < pools; p++) {
            int64_t size = c->n_node_pools > 0 ? c->node_pools[p] : c->nodes;
            if (size * mp < pool_pods)
                return fail(error, file, "[cluster] max_pods_per_node", at,
                            "%" PRId64 " pods per node needs at least %" PRId64
                            " nodes in every node pool (AKS requires room for %" PRId64
                            " pods per pool when max pods is below %" PRId64
                            ": AKS docs, IP address planning), %s has %" PRId64,
                            mp, ceil_div(pool_pods, mp), pool_pods, pool_pods,
                            c->n_node_pools > 0 ? "a pool" : "the cluster", size);
        }
    }
    return TRUE;
}
