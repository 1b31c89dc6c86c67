/* One fully resolved configuration: a scenario file at one sweep point.
 * Field names follow the scenario keys (DESIGN.md); units are in the names.
 * Strings and arrays are borrowed from the cn_scenario that produced the
 * config and live as long as it does. */
#ifndef CN_CONFIG_H
#define CN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "calibration.h"
#include "cidr.h"
#include "plugin.h"

typedef enum { CN_LOAD_CLOSED, CN_LOAD_OPEN } cn_load_model;

typedef enum {
    CN_CLASS_SAME_NODE,  /* pod-to-pod-same-node */
    CN_CLASS_CROSS_NODE, /* pod-to-pod-cross-node */
    CN_CLASS_SERVICE,    /* pod-to-service (ClusterIP) */
    CN_CLASS_EXTERNAL,   /* pod-to-external (egress through SNAT) */
    CN_CLASS_INGRESS,    /* external-to-service (LoadBalancer / NodePort) */
    CN_CLASS_COUNT
} cn_class;

const char *cn_class_name(cn_class c);

typedef enum { CN_PODSUBNET_DYNAMIC, CN_PODSUBNET_STATIC_BLOCK } cn_podsubnet_alloc;

/* How kube-proxy's iptables mode rewrites its rules on a change: the whole
 * table (iptables-restore of everything) or only the changed chains
 * (KEP-3453, default since Kubernetes 1.28). */
typedef enum { CN_SYNC_PARTIAL, CN_SYNC_FULL } cn_sync_mode;

/* Cilium's host routing (AKS docs container-network-performance-ebpf-host-routing):
 * legacy, the AKS default, sends pod packets through the host network stack
 * (netfilter included) with the eBPF programs as an extra layer; ebpf
 * (opt-in) redirects them in eBPF and bypasses host iptables. */
typedef enum { CN_HOST_ROUTING_LEGACY, CN_HOST_ROUTING_EBPF } cn_host_routing;

/* Encapsulation between nodes on the Cilium dataplane: none (Azure routes pod
 * addresses: overlay or pod subnet) or vxlan (a bring-your-own Cilium in
 * tunnel mode, as in some published benchmarks). */
typedef enum { CN_TUNNEL_NONE, CN_TUNNEL_VXLAN } cn_tunnel;

/* Where a target Service's jump sits in KUBE-SERVICES.  kube-proxy writes the
 * chain by iterating a Go map, so the order is new at every sync
 * (pkg/proxy/iptables/proxier.go; KEP-3453: KUBE-SERVICES is written in full
 * on every sync).  average: each new connection sees a uniformly drawn
 * position, the mix a long run sees over many rewrites; random: drawn at the
 * start and again at every sync, as one node sees it; first, middle, last:
 * the best, typical and worst case. */
typedef enum {
    CN_CHAIN_AVERAGE,
    CN_CHAIN_RANDOM,
    CN_CHAIN_FIRST,
    CN_CHAIN_MIDDLE,
    CN_CHAIN_LAST
} cn_chain_position;

/* How a client ends its connections: with a FIN (the normal close) or a RST
 * (SO_LINGER 0, some load testers).  Azure's SNAT port release depends on it. */
typedef enum { CN_CLOSE_FIN, CN_CLOSE_RST } cn_close;

/* migrate events a scenario may hold: each adds a variant to a run. */
#define CN_MAX_MIGRATIONS 7

/* A scheduled event ([event NAME]): at at_s simulated seconds from the
 * start of the run, one key of the workload or cluster takes a new value. */
typedef enum {
    CN_SET_RATE_RPS,    /* workload.rate_rps */
    CN_SET_CONCURRENCY, /* workload.concurrency */
    CN_SET_CHURN,       /* workload.endpoint_churn_per_s */
    CN_SET_TRAFFIC,     /* workload.traffic */
    CN_SET_SERVICES,    /* cluster.services */
    CN_SET_POLICIES,    /* cluster.network_policies */
} cn_set_key;

typedef enum {
    CN_EVENT_SET,     /* set = group.key=value */
    CN_EVENT_ROLLOUT, /* rollout = SERVICES: a Deployment-style rolling update */
    CN_EVENT_SCALE,   /* scale_nodes = N: the LB backend pool becomes N nodes */
    CN_EVENT_DRAIN,   /* drain = N: the N highest-numbered live nodes leave, pods rescheduled */
    CN_EVENT_FAIL,    /* fail = N: the N highest-numbered live nodes are lost without warning */
    CN_EVENT_UPGRADE, /* upgrade = all: AKS's node-by-node reimage with surge nodes */
    CN_EVENT_MIGRATE, /* migrate = VARIANT: the same reimage, nodes come back on VARIANT */
} cn_event_kind;

typedef struct {
    const char *name; /* NAME of [event NAME] */
    double at_s;      /* from the start of the run, warm-up included */
    cn_event_kind kind;
    int64_t rollout_services;           /* ROLLOUT: target Services rolled (the first ones) */
    int64_t max_surge, max_unavailable; /* ROLLOUT: pods per Service; UPGRADE, MIGRATE:
                                         * max_surge nodes; < 0: -percent */
    double pod_start_s;                 /* ROLLOUT: a new pod's start-up until Ready */
    int64_t scale_nodes;                /* SCALE: nodes in the cluster from then on */
    int64_t gone_nodes;                 /* DRAIN, FAIL: nodes that leave */
    double reimage_s;  /* UPGRADE, MIGRATE: a node's reimage (drained to back); <0: default */
    cn_variant target; /* MIGRATE: what the reimaged nodes run */
    cn_set_key key;    /* SET: what changes */
    double value;      /* its new value (not CN_SET_TRAFFIC) */
    double traffic_weight[CN_CLASS_COUNT]; /* CN_SET_TRAFFIC: the new mix, summing to 1 */
    const char *text;                      /* "group.key=value" as written */
} cn_event;

typedef struct {
    /* [scenario] */
    const char *name;
    const char *description;
    uint64_t seed;
    int64_t replications;
    double duration_s; /* measured simulated time, after warm-up */
    double warmup_s;
    int64_t stop_after_transactions; /* 0: run for duration_s */
    const char *file; /* the scenario file (display name), for error messages; may be NULL */
    /* [report] (optional): what report.md leads with */
    const char *report_baseline; /* variant the others are compared with; NULL: none */
    const char *report_headline; /* summary.csv columns, comma-separated; NULL: the default */
    double interval_s;           /* timeseries.csv interval width; 0: off; < 0: about 100 per run */
    const cn_event *events;      /* [event NAME] groups, by at_s (file order at equal times) */
    int n_events;

    /* [cluster] */
    int64_t nodes;
    int64_t vcpus_per_node;
    double nic_gbps;
    int64_t max_pods_per_node; /* 0: the plugin's default */
    int64_t pods;              /* pods scheduled; 0: what the workload needs */
    cn_cidr node_subnet;
    cn_cidr pod_subnet;
    cn_cidr pod_cidr;
    cn_cidr service_cidr;
    uint32_t dns_service_ip;
    int64_t services;
    int64_t endpoints_per_service;
    int64_t network_policies;
    int64_t rules_per_policy;
    const int64_t *node_pools; /* node counts per pool; NULL: one pool of all nodes */
    int n_node_pools;
    int64_t max_surge_nodes;  /* surge as a node count, when max_surge_percent is 0 */
    double max_surge_percent; /* surge as a percentage of the pool, rounded up */
    int64_t outbound_ips;
    int64_t allocated_outbound_ports; /* 0: Azure LB default table */
    cn_podsubnet_alloc pod_subnet_allocation;
    int64_t nf_conntrack_max; /* 0: kube-proxy's max(131072, 32768 x cores) */
    int64_t bpf_lb_map_max;
    int64_t bpf_ct_tcp_max;
    int64_t bpf_ct_any_max;
    int64_t bpf_policy_map_max;
    cn_sync_mode sync_mode;
    double min_sync_period_s; /* kube-proxy --iptables-min-sync-period */
    double sync_period_s; /* kube-proxy --iptables-sync-period: full resync at least this often */
    cn_host_routing host_routing;
    cn_tunnel tunnel;
    cn_chain_position chain_position;
    const char *system_pods; /* default | none | N per node (models/syspods.h); NULL: default */
    const char *addons;      /* comma list of add-ons with system pods; NULL: none */

    /* [workload] */
    cn_load_model model;
    int64_t concurrency;                   /* closed loop: clients in flight */
    double rate_rps;                       /* open loop: cluster-wide arrivals per second */
    double traffic_weight[CN_CLASS_COUNT]; /* normalised to sum 1 */
    int64_t requests_per_connection;
    int64_t request_bytes;
    int64_t response_bytes;
    double server_time_us;
    double client_time_us;
    int64_t client_nodes; /* 0: all nodes */
    int64_t target_services;
    int64_t external_destinations;
    double endpoint_churn_per_s; /* endpoint replacements per second, target Services */
    double connect_timeout_s;    /* the client gives up a connect after this long */
    cn_close close;              /* how clients end connections */

    /* [plugins] */
    const cn_variant *variants;
    int n_variants;

    /* [costs]: the calibration table with this scenario's overrides */
    double cost[CAL_COUNT];
} cn_config;

#endif
