#include "ctrlplane.h"

double cn_sync_duration_ns(const cn_config *c, const cn_variant *v, int64_t n_services,
                           uint32_t changes)
{
    const double *x = c->cost;
    switch (v->svc) {
    case CN_SVC_IPTABLES: {
        double full = x[CAL_iptables_sync_fixed_ns] +
                      x[CAL_iptables_sync_ns_per_service] * (double)n_services;
        return c->sync_mode == CN_SYNC_FULL ? full : full * x[CAL_iptables_partial_sync_fraction];
    }
    case CN_SVC_IPVS:
        return x[CAL_ipvs_sync_ns] * (double)changes;
    case CN_SVC_NFTABLES:
        return x[CAL_nft_sync_ns] * (double)changes;
    default:
        return x[CAL_ebpf_sync_ns] * (double)changes;
    }
}
