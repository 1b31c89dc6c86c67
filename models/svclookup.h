/* Service translation cost of a new connection, by service mode.
 *
 * iptables: the first packet walks KUBE-SERVICES to its Service's rule, then
 * the Service's chain to the chosen endpoint (statistic rules), then the
 * endpoint's chain.  The cost is computed from the position; nothing loops
 * over rules, so simulation speed does not depend on the number of Services.
 * The per-rule cost rises when the nat table outgrows the CPU cache: the
 * fraction of the table outside the cache is walked at miss_factor x cost.
 * IPVS and nftables: a hash / verdict-map lookup.  eBPF: socket-LB map
 * lookups at connect(). */
#ifndef CN_SVCLOOKUP_H
#define CN_SVCLOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "rng.h"

/* Rules in the nat table for n_services Services of endpoints each. */
double cn_iptables_total_rules(const cn_config *c, int64_t n_services, int64_t endpoints);
/* Per-rule cost (ns) for a nat table of total_rules rules. */
double cn_iptables_rule_cost_ns(const cn_config *c, double total_rules);
/* New-connection lookup cost (ns) for a Service at chain position pos
 * (0-based) choosing endpoint ep_index (0-based). */
double cn_svc_lookup_ns(const cn_config *c, cn_svc_mode mode, uint32_t pos, uint32_t ep_index,
                        int64_t n_services, int64_t endpoints);
/* The KUBE-SERVICES position a new connection to target Service svc walks
 * to, by chain_position: average draws it from rng for each connection
 * (uniform over the chain), random returns drawn (the position of the
 * current rewrite), first/middle/last put the target Services at the front,
 * at n_services / 2, or at the end. */
uint32_t cn_chain_walk_position(cn_chain_position mode, uint32_t svc, uint32_t drawn,
                                int64_t n_services, sim_rng *rng);
/* eBPF: Services that fit the LB map (each takes 1 + endpoints entries);
 * a Service at programming position pos is programmed iff pos < this. */
int64_t cn_bpf_lb_services_programmed(const cn_config *c, int64_t endpoints);

#endif
