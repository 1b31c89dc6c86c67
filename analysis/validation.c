#include "validation.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "csvout.h"
#include "run.h"
#include "scenario.h"

/* ---- measures: what a metric reads from a run ---- */

typedef enum {
    V_TRANSACTIONS,
    V_FAILED,
    V_THROUGHPUT,
    V_LAT_MEAN,
    V_LAT_P50,
    V_LAT_P90,
    V_LAT_P99,
    V_LAT_P999,
    V_CPU_MEAN,
    V_CPU_MAX,
    V_CT_PEAK,
    V_DROPS_CT,
    V_SNAT_FAIL,
    V_POLICY_DROPS,
    V_CT_EVICT,
    V_LB_UNPROG,
    V_STALE_FAIL,
    V_SYNCS,
    V_SYNC_MS,
    V_FAILED_FRACTION,
    V_GOODPUT_GBPS,
    V_CPU_US_TXN,
    V_COUNT
} vmeasure;

/* The summary.csv column names, plus failed_fraction = failed / (completed
 * + failed), the share of transactions the clients gave up on, and
 * goodput_gbps and cpu_us_per_txn (cluster-wide CPU per completed
 * transaction of any class) as summary.csv computes them. */
static const char *const measure_names[V_COUNT] = {
    "transactions",    "failed",          "throughput_rps",  "latency_mean_us", "latency_p50_us",
    "latency_p90_us",  "latency_p99_us",  "latency_p999_us", "cpu_util_mean",   "cpu_util_max",
    "conntrack_peak",  "drops_conntrack", "snat_failures",   "policy_drops",    "ct_evictions",
    "lb_unprogrammed", "stale_failures",  "rule_syncs",      "sync_ms_mean",    "failed_fraction",
    "goodput_gbps",    "cpu_us_per_txn",
};

static int measure_lookup(const char *s)
{
    for (int i = 0; i < V_COUNT; i++)
        if (strcmp(measure_names[i], s) == 0)
            return i;
    return -1;
}

static int class_lookup(const char *s)
{
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        if (strcmp(cn_class_name((cn_class)k), s) == 0)
            return k;
    return -1;
}

/* ---- a case ---- */

typedef struct {
    int measure;
    int variant; /* index in the scenario's compare list */
    int cls;
    gsize point;   /* 0-based */
    char *set_key; /* the overrides joined by '\n' ("" for none): identifies the run */
} vside;

typedef struct {
    char *id;
    cn_vrole role;
    vside num, den, minus;
    bool is_ratio, is_diff;
    double published, tolerance;
    bool tol_abs;
    char *definition;
} vmetric;

struct cn_vcase {
    char *name, *path;
    char *error;    /* loading failed: why */
    char *scenario; /* the file without [case] and [metric] groups */
    gsize scenario_len;
    GKeyFile *kf;
    vmetric *m;
    int n_metrics;
    cn_vrole role;
    char **variant_names; /* as the scenario normalised them */
    int n_variants;
};

void cn_vrow_free(gpointer p)
{
    cn_vrow *r = p;
    if (!r)
        return;
    g_free(r->case_name);
    g_free(r->metric);
    g_free(r->definition);
    g_free(r->error);
    g_free(r);
}

void cn_vcase_free(gpointer p)
{
    cn_vcase *vc = p;
    if (!vc)
        return;
    for (int i = 0; i < vc->n_metrics; i++) {
        g_free(vc->m[i].id);
        g_free(vc->m[i].definition);
        g_free(vc->m[i].num.set_key);
        g_free(vc->m[i].den.set_key);
        g_free(vc->m[i].minus.set_key);
    }
    g_free(vc->m);
    g_strfreev(vc->variant_names);
    if (vc->kf)
        g_key_file_unref(vc->kf);
    g_free(vc->scenario);
    g_free(vc->name);
    g_free(vc->path);
    g_free(vc->error);
    g_free(vc);
}

const char *cn_vcase_name(const cn_vcase *vc)
{
    return vc->name;
}

const char *cn_vcase_path(const cn_vcase *vc)
{
    return vc->path;
}

const char *cn_vcase_error(const cn_vcase *vc)
{
    return vc->error;
}

int cn_vcase_n_metrics(const cn_vcase *vc)
{
    return vc->n_metrics;
}

cn_vrole cn_vcase_metric_role(const cn_vcase *vc, int m)
{
    return vc->m[m].role;
}

bool cn_vcase_has_role(const cn_vcase *vc, cn_vrole role)
{
    if (vc->error)
        return vc->role == role;
    for (int i = 0; i < vc->n_metrics; i++)
        if (vc->m[i].role == role)
            return true;
    return false;
}

bool cn_vcase_sets_cost(const cn_vcase *vc, int cal)
{
    return vc->kf && g_key_file_has_key(vc->kf, "costs", cn_cal_table[cal].name, NULL);
}

static const char *const case_keys[] = {"title", "source", "address", "date", "revision",
                                        "setup", "role",   "notes",   NULL};
static const char *const metric_keys[] = {
    "measure",      "variant",     "class",      "point",     "set",           "over_measure",
    "over_variant", "over_class",  "over_point", "over_set",  "minus_measure", "minus_variant",
    "minus_class",  "minus_point", "minus_set",  "published", "tolerance",     "tolerance_abs",
    "why",          "role",        NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool parse_role(const char *s, cn_vrole *out)
{
    if (strcmp(s, "fit") == 0)
        *out = CN_ROLE_FIT;
    else if (strcmp(s, "check") == 0)
        *out = CN_ROLE_CHECK;
    else
        return false;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = g_ascii_strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == s || *end || errno || !isfinite(x))
        return false;
    *out = x;
    return true;
}

bool cn_vcase_cost_value(const cn_vcase *vc, int cal, double *out)
{
    if (!cn_vcase_sets_cost(vc, cal))
        return false;
    g_autofree char *v = g_key_file_get_value(vc->kf, "costs", cn_cal_table[cal].name, NULL);
    return v && parse_double(g_strstrip(v), out);
}

/* A value of key in group, NULL if absent: the metric's own, else for an
 * over_ key the plain key's. */
static char *get(GKeyFile *kf, const char *group, const char *key)
{
    char *v = g_key_file_get_value(kf, group, key, NULL);
    if (v)
        g_strstrip(v);
    return v;
}

typedef struct {
    cn_vcase *vc;
    const char *group;
    GError **error;
} lctx;

static bool bad(lctx *lc, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool bad(lctx *lc, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(lc->error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE, "%s: [%s] %s: %s",
                lc->vc->path, lc->group, key, msg);
    return false;
}

static int find_variant(const cn_vcase *vc, const char *text)
{
    cn_variant v;
    g_autofree char *why = NULL;
    if (!cn_variant_parse(text, &v, &why))
        return -1;
    for (int i = 0; i < vc->n_variants; i++)
        if (strcmp(vc->variant_names[i], v.name) == 0)
            return i;
    return -1;
}

/* Parse one side of a metric; prefix "" for the numerator, "over_" for the
 * denominator, whose missing keys default to the numerator's. */
static bool parse_side(lctx *lc, const cn_scenario *sc, const char *prefix, const vside *base,
                       vside *out)
{
    GKeyFile *kf = lc->vc->kf;
    const char *g = lc->group;
    char key[32];
    if (base)
        *out = (vside){base->measure, base->variant, base->cls, base->point, NULL};
    else
        *out = (vside){-1, 0, -1, 0, NULL};

    g_snprintf(key, sizeof key, "%smeasure", prefix);
    g_autofree char *meas = get(kf, g, key);
    if (meas) {
        out->measure = measure_lookup(meas);
        if (out->measure < 0) {
            GString *names = g_string_new(NULL);
            for (int i = 0; i < V_COUNT; i++)
                g_string_append_printf(names, "%s%s", i ? ", " : "", measure_names[i]);
            bool r = bad(lc, key, "unknown measure '%s' (expected one of %s)", meas, names->str);
            g_string_free(names, TRUE);
            return r;
        }
    } else if (!base) {
        return bad(lc, key, "missing (what to compare, e.g. throughput_rps)");
    }

    g_snprintf(key, sizeof key, "%svariant", prefix);
    g_autofree char *var = get(kf, g, key);
    if (var) {
        out->variant = find_variant(lc->vc, var);
        if (out->variant < 0)
            return bad(lc, key, "'%s' is not one of the variants in [plugins] compare", var);
    }

    g_snprintf(key, sizeof key, "%spoint", prefix);
    g_autofree char *pt = get(kf, g, key);
    if (pt) {
        guint64 p;
        if (!g_ascii_string_to_unsigned(pt, 10, 1, cn_scenario_n_points(sc), &p, NULL))
            return bad(lc, key, "expected a sweep point from 1 to %" G_GSIZE_FORMAT ", got '%s'",
                       cn_scenario_n_points(sc), pt);
        out->point = (gsize)p - 1;
    }

    g_snprintf(key, sizeof key, "%sset", prefix);
    g_auto(GStrv) sets = g_key_file_get_string_list(kf, g, key, NULL, NULL);
    if (sets) {
        for (int i = 0; sets[i]; i++)
            g_strstrip(sets[i]);
        out->set_key = g_strjoinv("\n", sets);
        /* The overrides must make a valid scenario. */
        GError *e = NULL;
        cn_scenario *s2 = cn_scenario_load_data(lc->vc->scenario, lc->vc->scenario_len,
                                                lc->vc->path, (const char *const *)sets, &e);
        if (!s2) {
            bool r = bad(lc, key, "%s", e->message);
            g_error_free(e);
            return r;
        }
        cn_scenario_free(s2);
    } else {
        out->set_key = g_strdup(base ? base->set_key : "");
    }

    g_snprintf(key, sizeof key, "%sclass", prefix);
    g_autofree char *cls = get(kf, g, key);
    if (cls) {
        out->cls = class_lookup(cls);
        if (out->cls < 0)
            return bad(lc, key, "unknown traffic class '%s'", cls);
    }
    cn_config c;
    cn_scenario_config(sc, out->point, &c);
    if (out->cls < 0) {
        int used = 0;
        for (int k = 0; k < CN_CLASS_COUNT; k++)
            if (c.traffic_weight[k] > 0) {
                used++;
                out->cls = k;
            }
        if (used != 1)
            return bad(lc, key, "missing: the scenario has %d traffic classes, say which", used);
    } else if (c.traffic_weight[out->cls] <= 0) {
        return bad(lc, key, "the scenario sends no %s traffic", cls);
    }
    return true;
}

static char *side_text(const cn_vcase *vc, const vside *s, const cn_scenario *sc)
{
    GString *g = g_string_new(measure_names[s->measure]);
    g_string_append_printf(g, "[%s %s", vc->variant_names[s->variant],
                           cn_class_name((cn_class)s->cls));
    for (int a = 0; a < cn_scenario_n_axes(sc); a++)
        g_string_append_printf(g, " %s=%s", cn_scenario_axis_key(sc, a),
                               cn_scenario_axis_value(sc, a, s->point));
    if (s->set_key[0]) {
        g_autofree char *sets = g_strdup(s->set_key);
        g_strdelimit(sets, "\n", ' ');
        g_string_append_printf(g, " %s", sets);
    }
    g_string_append_c(g, ']');
    return g_string_free(g, FALSE);
}

static bool parse_metric(lctx *lc, const cn_scenario *sc, vmetric *m)
{
    GKeyFile *kf = lc->vc->kf;
    const char *g = lc->group;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
    for (int i = 0; keys && keys[i]; i++)
        if (!in_list(metric_keys, keys[i]))
            return bad(lc, keys[i],
                       "unknown key (expected measure, variant, class, point, set, "
                       "over_*, minus_*, published, tolerance or tolerance_abs, why, "
                       "role)");
    m->id = g_strdup(g + strlen("metric "));
    if (!parse_side(lc, sc, "", NULL, &m->num))
        return false;
    m->is_ratio = m->is_diff = false;
    for (int i = 0; keys && keys[i]; i++) {
        m->is_ratio |= g_str_has_prefix(keys[i], "over_");
        m->is_diff |= g_str_has_prefix(keys[i], "minus_");
    }
    if (m->is_diff && !parse_side(lc, sc, "minus_", &m->num, &m->minus))
        return false;
    if (m->is_ratio && !parse_side(lc, sc, "over_", &m->num, &m->den))
        return false;

    g_autofree char *pub = get(kf, g, "published");
    if (!pub || !parse_double(pub, &m->published) || m->published < 0)
        return bad(lc, "published", "expected the published figure, a number >= 0, got '%s'",
                   pub ? pub : "");
    g_autofree char *tol = get(kf, g, "tolerance");
    g_autofree char *tabs = get(kf, g, "tolerance_abs");
    if ((tol != NULL) == (tabs != NULL))
        return bad(lc, "tolerance",
                   "expected exactly one of tolerance (relative) and "
                   "tolerance_abs");
    m->tol_abs = tabs != NULL;
    if (!parse_double(tol ? tol : tabs, &m->tolerance) || m->tolerance < 0 ||
        (tol && m->tolerance == 0))
        return bad(lc, tol ? "tolerance" : "tolerance_abs", "expected a number > 0, got '%s'",
                   tol ? tol : tabs);
    if (!m->tol_abs && m->published == 0)
        return bad(lc, "tolerance",
                   "a relative tolerance needs a published figure > 0; use "
                   "tolerance_abs");
    g_autofree char *why = get(kf, g, "why");
    if (!why || !*why)
        return bad(lc, "why", "missing: say why the tolerance is what it is");
    m->role = lc->vc->role;
    g_autofree char *role = get(kf, g, "role");
    if (role && !parse_role(role, &m->role))
        return bad(lc, "role", "expected fit or check, got '%s'", role);

    g_autofree char *a = side_text(lc->vc, &m->num, sc);
    if (m->is_diff) {
        g_autofree char *d = side_text(lc->vc, &m->minus, sc);
        g_autofree char *t = g_strdup_printf("(%s - %s)", a, d);
        g_free(a);
        a = g_steal_pointer(&t);
    }
    if (m->is_ratio) {
        g_autofree char *b = side_text(lc->vc, &m->den, sc);
        m->definition = g_strdup_printf("%s / %s", a, b);
    } else {
        m->definition = g_steal_pointer(&a);
    }
    return true;
}

static bool load_case(cn_vcase *vc, GError **error)
{
    lctx lc = {vc, "case", error};
    vc->kf = g_key_file_new();
    GError *e = NULL;
    if (!g_key_file_load_from_file(vc->kf, vc->path, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_SYNTAX, "%s: %s", vc->path,
                    e->message);
        g_error_free(e);
        return false;
    }
    if (!g_key_file_has_group(vc->kf, "case"))
        return bad(&lc, "role", "missing [case] group (source, address, date, revision, role)");
    g_auto(GStrv) ck = g_key_file_get_keys(vc->kf, "case", NULL, NULL);
    for (int i = 0; ck && ck[i]; i++)
        if (!in_list(case_keys, ck[i]))
            return bad(&lc, ck[i],
                       "unknown key (expected title, source, address, date, "
                       "revision, setup, role, notes)");
    static const char *const required[] = {"title", "address", "date", "revision", "role"};
    for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
        g_autofree char *v = get(vc->kf, "case", required[i]);
        if (!v || !*v)
            return bad(&lc, required[i], "missing");
    }
    g_autofree char *role = get(vc->kf, "case", "role");
    if (!parse_role(role, &vc->role))
        return bad(&lc, "role", "expected fit or check, got '%s'", role);

    /* The scenario is the file without the corpus groups. */
    GKeyFile *sk = g_key_file_new();
    g_autofree char *all = NULL;
    gsize all_len = 0;
    if (!g_file_get_contents(vc->path, &all, &all_len, error)) {
        g_key_file_unref(sk);
        return false;
    }
    g_key_file_load_from_data(sk, all, all_len, G_KEY_FILE_KEEP_COMMENTS, NULL);
    g_auto(GStrv) groups = g_key_file_get_groups(vc->kf, NULL);
    int n_metric_groups = 0;
    for (int i = 0; groups[i]; i++) {
        if (strcmp(groups[i], "case") == 0 || g_str_has_prefix(groups[i], "metric ")) {
            g_key_file_remove_group(sk, groups[i], NULL);
            n_metric_groups += g_str_has_prefix(groups[i], "metric ");
        }
    }
    vc->scenario = g_key_file_to_data(sk, &vc->scenario_len, NULL);
    g_key_file_unref(sk);
    if (n_metric_groups == 0)
        return bad(&lc, "role", "no [metric NAME] group: a case compares at least one figure");

    g_autoptr(cn_scenario) sc =
        cn_scenario_load_data(vc->scenario, vc->scenario_len, vc->path, NULL, error);
    if (!sc)
        return false;
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    vc->n_variants = c.n_variants;
    vc->variant_names = g_new0(char *, c.n_variants + 1);
    for (int i = 0; i < c.n_variants; i++)
        vc->variant_names[i] = g_strdup(c.variants[i].name);

    vc->m = g_new0(vmetric, n_metric_groups);
    for (int i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "metric "))
            continue;
        lctx ml = {vc, groups[i], error};
        if (!parse_metric(&ml, sc, &vc->m[vc->n_metrics++]))
            return false;
    }
    return true;
}

static int by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *cn_vcorpus_load(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    if (!d)
        return NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".ini"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, by_name);
    if (names->len == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no case files (*.ini)", dir);
        return NULL;
    }
    GPtrArray *cases = g_ptr_array_new_with_free_func(cn_vcase_free);
    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        cn_vcase *vc = g_new0(cn_vcase, 1);
        vc->name = g_strndup(file, strlen(file) - 4);
        vc->path = g_build_filename(dir, file, NULL);
        vc->role = CN_ROLE_CHECK;
        GError *e = NULL;
        if (!load_case(vc, &e)) {
            vc->error = g_strdup(e->message);
            g_error_free(e);
            /* The role, if it could be read, says whether this error must
             * fail the check. */
            g_autofree char *role = vc->kf ? get(vc->kf, "case", "role") : NULL;
            if (role)
                parse_role(role, &vc->role);
        }
        g_ptr_array_add(cases, vc);
    }
    return cases;
}

/* ---- evaluation ---- */

typedef struct {
    char *set_key;
    gsize point;
    int variant;
    bool ok;
    char *error;
    double v[CN_CLASS_COUNT][V_COUNT];
} vrun;

static void vrun_free(gpointer p)
{
    vrun *r = p;
    g_free(r->set_key);
    g_free(r->error);
    g_free(r);
}

static void do_run(const cn_vcase *vc, const double *cost, const char *const *extra, vrun *out)
{
    g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) own = out->set_key[0] ? g_strsplit(out->set_key, "\n", -1) : NULL;
    for (int i = 0; own && own[i]; i++)
        g_ptr_array_add(sets, g_strdup(own[i]));
    for (int i = 0; extra && extra[i]; i++)
        g_ptr_array_add(sets, g_strdup(extra[i]));
    g_ptr_array_add(sets, NULL);
    GError *e = NULL;
    g_autoptr(cn_scenario) sc = cn_scenario_load_data(vc->scenario, vc->scenario_len, vc->path,
                                                      (const char *const *)sets->pdata, &e);
    if (!sc) {
        out->error = g_strdup(e->message);
        g_error_free(e);
        return;
    }
    cn_config c;
    cn_scenario_config(sc, out->point, &c);
    for (int i = 0; cost && i < CAL_COUNT; i++)
        if (!isnan(cost[i]))
            c.cost[i] = cost[i];
    int reps = (int)c.replications;
    double acc[CN_CLASS_COUNT][V_COUNT] = {{0}};
    sim_hist *pooled[CN_CLASS_COUNT] = {0};
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        pooled[k] = sim_hist_new();
    double cpu_us = 0;
    uint64_t done_all = 0;
    for (int rep = 0; rep < reps; rep++) {
        cn_run_result r;
        if (!cn_run(&c, &c.variants[out->variant], (uint32_t)rep, &r, &e)) {
            out->error = g_strdup_printf("%s: %s", vc->path, e->message);
            g_error_free(e);
            for (int k = 0; k < CN_CLASS_COUNT; k++)
                sim_hist_free(pooled[k]);
            return;
        }
        cpu_us += r.cpu_util_mean * (double)c.nodes * (double)c.vcpus_per_node * r.measured_s * 1e6;
        for (int k = 0; k < CN_CLASS_COUNT; k++) {
            const cn_class_result *cr = &r.cls[k];
            double *a = acc[k];
            done_all += cr->transactions;
            a[V_TRANSACTIONS] += (double)cr->transactions;
            a[V_FAILED] += (double)cr->failed;
            a[V_THROUGHPUT] += cr->throughput_rps / reps;
            if (cr->latency)
                sim_hist_merge(pooled[k], cr->latency);
            a[V_CPU_MEAN] += r.cpu_util_mean / reps;
            a[V_CPU_MAX] += r.cpu_util_max / reps;
            a[V_CT_PEAK] = fmax(a[V_CT_PEAK], (double)r.conntrack_peak);
            a[V_DROPS_CT] += (double)r.drops_conntrack;
            a[V_SNAT_FAIL] += (double)r.snat_failures;
            a[V_POLICY_DROPS] += (double)r.policy_drops;
            a[V_CT_EVICT] += (double)r.ct_evictions;
            a[V_LB_UNPROG] += (double)r.lb_unprogrammed;
            a[V_STALE_FAIL] += (double)r.stale_failures;
            a[V_SYNCS] += (double)r.rule_syncs;
            a[V_SYNC_MS] += r.sync_ms_mean / reps;
        }
        cn_run_result_clear(&r);
    }
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        double *a = acc[k];
        /* Latencies pool the replications' histograms, as summary.csv does. */
        const sim_hist *h = pooled[k];
        bool any = sim_hist_count(h) > 0;
        a[V_LAT_MEAN] = any ? sim_hist_mean(h) / 1e3 : NAN;
        a[V_LAT_P50] = any ? sim_hist_quantile(h, 0.5) / 1e3 : NAN;
        a[V_LAT_P90] = any ? sim_hist_quantile(h, 0.9) / 1e3 : NAN;
        a[V_LAT_P99] = any ? sim_hist_quantile(h, 0.99) / 1e3 : NAN;
        a[V_LAT_P999] = any ? sim_hist_quantile(h, 0.999) / 1e3 : NAN;
        sim_hist_free(pooled[k]);
        double all = a[V_TRANSACTIONS] + a[V_FAILED];
        a[V_FAILED_FRACTION] = all > 0 ? a[V_FAILED] / all : NAN;
        a[V_GOODPUT_GBPS] =
            a[V_THROUGHPUT] * (double)(c.request_bytes + c.response_bytes) * 8 / 1e9;
        a[V_CPU_US_TXN] = done_all ? cpu_us / (double)done_all : NAN;
        memcpy(out->v[k], a, sizeof out->v[k]);
    }
    out->ok = true;
}

static vrun *run_for(const cn_vcase *vc, const double *cost, const char *const *extra,
                     GPtrArray *runs, const vside *s)
{
    for (guint i = 0; i < runs->len; i++) {
        vrun *r = g_ptr_array_index(runs, i);
        if (r->point == s->point && r->variant == s->variant && strcmp(r->set_key, s->set_key) == 0)
            return r;
    }
    vrun *r = g_new0(vrun, 1);
    r->set_key = g_strdup(s->set_key);
    r->point = s->point;
    r->variant = s->variant;
    do_run(vc, cost, extra, r);
    g_ptr_array_add(runs, r);
    return r;
}

static bool tolerance_pass(double published, double simulated, double tol, bool tol_abs)
{
    if (isnan(simulated))
        return false;
    if (tol_abs)
        return fabs(simulated - published) <= tol;
    double ratio = simulated / published;
    return ratio <= 1 + tol && ratio >= 1 / (1 + tol);
}

static void eval(cn_vcase *vc, const double *cost, const char *const *sets, int role,
                 GPtrArray *rows);

void cn_vcase_eval(cn_vcase *vc, const double *cost, const char *const *sets, GPtrArray *rows)
{
    eval(vc, cost, sets, -1, rows);
}

void cn_vcase_eval_role(cn_vcase *vc, const double *cost, const char *const *sets, cn_vrole role,
                        GPtrArray *rows)
{
    eval(vc, cost, sets, (int)role, rows);
}

static void eval(cn_vcase *vc, const double *cost, const char *const *sets, int role,
                 GPtrArray *rows)
{
    if (vc->error) {
        cn_vrow *r = g_new0(cn_vrow, 1);
        r->case_name = g_strdup(vc->name);
        r->metric = g_strdup("(case)");
        r->definition = g_strdup("");
        r->role = vc->role;
        r->published = r->simulated = r->ratio = r->tolerance = NAN;
        r->error = g_strdup(vc->error);
        g_ptr_array_add(rows, r);
        return;
    }
    g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func(vrun_free);
    for (int i = 0; i < vc->n_metrics; i++) {
        const vmetric *m = &vc->m[i];
        if (role >= 0 && (int)m->role != role)
            continue;
        cn_vrow *r = g_new0(cn_vrow, 1);
        r->case_name = g_strdup(vc->name);
        r->metric = g_strdup(m->id);
        r->definition = g_strdup(m->definition);
        r->role = m->role;
        r->published = m->published;
        r->tolerance = m->tolerance;
        r->tolerance_abs = m->tol_abs;
        r->simulated = r->ratio = NAN;
        vrun *a = run_for(vc, cost, sets, runs, &m->num);
        vrun *b = m->is_ratio ? run_for(vc, cost, sets, runs, &m->den) : NULL;
        vrun *d = m->is_diff ? run_for(vc, cost, sets, runs, &m->minus) : NULL;
        if (!a->ok || (b && !b->ok) || (d && !d->ok)) {
            r->error = g_strdup(!a->ok ? a->error : b && !b->ok ? b->error : d->error);
        } else {
            double x = a->v[m->num.cls][m->num.measure];
            if (d)
                x -= d->v[m->minus.cls][m->minus.measure];
            if (b) {
                double y = b->v[m->den.cls][m->den.measure];
                x = y != 0 ? x / y : NAN;
            }
            r->simulated = x;
            r->ratio = m->published != 0 ? x / m->published : NAN;
            r->pass = tolerance_pass(m->published, x, m->tolerance, m->tol_abs);
        }
        g_ptr_array_add(rows, r);
    }
}

double cn_vrow_residual(const cn_vrow *r)
{
    if (r->error || isnan(r->simulated))
        return NAN;
    if (r->tolerance_abs)
        return (r->simulated - r->published) / r->tolerance;
    if (r->simulated <= 0)
        return NAN;
    return log(r->simulated / r->published) / log1p(r->tolerance);
}

/* ---- output ---- */

static const char *pass_word(const cn_vrow *r)
{
    return r->error ? "error" : r->pass ? "yes" : "no";
}

static const char *role_word(cn_vrole role)
{
    return role == CN_ROLE_FIT ? "fit" : "check";
}

static void fmt_num(char *buf, size_t n, double v)
{
    if (isnan(v))
        g_strlcpy(buf, "", n);
    else
        g_snprintf(buf, n, "%.4g", v);
}

static void fmt_tol(char *buf, size_t n, const cn_vrow *r)
{
    if (isnan(r->tolerance))
        g_strlcpy(buf, "", n);
    else if (r->tolerance_abs)
        g_snprintf(buf, n, "+-%.4g", r->tolerance);
    else
        g_snprintf(buf, n, "%.0f%%", r->tolerance * 100);
}

void cn_validation_print(const GPtrArray *rows, FILE *out)
{
    int wc = 4, wm = 6;
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        wc = MAX(wc, (int)strlen(r->case_name));
        wm = MAX(wm, (int)strlen(r->metric));
    }
    fprintf(out, "%-*s  %-*s  %-5s  %10s  %10s  %7s  %6s  %s\n", wc, "case", wm, "metric", "role",
            "published", "simulated", "ratio", "tol", "pass");
    int fit_bad = 0, check_bad = 0, errors = 0, n = 0;
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        char p[32], s[32], q[32], t[32];
        fmt_num(p, sizeof p, r->published);
        fmt_num(s, sizeof s, r->simulated);
        fmt_num(q, sizeof q, r->ratio);
        fmt_tol(t, sizeof t, r);
        fprintf(out, "%-*s  %-*s  %-5s  %10s  %10s  %7s  %6s  %s\n", wc, r->case_name, wm,
                r->metric, role_word(r->role), p, s, q, t, pass_word(r));
        if (r->error)
            fprintf(out, "%*s  error: %s\n", wc, "", r->error);
        n++;
        errors += r->error != NULL;
        if (!r->error && !r->pass)
            *(r->role == CN_ROLE_FIT ? &fit_bad : &check_bad) += 1;
    }
    fprintf(out,
            "\n%d figures: %d fit out of tolerance, %d check out of tolerance, %d could not be "
            "evaluated\n",
            n, fit_bad, check_bad, errors);
}

gboolean cn_validation_write_csv(const GPtrArray *rows, const char *path, GError **error)
{
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    fputs("case,metric,published,simulated,ratio,tolerance,pass,role,tolerance_kind,definition,"
          "error\n",
          out);
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        cn_csv_string(out, r->case_name);
        fputc(',', out);
        cn_csv_string(out, r->metric);
        double vals[] = {r->published, r->simulated, r->ratio, r->tolerance};
        for (size_t k = 0; k < G_N_ELEMENTS(vals); k++) {
            fputc(',', out);
            if (!isnan(vals[k]))
                cn_csv_double(out, vals[k]);
        }
        fprintf(out, ",%s,%s,%s,", pass_word(r), role_word(r->role),
                isnan(r->tolerance) ? ""
                : r->tolerance_abs  ? "absolute"
                                    : "relative");
        cn_csv_string(out, r->definition);
        fputc(',', out);
        cn_csv_string(out, r->error ? r->error : "");
        fputc('\n', out);
    }
    return cn_outfile_commit(f, error);
}

void cn_validation_print_markdown(const GPtrArray *rows, FILE *out)
{
    fputs("| case | metric | role | published | simulated | ratio | tolerance | pass |\n"
          "|---|---|---|---:|---:|---:|---:|---|\n",
          out);
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        char p[32], s[32], q[32], t[32];
        fmt_num(p, sizeof p, r->published);
        fmt_num(s, sizeof s, r->simulated);
        fmt_num(q, sizeof q, r->ratio);
        fmt_tol(t, sizeof t, r);
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r->case_name, r->metric,
                role_word(r->role), p, s, q, t,
                r->error  ? "**error**"
                : r->pass ? "yes"
                          : "**no**");
    }
}

int cn_check_model(const char *cases_dir, const char *out_dir, bool strict, bool markdown,
                   FILE *out, GError **error)
{
    g_autoptr(GPtrArray) cases = cn_vcorpus_load(cases_dir, error);
    if (!cases)
        return -1;
    if (out_dir && g_mkdir_with_parents(out_dir, 0777) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot create the output directory: %s", out_dir, g_strerror(errno));
        return -1;
    }
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(cn_vrow_free);
    for (guint i = 0; i < cases->len; i++)
        cn_vcase_eval(g_ptr_array_index(cases, i), NULL, NULL, rows);
    if (markdown)
        cn_validation_print_markdown(rows, out);
    else
        cn_validation_print(rows, out);
    if (out_dir) {
        g_autofree char *path = g_build_filename(out_dir, "validation.csv", NULL);
        if (!cn_validation_write_csv(rows, path, error))
            return -1;
        if (!markdown)
            fprintf(out, "wrote %s\n", path);
    }
    int failures = 0;
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        if (r->error)
            failures += strict || r->role == CN_ROLE_FIT;
        else if (!r->pass && r->role == CN_ROLE_FIT)
            failures++;
    }
    return failures;
}
