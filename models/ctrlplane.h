/* The control plane's cost of an endpoint change: how long a node takes to
 * reprogram its service rules.  iptables rewrites the table (the whole of it,
 * or the changed chains with partial restore, KEP-3453) so the time grows
 * with the number of Services; IPVS, nftables and eBPF update only what
 * changed.  Until the change is programmed, new connections can still be
 * sent to the removed endpoint, and fail. */
#ifndef CN_CTRLPLANE_H
#define CN_CTRLPLANE_H

#include <stdint.h>

#include "config.h"

/* Duration (ns) of one sync on a node with n_services Services that
 * programs `changes` endpoint changes. */
double cn_sync_duration_ns(const cn_config *c, const cn_variant *v, int64_t n_services,
                           uint32_t changes);

#endif
