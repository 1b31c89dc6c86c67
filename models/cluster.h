/* The cluster: nodes (in pools), pods placed on nodes, Services with their
 * endpoints and positions in kube-proxy's KUBE-SERVICES chain, and network
 * policies selecting pods.  Built once per (config, variant, replication);
 * the datapath reads it. */
#ifndef CN_CLUSTER_H
#define CN_CLUSTER_H

#include <stdint.h>
#include <glib.h>

#include "config.h"

typedef struct {
    uint32_t n_nodes;
    uint32_t max_pods_per_node; /* effective (config or the plugin's default) */
    uint32_t *node_pool;        /* pool index of each node */
    uint32_t *node_pods;        /* user pods placed on each node */
    uint32_t *node_ip;          /* each node's address in the node subnet */

    /* AKS's own pods (models/syspods.h): slots and addresses, no traffic. */
    uint32_t n_sys_pods;
    uint32_t *node_sys_pods;      /* system pods on each node (max-pods slots) */
    uint32_t *node_sys_pod_addrs; /* the pod-network ones among them */
    uint32_t *sys_pod_node;       /* node of each system pod */
    uint32_t *sys_pod_ip;         /* its address: the node's when host network */
    uint8_t *sys_pod_host;        /* 1: host network */

    uint32_t n_pods;
    uint32_t *pod_node; /* node of each pod */
    uint32_t *pod_ip;   /* address of each pod (host order), from the variant's IPAM */

    uint32_t n_services;
    uint32_t *svc_ep_start;  /* n_services + 1 offsets into endpoints (CSR) */
    uint32_t *endpoints;     /* pod index of each endpoint */
    uint32_t *svc_chain_pos; /* 0-based position of each Service's rule in KUBE-SERVICES */

    uint32_t n_policies;
    uint32_t *pod_policies; /* network policies selecting each pod */
} cn_cluster;

/* Build the cluster for a variant.  Random choices (Service positions,
 * endpoint pods) draw from the stream "cluster" of (seed, replication).
 * Fails (GError, CN_SCENARIO_ERROR) only when the pods do not fit: on the
 * nodes (max pods, beside the system pods), in the variant's address ranges (steady state, no
 * surge: such a cluster cannot exist), or too few for one Service's
 * distinct endpoints.  Past documented limits (kubenet over 400 nodes,
 * Azure NPM over 250, ...) it builds: the plan flags them.
 *
 * Conventions (models/cluster.c, models/ipam.h):
 *  - system pods first ([cluster] system_pods): DaemonSets on every node,
 *    Deployments dealt over the first pool; they take slots (and, on the
 *    pod network, the node's first pod addresses) and carry no traffic;
 *  - pods: [cluster] pods, or the workload's need (cn_ipam_pods_requested),
 *    spread in turn over the slots left: pod i on node i mod n_nodes while
 *    no node is full;
 *  - Services: max(services, target_services); Services 0 .. targets-1 are
 *    the workload's targets, backed by pods of their own while there are
 *    enough (Service s: pods s x eps .. s x eps + eps - 1); the others point
 *    at existing pods chosen at random; KUBE-SERVICES positions are a random
 *    permutation;
 *  - policy p selects the pods backing Service p mod n_services. */
cn_cluster *cn_cluster_build(const cn_config *c, const cn_variant *v, uint32_t replication,
                             GError **error);
void cn_cluster_free(cn_cluster *cl);

#endif
