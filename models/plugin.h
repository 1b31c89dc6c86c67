/* Network-plugin variants: a preset (IPAM and dataplane), a policy engine and
 * a service mode, written "preset[+policy][/service-mode]". */
#ifndef CN_PLUGIN_H
#define CN_PLUGIN_H

#include <stdbool.h>
#include <glib.h>

typedef enum {
    CN_PRESET_KUBENET,
    CN_PRESET_AZURE_CNI,         /* node subnet */
    CN_PRESET_AZURE_CNI_OVERLAY, /* overlay */
    CN_PRESET_AZURE_CNI_DYNAMIC, /* pod subnet, dynamic allocation */
    CN_PRESET_CILIUM,            /* Azure CNI powered by Cilium, overlay */
    CN_PRESET_CILIUM_PODSUBNET,  /* Azure CNI powered by Cilium, pod subnet */
    CN_PRESET_COUNT
} cn_preset;

typedef enum {
    CN_IPAM_KUBENET,     /* one /24 per node from the pod CIDR, UDR routes */
    CN_IPAM_NODE_SUBNET, /* pods take VNet addresses from the node subnet */
    CN_IPAM_OVERLAY,     /* one /24 per node from a private pod CIDR */
    CN_IPAM_POD_SUBNET,  /* pods take VNet addresses from a separate pod subnet */
    CN_IPAM_COUNT
} cn_ipam;

typedef enum {
    CN_POLICY_NONE,
    CN_POLICY_AZURE_NPM,
    CN_POLICY_CALICO,
    CN_POLICY_CILIUM,
    CN_POLICY_COUNT
} cn_policy;

typedef enum {
    CN_SVC_IPTABLES,
    CN_SVC_IPVS,
    CN_SVC_NFTABLES,
    CN_SVC_EBPF,
    CN_SVC_COUNT
} cn_svc_mode;

typedef struct {
    cn_preset preset;
    cn_ipam ipam;
    cn_policy policy;
    cn_svc_mode svc;
    bool ebpf_dataplane; /* Cilium: eBPF datapath, no kube-proxy */
    char name[64];       /* as written in the scenario, normalised */
} cn_variant;

/* Parse and check a variant.  On failure returns false and sets *why to an
 * allocated message saying what is wrong and why (free with g_free). */
bool cn_variant_parse(const char *text, cn_variant *out, char **why);

const char *cn_preset_name(cn_preset p);
const char *cn_ipam_name(cn_ipam i);         /* kubenet, node-subnet, overlay, pod-subnet */
const char *cn_policy_name(cn_policy p);     /* none, azure-npm, calico, cilium */
const char *cn_svc_mode_name(cn_svc_mode s); /* iptables, ipvs, nftables, ebpf */
/* The dataplane column of the CSV: "iptables", "ipvs", "nftables" (kube-proxy
 * modes) or "ebpf". */
const char *cn_variant_dataplane(const cn_variant *v);

#endif
