#include "migration.h"

#include <string.h>

#include <glib.h>

/* A cluster's network configuration as far as migrations go. */
typedef struct {
    cn_ipam ipam;
    bool cilium; /* Azure CNI powered by Cilium: Cilium policy, eBPF services */
    cn_policy policy;
    cn_svc_mode svc;
} state;

#define N_STATES    (CN_IPAM_COUNT * 2 * CN_POLICY_COUNT * CN_SVC_COUNT)
#define MAX_PREREQS 5
#define MAX_EDGES   16

typedef struct {
    int to;
    char label[160];
    const char *prereq[MAX_PREREQS];
} edge;

static int encode(state s)
{
    return (((int)s.ipam * 2 + (s.cilium ? 1 : 0)) * CN_POLICY_COUNT + (int)s.policy) *
               CN_SVC_COUNT +
           (int)s.svc;
}

static state decode(int i)
{
    state s;
    s.svc = (cn_svc_mode)(i % CN_SVC_COUNT);
    i /= CN_SVC_COUNT;
    s.policy = (cn_policy)(i % CN_POLICY_COUNT);
    i /= CN_POLICY_COUNT;
    s.cilium = i % 2;
    s.ipam = (cn_ipam)(i / 2);
    return s;
}

static state from_variant(const cn_variant *v)
{
    state s = {v->ipam, v->ebpf_dataplane, v->policy, v->svc};
    if (s.cilium) {
        /* The Cilium dataplane always enforces policy with Cilium and
         * replaces kube-proxy. */
        s.policy = CN_POLICY_CILIUM;
        s.svc = CN_SVC_EBPF;
    }
    return s;
}

/* The variant of a state, if it is one AKS supports. */
static bool to_variant(state s, cn_variant *v)
{
    const char *preset;
    switch (s.ipam) {
    case CN_IPAM_KUBENET:
        preset = s.cilium ? NULL : "kubenet";
        break;
    case CN_IPAM_NODE_SUBNET:
        preset = s.cilium ? NULL : "azure-cni";
        break;
    case CN_IPAM_OVERLAY:
        preset = s.cilium ? "cilium" : "azure-cni-overlay";
        break;
    default:
        preset = s.cilium ? "cilium-podsubnet" : "azure-cni-dynamic";
        break;
    }
    if (!preset)
        return false;
    g_autofree char *name =
        g_strdup_printf("%s+%s/%s", preset, cn_policy_name(s.policy), cn_svc_mode_name(s.svc));
    char *why = NULL;
    bool ok = cn_variant_parse(name, v, &why);
    g_free(why);
    return ok;
}

static bool valid(state s)
{
    cn_variant v;
    return to_variant(s, &v);
}

static const char *const P_REIMAGE =
    "every node pool is reimaged at once, with surge nodes (plan their addresses)";
static const char *const P_NO_POLICY =
    "no network policy engine during the IPAM move (uninstall Azure NPM or Calico first)";
static const char *const P_NO_DOCKER = "no Windows node pools with Docker";
static const char *const P_ONE_WAY = "one way: there is no way back from overlay";
static const char *const P_POD_CIDR =
    "a new pod CIDR that overlaps neither the VNet nor the service CIDR";
static const char *const P_ROUTES = "the route table's pod routes are removed";
static const char *const P_NO_WINDOWS = "no Windows node pools";
static const char *const P_REPLACED = "Azure NPM or Calico is uninstalled and replaced by Cilium";
static const char *const P_DYNAMIC =
    "pod subnet in dynamic mode (static block does not support the Cilium dataplane)";
static const char *const P_NO_BACK = "no documented way back from the Cilium dataplane";
static const char *const P_UNENFORCED = "policies are not enforced until an engine is installed";
static const char *const P_PREVIEW =
    "kube-proxy configuration is an AKS preview feature (KubeProxyConfigurationPreview)";

static int add_edge(edge *e, int n, state to, const char *label, const char *p0, const char *p1,
                    const char *p2, const char *p3, const char *p4)
{
    if (!valid(to) || n >= MAX_EDGES)
        return n;
    e[n].to = encode(to);
    g_strlcpy(e[n].label, label, sizeof e[n].label);
    const char *p[MAX_PREREQS] = {p0, p1, p2, p3, p4};
    memcpy(e[n].prereq, p, sizeof p);
    return n + 1;
}

/* The documented in-place moves from s, in a fixed order. */
static int edges_of(state s, edge *e)
{
    int n = 0;
    char label[160];
    if (s.cilium)
        return 0; /* nothing documented leaves the Cilium dataplane */
    if (s.policy != CN_POLICY_NONE) {
        state t = s;
        t.policy = CN_POLICY_NONE;
        g_snprintf(label, sizeof label, "uninstall %s (az aks update --network-policy none)",
                   cn_policy_name(s.policy));
        n = add_edge(e, n, t, label, P_REIMAGE, P_UNENFORCED, NULL, NULL, NULL);
    }
    if (s.policy == CN_POLICY_NONE) {
        static const struct {
            cn_policy p;
            const char *arg;
        } engines[] = {{CN_POLICY_AZURE_NPM, "azure"}, {CN_POLICY_CALICO, "calico"}};
        for (size_t i = 0; i < G_N_ELEMENTS(engines); i++) {
            state t = s;
            t.policy = engines[i].p;
            g_snprintf(label, sizeof label, "install %s (az aks update --network-policy %s)",
                       cn_policy_name(t.policy), engines[i].arg);
            n = add_edge(e, n, t, label, P_REIMAGE, NULL, NULL, NULL, NULL);
        }
    }
    if ((s.ipam == CN_IPAM_KUBENET || s.ipam == CN_IPAM_NODE_SUBNET) &&
        s.policy == CN_POLICY_NONE) {
        state t = s;
        t.ipam = CN_IPAM_OVERLAY;
        if (s.ipam == CN_IPAM_KUBENET)
            n = add_edge(e, n, t,
                         "IPAM kubenet to overlay (az aks update --network-plugin azure "
                         "--network-plugin-mode overlay)",
                         P_NO_POLICY, P_NO_DOCKER, P_ONE_WAY, P_ROUTES, P_REIMAGE);
        else
            n = add_edge(e, n, t,
                         "IPAM node subnet to overlay (az aks update --network-plugin-mode "
                         "overlay --pod-cidr RANGE)",
                         P_NO_POLICY, P_NO_DOCKER, P_ONE_WAY, P_POD_CIDR, P_REIMAGE);
    }
    if (s.ipam == CN_IPAM_OVERLAY || s.ipam == CN_IPAM_POD_SUBNET) {
        state t = {s.ipam, true, CN_POLICY_CILIUM, CN_SVC_EBPF};
        n = add_edge(e, n, t,
                     "enable the Cilium dataplane (az aks update --network-dataplane cilium)",
                     P_NO_WINDOWS, s.policy != CN_POLICY_NONE ? P_REPLACED : P_NO_BACK,
                     s.policy != CN_POLICY_NONE ? P_NO_BACK : NULL,
                     s.ipam == CN_IPAM_POD_SUBNET ? P_DYNAMIC : NULL, P_REIMAGE);
    }
    for (int m = 0; m < CN_SVC_COUNT; m++) {
        if (m == (int)s.svc || m == CN_SVC_EBPF)
            continue;
        state t = s;
        t.svc = (cn_svc_mode)m;
        g_snprintf(label, sizeof label, "kube-proxy mode %s (az aks update --kube-proxy-config)",
                   cn_svc_mode_name(t.svc));
        n = add_edge(e, n, t, label, P_PREVIEW, NULL, NULL, NULL, NULL);
    }
    return n;
}

/* Why no in-place path exists, for the prerequisites column. */
static const char *why_not(state a, state b)
{
    if (a.cilium && !b.cilium)
        return P_NO_BACK;
    if (a.ipam == CN_IPAM_OVERLAY && b.ipam != CN_IPAM_OVERLAY)
        return "the move to overlay is one way and AKS documents no other IPAM move from it";
    if (a.ipam == CN_IPAM_POD_SUBNET && b.ipam != CN_IPAM_POD_SUBNET)
        return "a pod subnet (dynamic IP allocation) cluster cannot change its IPAM (AKS "
               "upgrade-azure-cni)";
    if (b.ipam == CN_IPAM_POD_SUBNET && a.ipam != CN_IPAM_POD_SUBNET)
        return "AKS documents no IPAM move to a pod subnet";
    if (b.cilium && a.ipam == CN_IPAM_NODE_SUBNET)
        return "the Cilium dataplane is not available on node subnet";
    if (a.ipam != b.ipam)
        return "AKS documents IPAM moves only from kubenet or node subnet to overlay";
    return "AKS documents no in-place path";
}

void cn_migration_find(const cn_variant *from, const cn_variant *to, cn_migration *out)
{
    memset(out, 0, sizeof *out);
    state a = from_variant(from), b = from_variant(to);
    int start = encode(a), goal = encode(b);
    int parent[N_STATES];
    edge via[N_STATES];
    for (int i = 0; i < N_STATES; i++)
        parent[i] = -1;
    int queue[N_STATES], head = 0, tail = 0;
    parent[start] = start;
    queue[tail++] = start;
    while (head < tail && parent[goal] < 0) {
        int s = queue[head++];
        edge e[MAX_EDGES];
        int n = edges_of(decode(s), e);
        for (int i = 0; i < n; i++)
            if (parent[e[i].to] < 0) {
                parent[e[i].to] = s;
                via[e[i].to] = e[i];
                queue[tail++] = e[i].to;
            }
    }
    if (parent[goal] < 0) {
        out->steps = g_strdup("new cluster: create it and move the workloads");
        out->prerequisites = g_strdup(why_not(a, b));
        return;
    }
    int path[N_STATES], len = 0;
    for (int s = goal; s != start; s = parent[s])
        path[len++] = s;
    out->in_place = true;
    out->n_steps = len;
    out->reimages = true;
    GString *steps = g_string_new(NULL);
    GPtrArray *pre = g_ptr_array_new();
    for (int i = len - 1; i >= 0; i--) {
        const edge *e = &via[path[i]];
        g_string_append_printf(steps, "%s%s", steps->len ? " -> " : "", e->label);
        bool reimage = false;
        for (int k = 0; k < MAX_PREREQS; k++)
            reimage = reimage || e->prereq[k] == P_REIMAGE;
        out->reimages = out->reimages && reimage;
        for (int k = 0; k < MAX_PREREQS; k++) {
            bool seen = false;
            for (guint j = 0; e->prereq[k] && j < pre->len; j++)
                seen = seen || strcmp(pre->pdata[j], e->prereq[k]) == 0;
            if (e->prereq[k] && !seen)
                g_ptr_array_add(pre, (gpointer)e->prereq[k]);
        }
    }
    if (len == 0)
        g_string_append(steps, "none: same configuration");
    g_ptr_array_add(pre, NULL);
    out->steps = g_string_free(steps, FALSE);
    out->prerequisites = g_strjoinv("; ", (char **)pre->pdata);
    g_ptr_array_free(pre, TRUE);
}

void cn_migration_clear(cn_migration *m)
{
    g_free(m->steps);
    g_free(m->prerequisites);
    memset(m, 0, sizeof *m);
}

cn_variant *cn_migration_targets(const cn_variant *variants, int n, int *n_out)
{
    cn_variant *out = g_new0(cn_variant, n + CN_PRESET_COUNT);
    int k = 0;
    for (int i = 0; i < n; i++)
        out[k++] = variants[i];
    for (int p = 0; p < CN_PRESET_COUNT; p++) {
        cn_variant v;
        char *why = NULL;
        if (!cn_variant_parse(cn_preset_name((cn_preset)p), &v, &why)) {
            g_free(why);
            continue;
        }
        bool listed = false;
        for (int i = 0; i < k; i++)
            listed = listed || encode(from_variant(&out[i])) == encode(from_variant(&v));
        if (!listed)
            out[k++] = v;
    }
    *n_out = k;
    return out;
}
