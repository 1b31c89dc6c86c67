/* Migration paths between variants: which moves AKS documents in place on a
 * running cluster (AKS docs: upgrade-azure-cni, use-network-policies,
 * configure-kube-proxy) and which need a new cluster.  This answers the
 * question teams ask before they commit: "are we stuck with this once we
 * deploy?"
 *
 * In-place moves, each one `az aks update`:
 *  - IPAM kubenet or node subnet -> overlay: one way, with no network policy
 *    engine installed, no Windows pools with Docker;
 *  - overlay or pod subnet (dynamic) -> the Cilium dataplane: no Windows
 *    pools, Azure NPM or Calico is replaced by Cilium; no way back;
 *  - install or uninstall Azure NPM / Calico (not on the Cilium dataplane);
 *  - kube-proxy mode iptables / ipvs / nftables (preview).
 * A path chains these moves (kubenet -> overlay -> Cilium). */
#ifndef CN_MIGRATION_H
#define CN_MIGRATION_H

#include <stdbool.h>

#include "plugin.h"

typedef struct {
    bool in_place;       /* a documented path exists on a running cluster */
    int n_steps;         /* its operations (0 when not in place) */
    bool reimages;       /* every operation reimages the nodes (in place only) */
    char *steps;         /* "op -> op", or what to do instead */
    char *prerequisites; /* "condition; condition" (may be empty) */
} cn_migration;

/* The shortest documented path from one variant to another. */
void cn_migration_find(const cn_variant *from, const cn_variant *to, cn_migration *out);
void cn_migration_clear(cn_migration *m);

/* The variants a plan considers as targets: the scenario's own, then every
 * preset (with its default policy and service mode) not already listed.
 * Returns a new array (g_free) of *n_out variants. */
cn_variant *cn_migration_targets(const cn_variant *variants, int n, int *n_out);

#endif
