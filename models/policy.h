/* Network-policy evaluation cost of a new flow, by policy engine.
 * Established packets skip policy: they match conntrack first (iptables
 * engines accept ESTABLISHED early; Cilium's BPF conntrack bypasses the
 * policy map).  Policies are taken to select server pods (ingress rules);
 * clients are not selected. */
#ifndef CN_POLICY_H
#define CN_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* CPU (ns) for a new flow leaving a client pod on its node. */
double cn_policy_egress_ns(const cn_config *c, cn_policy engine);
/* CPU (ns) for a new flow entering a server pod selected by `selecting`
 * policies, on the server's node. */
double cn_policy_ingress_ns(const cn_config *c, cn_policy engine, uint32_t selecting);
/* Azure NPM: iptables rules on every node (its base chains plus a few per
 * policy). */
double cn_npm_total_rules(const cn_config *c);
/* Cilium: whether the endpoint's policy fits its policy map. */
bool cn_policy_programmed(const cn_config *c, cn_policy engine, uint32_t selecting);

#endif
