#include "syspods.h"

#include <inttypes.h>
#include <string.h>

#include "scenario.h"

#define DS           CN_SP_DS
#define DEP          CN_SP_DEP
#define FIXED        CN_SP_FIXED
#define LADDER       CN_SP_LADDER
#define TYPHA        CN_SP_TYPHA
#define HOST         CN_SP_HOST
#define POD          CN_SP_POD
#define ALWAYS       CN_SP_ALWAYS
#define KUBE_PROXY   CN_SP_KUBE_PROXY
#define CNS          CN_SP_CNS
#define CILIUM       CN_SP_CILIUM
#define NPM          CN_SP_NPM
#define CALICO       CN_SP_CALICO
#define MONITORING   CN_SP_MONITORING
#define AZURE_POLICY CN_SP_AZURE_POLICY
#define ISTIO        CN_SP_ISTIO

/* Names as kubectl shows them: the table's ids with '-' for '_'. */
const cn_syspod_row cn_syspod_table[CN_SYSPOD_COUNT] = {
#define SYSPOD(id, ns_, kind_, replicas_, scale_, net_, when_, status_, source_)                   \
    {.name = #id,                                                                                  \
     .ns = ns_,                                                                                    \
     .kind = kind_,                                                                                \
     .replicas = replicas_,                                                                        \
     .scale = scale_,                                                                              \
     .net = net_,                                                                                  \
     .when = when_,                                                                                \
     .status = status_,                                                                            \
     .source = source_},
#include "syspods.def"
#undef SYSPOD
};

/* ---- [cluster] system_pods and addons ---- */

typedef enum { MODE_DEFAULT, MODE_NONE, MODE_COUNT } sp_mode;

enum { ADDON_MONITORING = 1, ADDON_AZURE_POLICY = 2, ADDON_ISTIO = 4 };

static const struct {
    const char *word;
    unsigned bit;
} addon_words[] = {
    {"monitoring", ADDON_MONITORING},
    {"azure-policy", ADDON_AZURE_POLICY},
    {"istio", ADDON_ISTIO},
};

/* The largest per-node count system_pods = N takes (AKS's max pods). */
#define MAX_PER_NODE 250

static bool parse_mode(const char *s, sp_mode *mode, int64_t *n)
{
    *n = 0;
    if (!s || strcmp(s, "default") == 0) {
        *mode = MODE_DEFAULT;
        return true;
    }
    if (strcmp(s, "none") == 0) {
        *mode = MODE_NONE;
        return true;
    }
    if (!*s)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > MAX_PER_NODE)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > MAX_PER_NODE)
        return false;
    *mode = MODE_COUNT;
    *n = v;
    return true;
}

/* Add-on bits, or false with the offending word in *bad. */
static bool parse_addons(const char *s, unsigned *bits, char **bad)
{
    *bits = 0;
    *bad = NULL;
    if (!s || strcmp(s, "none") == 0)
        return true;
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    for (int i = 0; parts[i]; i++) {
        char *w = g_strstrip(parts[i]);
        unsigned bit = 0;
        for (size_t j = 0; j < G_N_ELEMENTS(addon_words); j++)
            if (strcmp(addon_words[j].word, w) == 0)
                bit = addon_words[j].bit;
        if (!bit || (*bits & bit)) {
            *bad = g_strdup(w);
            return false;
        }
        *bits |= bit;
    }
    return true;
}

gboolean cn_syspods_check_config(const cn_config *c, const char *file, const char *at,
                                 GError **error)
{
    sp_mode mode;
    int64_t n;
    if (!parse_mode(c->system_pods, &mode, &n)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [cluster] system_pods: expected default (AKS's own pods, "
                    "models/syspods.def), none, or a number of pods per node from 0 to %d, got "
                    "'%s'%s",
                    file, MAX_PER_NODE, c->system_pods, at ? at : "");
        return FALSE;
    }
    unsigned bits;
    g_autofree char *bad = NULL;
    if (!parse_addons(c->addons, &bits, &bad)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [cluster] addons: expected none or a comma list of monitoring, "
                    "azure-policy, istio (each once), got '%s'%s",
                    file, bad, at ? at : "");
        return FALSE;
    }
    return TRUE;
}

/* ---- counting ---- */

static bool applies(const cn_syspod_row *r, const cn_variant *v, unsigned addons)
{
    switch (r->when) {
    case CN_SP_ALWAYS:
        return true;
    case CN_SP_KUBE_PROXY:
        return !v->ebpf_dataplane;
    case CN_SP_CNS:
        return v->ipam == CN_IPAM_OVERLAY || v->ipam == CN_IPAM_POD_SUBNET;
    case CN_SP_CILIUM:
        return v->ebpf_dataplane;
    case CN_SP_NPM:
        return v->policy == CN_POLICY_AZURE_NPM;
    case CN_SP_CALICO:
        return v->policy == CN_POLICY_CALICO;
    case CN_SP_MONITORING:
        return addons & ADDON_MONITORING;
    case CN_SP_AZURE_POLICY:
        return addons & ADDON_AZURE_POLICY;
    case CN_SP_ISTIO:
        return addons & ADDON_ISTIO;
    }
    return false;
}

/* A cluster-proportional-autoscaler ladder: the replicas of the last step
 * whose threshold x reaches. */
static int64_t ladder(const int64_t steps[][2], size_t n, int64_t x)
{
    int64_t r = steps[0][1];
    for (size_t i = 0; i < n; i++)
        if (x >= steps[i][0])
            r = steps[i][1];
    return r;
}

static int64_t replicas_of(const cn_syspod_row *r, const cn_config *c, int64_t nodes)
{
    switch (r->scale) {
    case CN_SP_LADDER: {
        /* AKS coredns-autoscaler ConfigMap (AKS docs coredns-autoscale). */
        static const int64_t by_nodes[][2] = {{1, 2}, {8, 3}, {16, 4}, {32, 5}};
        static const int64_t by_cores[][2] = {{1, 2}, {512, 3}, {1024, 4}, {2048, 5}};
        int64_t a = ladder(by_nodes, G_N_ELEMENTS(by_nodes), nodes);
        int64_t b = ladder(by_cores, G_N_ELEMENTS(by_cores), nodes * c->vcpus_per_node);
        return a > b ? a : b;
    }
    case CN_SP_TYPHA:
        /* tigera/operator GetExpectedTyphaScale. */
        if (nodes <= 2)
            return 1;
        if (nodes <= 4)
            return 2;
        return nodes / 200 + 2 < 3 ? 3 : nodes / 200 + 2;
    case CN_SP_FIXED:
    default:
        return r->replicas;
    }
}

void cn_syspods_count(const cn_config *c, const cn_variant *v, int64_t nodes, cn_syspods *out)
{
    memset(out, 0, sizeof *out);
    int64_t pool = c->n_node_pools > 0 ? c->node_pools[0] : nodes;
    out->pool_nodes = pool < nodes ? pool : nodes;
    sp_mode mode;
    int64_t n;
    unsigned addons;
    g_autofree char *bad = NULL;
    /* The loader checked both keys; an unchecked config counts as default. */
    if (!parse_mode(c->system_pods, &mode, &n))
        mode = MODE_DEFAULT;
    if (!parse_addons(c->addons, &addons, &bad))
        addons = 0;
    if (mode == MODE_NONE || nodes <= 0)
        return;
    if (mode == MODE_COUNT) {
        out->ds_pod = n;
        return;
    }
    for (int i = 0; i < CN_SYSPOD_COUNT; i++) {
        const cn_syspod_row *r = &cn_syspod_table[i];
        if (!applies(r, v, addons))
            continue;
        if (r->kind == CN_SP_DS) {
            out->replicas[i] = 1;
            *(r->net == CN_SP_HOST ? &out->ds_host : &out->ds_pod) += 1;
        } else {
            int64_t k = replicas_of(r, c, nodes);
            out->replicas[i] = k;
            *(r->net == CN_SP_HOST ? &out->dep_host : &out->dep_pod) += k;
        }
    }
}

int64_t cn_syspods_per_node(const cn_syspods *s)
{
    return s->ds_host + s->ds_pod;
}

int64_t cn_syspods_total(const cn_syspods *s, int64_t nodes)
{
    return nodes * cn_syspods_per_node(s) + s->dep_host + s->dep_pod;
}

int64_t cn_syspods_addrs(const cn_syspods *s, int64_t nodes)
{
    return nodes * s->ds_pod + s->dep_pod;
}

/* Of the sequence positions [a, a + m) dealt in turn over S nodes, those
 * that land on node k. */
static int64_t dealt(int64_t a, int64_t m, int64_t S, int64_t k)
{
    if (m <= 0 || S <= 0 || k >= S)
        return 0;
    /* positions i with i = k (mod S), a <= i < a + m */
    int64_t first = a + ((k - a % S) % S + S) % S;
    return first >= a + m ? 0 : (a + m - 1 - first) / S + 1;
}

void cn_syspods_on_node(const cn_syspods *s, int64_t k, int64_t *host, int64_t *pod)
{
    *pod = s->ds_pod + dealt(0, s->dep_pod, s->pool_nodes, k);
    *host = s->ds_host + dealt(s->dep_pod, s->dep_host, s->pool_nodes, k);
}

void cn_syspods_print_table(FILE *out)
{
    static const char *const when[] = {
        "always",  "kube-proxy dataplanes", "overlay, pod subnet", "Cilium dataplane", "+azure-npm",
        "+calico", "addon monitoring",      "addon azure-policy",  "addon istio",
    };
    fprintf(out, "%-24s %-18s %-4s %-10s %-5s %-22s %s  %s\n", "name", "namespace", "kind",
            "replicas", "net", "runs with", "st", "source");
    for (int i = 0; i < CN_SYSPOD_COUNT; i++) {
        const cn_syspod_row *r = &cn_syspod_table[i];
        g_autofree char *name = g_strdelimit(g_strdup(r->name), "_", '-');
        char reps[16];
        if (r->kind == CN_SP_DS)
            g_strlcpy(reps, "per node", sizeof reps);
        else if (r->scale == CN_SP_LADDER)
            g_strlcpy(reps, "2-5 ladder", sizeof reps);
        else if (r->scale == CN_SP_TYPHA)
            g_strlcpy(reps, "1-3+/200", sizeof reps);
        else
            g_snprintf(reps, sizeof reps, "%d", r->replicas);
        fprintf(out, "%-24s %-18s %-4s %-10s %-5s %-22s %c   %s\n", name, r->ns,
                r->kind == CN_SP_DS ? "DS" : "DEP", reps, r->net == CN_SP_HOST ? "host" : "pod",
                when[r->when], r->status, r->source);
    }
    fprintf(out,
            "\nDS: a DaemonSet, one pod on every node; DEP: a Deployment on the system pool (the "
            "first node pool). net: host network takes a max-pods slot and no pod address, "
            "pod network a slot and an address of the variant's pod range.\n"
            "st: R read in the source, A assumed. [cluster] system_pods = default | none | "
            "N, addons = monitoring, azure-policy, istio.\n");
}

void cn_syspods_describe(const cn_config *c, const cn_variant *v, int64_t nodes, GString *out)
{
    cn_syspods s;
    cn_syspods_count(c, v, nodes, &s);
    if (s.ds_pod && !s.replicas[0] && s.ds_host == 0 && s.dep_host + s.dep_pod == 0) {
        g_string_append_printf(out,
                               "    %" PRId64 " pod-network pods per node ([cluster] "
                               "system_pods)\n",
                               s.ds_pod);
        return;
    }
    for (int i = 0; i < CN_SYSPOD_COUNT; i++) {
        const cn_syspod_row *r = &cn_syspod_table[i];
        if (!s.replicas[i])
            continue;
        g_autofree char *name = g_strdelimit(g_strdup(r->name), "_", '-');
        if (r->kind == CN_SP_DS)
            g_string_append_printf(out, "    %-24s DaemonSet, 1 per node, %s\n", name,
                                   r->net == CN_SP_HOST ? "host network (slot, no address)"
                                                        : "pod network (slot and address)");
        else
            g_string_append_printf(out,
                                   "    %-24s Deployment, %" PRId64 " on the system pool, %s\n",
                                   name, s.replicas[i],
                                   r->net == CN_SP_HOST ? "host network (slot, no address)"
                                                        : "pod network (slot and address)");
    }
}
