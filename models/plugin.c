#include "plugin.h"
#include "suggest.h"

#include <string.h>

static const char *const preset_names[CN_PRESET_COUNT] = {
    "kubenet", "azure-cni", "azure-cni-overlay", "azure-cni-dynamic", "cilium", "cilium-podsubnet",
};
static const char *const ipam_names[CN_IPAM_COUNT] = {"kubenet", "node-subnet", "overlay",
                                                      "pod-subnet"};
static const char *const policy_names[CN_POLICY_COUNT] = {"none", "azure-npm", "calico", "cilium"};
static const char *const svc_names[CN_SVC_COUNT] = {"iptables", "ipvs", "nftables", "ebpf"};

static const cn_ipam preset_ipam[CN_PRESET_COUNT] = {
    CN_IPAM_KUBENET,    CN_IPAM_NODE_SUBNET, CN_IPAM_OVERLAY,
    CN_IPAM_POD_SUBNET, CN_IPAM_OVERLAY,     CN_IPAM_POD_SUBNET,
};

const char *cn_preset_name(cn_preset p)
{
    return preset_names[p];
}
const char *cn_ipam_name(cn_ipam i)
{
    return ipam_names[i];
}
const char *cn_policy_name(cn_policy p)
{
    return policy_names[p];
}
const char *cn_svc_mode_name(cn_svc_mode s)
{
    return svc_names[s];
}
const char *cn_variant_dataplane(const cn_variant *v)
{
    return svc_names[v->svc];
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
            return i;
    return -1;
}

static char *join_names(const char *const *names, int n)
{
    GString *g = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append_printf(g, "%s%s", i ? ", " : "", names[i]);
    return g_string_free(g, FALSE);
}

/* Which policy engines AKS supports on which plugin (AKS docs,
 * use-network-policies): kubenet with Calico only; node subnet and pod subnet
 * with Azure NPM or Calico; overlay with Calico or Azure NPM (Cilium policy on
 * overlay means the Cilium dataplane: preset cilium); the Cilium dataplane
 * enforces Cilium policy only. */
static const char *policy_unsupported(cn_preset p, cn_policy pol)
{
    bool cilium_dp = p == CN_PRESET_CILIUM || p == CN_PRESET_CILIUM_PODSUBNET;
    if (cilium_dp)
        return pol == CN_POLICY_CILIUM || pol == CN_POLICY_NONE
                   ? NULL
                   : "Azure CNI powered by Cilium enforces network policy with Cilium only "
                     "(AKS docs: use-network-policies)";
    if (pol == CN_POLICY_CILIUM)
        return "Cilium network policy needs the Cilium dataplane: use preset cilium or "
               "cilium-podsubnet (AKS docs: azure-cni-powered-by-cilium)";
    if (p == CN_PRESET_KUBENET && pol == CN_POLICY_AZURE_NPM)
        return "kubenet supports Calico network policy only, not Azure NPM "
               "(AKS docs: use-network-policies)";
    return NULL;
}

bool cn_variant_parse(const char *text, cn_variant *out, char **why)
{
    memset(out, 0, sizeof *out);
    const char *s = text;
    size_t len = strcspn(s, "+/");
    int p = lookup(preset_names, CN_PRESET_COUNT, s, len);
    if (p < 0) {
        g_autofree char *all = join_names(preset_names, CN_PRESET_COUNT);
        const char *dym = cn_suggest(s, (gssize)len, preset_names, CN_PRESET_COUNT);
        g_autofree char *hint = dym ? g_strdup_printf("; did you mean '%s'?", dym) : g_strdup("");
        *why = g_strdup_printf("unknown preset '%.*s' in variant '%s'%s (expected one of: %s)",
                               (int)len, s, text, hint, all);
        return false;
    }
    out->preset = (cn_preset)p;
    out->ipam = preset_ipam[p];
    out->ebpf_dataplane = p == CN_PRESET_CILIUM || p == CN_PRESET_CILIUM_PODSUBNET;
    out->policy = out->ebpf_dataplane ? CN_POLICY_CILIUM : CN_POLICY_NONE;
    out->svc = out->ebpf_dataplane ? CN_SVC_EBPF : CN_SVC_IPTABLES;
    s += len;
    if (*s == '+') {
        s++;
        len = strcspn(s, "/+");
        int pol = lookup(policy_names, CN_POLICY_COUNT, s, len);
        if (pol < 0) {
            g_autofree char *all = join_names(policy_names, CN_POLICY_COUNT);
            const char *dym = cn_suggest(s, (gssize)len, policy_names, CN_POLICY_COUNT);
            g_autofree char *hint =
                dym ? g_strdup_printf("; did you mean '%s'?", dym) : g_strdup("");
            *why = g_strdup_printf("unknown policy engine '%.*s' in variant '%s'%s (expected "
                                   "one of: %s)",
                                   (int)len, s, text, hint, all);
            return false;
        }
        out->policy = (cn_policy)pol;
        s += len;
    }
    if (*s == '/') {
        s++;
        len = strlen(s);
        int m = lookup(svc_names, CN_SVC_COUNT, s, len);
        if (m < 0) {
            g_autofree char *all = join_names(svc_names, CN_SVC_COUNT);
            const char *dym = cn_suggest(s, -1, svc_names, CN_SVC_COUNT);
            g_autofree char *hint =
                dym ? g_strdup_printf("; did you mean '%s'?", dym) : g_strdup("");
            *why = g_strdup_printf("unknown service mode '%s' in variant '%s'%s (expected one "
                                   "of: %s)",
                                   s, text, hint, all);
            return false;
        }
        out->svc = (cn_svc_mode)m;
        s += len;
    }
    if (*s != '\0') {
        *why =
            g_strdup_printf("variant '%s' is not of the form preset[+policy][/service-mode]", text);
        return false;
    }
    const char *no = policy_unsupported(out->preset, out->policy);
    if (no) {
        *why = g_strdup_printf("variant '%s' is not supported: %s", text, no);
        return false;
    }
    if (out->policy == CN_POLICY_AZURE_NPM && out->svc == CN_SVC_IPVS) {
        *why = g_strdup_printf("variant '%s' is not supported: kube-proxy in IPVS mode does not "
                               "support Azure Network Policy Manager (AKS docs: "
                               "configure-kube-proxy)",
                               text);
        return false;
    }
    if (out->ebpf_dataplane && out->svc != CN_SVC_EBPF) {
        *why = g_strdup_printf("variant '%s' is not supported: Azure CNI powered by Cilium "
                               "replaces kube-proxy, so its service mode is ebpf",
                               text);
        return false;
    }
    if (!out->ebpf_dataplane && out->svc == CN_SVC_EBPF) {
        *why = g_strdup_printf("variant '%s' is not supported: eBPF service handling comes "
                               "with the Cilium dataplane (presets cilium, cilium-podsubnet)",
                               text);
        return false;
    }
    g_snprintf(out->name, sizeof out->name, "%s", text);
    return true;
}
