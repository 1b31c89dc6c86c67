#include "scenario.h"
#include "suggest.h"
#include "migration.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ipam.h"
#include "units.h"

G_DEFINE_QUARK(cn - scenario - error - quark, cn_scenario_error)

static const char *const class_names[CN_CLASS_COUNT] = {
    "pod-to-pod-same-node", "pod-to-pod-cross-node", "pod-to-service",
    "pod-to-external",      "external-to-service",
};

const char *cn_class_name(cn_class c)
{
    return class_names[c];
}

/* ---- the key table ---- */

typedef enum {
    K_STR,      /* free text */
    K_U64,      /* unsigned 64-bit (seed) */
    K_INT,      /* int64 in [min, max] */
    K_DBL,      /* double in [min, max] (or (min, max] with excl_min) */
    K_ENUM,     /* one word of words[], stored as int */
    K_CIDR,     /* IPv4 range */
    K_IPV4,     /* IPv4 address */
    K_POOLS,    /* comma list of node counts (not a sweep) */
    K_SURGE,    /* node count or percentage */
    K_TRAFFIC,  /* class or weighted mix */
    K_VARIANTS, /* plugin variants */
} key_type;

typedef struct {
    const char *group;
    const char *key;
    key_type type;
    size_t offset;
    double min, max;
    bool excl_min;            /* K_DBL: min itself is not allowed */
    const char *const *words; /* K_ENUM, NULL-terminated */
    const char *limit_note;   /* why max is what it is, for errors */
    const char *help;
} key_spec;

#define OFF(f) offsetof(cn_config, f)

static const char *const model_words[] = {"closed", "open", NULL};
static const char *const podsubnet_words[] = {"dynamic", "static-block", NULL};
static const char *const sync_words[] = {"partial", "full", NULL};
static const char *const host_routing_words[] = {"legacy", "ebpf", NULL};
static const char *const tunnel_words[] = {"none", "vxlan", NULL};
static const char *const chain_words[] = {"average", "random", "first", "middle", "last", NULL};
static const char *const close_words[] = {"fin", "rst", NULL};

/* cnisim's own input limits keep absurd inputs from exhausting memory; they
 * sit well above what AKS documents (5,000 nodes per cluster). */
#define MAX_NODES 50000
/* Endpoints (Services x endpoints per Service) the cluster model holds, as
 * models/cluster.c refuses past it: checked at load, so that validate refuses
 * it too and run writes nothing. */
#define MAX_ENDPOINTS INT64_C(100000000)

static const key_spec keys[] = {
    {"scenario", "name", K_STR, OFF(name), 0, 0, false, NULL, NULL, "scenario name (CSV column)"},
    {"scenario", "description", K_STR, OFF(description), 0, 0, false, NULL, NULL,
     "one line saying what the scenario asks"},
    {"scenario", "seed", K_U64, OFF(seed), 0, 0, false, NULL, NULL, "root of every random stream"},
    {"scenario", "replications", K_INT, OFF(replications), 1, 1000, false, NULL, NULL,
     "independent runs per point and variant"},
    {"scenario", "duration_s", K_DBL, OFF(duration_s), 0, 1e6, true, NULL, NULL,
     "simulated seconds measured after warm-up"},
    {"scenario", "warmup_s", K_DBL, OFF(warmup_s), 0, 1e6, false, NULL, NULL,
     "simulated seconds run before measuring"},
    {"scenario", "stop_after_transactions", K_INT, OFF(stop_after_transactions), 0, 1e10, false,
     NULL, NULL, "end a run after this many measured transactions (0: no limit)"},
    {"scenario", "interval_s", K_DBL, OFF(interval_s), 0, 1e6, false, NULL, NULL,
     "timeseries.csv interval (default: about 100 per run; 0: no timeseries.csv)"},

    {"cluster", "nodes", K_INT, OFF(nodes), 1, MAX_NODES, false, NULL,
     "cnisim models at most 50000 nodes; AKS documents 5,000 per cluster", "nodes in the cluster"},
    {"cluster", "vcpus_per_node", K_INT, OFF(vcpus_per_node), 1, 1024, false, NULL, NULL,
     "vCPUs per node (parallel CPU servers)"},
    {"cluster", "nic_gbps", K_DBL, OFF(nic_gbps), 0, 1000, true, NULL, NULL,
     "NIC bandwidth per node, Gbit/s"},
    {"cluster", "max_pods_per_node", K_INT, OFF(max_pods_per_node), 0, 250, false, NULL,
     "AKS allows 10 to 250 pods per node", "max pods per node (0: the plugin's default)"},
    {"cluster", "pods", K_INT, OFF(pods), 0, (double)MAX_NODES * 250, false, NULL, NULL,
     "pods scheduled (0: what the workload needs)"},
    {"cluster", "node_subnet", K_CIDR, OFF(node_subnet), 0, 0, false, NULL, NULL,
     "VNet subnet of the nodes"},
    {"cluster", "pod_subnet", K_CIDR, OFF(pod_subnet), 0, 0, false, NULL, NULL,
     "VNet subnet of the pods (azure-cni-dynamic, cilium-podsubnet)"},
    {"cluster", "pod_cidr", K_CIDR, OFF(pod_cidr), 0, 0, false, NULL, NULL,
     "private pod range (kubenet, overlay, cilium)"},
    {"cluster", "service_cidr", K_CIDR, OFF(service_cidr), 0, 0, false, NULL, NULL,
     "ClusterIP range"},
    {"cluster", "dns_service_ip", K_IPV4, OFF(dns_service_ip), 0, 0, false, NULL, NULL,
     "cluster DNS address, inside service_cidr"},
    {"cluster", "services", K_INT, OFF(services), 0, 1000000, false, NULL, NULL,
     "Services in the cluster"},
    {"cluster", "endpoints_per_service", K_INT, OFF(endpoints_per_service), 1, 10000, false, NULL,
     NULL, "endpoints (pods) per Service"},
    {"cluster", "network_policies", K_INT, OFF(network_policies), 0, 1000000, false, NULL, NULL,
     "NetworkPolicy objects"},
    {"cluster", "rules_per_policy", K_INT, OFF(rules_per_policy), 0, 10000, false, NULL, NULL,
     "rules per NetworkPolicy"},
    {"cluster", "node_pools", K_POOLS, 0, 1, 1000, false, NULL,
     "AKS allows 1,000 nodes per node pool", "node counts per pool (sum = nodes)"},
    {"cluster", "max_surge", K_SURGE, 0, 0, MAX_NODES, false, NULL, NULL,
     "upgrade surge: node count or percentage"},
    {"cluster", "outbound_ips", K_INT, OFF(outbound_ips), 1, 100, false, NULL,
     "AKS allows 1 to 100 managed outbound IPs", "Azure LB frontend public IPs"},
    {"cluster", "allocated_outbound_ports", K_INT, OFF(allocated_outbound_ports), 0, 64000, false,
     NULL, NULL, "SNAT ports per node (0: Azure LB default table)"},
    {"cluster", "pod_subnet_allocation", K_ENUM, OFF(pod_subnet_allocation), 0, 0, false,
     podsubnet_words, NULL, "pod subnet IPAM: dynamic or static-block"},
    {"cluster", "nf_conntrack_max", K_INT, OFF(nf_conntrack_max), 0, 1e9, false, NULL, NULL,
     "netfilter conntrack entries per node (0: kube-proxy's rule)"},
    {"cluster", "bpf_lb_map_max", K_INT, OFF(bpf_lb_map_max), 1, 1e8, false, NULL, NULL,
     "Cilium LB map entries"},
    {"cluster", "bpf_ct_tcp_max", K_INT, OFF(bpf_ct_tcp_max), 1, 1e9, false, NULL, NULL,
     "Cilium TCP conntrack map entries per node"},
    {"cluster", "bpf_ct_any_max", K_INT, OFF(bpf_ct_any_max), 1, 1e9, false, NULL, NULL,
     "Cilium non-TCP conntrack map entries per node"},
    {"cluster", "bpf_policy_map_max", K_INT, OFF(bpf_policy_map_max), 1, 1e8, false, NULL, NULL,
     "Cilium policy map entries per endpoint"},

    {"cluster", "sync_mode", K_ENUM, OFF(sync_mode), 0, 0, false, sync_words, NULL,
     "kube-proxy iptables rule sync: partial (changed chains) or full (whole table)"},
    {"cluster", "min_sync_period_s", K_DBL, OFF(min_sync_period_s), 0, 3600, false, NULL, NULL,
     "kube-proxy --iptables-min-sync-period: changes wait for the next sync"},
    {"cluster", "sync_period_s", K_DBL, OFF(sync_period_s), 0, 86400, false, NULL, NULL,
     "kube-proxy --iptables-sync-period: a full resync at least this often (0: none)"},
    {"cluster", "chain_position", K_ENUM, OFF(chain_position), 0, 0, false, chain_words, NULL,
     "target Services' place in KUBE-SERVICES: average, random (per sync), first, middle, last"},
    {"cluster", "host_routing", K_ENUM, OFF(host_routing), 0, 0, false, host_routing_words, NULL,
     "Cilium dataplane: legacy (AKS default, through the host stack) or ebpf"},
    {"cluster", "tunnel", K_ENUM, OFF(tunnel), 0, 0, false, tunnel_words, NULL,
     "Cilium dataplane: none (Azure routes pod addresses) or vxlan (bring-your-own Cilium)"},
    {"cluster", "system_pods", K_STR, OFF(system_pods), 0, 0, false, NULL, NULL,
     "AKS's own pods: default (models/syspods.def), none, or N pods per node"},
    {"cluster", "addons", K_STR, OFF(addons), 0, 0, false, NULL, NULL,
     "add-ons that run pods: none, or a list of monitoring, azure-policy, istio"},

    {"workload", "model", K_ENUM, OFF(model), 0, 0, false, model_words, NULL,
     "closed (concurrency clients) or open (Poisson arrivals at rate_rps)"},
    {"workload", "concurrency", K_INT, OFF(concurrency), 1, 1000000, false, NULL, NULL,
     "closed loop: transactions in flight"},
    {"workload", "rate_rps", K_DBL, OFF(rate_rps), 0, 1e9, false, NULL, NULL,
     "open loop: cluster-wide arrivals per second"},
    {"workload", "traffic", K_TRAFFIC, 0, 0, 0, false, NULL, NULL,
     "traffic class, or a weighted mix class:weight, ..."},
    {"workload", "requests_per_connection", K_INT, OFF(requests_per_connection), 1, 1e9, false,
     NULL, NULL, "transactions per connection (1: short connections)"},
    {"workload", "request_bytes", K_INT, OFF(request_bytes), 1, 1 << 30, false, NULL, NULL,
     "request size"},
    {"workload", "response_bytes", K_INT, OFF(response_bytes), 1, 1 << 30, false, NULL, NULL,
     "response size"},
    {"workload", "server_time_us", K_DBL, OFF(server_time_us), 0, 1e7, false, NULL, NULL,
     "server pod CPU per request"},
    {"workload", "client_time_us", K_DBL, OFF(client_time_us), 0, 1e7, false, NULL, NULL,
     "client pod CPU per request"},
    {"workload", "client_nodes", K_INT, OFF(client_nodes), 0, MAX_NODES, false, NULL, NULL,
     "nodes hosting clients (0: all)"},
    {"workload", "target_services", K_INT, OFF(target_services), 1, 1000000, false, NULL, NULL,
     "Services that receive traffic"},
    {"workload", "endpoint_churn_per_s", K_DBL, OFF(endpoint_churn_per_s), 0, 1e6, false, NULL,
     NULL, "endpoints of the target Services replaced per second (rollouts, restarts)"},
    {"workload", "connect_timeout_s", K_DBL, OFF(connect_timeout_s), 0, 86400, true, NULL, NULL,
     "the client gives up a connect (all SYN retransmissions) after this long"},
    {"workload", "close", K_ENUM, OFF(close), 0, 0, false, close_words, NULL,
     "how clients end connections: fin or rst (decides the SNAT port's hold)"},
    {"workload", "external_destinations", K_INT, OFF(external_destinations), 1, 1000000, false,
     NULL, NULL, "distinct external IP:port destinations"},

    {"plugins", "compare", K_VARIANTS, 0, 0, 0, false, NULL, NULL,
     "variants: preset[+policy][/service-mode], ..."},

    /* [report]: what `cnisim report` leads with; nothing in a run reads it. */
    {"report", "baseline", K_STR, OFF(report_baseline), 0, 0, false, NULL, NULL,
     "variant the others are compared with (one of compare)"},
    {"report", "headline", K_STR, OFF(report_headline), 0, 0, false, NULL, NULL,
     "summary.csv columns the findings lead with, e.g. latency_p99_us, throughput_rps"},
};
#define N_KEYS G_N_ELEMENTS(keys)

static const char *const groups[] = {"scenario", "cluster", "workload",
                                     "plugins",  "costs",   "report"};

void cn_config_defaults(cn_config *c)
{
    memset(c, 0, sizeof *c);
    c->name = "unnamed";
    c->description = "";
    c->seed = 1;
    c->replications = 1;
    c->duration_s = 1.0;
    c->warmup_s = 0.1;
    c->interval_s = -1; /* about 100 intervals per run */
    c->nodes = 3;
    c->vcpus_per_node = 4;
    c->nic_gbps = 12.5;
    /* AKS defaults: node subnet 10.224.0.0/16, pod CIDR 10.244.0.0/16, service
     * CIDR 10.0.0.0/16, DNS 10.0.0.10 (AKS docs); pod subnet 10.225.0.0/16 is
     * cnisim's choice. */
    c->node_subnet = (cn_cidr){0x0ae00000u, 16};
    c->pod_subnet = (cn_cidr){0x0ae10000u, 16};
    c->pod_cidr = (cn_cidr){0x0af40000u, 16};
    c->service_cidr = (cn_cidr){0x0a000000u, 16};
    c->dns_service_ip = 0x0a00000au;
    c->services = 1;
    c->endpoints_per_service = 4;
    c->rules_per_policy = 4;
    c->max_surge_nodes = 1;
    c->outbound_ips = 1;
    c->pod_subnet_allocation = CN_PODSUBNET_DYNAMIC;
    c->bpf_lb_map_max = 65536;
    c->bpf_ct_tcp_max = 524288;
    c->bpf_ct_any_max = 262144;
    c->bpf_policy_map_max = 16384;
    c->sync_mode = CN_SYNC_PARTIAL;
    c->min_sync_period_s = 1.0; /* kube-proxy default (kube-proxy reference) */
    c->sync_period_s = 30.0; /* kube-proxy --iptables-sync-period default (kube-proxy reference) */
    c->host_routing = CN_HOST_ROUTING_LEGACY; /* AKS default (AKS docs, eBPF host routing) */
    c->tunnel = CN_TUNNEL_NONE;
    c->chain_position = CN_CHAIN_AVERAGE;
    /* Go net/http DefaultTransport dials with a 30 s timeout (net/http
     * transport.go); Linux alone would give up after 127 s (tcp_syn_retries). */
    c->connect_timeout_s = 30.0;
    c->close = CN_CLOSE_FIN;
    c->model = CN_LOAD_CLOSED;
    c->concurrency = 16;
    c->traffic_weight[CN_CLASS_SERVICE] = 1.0;
    c->requests_per_connection = 1;
    c->request_bytes = 100;
    c->response_bytes = 1000;
    c->server_time_us = 20;
    c->client_time_us = 0;
    c->target_services = 1;
    c->external_destinations = 1;
    for (int i = 0; i < CAL_COUNT; i++)
        c->cost[i] = cn_cal_table[i].value;
}

/* ---- the scenario ---- */

typedef struct {
    const key_spec *spec; /* NULL for [costs] */
    int cost_index;       /* [costs]: calibration entry */
    char *group, *key;
    char **values; /* as written, NULL-terminated */
    int n_values;
} axis;

struct cn_scenario {
    char *path;
    char *digest;
    char *text; /* the file's bytes */
    gsize text_len;
    cn_config base;
    GArray *axes;       /* of axis */
    GPtrArray *strings; /* owned strings the configs borrow */
    int64_t *pools;
    cn_variant *variants;
    GArray *events; /* of cn_event */
};

const char *cn_scenario_path(const cn_scenario *sc)
{
    return sc->path;
}
const char *cn_scenario_text(const cn_scenario *sc, gsize *len)
{
    *len = sc->text_len;
    return sc->text;
}

const char *cn_scenario_digest(const cn_scenario *sc)
{
    return sc->digest;
}
int cn_scenario_n_axes(const cn_scenario *sc)
{
    return (int)sc->axes->len;
}
const char *cn_scenario_axis_key(const cn_scenario *sc, int i)
{
    return g_array_index(sc->axes, axis, i).key;
}
const char *cn_scenario_axis_group(const cn_scenario *sc, int i)
{
    return g_array_index(sc->axes, axis, i).group;
}

gsize cn_scenario_n_points(const cn_scenario *sc)
{
    gsize n = 1;
    for (guint i = 0; i < sc->axes->len; i++)
        n *= (gsize)g_array_index(sc->axes, axis, i).n_values;
    return n;
}

/* The value index of each axis at a point: the first axis varies slowest. */
static int axis_index(const cn_scenario *sc, int a, gsize point)
{
    gsize stride = 1;
    for (guint i = (guint)a + 1; i < sc->axes->len; i++)
        stride *= (gsize)g_array_index(sc->axes, axis, i).n_values;
    const axis *ax = &g_array_index(sc->axes, axis, a);
    return (int)((point / stride) % (gsize)ax->n_values);
}

const char *cn_scenario_axis_value(const cn_scenario *sc, int a, gsize point)
{
    const axis *ax = &g_array_index(sc->axes, axis, a);
    return ax->values[axis_index(sc, a, point)];
}

static void axis_clear(gpointer p)
{
    axis *a = p;
    g_free(a->group);
    g_free(a->key);
    g_strfreev(a->values);
}

void cn_scenario_free(cn_scenario *sc)
{
    if (!sc)
        return;
    g_free(sc->path);
    g_free(sc->digest);
    g_free(sc->text);
    g_array_unref(sc->axes);
    g_ptr_array_unref(sc->strings);
    g_free(sc->pools);
    g_free(sc->variants);
    if (sc->events)
        g_array_unref(sc->events);
    g_free(sc);
}

/* ---- value parsing ---- */

/* ASCII control characters: never in a value, never echoed to a terminal. */
static bool is_control(char ch)
{
    return (unsigned char)ch < 0x20 || ch == 0x7f;
}

/* Whether s holds a control character: C0, DEL, or a C1 control (U+0080 to
 * U+009F, 0xC2 0x80-0x9F in UTF-8; U+009B is a terminal's CSI).  Tab is
 * allowed when tab_ok. */
static bool has_control(const char *s, bool tab_ok)
{
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (is_control((char)*q) && !(tab_ok && *q == '\t'))
            return true;
        if (q[0] == 0xc2 && q[1] >= 0x80 && q[1] <= 0x9f)
            return true;
    }
    return false;
}

typedef struct {
    const char *file;
    const char *origin; /* "--set" when the value came from the command line */
} ctx;

G_GNUC_PRINTF(5, 6)
static void set_err(GError **error, int code, const ctx *cx, const char *where, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (cx->origin)
        g_set_error(error, CN_SCENARIO_ERROR, code, "%s: %s %s: %s", cx->file, cx->origin, where,
                    msg);
    else
        g_set_error(error, CN_SCENARIO_ERROR, code, "%s: %s: %s", cx->file, where, msg);
}

/* The one rule for numbers from outside: decimal, [+-]digits[.digits][e[+-]digits]
 * (".5" and "5." too), no hexadecimal, inf or nan, and no leading zero
 * before another digit ("05", "000": what "1,000" leaves in a sweep). */
static bool is_decimal(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    const char *int_start = p;
    while (g_ascii_isdigit(*p))
        p++;
    size_t int_digits = (size_t)(p - int_start);
    size_t frac_digits = 0;
    if (*p == '.') {
        p++;
        while (g_ascii_isdigit(p[frac_digits]))
            frac_digits++;
        p += frac_digits;
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (int_digits > 1 && int_start[0] == '0')
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!g_ascii_isdigit(*p))
            return false;
        while (g_ascii_isdigit(*p))
            p++;
    }
    return *p == '\0';
}

/* Why a text is not a number, when the rule above is the reason. */
static const char *number_hint(const char *s)
{
    const char *p = s + (*s == '+' || *s == '-');
    if (p[0] == '0' && g_ascii_isdigit(p[1]))
        return " (numbers are decimal, with no leading zero and no thousands separator: write "
               "1000, not 1,000 or 01000; a comma separates sweep values)";
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return " (numbers are decimal: no hexadecimal)";
    return "";
}

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s || !is_decimal(s))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    /* Allow "1e6"-style whole numbers too: they are common in sweeps. */
    *out = v;
    return true;
}

static bool parse_dbl(const char *s, double *out)
{
    if (!*s || !is_decimal(s))
        return false;
    char *end;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_whole(const char *s, int64_t *out)
{
    if (parse_int(s, out))
        return true;
    double d;
    if (parse_dbl(s, &d) && d == floor(d) && fabs(d) < 9.2e18) {
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static char *words_list(const char *const *w)
{
    GString *g = g_string_new(NULL);
    for (int i = 0; w[i]; i++)
        g_string_append_printf(g, "%s%s", i ? ", " : "", w[i]);
    return g_string_free(g, FALSE);
}

static char *range_text(const key_spec *k)
{
    if (k->type == K_INT)
        return g_strdup_printf("a whole number from %.0f to %.0f", k->min, k->max);
    return g_strdup_printf("a number %s %g and at most %g", k->excl_min ? "greater than" : "from",
                           k->min, k->max);
}

/* Parse one scalar (sweepable) value into the config. */
static bool apply_scalar(const key_spec *k, const char *v, cn_config *c, const ctx *cx,
                         const char *where, GError **error)
{
    void *field = (char *)c + k->offset;
    switch (k->type) {
    case K_INT: {
        int64_t x;
        if (!parse_whole(v, &x)) {
            g_autofree char *r = range_text(k);
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected %s, got '%s'%s", r, v,
                    number_hint(v));
            return false;
        }
        if ((double)x < k->min || (double)x > k->max) {
            g_autofree char *r = range_text(k);
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected %s, got %s%s%s", r, v,
                    k->limit_note ? " (" : "", k->limit_note ? k->limit_note : "");
            if (k->limit_note) {
                g_autofree char *m = g_strconcat((*error)->message, ")", NULL);
                g_free((*error)->message);
                (*error)->message = g_steal_pointer(&m);
            }
            return false;
        }
        *(int64_t *)field = x;
        return true;
    }
    case K_DBL: {
        double x;
        bool ok = parse_dbl(v, &x);
        if (!ok || x < k->min || (k->excl_min && x <= k->min) || x > k->max) {
            g_autofree char *r = range_text(k);
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected %s, got '%s'%s", r, v,
                    ok ? "" : number_hint(v));
            return false;
        }
        *(double *)field = x;
        return true;
    }
    case K_ENUM:
        for (int i = 0; k->words[i]; i++)
            if (strcmp(k->words[i], v) == 0) {
                *(int *)field = i;
                return true;
            }
        {
            g_autofree char *w = words_list(k->words);
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected one of %s, got '%s'", w,
                    v);
        }
        return false;
    default:
        g_assert_not_reached();
    }
}

static bool apply_cost(int idx, const char *v, cn_config *c, const ctx *cx, const char *where,
                       GError **error)
{
    double x;
    /* Each entry's range (calibration.def) keeps it physical and keeps every
     * product the models form with it inside int64 nanoseconds. */
    if (!parse_dbl(v, &x) || !cn_cal_in_range(idx, x)) {
        g_autofree char *r = cn_cal_range_text(idx);
        set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected %s, got '%s'%s", r, v,
                number_hint(v));
        return false;
    }
    c->cost[idx] = x;
    return true;
}

static bool is_sweepable(const key_spec *k)
{
    return !k || k->type == K_INT || k->type == K_DBL || k->type == K_ENUM;
}

static bool parse_traffic(const char *v, cn_config *c, const ctx *cx, const char *where,
                          GError **error)
{
    double w[CN_CLASS_COUNT] = {0};
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);
    for (int i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        if (!*p) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected a traffic class or class:weight list, got an empty item in '%s'", v);
            return false;
        }
        double weight = 1.0;
        char *colon = strchr(p, ':');
        if (!colon && parts[1]) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "class '%s' has no weight in a mix; give every class one, e.g. "
                    "pod-to-service:0.8, pod-to-external:0.2",
                    p);
            return false;
        }
        if (colon) {
            *colon = '\0';
            char *ws = g_strstrip(colon + 1);
            g_strstrip(p);
            /* Capped so that the weights' sum stays finite (1e308 + 1e308 is inf). */
            if (!parse_dbl(ws, &weight) || weight <= 0 || weight > 1e9) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "expected a positive weight (at most 1e9) after '%s:', got '%s'", p, ws);
                return false;
            }
        }
        int cls = -1;
        for (int j = 0; j < CN_CLASS_COUNT; j++)
            if (strcmp(class_names[j], p) == 0)
                cls = j;
        if (cls < 0) {
            g_autofree char *all =
                words_list((const char *const[]){class_names[0], class_names[1], class_names[2],
                                                 class_names[3], class_names[4], NULL});
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected traffic classes from %s, got '%s'", all, p);
            return false;
        }
        if (w[cls] > 0) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "traffic class '%s' given twice", p);
            return false;
        }
        w[cls] = weight;
    }
    double sum = 0;
    for (int j = 0; j < CN_CLASS_COUNT; j++)
        sum += w[j];
    for (int j = 0; j < CN_CLASS_COUNT; j++)
        c->traffic_weight[j] = w[j] / sum;
    return true;
}

static bool parse_variants(cn_scenario *sc, const char *v, const ctx *cx, const char *where,
                           GError **error)
{
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);
    int n = (int)g_strv_length(parts);
    g_free(sc->variants);
    sc->variants = g_new0(cn_variant, n > 0 ? n : 1);
    int k = 0;
    for (int i = 0; i < n; i++) {
        char *p = g_strstrip(parts[i]);
        if (!*p) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected a comma list of variants preset[+policy][/service-mode], got an "
                    "empty item in '%s'",
                    v);
            return false;
        }
        char *why = NULL;
        if (!cn_variant_parse(p, &sc->variants[k], &why)) {
            set_err(error, CN_SCENARIO_ERROR_COMBINATION, cx, where, "%s", why);
            g_free(why);
            return false;
        }
        /* Compared resolved: "cilium" and "cilium/ebpf" are one variant. */
        for (int j = 0; j < k; j++) {
            const cn_variant *a = &sc->variants[j], *b = &sc->variants[k];
            if (strcmp(a->name, b->name) == 0 ||
                (a->preset == b->preset && a->ipam == b->ipam && a->policy == b->policy &&
                 a->svc == b->svc && a->ebpf_dataplane == b->ebpf_dataplane)) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "variant '%s' listed twice (the same as '%s')", p, a->name);
                return false;
            }
        }
        k++;
    }
    sc->base.variants = sc->variants;
    sc->base.n_variants = k;
    return true;
}

static bool parse_pools(cn_scenario *sc, const key_spec *k, const char *v, const ctx *cx,
                        const char *where, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);
    int n = (int)g_strv_length(parts);
    g_free(sc->pools);
    sc->pools = g_new0(int64_t, n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        char *p = g_strstrip(parts[i]);
        int64_t x;
        if (!parse_whole(p, &x) || x < k->min || x > k->max) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected a comma list of node counts from 1 to 1000 (%s), got '%s'",
                    k->limit_note, p);
            return false;
        }
        sc->pools[i] = x;
    }
    sc->base.node_pools = sc->pools;
    sc->base.n_node_pools = n;
    return true;
}

static bool parse_surge(cn_config *c, const char *v, const ctx *cx, const char *where,
                        GError **error)
{
    size_t len = strlen(v);
    if (len > 1 && v[len - 1] == '%') {
        g_autofree char *num = g_strndup(v, len - 1);
        double p;
        if (!parse_dbl(num, &p) || p <= 0 || p > 100) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected a node count or a percentage from 1%% to 100%%, got '%s'", v);
            return false;
        }
        c->max_surge_percent = p;
        c->max_surge_nodes = 0;
        return true;
    }
    int64_t n;
    if (!parse_whole(v, &n) || n < 0 || n > MAX_NODES) {
        set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                "expected a node count (0 to %d) or a percentage such as 33%%, got '%s'", MAX_NODES,
                v);
        return false;
    }
    c->max_surge_nodes = n;
    c->max_surge_percent = 0;
    return true;
}

/* Strip an inline comment ("value   # note") and surrounding blanks. */
static char *clean_value(const char *raw)
{
    char *v = g_strdup(raw);
    for (char *p = v; *p; p++)
        if ((*p == '#' || *p == ';') && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    return g_strstrip(v);
}

static const key_spec *find_key(const char *group, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].group, group) == 0 && strcmp(keys[i].key, key) == 0)
            return &keys[i];
    return NULL;
}

static bool known_group(const char *g)
{
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++)
        if (strcmp(groups[i], g) == 0)
            return true;
    return false;
}

/* "; did you mean 'x'?" for a mistyped name among n candidates, or "". */
static char *did_you_mean(const char *word, const char *const *cands, gsize n)
{
    const char *s = cn_suggest(word, -1, cands, n);
    return s ? g_strdup_printf("; did you mean '%s'?", s) : g_strdup("");
}

static char *key_suggestion(const char *group, const char *key)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].group, group) == 0)
            g_ptr_array_add(names, (gpointer)keys[i].key);
    return did_you_mean(key, (const char *const *)names->pdata, names->len);
}

static char *cost_suggestion(const char *key)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (int i = 0; i < CAL_COUNT; i++)
        g_ptr_array_add(names, (gpointer)cn_cal_table[i].name);
    return did_you_mean(key, (const char *const *)names->pdata, names->len);
}

static char *keys_of_group(const char *group)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].group, group) == 0)
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", keys[i].key);
    return g_string_free(s, FALSE);
}

/* The value a sweep piece resolved to, as text: what duplicates are found by. */
static char *resolved_value(const key_spec *k, int cost, const cn_config *c)
{
    if (!k)
        return g_strdup_printf("%.17g", c->cost[cost] + 0.0); /* + 0.0: -0 is 0 */
    const void *field = (const char *)c + k->offset;
    switch (k->type) {
    case K_INT:
        return g_strdup_printf("%" PRId64, *(const int64_t *)field);
    case K_DBL:
        return g_strdup_printf("%.17g", *(const double *)field + 0.0);
    case K_ENUM:
        return g_strdup_printf("%d", *(const int *)field);
    default:
        g_assert_not_reached();
    }
}

/* Handle one key of the file: a fixed value goes into the base config, a
 * comma list in a sweepable key becomes an axis (each value checked now). */
static bool load_key(cn_scenario *sc, GKeyFile *kf, const char *group, const char *key,
                     const ctx *cx0, GHashTable *from_set, GError **error)
{
    g_autofree char *where = g_strdup_printf("[%s] %s", group, key);
    ctx cxv = *cx0;
    g_autofree char *origin = NULL;
    g_autofree char *gk = g_strdup_printf("%s.%s", group, key);
    if (g_hash_table_contains(from_set, gk)) {
        origin = g_strdup("--set");
        cxv.origin = origin;
    }
    const ctx *cx = &cxv;

    const key_spec *k = NULL;
    int cost = -1;
    if (strcmp(group, "costs") == 0) {
        cost = cn_cal_lookup(key);
        if (cost < 0) {
            g_autofree char *dym = cost_suggestion(key);
            set_err(error, CN_SCENARIO_ERROR_UNKNOWN, cx, where,
                    "unknown calibration entry%s (see 'cnisim help costs' for the names)", dym);
            return false;
        }
    } else {
        k = find_key(group, key);
        if (!k) {
            g_autofree char *all = keys_of_group(group);
            g_autofree char *dym = key_suggestion(group, key);
            set_err(error, CN_SCENARIO_ERROR_UNKNOWN, cx, where, "unknown key%s (keys of [%s]: %s)",
                    dym, group, all);
            return false;
        }
    }
    g_autofree char *raw = g_key_file_get_value(kf, group, key, NULL);
    g_autofree char *v = clean_value(raw ? raw : "");
    if (!*v) {
        set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected a value, got nothing");
        return false;
    }
    cn_config *c = &sc->base;

    if (is_sweepable(k) && strchr(v, ',')) {
        g_auto(GStrv) parts = g_strsplit(v, ",", -1);
        axis ax = {k, cost, g_strdup(group), g_strdup(key), NULL, 0};
        ax.n_values = (int)g_strv_length(parts);
        ax.values = g_new0(char *, ax.n_values + 1);
        for (int i = 0; i < ax.n_values; i++)
            ax.values[i] = g_strdup(g_strstrip(parts[i]));
        cn_config scratch = *c;
        /* A hash set, not a pairwise scan: a long sweep must not take
         * quadratic time.  Values are compared as parsed (3, 3.0 and 3e0 are
         * one value; so are 0 and -0), keyed by their resolved form. */
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (int i = 0; i < ax.n_values; i++) {
            bool ok = k ? apply_scalar(k, ax.values[i], &scratch, cx, where, error)
                        : apply_cost(cost, ax.values[i], &scratch, cx, where, error);
            if (ok && !g_hash_table_add(seen, resolved_value(k, cost, &scratch))) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "sweep value '%s' listed twice (as another spelling of the same value)",
                        ax.values[i]);
                ok = false;
            }
            if (!ok) {
                axis_clear(&ax);
                return false;
            }
        }
        g_array_append_val(sc->axes, ax);
        return true;
    }
    if (!k)
        return apply_cost(cost, v, c, cx, where, error);
    switch (k->type) {
    case K_STR: {
        if (has_control(v, true)) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected text without control characters, got '%s'", v);
            return false;
        }
        char *s = g_strdup(v);
        g_ptr_array_add(sc->strings, s);
        *(const char **)((char *)c + k->offset) = s;
        return true;
    }
    case K_U64: {
        char *end;
        errno = 0;
        guint64 x = g_ascii_strtoull(v, &end, 10);
        if (errno || *end || !g_ascii_isdigit(v[0]) || (v[0] == '0' && v[1])) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected a whole number from 0 to 18446744073709551615, got '%s'%s", v,
                    number_hint(v));
            return false;
        }
        c->seed = x;
        return true;
    }
    case K_CIDR: {
        const char *why;
        cn_cidr r;
        if (!cn_cidr_parse(v, &r, &why)) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where, "expected %s, got '%s'", why, v);
            return false;
        }
        *(cn_cidr *)((char *)c + k->offset) = r;
        return true;
    }
    case K_IPV4: {
        uint32_t a;
        if (!cn_ipv4_parse(v, &a)) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected an IPv4 address such as 10.0.0.10, got '%s'", v);
            return false;
        }
        *(uint32_t *)((char *)c + k->offset) = a;
        return true;
    }
    case K_POOLS:
        return parse_pools(sc, k, v, cx, where, error);
    case K_SURGE:
        return parse_surge(c, v, cx, where, error);
    case K_TRAFFIC:
        return parse_traffic(v, c, cx, where, error);
    case K_VARIANTS:
        return parse_variants(sc, v, cx, where, error);
    default:
        return apply_scalar(k, v, c, cx, where, error);
    }
}

void cn_scenario_config(const cn_scenario *sc, gsize point, cn_config *out)
{
    *out = sc->base;
    for (guint a = 0; a < sc->axes->len; a++) {
        const axis *ax = &g_array_index(sc->axes, axis, a);
        const char *v = ax->values[axis_index(sc, (int)a, point)];
        ctx cx = {sc->path, NULL};
        gboolean ok = ax->spec ? apply_scalar(ax->spec, v, out, &cx, "", NULL)
                               : apply_cost(ax->cost_index, v, out, &cx, "", NULL);
        g_assert(ok); /* every value was checked at load */
    }
}

/* ---- checks across keys, per point ---- */

static const struct {
    cn_cidr range;
    const char *why;
} aks_reserved[] = {
    {{0xa9fe0000u, 16}, "169.254.0.0/16 is link-local"},
    {{0xac1e0000u, 16}, "172.30.0.0/16 is reserved by AKS"},
    {{0xac1f0000u, 16}, "172.31.0.0/16 is reserved by AKS"},
    {{0xc0000200u, 24}, "192.0.2.0/24 is reserved by AKS"},
};

static bool uses_range(const cn_config *c, int which)
{
    /* 0 node subnet, 1 pod subnet, 2 pod cidr, 3 service cidr */
    if (which == 0 || which == 3)
        return true;
    for (int i = 0; i < c->n_variants; i++) {
        cn_ipam ip = c->variants[i].ipam;
        if (which == 1 && ip == CN_IPAM_POD_SUBNET)
            return true;
        if (which == 2 && (ip == CN_IPAM_KUBENET || ip == CN_IPAM_OVERLAY))
            return true;
    }
    return false;
}

/* The checks of one point; at names the point in messages. */
static bool check_point_at(const cn_scenario *sc, gsize point, const char *at, GError **error)
{
    cn_config c;
    cn_scenario_config(sc, point, &c);
    ctx cx = {sc->path, NULL};

    /* Durations and rates become integer nanoseconds: each must convert
     * (models/units.c) without overflowing or rounding to zero. */
    struct {
        const char *where;
        double value;
        int kind; /* 0 seconds, 1 microseconds, 2 a rate per second */
        bool used;
    } times[] = {
        {"[scenario] duration_s", c.duration_s, 0, true},
        {"[scenario] warmup_s", c.warmup_s, 0, true},
        {"[cluster] min_sync_period_s", c.min_sync_period_s, 0, true},
        {"[workload] server_time_us", c.server_time_us, 1, true},
        {"[workload] client_time_us", c.client_time_us, 1, true},
        {"[workload] rate_rps", c.rate_rps, 2, c.model == CN_LOAD_OPEN && c.rate_rps > 0},
        {"[workload] endpoint_churn_per_s", c.endpoint_churn_per_s, 2, c.endpoint_churn_per_s > 0},
        /* the largest message's time on the NIC: bytes x 8 / Gbit/s */
        {"[cluster] nic_gbps", (double)MAX(c.request_bytes, c.response_bytes) * 8.0 / c.nic_gbps, 3,
         true},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(times); i++) {
        if (!times[i].used)
            continue;
        int64_t ns;
        cn_units_status st = times[i].kind == 0   ? cn_units_s_to_ns(times[i].value, &ns)
                             : times[i].kind == 1 ? cn_units_us_to_ns(times[i].value, &ns)
                             : times[i].kind == 2
                                 ? cn_units_rate_to_interval_ns(times[i].value, &ns)
                                 : cn_units_scale_ns(times[i].value, 1.0, &ns);
        if (st == CN_UNITS_ZERO && times[i].kind == 3)
            st = CN_UNITS_OK; /* a fast NIC may well take under 1 ns per message */
        if (st != CN_UNITS_OK) {
            static const char *const unit[] = {" s:", " us:", " per s: the interval between events",
                                               " Gbit/s: the largest message's time on the NIC"};
            set_err(error, CN_SCENARIO_ERROR_VALUE, &cx, times[i].where,
                    "%g%s %s (the simulator counts whole nanoseconds)%s",
                    times[i].kind == 3 ? c.nic_gbps : times[i].value, unit[times[i].kind],
                    cn_units_status_text(st), at);
            return false;
        }
    }
    if (c.max_pods_per_node != 0 && c.max_pods_per_node < 10) {
        set_err(error, CN_SCENARIO_ERROR_VALUE, &cx, "[cluster] max_pods_per_node",
                "expected 0 (the plugin's default) or 10 to 250 (AKS minimum is 10), got %" PRId64
                "%s",
                c.max_pods_per_node, at);
        return false;
    }
    const char *names[] = {"node_subnet", "pod_subnet", "pod_cidr", "service_cidr"};
    cn_cidr r[] = {c.node_subnet, c.pod_subnet, c.pod_cidr, c.service_cidr};
    char b1[20], b2[20];
    for (int i = 0; i < 4; i++) {
        if (!uses_range(&c, i))
            continue;
        for (size_t j = 0; j < G_N_ELEMENTS(aks_reserved); j++)
            if (cn_cidr_overlaps(r[i], aks_reserved[j].range)) {
                g_autofree char *w = g_strdup_printf("[cluster] %s", names[i]);
                set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, w,
                        "%s overlaps %s; AKS rejects it (AKS docs: configure-kubenet, "
                        "azure-cni-overlay)",
                        cn_cidr_format(r[i], b1), aks_reserved[j].why);
                return false;
            }
        for (int k = i + 1; k < 4; k++) {
            if (!uses_range(&c, k))
                continue;
            if (cn_cidr_overlaps(r[i], r[k])) {
                g_autofree char *w = g_strdup_printf("[cluster] %s", names[k]);
                set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, w,
                        "%s overlaps %s %s; the ranges must not overlap%s",
                        cn_cidr_format(r[k], b1), names[i], cn_cidr_format(r[i], b2), at);
                return false;
            }
        }
    }
    if (c.service_cidr.prefix <= 12) {
        set_err(error, CN_SCENARIO_ERROR_VALUE, &cx, "[cluster] service_cidr",
                "expected a range smaller than /12 (AKS rejects a service CIDR of /12 or "
                "larger), got %s",
                cn_cidr_format(c.service_cidr, b1));
        return false;
    }
    if (!cn_cidr_contains_addr(c.service_cidr, c.dns_service_ip) ||
        c.dns_service_ip == c.service_cidr.addr) {
        set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[cluster] dns_service_ip",
                "expected an address inside service_cidr %s other than its first (the first is "
                "the kubernetes.default Service: AKS docs, IP address planning), got %s",
                cn_cidr_format(c.service_cidr, b1), cn_ipv4_format(c.dns_service_ip, b2));
        return false;
    }
    if (c.n_node_pools > 0) {
        int64_t sum = 0;
        for (int i = 0; i < c.n_node_pools; i++)
            sum += c.node_pools[i];
        if (sum != c.nodes) {
            set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[cluster] node_pools",
                    "the pools hold %" PRId64 " nodes but [cluster] nodes is %" PRId64 "%s", sum,
                    c.nodes, at);
            return false;
        }
    }
    if (c.client_nodes > c.nodes) {
        set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[workload] client_nodes",
                "expected at most [cluster] nodes (%" PRId64 "), got %" PRId64 "%s", c.nodes,
                c.client_nodes, at);
        return false;
    }
    if (c.model == CN_LOAD_OPEN && c.rate_rps <= 0) {
        set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[workload] rate_rps",
                "expected a rate above 0 with model = open%s", at);
        return false;
    }
    /* Cross-key rules AKS enforces on address planning (models/ipam.c). */
    if (!cn_ipam_check_config(&c, sc->path, at, error))
        return false;
    int64_t services = c.services > c.target_services ? c.services : c.target_services;
    if (services * c.endpoints_per_service > MAX_ENDPOINTS) {
        set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[cluster] services",
                "%" PRId64 " Services x %" PRId64 " endpoints is %" PRId64
                " endpoints; cnisim models at most %" PRId64 "%s",
                services, c.endpoints_per_service, services * c.endpoints_per_service,
                MAX_ENDPOINTS, at);
        return false;
    }
    if (c.traffic_weight[CN_CLASS_CROSS_NODE] > 0 && c.nodes < 2) {
        set_err(error, CN_SCENARIO_ERROR_COMBINATION, &cx, "[workload] traffic",
                "pod-to-pod-cross-node needs at least 2 nodes, [cluster] nodes is %" PRId64 "%s",
                c.nodes, at);
        return false;
    }
    return true;
}

/* A sweep can have 100,000 points: name the point only when it fails. */
static bool check_point(const cn_scenario *sc, gsize point, GError **error)
{
    if (check_point_at(sc, point, "", NULL))
        return true;
    g_autofree char *at = NULL;
    if (sc->axes->len) {
        GString *g = g_string_new(" (at sweep point");
        for (guint a = 0; a < sc->axes->len; a++)
            g_string_append_printf(g, "%s %s=%s", a ? "," : "", cn_scenario_axis_key(sc, (int)a),
                                   cn_scenario_axis_value(sc, (int)a, point));
        g_string_append(g, ")");
        at = g_string_free(g, FALSE);
    } else {
        at = g_strdup("");
    }
    bool ok = check_point_at(sc, point, at, error);
    g_assert(!ok); /* the checks depend on the point only */
    return ok;
}

/* ---- loading ---- */

static bool apply_sets(GKeyFile *kf, const char *const *sets, const char *file,
                       GHashTable *from_set, GError **error)
{
    for (int i = 0; sets && sets[i]; i++) {
        const char *s = sets[i];
        const char *eq = strchr(s, '=');
        const char *dot = strchr(s, '.');
        if (!g_utf8_validate(s, -1, NULL)) {
            g_autofree char *shown = g_strescape(s, NULL);
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: --set '%s': expected UTF-8 text (check the terminal's locale)", file,
                        shown);
            return false;
        }
        if (has_control(s, false)) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: --set '%s': expected group.key=value without control characters", file,
                        s);
            return false;
        }
        if (!eq || !dot || dot > eq || dot == s || eq == dot + 1) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: --set '%s': expected group.key=value, e.g. cluster.nodes=10", file, s);
            return false;
        }
        g_autofree char *group = g_strndup(s, (gsize)(dot - s));
        g_autofree char *key = g_strndup(dot + 1, (gsize)(eq - dot - 1));
        /* "cluster.nodes = 5" means what it says; the key must then be a name
         * (g_key_file_set_value refuses '[', ']' and outer blanks). */
        g_strstrip(group);
        g_strstrip(key);
        bool name = *key != '\0';
        for (const char *q = key; *q; q++)
            name = name && (g_ascii_isalnum(*q) || *q == '_');
        if (!name) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: --set '%s': expected group.key=value, e.g. cluster.nodes=10", file, s);
            return false;
        }
        if (!known_group(group)) {
            g_autofree char *dym = did_you_mean(group, groups, G_N_ELEMENTS(groups));
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_UNKNOWN,
                        "%s: --set [%s] %s: unknown group%s (groups: scenario, cluster, "
                        "workload, plugins, costs, report)",
                        file, group, key, dym);
            return false;
        }
        g_key_file_set_value(kf, group, key, eq + 1);
        g_hash_table_add(from_set, g_strdup_printf("%s.%s", group, key));
    }
    return true;
}

/* A key the chosen workload model ignores is a mistake, not a no-op: a
 * closed loop has no rate_rps, an open loop no concurrency.  A swept model
 * uses both. */
static bool check_model_keys(const cn_scenario *sc, GKeyFile *kf, const char *file, GError **error)
{
    for (guint a = 0; a < sc->axes->len; a++) {
        const axis *ax = &g_array_index(sc->axes, axis, a);
        if (strcmp(ax->group, "workload") == 0 && strcmp(ax->key, "model") == 0)
            return true;
    }
    bool open = sc->base.model == CN_LOAD_OPEN;
    const char *ignored = open ? "concurrency" : "rate_rps";
    if (!g_key_file_has_key(kf, "workload", ignored, NULL))
        return true;
    g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_COMBINATION,
                "%s: [workload] %s: ignored by model = %s; remove it, or set model = %s", file,
                ignored, open ? "open" : "closed", open ? "closed" : "open");
    return false;
}

/* ---- scheduled events ---- */

/* The keys an event may set: what a running cluster can change without
 * being rebuilt. */
static const struct {
    const char *group, *key;
    cn_set_key id;
} midrun_keys[] = {
    {"workload", "rate_rps", CN_SET_RATE_RPS},
    {"workload", "concurrency", CN_SET_CONCURRENCY},
    {"workload", "endpoint_churn_per_s", CN_SET_CHURN},
    {"workload", "traffic", CN_SET_TRAFFIC},
    {"cluster", "services", CN_SET_SERVICES},
    {"cluster", "network_policies", CN_SET_POLICIES},
};

/* max_surge / max_unavailable: a pod count or a percentage of a Service's
 * endpoints, as a Deployment's strategy takes them (stored as -percent). */
static bool parse_pods_or_percent(const char *v, int64_t *out)
{
    gsize n = strlen(v);
    int64_t x;
    if (n > 1 && v[n - 1] == '%') {
        g_autofree char *num = g_strndup(v, n - 1);
        if (!parse_whole(num, &x) || x < 0 || x > 100)
            return false;
        *out = -x;
        return true;
    }
    if (!parse_whole(v, &x) || x < 0 || x > 10000)
        return false;
    *out = x;
    return true;
}

static bool load_event(cn_scenario *sc, GKeyFile *kf, const char *group, const ctx *cx,
                       GError **error)
{
    char *name = g_strdup(group + strlen("event "));
    g_ptr_array_add(sc->strings, name);
    /* Kubernetes' Deployment defaults: 25% surge, 25% unavailable. */
    cn_event ev = {
        .name = name, .at_s = -1, .max_surge = -25, .max_unavailable = -25, .pod_start_s = 5};
    bool rollout_keys = false, surge_set = false, reimage_set = false;
    bool have_set = false;
    g_auto(GStrv) kl = g_key_file_get_keys(kf, group, NULL, NULL);
    for (int i = 0; kl && kl[i]; i++) {
        g_autofree char *where = g_strdup_printf("[%s] %s", group, kl[i]);
        g_autofree char *raw = g_key_file_get_value(kf, group, kl[i], NULL);
        g_autofree char *v = clean_value(raw ? raw : "");
        if (strcmp(kl[i], "at_s") == 0) {
            if (!parse_dbl(v, &ev.at_s) || ev.at_s < 0 || ev.at_s > 1e6) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "expected simulated seconds from the start of the run, 0 to 1e6, got "
                        "'%s'",
                        v);
                return false;
            }
            continue;
        }
        if (strcmp(kl[i], "rollout") == 0) {
            if (have_set || !parse_whole(v, &ev.rollout_services) || ev.rollout_services < 1 ||
                ev.rollout_services > 1000000) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        have_set ? "one action per event (set or rollout)"
                                 : "expected the number of target Services to roll, 1 or more, "
                                   "got '%s'",
                        v);
                return false;
            }
            ev.kind = CN_EVENT_ROLLOUT;
            have_set = true;
            continue;
        }
        if (strcmp(kl[i], "scale_nodes") == 0) {
            if (have_set || !parse_whole(v, &ev.scale_nodes) || ev.scale_nodes < 1 ||
                ev.scale_nodes > MAX_NODES) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        have_set ? "one action per event"
                                 : "expected the cluster's new node count, 1 to 50000, got '%s'",
                        v);
                return false;
            }
            ev.kind = CN_EVENT_SCALE;
            ev.text = "scale_nodes";
            have_set = true;
            continue;
        }
        if (strcmp(kl[i], "drain") == 0 || strcmp(kl[i], "fail") == 0) {
            if (have_set || !parse_whole(v, &ev.gone_nodes) || ev.gone_nodes < 1 ||
                ev.gone_nodes >= MAX_NODES) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        have_set ? "one action per event"
                                 : "expected the number of nodes that leave, 1 or more, got '%s'",
                        v);
                return false;
            }
            ev.kind = kl[i][0] == 'd' ? CN_EVENT_DRAIN : CN_EVENT_FAIL;
            ev.text = kl[i][0] == 'd' ? "drain" : "fail";
            have_set = true;
            continue;
        }
        if (strcmp(kl[i], "upgrade") == 0) {
            if (have_set || strcmp(v, "all") != 0) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        have_set ? "one action per event"
                                 : "expected 'all' (every node is reimaged), got '%s'",
                        v);
                return false;
            }
            ev.kind = CN_EVENT_UPGRADE;
            ev.text = "upgrade";
            have_set = true;
            continue;
        }
        if (strcmp(kl[i], "migrate") == 0) {
            char *why = NULL;
            if (have_set || !cn_variant_parse(v, &ev.target, &why)) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        have_set ? "one action per event"
                                 : "expected the variant the nodes move to, "
                                   "preset[+policy][/service-mode]: %s",
                        why ? why : "");
                g_free(why);
                return false;
            }
            ev.kind = CN_EVENT_MIGRATE;
            char *text = g_strdup_printf("migrate=%s", ev.target.name);
            g_ptr_array_add(sc->strings, text);
            ev.text = text;
            have_set = true;
            continue;
        }
        if (strcmp(kl[i], "reimage_s") == 0) {
            if (!parse_dbl(v, &ev.reimage_s) || ev.reimage_s < 0 || ev.reimage_s > 86400) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "expected seconds from 0 to 86400, got '%s'", v);
                return false;
            }
            reimage_set = true;
            continue;
        }
        if (strcmp(kl[i], "max_surge") == 0 || strcmp(kl[i], "max_unavailable") == 0) {
            surge_set |= kl[i][4] == 's';
            int64_t *f = kl[i][4] == 's' ? &ev.max_surge : &ev.max_unavailable;
            if (!parse_pods_or_percent(v, f)) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "expected a pod count (0 to 10000) or a percentage (0%% to 100%%), got "
                        "'%s'",
                        v);
                return false;
            }
            rollout_keys = true;
            continue;
        }
        if (strcmp(kl[i], "pod_start_s") == 0) {
            if (!parse_dbl(v, &ev.pod_start_s) || ev.pod_start_s < 0 || ev.pod_start_s > 3600) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                        "expected seconds from 0 to 3600, got '%s'", v);
                return false;
            }
            rollout_keys = true;
            continue;
        }
        if (strcmp(kl[i], "set") != 0) {
            set_err(error, CN_SCENARIO_ERROR_UNKNOWN, cx, where,
                    "unknown key (keys of an event: at_s, and one of set, scale_nodes, drain, "
                    "fail, rollout with max_surge, max_unavailable, pod_start_s, or upgrade or "
                    "migrate with max_surge, reimage_s)");
            return false;
        }
        if (have_set) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "one action per event; write another [event NAME] for another key");
            return false;
        }
        /* set = group.key=value, the --set syntax */
        char *dot = strchr(v, '.'), *eq = strchr(v, '=');
        if (!dot || !eq || dot > eq) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "expected group.key=value (the --set syntax), got '%s'", v);
            return false;
        }
        g_autofree char *grp = g_strstrip(g_strndup(v, (gsize)(dot - v)));
        g_autofree char *key = g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1)));
        g_autofree char *val = g_strstrip(g_strdup(eq + 1));
        int m = -1;
        for (gsize j = 0; j < G_N_ELEMENTS(midrun_keys); j++)
            if (strcmp(midrun_keys[j].group, grp) == 0 && strcmp(midrun_keys[j].key, key) == 0)
                m = (int)j;
        if (m < 0) {
            set_err(error, CN_SCENARIO_ERROR_VALUE, cx, where,
                    "%s.%s cannot change mid-run (an event can set workload.rate_rps, "
                    "workload.concurrency, workload.endpoint_churn_per_s, workload.traffic, "
                    "cluster.services, cluster.network_policies)",
                    grp, key);
            return false;
        }
        ev.key = midrun_keys[m].id;
        cn_config scratch = sc->base;
        g_autofree char *inner = g_strdup_printf("%s (%s.%s)", where, grp, key);
        if (ev.key == CN_SET_TRAFFIC) {
            if (!parse_traffic(val, &scratch, cx, inner, error))
                return false;
            memcpy(ev.traffic_weight, scratch.traffic_weight, sizeof ev.traffic_weight);
        } else {
            const key_spec *k = find_key(grp, key);
            if (strchr(val, ',')) {
                set_err(error, CN_SCENARIO_ERROR_VALUE, cx, inner,
                        "expected one value, got '%s' (an event's value is not a sweep)", val);
                return false;
            }
            if (!apply_scalar(k, val, &scratch, cx, inner, error))
                return false;
            const void *f = (const char *)&scratch + k->offset;
            ev.value = k->type == K_INT ? (double)*(const int64_t *)f : *(const double *)f;
        }
        char *text = g_strdup_printf("%s.%s=%s", grp, key, val);
        g_ptr_array_add(sc->strings, text);
        ev.text = text;
        have_set = true;
    }
    if (ev.at_s < 0 || !have_set) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [%s]: an event needs at_s and an action (set = group.key=value, "
                    "rollout = SERVICES, scale_nodes = N, drain = N, fail = N, upgrade = all "
                    "or migrate = VARIANT)",
                    cx->file, group);
        return false;
    }
    if (ev.kind == CN_EVENT_UPGRADE || ev.kind == CN_EVENT_MIGRATE) {
        /* AKS's default: one surge node. */
        if (!surge_set)
            ev.max_surge = 1;
        if (!reimage_set)
            ev.reimage_s = -1;
        if (ev.max_surge == 0 || ev.max_unavailable != -25 || ev.pod_start_s != 5) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: [%s]: %s takes max_surge (nodes or a percentage, at least 1) "
                        "and reimage_s",
                        cx->file, group,
                        ev.kind == CN_EVENT_UPGRADE ? "an upgrade" : "a migration");
            return false;
        }
        rollout_keys = false;
    }
    if (reimage_set && ev.kind != CN_EVENT_UPGRADE && ev.kind != CN_EVENT_MIGRATE) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [%s]: reimage_s goes with upgrade or migrate", cx->file, group);
        return false;
    }
    if (rollout_keys && ev.kind != CN_EVENT_ROLLOUT) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [%s]: max_surge, max_unavailable and pod_start_s go with rollout",
                    cx->file, group);
        return false;
    }
    if (ev.kind == CN_EVENT_ROLLOUT) {
        ev.text = "rollout";
        if (ev.max_surge == 0 && ev.max_unavailable == 0) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: [%s]: max_surge and max_unavailable cannot both be 0 (the rollout "
                        "could not progress, as Kubernetes refuses)",
                        cx->file, group);
            return false;
        }
    }
    /* In time order; file order at equal times. */
    guint at = sc->events->len;
    while (at > 0 && g_array_index(sc->events, cn_event, at - 1).at_s > ev.at_s)
        at--;
    g_array_insert_val(sc->events, at, ev);
    return true;
}

/* A migrate event moves every node of the cluster one documented
 * operation on from what it runs then (the run's variant, or the previous
 * migration's target): the plan's path (migrations.csv) must be in place
 * and one operation that reimages the nodes. */
static bool check_migrations(const cn_scenario *sc, GError **error)
{
    const cn_config *c = &sc->base;
    int n_migrate = 0;
    for (guint i = 0; i < sc->events->len; i++)
        if (g_array_index(sc->events, cn_event, i).kind == CN_EVENT_MIGRATE &&
            ++n_migrate > CN_MAX_MIGRATIONS) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: [event %s] migrate: at most %d migrate events in a scenario", sc->path,
                        g_array_index(sc->events, cn_event, i).name, CN_MAX_MIGRATIONS);
            return false;
        }
    for (int vi = 0; vi < c->n_variants; vi++) {
        cn_variant cur = c->variants[vi];
        for (guint i = 0; i < sc->events->len; i++) {
            const cn_event *ev = &g_array_index(sc->events, cn_event, i);
            if (ev->kind != CN_EVENT_MIGRATE)
                continue;
            cn_migration m;
            cn_migration_find(&cur, &ev->target, &m);
            g_autofree char *why = NULL;
            if (!m.in_place)
                why = g_strdup_printf("not in place from %s: %s (%s; as in migrations.csv)",
                                      cur.name, m.prerequisites, m.steps);
            else if (m.n_steps == 0)
                why = g_strdup_printf("the cluster already runs it (%s): nothing to migrate",
                                      cur.name);
            else if (m.n_steps > 1)
                why = g_strdup_printf("from %s takes %d operations (%s); AKS runs one per az aks "
                                      "update: write one [event] per operation",
                                      cur.name, m.n_steps, m.steps);
            else if (!m.reimages)
                why = g_strdup_printf("from %s is '%s', which AKS applies without reimaging "
                                      "nodes; migrate simulates the operations that reimage them "
                                      "(IPAM to overlay, the Cilium dataplane, a policy engine)",
                                      cur.name, m.steps);
            cn_migration_clear(&m);
            if (why) {
                g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_COMBINATION,
                            "%s: [event %s] migrate = %s: %s", sc->path, ev->name, ev->target.name,
                            why);
                return false;
            }
            cur = ev->target;
        }
    }
    return true;
}

/* What events ask of the rest of the scenario: their keys apply to its
 * load model, and a traffic change keeps to the classes the run was built
 * for (Services, pods and SNAT pools are set up for those). */
static bool check_events(cn_scenario *sc, GError **error)
{
    const cn_config *c = &sc->base;
    for (guint i = 0; i < sc->events->len; i++) {
        const cn_event *ev = &g_array_index(sc->events, cn_event, i);
        const char *why = NULL;
        if (ev->kind == CN_EVENT_ROLLOUT) {
            if (!(c->traffic_weight[CN_CLASS_SERVICE] > 0 ||
                  c->traffic_weight[CN_CLASS_INGRESS] > 0))
                why = "a rollout replaces Service endpoints: the traffic needs pod-to-service or "
                      "external-to-service";
            else if (ev->rollout_services > c->target_services)
                why = "rolls more Services than [workload] target_services";
        } else if (ev->kind == CN_EVENT_DRAIN || ev->kind == CN_EVENT_FAIL) {
            if (ev->gone_nodes >= c->nodes)
                why = "at least one node must stay: give fewer nodes than [cluster] nodes";
        } else if (ev->kind != CN_EVENT_SET) {
            /* scale_nodes: nothing to check against the workload */
        } else if (ev->key == CN_SET_RATE_RPS && c->model != CN_LOAD_OPEN)
            why = "workload.rate_rps applies to model = open only";
        else if (ev->key == CN_SET_CONCURRENCY && c->model != CN_LOAD_CLOSED)
            why = "workload.concurrency applies to model = closed only";
        else if (ev->key == CN_SET_TRAFFIC)
            for (int k = 0; k < CN_CLASS_COUNT; k++)
                if (ev->traffic_weight[k] > 0 && !(c->traffic_weight[k] > 0))
                    why = "a traffic class not in [workload] traffic cannot start mid-run; "
                          "give it a small weight there";
        if (why) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_COMBINATION,
                        "%s: [event %s] %s%s: %s", sc->path, ev->name,
                        ev->kind == CN_EVENT_SET ? "set: " : "", ev->text, why);
            return false;
        }
    }
    sc->base.events = (const cn_event *)(void *)sc->events->data;
    sc->base.n_events = (int)sc->events->len;
    return true;
}

static cn_scenario *load_data(const char *data, gsize len, const char *display_name,
                              const char *const *sets, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    if (memchr(data, '\0', len)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_SYNTAX,
                    "%s: not a scenario file: it contains a NUL byte", display_name);
        return NULL;
    }
    /* A UTF-8 byte order mark, as some editors write, is not part of the
     * text (the digest still covers the file's bytes). */
    const char *body = data;
    gsize body_len = len;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        body += 3, body_len -= 3;
    const char *bad_utf8 = NULL;
    if (!g_utf8_validate_len(body, body_len, &bad_utf8)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_SYNTAX,
                    "%s: not a scenario file: not UTF-8 text (byte %" G_GSIZE_FORMAT ")",
                    display_name, (gsize)(bad_utf8 - data) + 1);
        return NULL;
    }
    /* KEEP_TRANSLATIONS: without it GKeyFile silently drops "key[xx] = ..."
     * lines, so a typo such as "nodes[2] = 5" would be ignored, not refused. */
    if (!g_key_file_load_from_data(kf, body, body_len, G_KEY_FILE_KEEP_TRANSLATIONS, &local)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_SYNTAX,
                    "%s: not a valid scenario file: %s", display_name, local->message);
        return NULL;
    }
    g_autoptr(cn_scenario) sc = g_new0(cn_scenario, 1);
    sc->path = g_strdup(display_name);
    sc->digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
    sc->text = g_memdup2(data, len);
    sc->text_len = len;
    sc->axes = g_array_new(FALSE, TRUE, sizeof(axis));
    g_array_set_clear_func(sc->axes, axis_clear);
    sc->strings = g_ptr_array_new_with_free_func(g_free);
    sc->events = g_array_new(FALSE, TRUE, sizeof(cn_event));
    cn_config_defaults(&sc->base);
    sc->base.file = sc->path;

    g_autoptr(GHashTable) from_set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!apply_sets(kf, sets, display_name, from_set, error))
        return NULL;

    ctx cx = {display_name, NULL};
    gsize ngroups;
    g_auto(GStrv) gl = g_key_file_get_groups(kf, &ngroups);
    for (gsize gi = 0; gi < ngroups; gi++) {
        if (g_str_has_prefix(gl[gi], "event ") && gl[gi][6]) {
            if (!load_event(sc, kf, gl[gi], &cx, error))
                return NULL;
            continue;
        }
        if (!known_group(gl[gi])) {
            g_autofree char *dym = did_you_mean(gl[gi], groups, G_N_ELEMENTS(groups));
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_UNKNOWN,
                        "%s: [%s]: unknown group%s (groups: scenario, cluster, workload, plugins, "
                        "costs, report)",
                        display_name, gl[gi], dym);
            return NULL;
        }
        g_auto(GStrv) kl = g_key_file_get_keys(kf, gl[gi], NULL, NULL);
        /* GKeyFile keeps a repeated key twice (and merges a repeated group);
         * taken twice, one key would become two sweep axes. */
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        for (int ki = 0; kl && kl[ki]; ki++) {
            if (!g_hash_table_add(seen, kl[ki])) {
                g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                            "%s: [%s] %s: given more than once; write a sweep as one comma "
                            "list, e.g. %s = 3, 5",
                            display_name, gl[gi], kl[ki], kl[ki]);
                return NULL;
            }
            if (!load_key(sc, kf, gl[gi], kl[ki], &cx, from_set, error))
                return NULL;
        }
    }
    if (!check_model_keys(sc, kf, display_name, error) || !check_events(sc, error))
        return NULL;
    if (sc->base.n_variants == 0) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [plugins] compare: expected at least one variant, e.g. compare = "
                    "kubenet, azure-cni, cilium",
                    display_name);
        return NULL;
    }
    if (!check_migrations(sc, error))
        return NULL;
    if (sc->base.report_baseline) {
        int v = 0;
        while (v < sc->base.n_variants &&
               strcmp(sc->base.variants[v].name, sc->base.report_baseline) != 0)
            v++;
        if (v == sc->base.n_variants) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "%s: [report] baseline: expected one of the variants in [plugins] "
                        "compare, got '%s'",
                        display_name, sc->base.report_baseline);
            return NULL;
        }
    }
    /* The product stops growing once past the limit, so many axes cannot
     * overflow it into a small number. */
    gsize np = 1;
    guint na = 0;
    for (; na < sc->axes->len && np <= 100000; na++)
        np *= (gsize)g_array_index(sc->axes, axis, na).n_values;
    if (np > 100000) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%s: [%s] %s: the sweeps make %s%" G_GSIZE_FORMAT
                    " points; at most 100000 are allowed",
                    display_name, cn_scenario_axis_group(sc, 0), cn_scenario_axis_key(sc, 0),
                    na < sc->axes->len ? "at least " : "", np);
        return NULL;
    }
    for (gsize p = 0; p < np; p++)
        if (!check_point(sc, p, error))
            return NULL;
    return g_steal_pointer(&sc);
}

/* Messages quote what the file says: keep them one line, with no control
 * character a terminal would act on: C0, DEL and C1 controls are shown as
 * \xNN (C1 as \u00NN). */
static void clean_message(GError *e)
{
    if (!e || !has_control(e->message, false))
        return;
    GString *g = g_string_new(NULL);
    for (const unsigned char *p = (const unsigned char *)e->message; *p; p++) {
        if (is_control((char)*p))
            g_string_append_printf(g, "\\x%02x", *p);
        else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            g_string_append_printf(g, "\\u%04x", *++p);
        else
            g_string_append_c(g, (char)*p);
    }
    g_free(e->message);
    e->message = g_string_free(g, FALSE);
}

cn_scenario *cn_scenario_load_data(const char *data, gsize len, const char *display_name,
                                   const char *const *sets, GError **error)
{
    GError *local = NULL;
    cn_scenario *sc = load_data(data, len, display_name, sets, &local);
    clean_message(local);
    if (local)
        g_propagate_error(error, local);
    return sc;
}

/* The file's bytes: a regular file (opened without blocking, so a FIFO
 * cannot hang the load) of at most CN_SCENARIO_MAX_BYTES. */
static gboolean read_scenario_file(const char *path, char **data, gsize *len, GError **error)
{
    const char *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        why = g_strerror(errno);
    else if (fstat(fd, &st) != 0)
        why = g_strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = S_ISDIR(st.st_mode) ? "a directory, not a scenario file"
                                  : "not a regular file (a pipe, socket or device)";
    else if ((guint64)st.st_size > CN_SCENARIO_MAX_BYTES)
        why = "larger than 1 MiB, too large for a scenario file";
    GString *g = g_string_new(NULL);
    while (!why) {
        char buf[65536];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            why = g_strerror(errno);
        else if (r == 0)
            break;
        else if (g->len + (gsize)r > CN_SCENARIO_MAX_BYTES)
            why = "larger than 1 MiB, too large for a scenario file";
        else
            g_string_append_len(g, buf, r);
    }
    if (fd >= 0)
        close(fd);
    if (why) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_IO, "%s: cannot read: %s", path,
                    why);
        g_string_free(g, TRUE);
        return FALSE;
    }
    *len = g->len;
    *data = g_string_free(g, FALSE);
    return TRUE;
}

cn_scenario *cn_scenario_load(const char *path, const char *const *sets, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!read_scenario_file(path, &data, &len, error)) {
        clean_message(error ? *error : NULL);
        return NULL;
    }
    return cn_scenario_load_data(data, len, path, sets, error);
}

void cn_scenario_print_keys(FILE *out)
{
    const char *last = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_spec *k = &keys[i];
        if (strcmp(last, k->group) != 0)
            fprintf(out, "%s[%s]\n", i ? "\n" : "", k->group);
        last = k->group;
        fprintf(out, "  %-26s %s%s\n", k->key, k->help, is_sweepable(k) ? " (sweepable)" : "");
    }
    /* [event NAME]: at_s and one action (README "Scheduled events"). */
    static const char *const event_keys[][2] = {
        {"at_s", "simulated seconds from the start of the run (warm-up included)"},
        {"set", "group.key=value, a key a running cluster can change: workload.rate_rps, "
                "workload.concurrency, workload.endpoint_churn_per_s, workload.traffic, "
                "cluster.services, cluster.network_policies"},
        {"rollout", "SERVICES: a Deployment rolling update of the first target Services"},
        {"scale_nodes", "N: the load balancer's pool becomes N nodes (the SNAT tier follows)"},
        {"drain", "N: the N highest-numbered live nodes are drained and leave"},
        {"fail", "N: the N highest-numbered live nodes are lost without warning"},
        {"upgrade", "all: AKS's node image upgrade, node by node with surge nodes"},
        {"migrate", "VARIANT: one az aks update that reimages the nodes onto VARIANT (IPAM to "
                    "overlay, the Cilium dataplane, a policy engine), node by node"},
        {"max_surge", "rollout: pods or a percentage of a Service's endpoints (25%); upgrade, "
                      "migrate: nodes or a percentage of them (1)"},
        {"max_unavailable", "rollout: pods or a percentage of a Service's endpoints (25%)"},
        {"pod_start_s", "rollout: a new pod's start until Ready (5)"},
        {"reimage_s", "upgrade, migrate: a node's reimage, drained to back (node_reimage_s)"},
    };
    fprintf(out, "\n[event NAME]\n");
    for (size_t i = 0; i < G_N_ELEMENTS(event_keys); i++)
        fprintf(out, "  %-26s %s\n", event_keys[i][0], event_keys[i][1]);
    fprintf(out, "\n[costs]\n  any calibration entry by name (see 'cnisim help costs'); "
                 "sweepable\n");
}
