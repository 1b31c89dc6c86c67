/* The pods AKS runs itself (models/syspods.def): DaemonSets on every node
 * and Deployments on the system node pool, per plugin, dataplane, policy
 * engine and add-on.  All of them take max-pods slots; the pod-network ones
 * take addresses too (issue 14).  They carry no simulated traffic.
 *
 * [cluster] system_pods = default (the table) | none (no system pods, the
 * plan of cnisim before issue 14) | N (N pod-network pods on every node, no
 * Deployments); [cluster] addons = a comma list of monitoring, azure-policy,
 * istio (or none). */
#ifndef CN_SYSPODS_H
#define CN_SYSPODS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "config.h"

typedef enum { CN_SP_DS, CN_SP_DEP } cn_sp_kind;
typedef enum { CN_SP_FIXED, CN_SP_LADDER, CN_SP_TYPHA } cn_sp_scale;
typedef enum { CN_SP_HOST, CN_SP_POD } cn_sp_net;
typedef enum {
    CN_SP_ALWAYS,
    CN_SP_KUBE_PROXY,
    CN_SP_CNS,
    CN_SP_CILIUM,
    CN_SP_NPM,
    CN_SP_CALICO,
    CN_SP_MONITORING,
    CN_SP_AZURE_POLICY,
    CN_SP_ISTIO,
} cn_sp_when;

typedef struct {
    const char *name; /* as kubectl shows it: kube-proxy, coredns ... */
    const char *ns;
    cn_sp_kind kind;
    int replicas; /* Deployments, scale FIXED: the default replica count */
    cn_sp_scale scale;
    cn_sp_net net;
    cn_sp_when when;
    char status; /* 'R' read, 'A' assumed */
    const char *source;
} cn_syspod_row;

typedef enum {
#define SYSPOD(id, ns, kind, replicas, scale, net, when, status, source) CN_SYSPOD_##id,
#include "syspods.def"
#undef SYSPOD
    CN_SYSPOD_COUNT
} cn_syspod_id;

extern const cn_syspod_row cn_syspod_table[CN_SYSPOD_COUNT];

/* The system pods of a variant on a cluster of `nodes` nodes. */
typedef struct {
    int64_t ds_host, ds_pod;   /* DaemonSet pods on every node, by network */
    int64_t dep_host, dep_pod; /* Deployment pods of the cluster, by network */
    int64_t pool_nodes;        /* nodes of the system pool the Deployments spread over */
    int64_t
        replicas[CN_SYSPOD_COUNT]; /* pods per row: per node (DS), per cluster (DEP); 0: absent */
} cn_syspods;

void cn_syspods_count(const cn_config *c, const cn_variant *v, int64_t nodes, cn_syspods *out);
/* DaemonSet pods on a node and all system pods of the cluster. */
int64_t cn_syspods_per_node(const cn_syspods *s);
int64_t cn_syspods_total(const cn_syspods *s, int64_t nodes);
/* Pod-network system pods of the cluster (the addresses they take). */
int64_t cn_syspods_addrs(const cn_syspods *s, int64_t nodes);
/* System pods on node k: DaemonSets, plus the Deployment pods spread in
 * turn over the system pool's nodes 0 .. pool_nodes-1 (pod-network ones
 * first, from node 0; host-network ones after them). */
void cn_syspods_on_node(const cn_syspods *s, int64_t k, int64_t *host, int64_t *pod);

/* Check [cluster] system_pods and addons (called by the loader through
 * cn_ipam_check_config); at is appended to messages. */
gboolean cn_syspods_check_config(const cn_config *c, const char *file, const char *at,
                                 GError **error);
/* The whole table, one row per workload with its kind, replicas, network,
 * when it runs, status and source (cnisim help system-pods). */
void cn_syspods_print_table(FILE *out);
/* One line per system pod the variant runs, for the plan: "  name (kind,
 * network, N per node|N replicas)". */
void cn_syspods_describe(const cn_config *c, const cn_variant *v, int64_t nodes, GString *out);

#endif
