#include "cluster.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ipam.h"
#include "rng.h"
#include "scenario.h"
#include "syspods.h"

/* cnisim's own bound on Services x endpoints, so an absurd input fails with
 * a message instead of exhausting memory (400 MB of endpoint indices). */
#define MAX_ENDPOINTS INT64_C(100000000)

/* Within a node's /24 (kubenet, overlay) pods start at the third address:
 * the first is the block's network address and the second the node's bridge
 * gateway (kubenet's cbr0).  cnisim's convention; only distinctness
 * matters to the models. */
#define NODE_BLOCK_FIRST_POD 2

static const char *file_of(const cn_config *c)
{
    return c->file ? c->file : c->name ? c->name : "scenario";
}

G_GNUC_PRINTF(4, 5)
static cn_cluster *fail(GError **error, const cn_config *c, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_COMBINATION, "%s: %s: %s", file_of(c),
                where, msg);
    return NULL;
}

void cn_cluster_free(cn_cluster *cl)
{
    if (!cl)
        return;
    g_free(cl->node_pool);
    g_free(cl->node_pods);
    g_free(cl->node_ip);
    g_free(cl->node_sys_pods);
    g_free(cl->node_sys_pod_addrs);
    g_free(cl->sys_pod_node);
    g_free(cl->sys_pod_ip);
    g_free(cl->sys_pod_host);
    g_free(cl->pod_node);
    g_free(cl->pod_ip);
    g_free(cl->svc_ep_start);
    g_free(cl->endpoints);
    g_free(cl->svc_chain_pos);
    g_free(cl->pod_policies);
    g_free(cl);
}

/* Pod addresses from the variant's IPAM, nodes taking their ranges in order
 * (MODEL.md "IP address management").  On each node the pod-network system
 * pods take the first pod addresses, the user pods the next ones; host
 * network system pods use the node's address.  Fails when the steady-state
 * cluster (no surge) does not fit its ranges: such a cluster cannot exist.
 * local[i] is user pod i's index among the user pods of its node. */
static bool assign_addresses(cn_cluster *cl, const cn_config *c, const cn_variant *v,
                             const uint32_t *local, GError **error)
{
    char b[20];
    int64_t n = cl->n_nodes, pods = cl->n_pods, mp = cl->max_pods_per_node;
    int64_t node_usable = cn_subnet_usable(c, c->node_subnet);
    int64_t node_need = v->ipam == CN_IPAM_NODE_SUBNET ? n * (1 + mp) : n;
    if (node_need > node_usable) {
        fail(error, c, "[cluster] node_subnet",
             "%s leaves %" PRId64 " usable addresses (Azure reserves %" PRId64 "); %" PRId64
             " nodes of variant '%s' need %" PRId64,
             cn_cidr_format(c->node_subnet, b), node_usable,
             (int64_t)llround(c->cost[CAL_subnet_reserved_addrs]), n, v->name, node_need);
        return false;
    }
    uint32_t first, last;
    cn_subnet_usable_range(c, c->node_subnet, &first, &last);
    /* base[k]: node k's first pod address. */
    g_autofree uint32_t *base = g_new(uint32_t, n);
    switch (v->ipam) {
    case CN_IPAM_KUBENET:
    case CN_IPAM_OVERLAY: {
        unsigned prefix = (unsigned)llround(c->cost[CAL_node_pod_block_prefix]);
        uint64_t blocks = cn_cidr_subnet_count(c->pod_cidr, prefix);
        if ((uint64_t)n > blocks) {
            fail(error, c, "[cluster] pod_cidr",
                 "%s holds %" PRIu64 " node /%u blocks; the %" PRId64
                 " nodes of variant '%s' need one each",
                 cn_cidr_format(c->pod_cidr, b), blocks, prefix, n, v->name);
            return false;
        }
        if (prefix > 32 || NODE_BLOCK_FIRST_POD + mp > (INT64_C(1) << (32 - prefix))) {
            fail(error, c, "[cluster] max_pods_per_node",
                 "%" PRId64 " pods per node do not fit a node's /%u block", mp, prefix);
            return false;
        }
        for (int64_t k = 0; k < n; k++) {
            cn_cidr blk;
            cn_cidr_nth_subnet(c->pod_cidr, prefix, (uint64_t)k, &blk);
            base[k] = blk.addr + NODE_BLOCK_FIRST_POD;
            cl->node_ip[k] = first + (uint32_t)k;
        }
        break;
    }
    case CN_IPAM_NODE_SUBNET:
        /* Each node takes 1 + max pods addresses up front: its own, then its
         * pods'. */
        for (int64_t k = 0; k < n; k++) {
            cl->node_ip[k] = first + (uint32_t)(k * (1 + mp));
            base[k] = cl->node_ip[k] + 1;
        }
        break;
    case CN_IPAM_POD_SUBNET:
        for (int64_t k = 0; k < n; k++)
            cl->node_ip[k] = first + (uint32_t)k;
        if (c->pod_subnet_allocation == CN_PODSUBNET_STATIC_BLOCK) {
            uint32_t first_block = 0;
            int64_t have = cn_subnet_static_blocks(c, c->pod_subnet, &first_block);
            int64_t per_node = cn_ipam_static_blocks(c, mp);
            if (n * per_node > have) {
                fail(error, c, "[cluster] pod_subnet",
                     "%s holds %" PRId64 " whole /28 blocks; the %" PRId64
                     " nodes of variant '%s' need %" PRId64 " each (%" PRId64 " max pods)",
                     cn_cidr_format(c->pod_subnet, b), have, n, v->name, per_node, mp);
                return false;
            }
            int64_t block = (int64_t)llround(c->cost[CAL_static_block_addrs]);
            int64_t reserved = (int64_t)llround(c->cost[CAL_static_block_reserved_per_node]);
            for (int64_t k = 0; k < n; k++)
                base[k] = first_block + (uint32_t)(k * per_node * block + reserved);
            break;
        }
        {
            /* Dynamic: node k holds 16 x ceil((pods + 8) / 16) addresses for
             * its user and pod-network system pods, nodes in order. */
            int64_t need = 0;
            for (int64_t k = 0; k < n; k++) {
                int64_t on = cl->node_pods[k] + cl->node_sys_pod_addrs[k];
                need += cn_ipam_dynamic_addrs(c, on, mp);
            }
            int64_t usable = cn_subnet_usable(c, c->pod_subnet);
            if (need > usable) {
                fail(error, c, "[cluster] pod_subnet",
                     "%s leaves %" PRId64 " usable addresses; the %" PRId64
                     " pods of variant '%s' (and %" PRIu32 " system pods) on %" PRId64
                     " nodes hold %" PRId64 " in batches of 16",
                     cn_cidr_format(c->pod_subnet, b), usable, pods, v->name, cl->n_sys_pods, n,
                     need);
                return false;
            }
            uint32_t pfirst, plast;
            cn_subnet_usable_range(c, c->pod_subnet, &pfirst, &plast);
            int64_t at = 0;
            for (int64_t k = 0; k < n; k++) {
                base[k] = pfirst + (uint32_t)at;
                at += cn_ipam_dynamic_addrs(c, cl->node_pods[k] + cl->node_sys_pod_addrs[k], mp);
            }
        }
        break;
    default:
        g_assert_not_reached();
    }
    /* System pods: the pod-network ones first on their node. */
    g_autofree uint32_t *next = g_new0(uint32_t, n);
    for (uint32_t j = 0; j < cl->n_sys_pods; j++) {
        uint32_t k = cl->sys_pod_node[j];
        cl->sys_pod_ip[j] = cl->sys_pod_host[j] ? cl->node_ip[k] : base[k] + next[k]++;
    }
    for (int64_t i = 0; i < pods; i++) {
        uint32_t k = cl->pod_node[i];
        cl->pod_ip[i] = base[k] + cl->node_sys_pod_addrs[k] + local[i];
    }
    return true;
}

/* AKS's own pods (models/syspods.h): DaemonSets on every node, Deployments
 * dealt over the system pool; in table order on each node. */
static void place_system_pods(cn_cluster *cl, const cn_syspods *s)
{
    int64_t n = cl->n_nodes;
    uint32_t j = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t host, pod;
        cn_syspods_on_node(s, k, &host, &pod);
        cl->node_sys_pods[k] = (uint32_t)(host + pod);
        cl->node_sys_pod_addrs[k] = (uint32_t)pod;
        for (int64_t q = 0; q < pod + host; q++, j++) {
            cl->sys_pod_node[j] = (uint32_t)k;
            cl->sys_pod_host[j] = q >= pod;
        }
    }
    g_assert(j == cl->n_sys_pods);
}

/* Services: the first target_services are the workload's targets, each
 * backed by pods of its own while there are enough (pods s x eps ...
 * (s + 1) x eps - 1); every other Service points at existing pods chosen at
 * random, as the extra Services of the published benchmarks do.  Every
 * Service takes a random place in KUBE-SERVICES. */
static void build_services(cn_cluster *cl, const cn_config *c, sim_rng *rng, uint8_t *mark)
{
    uint32_t eps = (uint32_t)c->endpoints_per_service;
    uint32_t pods = cl->n_pods;
    for (uint32_t i = 0; i < cl->n_services; i++)
        cl->svc_chain_pos[i] = i;
    /* Fisher-Yates: a uniform random permutation per (seed, replication). */
    for (uint32_t i = cl->n_services; i > 1; i--) {
        uint32_t j = (uint32_t)sim_rng_uniform_int(rng, i);
        uint32_t t = cl->svc_chain_pos[i - 1];
        cl->svc_chain_pos[i - 1] = cl->svc_chain_pos[j];
        cl->svc_chain_pos[j] = t;
    }
    for (uint32_t s = 0; s <= cl->n_services; s++)
        cl->svc_ep_start[s] = s * eps;
    for (uint32_t s = 0; s < cl->n_services; s++) {
        uint32_t *ep = cl->endpoints + cl->svc_ep_start[s];
        if (s < (uint64_t)c->target_services && ((uint64_t)s + 1) * eps <= pods) {
            for (uint32_t e = 0; e < eps; e++)
                ep[e] = s * eps + e;
            continue;
        }
        /* Floyd's sampling: eps distinct pods in O(eps) draws. */
        for (uint32_t j = pods - eps, e = 0; j < pods; j++, e++) {
            uint32_t t = (uint32_t)sim_rng_uniform_int(rng, (uint64_t)j + 1);
            if (mark[t])
                t = j;
            mark[t] = 1;
            ep[e] = t;
        }
        for (uint32_t e = 0; e < eps; e++)
            mark[ep[e]] = 0;
    }
}

/* Network policies: policy p selects the pods backing Service p mod
 * Services, so the target Services' pods are selected first and the
 * policies spread evenly over the rest. */
static void build_policies(cn_cluster *cl)
{
    uint32_t S = cl->n_services, P = cl->n_policies;
    uint32_t with = P < S ? P : S;
    for (uint32_t s = 0; s < with; s++) {
        uint32_t q = P / S + (s < P % S ? 1 : 0);
        for (uint32_t e = cl->svc_ep_start[s]; e < cl->svc_ep_start[s + 1]; e++)
            cl->pod_policies[cl->endpoints[e]] += q;
    }
}

cn_cluster *cn_cluster_build(const cn_config *c, const cn_variant *v, uint32_t replication,
                             GError **error)
{
    g_return_val_if_fail(c != NULL && v != NULL, NULL);
    int64_t n = c->nodes;
    int64_t mp = cn_ipam_max_pods(c, v->ipam);
    int64_t pods = cn_ipam_pods_requested(c, v);
    cn_syspods sp;
    cn_syspods_count(c, v, n, &sp);
    int64_t slots = cn_ipam_user_slots(c, v, n), sys = cn_syspods_total(&sp, n);
    if (pods > slots)
        return fail(error, c, "[cluster] pods",
                    "%" PRId64 " pods do not fit on %" PRId64 " nodes x %" PRId64
                    " max pods per node beside %" PRId64 " system pods (variant '%s'; "
                    "[cluster] system_pods)",
                    pods, n, mp, sys, v->name);
    int64_t eps = c->endpoints_per_service;
    if (eps > pods)
        return fail(error, c, "[cluster] endpoints_per_service",
                    "%" PRId64 " endpoints per Service need at least that many pods, the cluster "
                    "has %" PRId64 " (variant '%s')",
                    eps, pods, v->name);
    int64_t services = c->services > c->target_services ? c->services : c->target_services;
    if (services * eps > MAX_ENDPOINTS)
        return fail(error, c, "[cluster] services",
                    "%" PRId64 " Services x %" PRId64 " endpoints is %" PRId64
                    " endpoints; cnisim models at most %" PRId64,
                    services, eps, services * eps, MAX_ENDPOINTS);

    cn_cluster *cl = g_new0(cn_cluster, 1);
    cl->n_nodes = (uint32_t)n;
    cl->max_pods_per_node = (uint32_t)mp;
    cl->n_pods = (uint32_t)pods;
    cl->n_sys_pods = (uint32_t)sys;
    cl->n_services = (uint32_t)services;
    cl->n_policies = (uint32_t)c->network_policies;
    cl->node_pool = g_new(uint32_t, n);
    cl->node_pods = g_new(uint32_t, n);
    cl->node_ip = g_new(uint32_t, n);
    cl->node_sys_pods = g_new(uint32_t, n);
    cl->node_sys_pod_addrs = g_new(uint32_t, n);
    cl->sys_pod_node = g_new(uint32_t, sys ? sys : 1);
    cl->sys_pod_ip = g_new(uint32_t, sys ? sys : 1);
    cl->sys_pod_host = g_new(uint8_t, sys ? sys : 1);
    cl->pod_node = g_new(uint32_t, pods);
    cl->pod_ip = g_new(uint32_t, pods);
    cl->svc_ep_start = g_new(uint32_t, services + 1);
    cl->endpoints = g_new(uint32_t, services * eps);
    cl->svc_chain_pos = g_new(uint32_t, services);
    cl->pod_policies = g_new0(uint32_t, pods);

    /* Nodes fill the pools in order; no pools: one pool of all nodes. */
    for (int64_t k = 0, pool = 0, left = c->n_node_pools > 0 ? c->node_pools[0] : n; k < n; k++) {
        while (left == 0 && pool + 1 < c->n_node_pools)
            left = c->node_pools[++pool];
        cl->node_pool[k] = (uint32_t)pool;
        left--;
    }
    place_system_pods(cl, &sp);
    /* User pods dealt over the nodes in turn, as the scheduler spreads
     * replicas, a node whose slots are full skipped: pod i on node i mod n
     * while no node is full. */
    {
        g_autofree int64_t *per = g_new(int64_t, n);
        cn_ipam_user_pods_per_node(c, v, pods, per);
        for (int64_t k = 0; k < n; k++)
            cl->node_pods[k] = (uint32_t)per[k];
    }
    g_autofree uint32_t *local = g_new(uint32_t, pods);
    for (int64_t i = 0, t = 0; i < pods; t++)
        for (int64_t k = 0; k < n && i < pods; k++)
            if (cl->node_pods[k] > (uint64_t)t) {
                cl->pod_node[i] = (uint32_t)k;
                local[i++] = (uint32_t)t;
            }
    if (!assign_addresses(cl, c, v, local, error)) {
        cn_cluster_free(cl);
        return NULL;
    }

    sim_rng *rng = sim_rng_new(c->seed, replication, sim_rng_stream_id("cluster"));
    uint8_t *mark = g_new0(uint8_t, pods);
    build_services(cl, c, rng, mark);
    g_free(mark);
    sim_rng_free(rng);
    build_policies(cl);
    return cl;
}
