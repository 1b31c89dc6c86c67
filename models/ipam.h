/* Address planning per plugin (MODEL.md "IP address management"): what each
 * IPAM takes from the node subnet, the pod subnet or the pod CIDR, with the
 * surge nodes of an upgrade; how far the cluster can grow before a range or
 * a documented limit stops it; and which documented limits a configuration
 * passes.  Supported-but-past-limit configurations are flagged, not refused.
 * Every number comes from the calibration table (c->cost[]). */
#ifndef CN_IPAM_H
#define CN_IPAM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"

/* What stops a cluster growing first (ipam.csv column limiting_factor). */
typedef enum {
    CN_LIMIT_NODE_SUBNET, /* node_subnet: addresses of the node subnet */
    CN_LIMIT_POD_CIDR,    /* pod_cidr: /24 node blocks of the pod CIDR */
    CN_LIMIT_POD_SUBNET,  /* pod_subnet: addresses (or /28 blocks) of the pod subnet */
    CN_LIMIT_VNET,        /* vnet_limit: VNet addresses per cluster (64,000) */
    CN_LIMIT_ROUTE_TABLE, /* route_table: kubenet's 400 nodes (one UDR route each) */
    CN_LIMIT_NPM,         /* npm_limit: Azure NPM's 250 nodes / 20,000 pods */
    CN_LIMIT_SNAT,        /* snat_ports: LB frontend ports for every node's allocation */
    CN_LIMIT_CLUSTER,     /* cluster_limit: 5,000 nodes per cluster */
    CN_LIMIT_COUNT
} cn_limit;

/* Documented limits a configuration passes (ipam.csv column flags). */
typedef enum {
    CN_FLAG_NODE_SUBNET_FULL = 1u << 0,    /* node_subnet_full: needed > usable */
    CN_FLAG_POD_CIDR_FULL = 1u << 1,       /* pod_cidr_full: more nodes than /24 blocks */
    CN_FLAG_POD_SUBNET_FULL = 1u << 2,     /* pod_subnet_full */
    CN_FLAG_VNET_IPS = 1u << 3,            /* vnet_ips: over 64,000 VNet addresses */
    CN_FLAG_KUBENET_NODES = 1u << 4,       /* kubenet_nodes: over 400 nodes */
    CN_FLAG_CLUSTER_NODES = 1u << 5,       /* cluster_nodes: over 5,000 nodes */
    CN_FLAG_POOL_NODES = 1u << 6,          /* pool_nodes: a pool over 1,000 nodes */
    CN_FLAG_NPM_NODES = 1u << 7,           /* npm_nodes: Azure NPM over 250 nodes */
    CN_FLAG_NPM_PODS = 1u << 8,            /* npm_pods: Azure NPM over 20,000 pods */
    CN_FLAG_SNAT_PORTS = 1u << 9,          /* snat_ports: nodes x ports > IPs x 64,000 */
    CN_FLAG_SNAT_SURGE_TIER = 1u << 10,    /* snat_surge_tier: surge moves the default
                                              allocation to a smaller tier */
    CN_FLAG_PODS_UNSCHEDULABLE = 1u << 11, /* pods_unschedulable: pods > nodes x max pods */
    CN_FLAG_MAX_PODS = 1u << 12,           /* max_pods: max pods per node over 250 */
} cn_ipam_flag;
#define CN_IPAM_FLAG_COUNT 13

/* cnisim's own bound on a plugin's default max pods from [costs] (AKS
 * allows 250; the plan flags past that, and refuses past this). */
#define CN_IPAM_MAX_PODS_BOUND 1000
/* user_pods_max is counted node by node up to this many nodes (past it
 * the cluster limits of AKS are long passed; 0 is written). */
#define CN_IPAM_USER_PODS_MAX_NODES 1000000

/* The plan of one variant at one sweep point: one row of ipam.csv.
 * Addresses are counted in addresses (a /28 block is 16). */
typedef struct {
    cn_ipam ipam;
    int64_t nodes;
    int64_t surge_nodes;       /* extra nodes during an upgrade */
    int64_t max_pods_per_node; /* effective: the config's or the plugin's default */

    cn_cidr node_subnet;
    int64_t node_subnet_usable; /* size minus Azure's reserved addresses */
    int64_t node_subnet_needed; /* with the surge nodes */
    int node_subnet_min_prefix; /* the smallest subnet that holds node_subnet_needed */

    bool has_pod_range; /* false for node subnet IPAM (pods live in the node subnet) */
    cn_cidr pod_range;  /* pod CIDR (kubenet, overlay) or pod subnet */
    int64_t pod_range_usable;
    int64_t pod_range_needed; /* with the surge nodes */
    int pod_range_min_prefix; /* -1 when there is no pod range */

    /* How far the cluster grows.  max_nodes counts as the AKS docs do: the
     * nodes the ranges and limits hold, no upgrade headroom (a /24 node
     * subnet holds 8 nodes at 30 pods: AKS configure-kubenet); the surge
     * nodes of an upgrade must fit too in max_nodes_upgradable (7). */
    int64_t max_nodes;
    int64_t max_nodes_upgradable;
    int64_t max_pods;                  /* max_nodes x max pods per node */
    cn_limit limiting;                 /* what stops max_nodes */
    int64_t node_caps[CN_LIMIT_COUNT]; /* max nodes allowed by each limit alone, no surge */
    int64_t node_caps_upgradable[CN_LIMIT_COUNT]; /* the same with the surge nodes */

    int64_t pods_requested; /* user pods: the config's pods, or what the workload needs */
    int64_t pods_scheduled; /* those that fit on the nodes beside the system pods */

    /* AKS's own pods (models/syspods.def, [cluster] system_pods): */
    int64_t system_pods_per_node; /* DaemonSet pods on every node (slots) */
    int64_t system_pods;          /* all system pods of the cluster, Deployments included */
    int64_t system_pod_addrs;     /* the pod-network ones: addresses of the pod range */
    int64_t user_pods_per_node;   /* max pods less the DaemonSets: a user node's room */
    int64_t user_pods_max;        /* user pods that fit at max_nodes, system pods placed */

    int64_t snat_ports_per_node;       /* LB ports per node, backend = nodes */
    int64_t snat_ports_per_node_surge; /* during an upgrade, backend = nodes + surge */
    int64_t snat_ports_needed;         /* (nodes + surge) x ports per node (surge) */
    int64_t snat_ports_available;      /* outbound IPs x 64,000 */
    int64_t vnet_ips;                  /* VNet addresses the cluster uses, surge included */

    uint32_t flags; /* cn_ipam_flag bits */
} cn_ipam_plan;

void cn_ipam_plan_compute(const cn_config *c, const cn_variant *v, cn_ipam_plan *out);

const char *cn_limit_name(cn_limit l);
/* The name of a single flag bit (e.g. "kubenet_nodes"). */
const char *cn_ipam_flag_name(cn_ipam_flag f);
/* One line saying what a limit or a flag means, with its source. */
const char *cn_limit_help(cn_limit l);
const char *cn_ipam_flag_help(cn_ipam_flag f);
/* Append the flags as "a;b;c" (nothing when none). */
void cn_ipam_flags_append(uint32_t flags, GString *out);

/* ---- the rules, for the cluster build and the tests ---- */

/* The plugin's default max pods per node (calibration max_pods_default_*). */
int64_t cn_ipam_default_max_pods(const cn_config *c, cn_ipam ipam);
/* The effective max pods per node: the config's, or the default. */
int64_t cn_ipam_max_pods(const cn_config *c, cn_ipam ipam);
/* Surge nodes of an upgrade for the config's node pools. */
int64_t cn_ipam_surge_nodes(const cn_config *c);
/* Pods to schedule: [cluster] pods, or when 0 what the workload needs: the
 * endpoints of the target Services (target_services x endpoints_per_service)
 * and one client pod per client node, up to what the nodes hold at the
 * plugin's max pods (past that, target Services share pods, as the extra
 * Services of the published benchmarks point at existing pods). */
int64_t cn_ipam_pods_requested(const cn_config *c, const cn_variant *v);
/* User pod slots of a cluster of `nodes` nodes: max pods per node less the
 * system pods on each node (models/syspods.h). */
int64_t cn_ipam_user_slots(const cn_config *c, const cn_variant *v, int64_t nodes);
/* User pods on each of the config's nodes when pods are dealt in turn, a
 * node whose slots are full skipped (as the scheduler spreads replicas):
 * pod i on node i mod n while no node is full. per_node has c->nodes
 * entries. */
void cn_ipam_user_pods_per_node(const cn_config *c, const cn_variant *v, int64_t pods,
                                int64_t *per_node);
/* Pod subnet, dynamic: addresses a node holds with pods_on_node pods. */
int64_t cn_ipam_dynamic_addrs(const cn_config *c, int64_t pods_on_node, int64_t max_pods);
/* Pod subnet, static block: /28 blocks per node for max_pods. */
int64_t cn_ipam_static_blocks(const cn_config *c, int64_t max_pods);

/* Azure subnet arithmetic: addresses left after the reserved ones, and the
 * first and last of them (Azure reserves the first four and the last). */
int64_t cn_subnet_usable(const cn_config *c, cn_cidr r);
bool cn_subnet_usable_range(const cn_config *c, cn_cidr r, uint32_t *first, uint32_t *last);
/* Whole /28 blocks of a pod subnet free of reserved addresses, and the first. */
int64_t cn_subnet_static_blocks(const cn_config *c, cn_cidr r, uint32_t *first_block);

/* Checks across keys that AKS enforces (errors, not flags), called by the
 * scenario loader for every sweep point: allocated_outbound_ports a multiple
 * of 8, subnets of at least a /29, static block not with the Cilium
 * dataplane and not on a pod subnet larger than /12, max pods below 30 only
 * with room for 30 pods per pool; the calibration entries the plan
 * computes with within what it can compute (prefixes, default max pods);
 * layouts AKS or Kubernetes refuse (special-purpose ranges, more Services
 * than the service CIDR holds, more node pools than AKS allows).  at is appended to messages (the
 * sweep point, or ""). */
gboolean cn_ipam_check_config(const cn_config *c, const char *file, const char *at, GError **error);

#endif
