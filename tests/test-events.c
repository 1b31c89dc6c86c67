/* Scheduled events ([event NAME]): what they may change, that the change
 * shows in the intervals that follow, where timeseries.csv marks them and
 * the disruption window they open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "migration.h"
#include "report.h"
#include "run.h"
#include "scenario.h"

static const char open_base[] = "[scenario]\nname = ev\nseed = 3\nduration_s = 4\nwarmup_s = 1\n"
                                "interval_s = 0.1\n[cluster]\nnodes = 3\n"
                                "[workload]\nmodel = open\nrate_rps = 2000\n"
                                "requests_per_connection = 1\ntraffic = pod-to-pod-cross-node\n"
                                "[plugins]\ncompare = azure-cni\n";

static cn_scenario *load(const char *text, GError **err)
{
    return cn_scenario_load_data(text, strlen(text), "ev.ini", NULL, err);
}

static cn_run_result run_text(const char *text)
{
    GError *err = NULL;
    cn_scenario *sc = load(text, &err);
    if (!sc)
        fail_msg("scenario: %s", err->message);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    cn_run_result r;
    if (!cn_run(&c, &c.variants[0], 0, &r, &err))
        fail_msg("run: %s", err->message);
    cn_scenario_free(sc);
    return r;
}

/* Mean rate of completed transactions over the intervals in [from, to). */
static double rate_between(const cn_run_result *r, double from, double to)
{
    double done = 0, w = 0;
    for (size_t i = 0; i < r->n_intervals; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9) {
            done += (double)r->intervals[i].done[CN_CLASS_COUNT];
            w += r->intervals[i].width_s;
        }
    return done / w;
}

/* An open-loop rate changed by an event shows at once in the following
 * intervals (within Poisson noise), and the interval it starts is marked. */
static void test_rate_change_shows(void **state)
{
    (void)state;
    g_autofree char *text =
        g_strconcat(open_base, "[event double]\nat_s = 2.5\nset = workload.rate_rps=4000\n", NULL);
    cn_run_result r = run_text(text);
    double before = rate_between(&r, 1.0, 2.5), after = rate_between(&r, 2.6, 5.0);
    /* 3 standard deviations of a Poisson count over the span */
    assert_true(fabs(before - 2000) <= 3 * sqrt(2000 * 1.5) / 1.5);
    assert_true(fabs(after - 4000) <= 3 * sqrt(4000 * 2.4) / 2.4);
    /* The first interval after the event is already at the new rate. */
    double first = rate_between(&r, 2.5, 2.6);
    assert_true(fabs(first - 4000) <= 3 * sqrt(400.0) / 0.1 + 200 /* in flight */);
    int marked = 0;
    for (size_t i = 0; i < r.n_intervals; i++)
        if (r.intervals[i].events) {
            marked++;
            assert_string_equal(r.intervals[i].events, "double");
            assert_float_equal(r.intervals[i].t_s, 2.5, 1e-9);
        }
    assert_int_equal(marked, 1);
    /* The new level is not the old one: the window runs to the end. */
    assert_float_equal(r.disruption_s, 2.5, 1e-9);
    cn_run_result_clear(&r);
    /* Rate 0 stops arrivals; a later event starts them again. */
    g_autofree char *stop = g_strconcat(open_base,
                                        "[event stop]\nat_s = 2\nset = workload.rate_rps=0\n"
                                        "[event again]\nat_s = 3\nset = workload.rate_rps=1000\n",
                                        NULL);
    cn_run_result s = run_text(stop);
    assert_true(rate_between(&s, 2.1, 3.0) == 0);
    assert_true(fabs(rate_between(&s, 3.1, 5.0) - 1000) <= 3 * sqrt(1900.0) / 1.9);
    cn_run_result_clear(&s);
}

/* Closed loop: more clients, more throughput at low load; fewer again, and
 * it comes back (surplus clients retire when their transaction ends). */
static void test_concurrency_change(void **state)
{
    (void)state;
    const char text[] = "[scenario]\nname = ev\nseed = 3\nduration_s = 0.3\nwarmup_s = 0\n"
                        "interval_s = 0.01\n[cluster]\nnodes = 3\n"
                        "[workload]\nconcurrency = 2\ntraffic = pod-to-pod-cross-node\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[event more]\nat_s = 0.1\nset = workload.concurrency=8\n"
                        "[event fewer]\nat_s = 0.2\nset = workload.concurrency=2\n";
    cn_run_result r = run_text(text);
    double a = rate_between(&r, 0.01, 0.1), b = rate_between(&r, 0.11, 0.2),
           c = rate_between(&r, 0.21, 0.3);
    assert_true(b > 3.5 * a && b < 4.5 * a);
    assert_true(fabs(c - a) < 0.1 * a);
    cn_run_result_clear(&r);
}

static void assert_refused(const char *events, const char *says)
{
    g_autofree char *text = g_strconcat(open_base, events, NULL);
    GError *err = NULL;
    cn_scenario *sc = load(text, &err);
    assert_null(sc);
    assert_non_null(err);
    if (!strstr(err->message, says))
        fail_msg("message '%s' does not say '%s'", err->message, says);
    g_error_free(err);
}

/* Keys that cannot change mid-run are refused, saying so; so are actions
 * not simulated, values of the wrong kind and keys of the other model. */
static void test_refusals(void **state)
{
    (void)state;
    assert_refused("[event grow]\nat_s = 1\nset = cluster.nodes=5\n",
                   "cluster.nodes cannot change mid-run");
    assert_refused("[event r]\nat_s = 1\ndrain = 3\n", "at least one node must stay");
    assert_refused("[event r]\nat_s = 1\nfail = some\n", "expected the number of nodes");
    assert_refused("[event r]\nat_s = 1\nfail = 1\ndrain = 1\n", "one action per event");
    assert_refused("[event r]\nat_s = 1\nupgrade = 1\n", "expected 'all'");
    assert_refused("[event r]\nat_s = 1\nupgrade = all\nmax_surge = 0\n", "at least 1");
    assert_refused("[event r]\nat_s = 1\ndrain = 1\nreimage_s = 5\n", "goes with upgrade");
    assert_refused("[event r]\nat_s = 1\nrollout = 3\n", "a rollout replaces Service endpoints");
    assert_refused("[event r]\nat_s = 1\nset = workload.rate_rps=5\nmax_surge = 1\n",
                   "go with rollout");
    assert_refused("[event r]\nat_s = 1\nset = workload.rate_rps=fast\n", "rate_rps");
    assert_refused("[event r]\nat_s = 1\nset = workload.concurrency=5\n",
                   "applies to model = closed only");
    assert_refused("[event r]\nset = workload.rate_rps=5\n", "needs at_s");
    assert_refused("[event r]\nat_s = 1\nset = workload.traffic=pod-to-external\n",
                   "cannot start mid-run");
    assert_refused("[event r]\nat_s = 1\nset = workload.rate_rps=5, 6\n", "not a sweep");
}

/* Endpoint churn started and stopped by events: stale endpoints fail new
 * connections until the rules are synced; the disruption window opens at
 * the first event and closes once throughput and p99 are back. */
static void test_disruption_window(void **state)
{
    (void)state;
    const char text[] = "[scenario]\nname = ev\nseed = 5\nduration_s = 8\nwarmup_s = 1\n"
                        "interval_s = 0.1\n[cluster]\nnodes = 3\nservices = 20\n"
                        "endpoints_per_service = 4\n"
                        "[workload]\nmodel = open\nrate_rps = 1000\nrequests_per_connection = 1\n"
                        "traffic = pod-to-service\ntarget_services = 4\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[costs]\ntcp_syn_retries = 1\nsyn_rto_initial_s = 0.2\n"
                        "[event churn]\nat_s = 3\nset = workload.endpoint_churn_per_s=20\n"
                        "[event calm]\nat_s = 4\nset = workload.endpoint_churn_per_s=0\n";
    cn_run_result r = run_text(text);
    assert_true(r.stale_failures > 0);
    assert_true(!isnan(r.disruption_s));
    assert_true(r.disruption_s > 0.1 && r.disruption_s < 6);
    assert_true(r.disruption_failed > 0);
    /* Every failure of the run is inside the window. */
    uint64_t failed = 0;
    for (size_t i = 0; i < r.n_intervals; i++)
        failed += r.intervals[i].failed[CN_CLASS_COUNT];
    assert_true(r.disruption_failed == (double)failed);
    cn_run_result_clear(&r);
}

/* A rolling update: old endpoints stay programmed until a sync, so SYNs
 * sent to them go unanswered; iptables (1 s min-sync period, a table
 * rewrite) leaves them longer than nftables, and the window is longer. */
static void test_rollout(void **state)
{
    (void)state;
    const char base[] = "[scenario]\nname = ru\nseed = 2\nduration_s = 12\nwarmup_s = 0\n"
                        "interval_s = 0.2\n[cluster]\nnodes = 10\nservices = 2000\n"
                        "endpoints_per_service = 8\n"
                        "[workload]\nmodel = open\nrate_rps = 5000\nrequests_per_connection = 1\n"
                        "traffic = pod-to-service\ntarget_services = 4\n"
                        "[event roll]\nat_s = 3\nrollout = 4\npod_start_s = 1\n"
                        "[plugins]\ncompare = ";
    g_autofree char *ipt = g_strconcat(base, "azure-cni\n", NULL);
    g_autofree char *nft = g_strconcat(base, "azure-cni/nftables\n", NULL);
    cn_run_result a = run_text(ipt), b = run_text(nft);
    assert_true(a.stale_failures > 0 && b.stale_failures > 0);
    assert_true(a.stale_failures > 10 * b.stale_failures);
    /* 4 waves of 2 pods (25% of 8), 1 s apart, from 4 s: over by about 7 s. */
    assert_true(a.disruption_s >= 1 && a.disruption_s < 9);
    assert_true(a.disruption_s > b.disruption_s);
    double before = rate_between(&a, 1, 3);
    assert_true(rate_between(&a, 4, 8) < 0.97 * before);
    cn_run_result_clear(&a);
    cn_run_result_clear(&b);
}

/* A surge node across the SNAT tier boundary (Azure's default table: 1,024
 * ports per node up to 50 nodes, 512 from 51): while the 51st node exists
 * every node's pools shrink to 512, so nodes using more than that refuse
 * new connections; back at 50 nodes they take them again. */
static uint64_t snat_between(const cn_run_result *r, double from, double to)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n_intervals; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9)
            n += r->intervals[i].snat_failures;
    return n;
}

static void test_scale_nodes_snat_tier(void **state)
{
    (void)state;
    const char text[] = "[scenario]\nname = up\nseed = 4\nduration_s = 300\nwarmup_s = 0\n"
                        "interval_s = 10\n[cluster]\nnodes = 50\nmax_pods_per_node = 30\n"
                        "[workload]\nmodel = open\nrate_rps = 150\nrequests_per_connection = 1\n"
                        "traffic = pod-to-external\nexternal_destinations = 1\n"
                        "[costs]\nlb_fin_hold_s = 240\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[event surge]\nat_s = 200\nscale_nodes = 51\n"
                        "[event done]\nat_s = 250\nscale_nodes = 50\n";
    cn_run_result r = run_text(text);
    /* 3 new connections/s per node, each port held 240 s: about 600 in
     * use per node at 200 s, under 1,024, over 512. */
    assert_int_equal(snat_between(&r, 0, 200), 0);
    assert_true(snat_between(&r, 200, 250) > 1000);
    assert_int_equal(snat_between(&r, 260, 300), 0);
    /* nodes_ready is the state at an interval's end (t_s + 10 s). */
    assert_int_equal(r.intervals[18].nodes_ready, 50);
    assert_int_equal(r.intervals[20].nodes_ready, 51);
    assert_int_equal(r.intervals[23].nodes_ready, 51);
    assert_int_equal(r.intervals[25].nodes_ready, 50);
    assert_true(r.intervals[18].snat_ports_max > 512 && r.intervals[18].snat_ports_max < 1024);
    cn_run_result_clear(&r);
}

/* Transactions failed in the intervals starting in [from, to). */
static uint64_t failed_between(const cn_run_result *r, double from, double to)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n_intervals; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9)
            n += r->intervals[i].failed[CN_CLASS_COUNT];
    return n;
}

static uint64_t stale_between(const cn_run_result *r, double from, double to)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n_intervals; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9)
            n += r->intervals[i].stale_failures;
    return n;
}

/* Nodes that leave with pod-to-service traffic: their pods' endpoints stay
 * programmed until the control plane removes them, at once for a drain
 * (one sync) and only after the node controller's grace period for a
 * failure (50 s, longer than the run): a drain's stale failures end, a
 * failure's go on.  nodes_ready falls by N at the event. */
static void test_drain_and_fail_endpoints(void **state)
{
    (void)state;
    const char base[] = "[scenario]\nname = dr\nseed = 2\nduration_s = 8\nwarmup_s = 0\n"
                        "interval_s = 0.5\n[cluster]\nnodes = 5\nservices = 200\n"
                        "endpoints_per_service = 10\n"
                        "[workload]\nmodel = open\nrate_rps = 2000\nrequests_per_connection = 1\n"
                        "traffic = pod-to-service\ntarget_services = 4\n"
                        "[costs]\ntcp_syn_retries = 1\nsyn_rto_initial_s = 0.2\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[event gone]\nat_s = 3\n";
    g_autofree char *dt = g_strconcat(base, "drain = 2\n", NULL);
    g_autofree char *ft = g_strconcat(base, "fail = 2\n", NULL);
    cn_run_result d = run_text(dt), f = run_text(ft);
    for (int k = 0; k < 2; k++) {
        const cn_run_result *r = k ? &f : &d;
        /* nodes_ready is the state at an interval's end (t_s + 0.5 s). */
        assert_int_equal(r->intervals[4].nodes_ready, 5);
        assert_int_equal(r->intervals[5].nodes_ready, 3);
        assert_int_equal(r->intervals[15].nodes_ready, 3);
        assert_int_equal(stale_between(r, 0, 3), 0);
        assert_int_equal(failed_between(r, 0, 3), 0);
    }
    /* Drain: the first sync removes the endpoints (1 s min-sync period,
     * then 0.2 s + 0.4 s of SYN retries): nothing stale from 5 s on. */
    assert_true(stale_between(&d, 3, 5) > 0);
    assert_int_equal(stale_between(&d, 5, 8), 0);
    assert_int_equal(failed_between(&d, 5, 8), 0);
    /* Fail: 2 of 5 nodes' endpoints stay stale to the end of the run. */
    assert_true(stale_between(&f, 6, 8) > 0);
    assert_true(failed_between(&f, 6, 8) > 0);
    assert_true(f.stale_failures > 5 * d.stale_failures);
    assert_true(rate_between(&f, 5, 8) < 0.75 * rate_between(&f, 0, 3));
    assert_true(rate_between(&d, 5, 8) > 0.95 * rate_between(&d, 0, 3));
    cn_run_result_clear(&d);
    cn_run_result_clear(&f);
}

/* Pod-to-pod traffic on connections that carry many requests: the
 * transactions in flight through the gone node fail at the event, the
 * clients reconnect to live nodes, and nothing fails afterwards (traffic
 * still scheduled on the gone node would fail).  The CPU-bound cluster
 * keeps 3 of its 4 nodes' throughput. */
static void test_fail_in_flight(void **state)
{
    (void)state;
    const char text[] = "[scenario]\nname = x\nseed = 2\nduration_s = 4\nwarmup_s = 0\n"
                        "interval_s = 0.5\n[cluster]\nnodes = 4\n"
                        "[workload]\nmodel = closed\nconcurrency = 64\n"
                        "requests_per_connection = 100\ntraffic = pod-to-pod-cross-node\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[event gone]\nat_s = 2\nfail = 1\n";
    cn_run_result r = run_text(text);
    assert_int_equal(failed_between(&r, 0, 2), 0);
    assert_true(failed_between(&r, 2, 2.5) > 0);
    assert_int_equal(failed_between(&r, 2.5, 4), 0);
    double before = rate_between(&r, 0, 2), after = rate_between(&r, 2.5, 4);
    assert_true(after > 0.65 * before && after < 0.85 * before);
    assert_int_equal(r.intervals[7].nodes_ready, 3);
    cn_run_result_clear(&r);
}

/* az aks upgrade across the 50-node SNAT tier (1,024 ports per node up
 * to 50 backend nodes, 512 from 51): the surge node makes every node's
 * pools 512 for the whole upgrade (50 nodes reimaged one at a time, 2 s
 * each, from 200 s to 300 s), so nodes using more than that refuse new
 * connections and their ports in use fall to at most 512; after the surge
 * node leaves, none is refused and ports in use grow past 512 again. */
static int64_t ports_max_between(const cn_run_result *r, double from, double to)
{
    int64_t m = 0;
    for (size_t i = 0; i < r->n_intervals; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9)
            m = r->intervals[i].snat_ports_max > m ? r->intervals[i].snat_ports_max : m;
    return m;
}

static void test_upgrade_snat_tier(void **state)
{
    (void)state;
    const char base[] = "[scenario]\nname = up\nseed = 4\nduration_s = 420\nwarmup_s = 0\n"
                        "interval_s = 10\n[cluster]\nnodes = 50\nmax_pods_per_node = 30\n"
                        "[workload]\nmodel = open\nrate_rps = 150\nrequests_per_connection = 1\n"
                        "traffic = pod-to-external\nexternal_destinations = 1\n"
                        "[costs]\nlb_fin_hold_s = 240\n"
                        "[plugins]\ncompare = azure-cni\n"
                        "[event up]\nat_s = 200\nupgrade = all\nreimage_s = 2\n";
    cn_run_result r = run_text(base);
    assert_int_equal(snat_between(&r, 0, 200), 0);
    assert_true(ports_max_between(&r, 180, 200) > 600);
    assert_true(snat_between(&r, 200, 300) > 10000);
    assert_true(ports_max_between(&r, 280, 300) <= 512);
    assert_int_equal(snat_between(&r, 310, 420), 0);
    assert_true(ports_max_between(&r, 400, 420) > 600);
    /* 51 nodes less the one being reimaged. */
    for (size_t i = 0; i < r.n_intervals; i++)
        assert_int_equal(r.intervals[i].nodes_ready, 50);
    cn_run_result_clear(&r);
    /* With two surge nodes, two are reimaged at a time: over by 250 s. */
    g_autofree char *two = g_strconcat(base, "max_surge = 2\n", NULL);
    r = run_text(two);
    assert_true(snat_between(&r, 200, 250) > 0);
    assert_int_equal(snat_between(&r, 270, 420), 0);
    cn_run_result_clear(&r);
}

/* A migration is refused unless the plan's path (migrations.csv, from
 * cn_migration_find) is in place and one operation that reimages nodes;
 * a refused one says what migrations.csv says. */
static void test_migrate_refusals(void **state)
{
    (void)state;
    assert_refused("[event r]\nat_s = 1\nmigrate = cilium\n", "from azure-cni takes 2 operations");
    assert_refused("[event r]\nat_s = 1\nmigrate = azure-cni\n", "already runs it");
    assert_refused("[event r]\nat_s = 1\nmigrate = azure-cni/ipvs\n", "without reimaging nodes");
    assert_refused("[event r]\nat_s = 1\nmigrate = flannel\n",
                   "expected the variant the nodes move to");
    assert_refused("[event r]\nat_s = 1\nmigrate = azure-cni-overlay\nmax_surge = 0\n",
                   "a migration takes max_surge");
    /* The second step is checked from where the first left the cluster. */
    assert_refused("[event a]\nat_s = 1\nmigrate = azure-cni-overlay\n"
                   "[event b]\nat_s = 2\nmigrate = azure-cni\n",
                   "not in place from azure-cni-overlay");
    /* From the Cilium dataplane nothing is in place: the plan's reason. */
    cn_variant from, to;
    char *why = NULL;
    assert_true(cn_variant_parse("cilium", &from, &why));
    assert_true(cn_variant_parse("azure-cni-overlay", &to, &why));
    cn_migration m;
    cn_migration_find(&from, &to, &m);
    assert_false(m.in_place);
    g_autofree char *text =
        g_strconcat(open_base, "[event r]\nat_s = 1\nmigrate = azure-cni-overlay\n", NULL);
    char *at = strstr(text, "compare = azure-cni\n");
    g_autofree char *cil = g_strdup_printf("%.*scompare = cilium\n%s", (int)(at - text), text,
                                           at + strlen("compare = azure-cni\n"));
    GError *err = NULL;
    assert_null(load(cil, &err));
    if (!strstr(err->message, m.prerequisites) || !strstr(err->message, m.steps))
        fail_msg("'%s' does not give the plan's reason '%s' (%s)", err->message, m.prerequisites,
                 m.steps);
    g_error_free(err);
    cn_migration_clear(&m);
}

/* Services added mid-run are a change for the control plane: one more rule
 * sync, writing their chains (iptables: longer than a sync of nothing). */
static void test_services_change_syncs(void **state)
{
    (void)state;
    const char svc[] = "[scenario]\nname = ev\nseed = 3\nduration_s = 4\nwarmup_s = 1\n"
                       "interval_s = 0.1\n[cluster]\nnodes = 3\nservices = 100\n"
                       "sync_period_s = 0\n[workload]\nmodel = open\nrate_rps = 500\n"
                       "traffic = pod-to-service\ntarget_services = 1\n"
                       "[plugins]\ncompare = azure-cni\n";
    cn_run_result a = run_text(svc);
    g_autofree char *more =
        g_strconcat(svc, "[event grow]\nat_s = 2\nset = cluster.services=5000\n", NULL);
    cn_run_result b = run_text(more);
    assert_int_equal(a.rule_syncs, 0);
    assert_int_equal(b.rule_syncs, 1);
    /* KUBE-SERVICES of 5,000 Services plus 4,900 new chains: seconds at
     * 0.25 ms per rule, not the fixed cost alone. */
    assert_true(b.sync_ms_mean > 1000);
    cn_run_result_clear(&a);
    cn_run_result_clear(&b);
}

/* The median over the intervals in [from, to) of the class's p50. */
static double p50_between(const cn_run_result *r, cn_class k, double from, double to)
{
    double v[256];
    int n = 0;
    for (size_t i = 0; i < r->n_intervals && n < 256; i++)
        if (r->intervals[i].t_s >= from - 1e-9 && r->intervals[i].t_s < to - 1e-9 &&
            !isnan(r->intervals[i].p50_us[k]))
            v[n++] = r->intervals[i].p50_us[k];
    assert_true(n > 0);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char mig_base[] =
    "[scenario]\nname = mig\nseed = 5\nduration_s = 13\nwarmup_s = 0\ninterval_s = 0.5\n"
    "[cluster]\nnodes = 4\n[workload]\nmodel = open\nrate_rps = 400\n"
    "requests_per_connection = 1000000\ntraffic = pod-to-pod-cross-node\n"
    "[plugins]\ncompare = %s\n";

static char *mig_text(const char *variant, const char *events)
{
    g_autofree char *head = g_strdup_printf(mig_base, variant);
    return g_strconcat(head, events, NULL);
}

static bool marked(const cn_run_result *r, double t_s, const char *events)
{
    for (size_t i = 0; i < r->n_intervals; i++)
        if (fabs(r->intervals[i].t_s - t_s) < 1e-9)
            return r->intervals[i].events && strcmp(r->intervals[i].events, events) == 0;
    return false;
}

/* kubenet -> overlay -> the Cilium dataplane, node by node: before, between
 * and after the steps the cross-node latency is that of a cluster running
 * kubenet, overlay and Cilium throughout; while nodes are mixed it lies
 * between the two; each step is marked when it starts and ends. */
static void test_migrate_steps(void **state)
{
    (void)state;
    const char *steps = "[event overlay]\nat_s = 2\nmigrate = azure-cni-overlay\nreimage_s = 1\n"
                        "[event cilium]\nat_s = 7\nmigrate = cilium\nreimage_s = 1\n";
    g_autofree char *mt = mig_text("kubenet", steps);
    cn_run_result m = run_text(mt);
    double pure[3];
    const char *vs[] = {"kubenet", "azure-cni-overlay", "cilium"};
    for (int i = 0; i < 3; i++) {
        g_autofree char *t = mig_text(vs[i], "");
        cn_run_result p = run_text(t);
        pure[i] = p50_between(&p, CN_CLASS_CROSS_NODE, 0.5, 13);
        cn_run_result_clear(&p);
    }
    assert_true(pure[1] > pure[0] * 1.1); /* the steps are told apart */
    double before = p50_between(&m, CN_CLASS_CROSS_NODE, 0.5, 2);
    double between = p50_between(&m, CN_CLASS_CROSS_NODE, 6.5, 7);
    double after = p50_between(&m, CN_CLASS_CROSS_NODE, 11.5, 13);
    double mixed = p50_between(&m, CN_CLASS_CROSS_NODE, 3.5, 4);
    if (fabs(before / pure[0] - 1) > 0.03 || fabs(between / pure[1] - 1) > 0.03 ||
        fabs(after / pure[2] - 1) > 0.03)
        fail_msg("p50 before/between/after %.1f %.1f %.1f us, pure %.1f %.1f %.1f us", before,
                 between, after, pure[0], pure[1], pure[2]);
    assert_true(mixed > pure[0] * 1.02 && mixed < pure[1] * 0.98);
    /* 4 nodes, one surge node, 1 s each: each step takes 4 s. */
    assert_true(marked(&m, 2, "overlay"));
    assert_true(marked(&m, 6, "overlay done"));
    assert_true(marked(&m, 7, "cilium"));
    assert_true(marked(&m, 11, "cilium done"));
    for (size_t i = 0; i < m.n_intervals; i++)
        assert_int_equal(m.intervals[i].nodes_ready, 4);
    cn_run_result_clear(&m);
    /* AKS runs one operation at a time: the second waits for the first. */
    const char *early = "[event overlay]\nat_s = 2\nmigrate = azure-cni-overlay\nreimage_s = 1\n"
                        "[event cilium]\nat_s = 3\nmigrate = cilium\nreimage_s = 1\n";
    g_autofree char *et = mig_text("kubenet", early);
    m = run_text(et);
    assert_true(marked(&m, 6, "overlay done;cilium"));
    assert_true(marked(&m, 10, "cilium done"));
    assert_true(fabs(p50_between(&m, CN_CLASS_CROSS_NODE, 10.5, 13) / pure[2] - 1) < 0.03);
    cn_run_result_clear(&m);
    /* A node comes back with its new variant's tables: a full netfilter
     * table drops new flows until the node runs Cilium (eBPF host routing:
     * BPF maps only, far larger). */
    const char tables[] =
        "[scenario]\nname = mig\nseed = 5\nduration_s = 8\nwarmup_s = 0\ninterval_s = 0.5\n"
        "[cluster]\nnodes = 4\nnf_conntrack_max = 100\nhost_routing = ebpf\n"
        "[workload]\nmodel = open\nrate_rps = 400\nrequests_per_connection = 1\n"
        "traffic = pod-to-pod-cross-node\n[plugins]\ncompare = azure-cni-overlay\n"
        "[event cilium]\nat_s = 2\nmigrate = cilium\nreimage_s = 1\n";
    m = run_text(tables);
    uint64_t drops_before = 0, drops_after = 0;
    for (size_t i = 0; i < m.n_intervals; i++) {
        if (m.intervals[i].t_s < 2)
            drops_before += m.intervals[i].drops_conntrack;
        if (m.intervals[i].t_s >= 6)
            drops_after += m.intervals[i].drops_conntrack + m.intervals[i].ct_evictions;
    }
    assert_true(marked(&m, 6, "cilium done"));
    assert_true(drops_before > 100);
    assert_int_equal(drops_after, 0);
    /* What the old tables counted stays in the run's total. */
    assert_true(m.drops_conntrack >= drops_before);
    cn_run_result_clear(&m);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

/* The report draws the run over time, with the events marked, when there
 * are events; without events or transients it has no such section. */
static void test_report_over_time(void **state)
{
    (void)state;
    g_autofree char *with =
        g_strconcat(open_base, "[event double]\nat_s = 2.5\nset = workload.rate_rps=4000\n", NULL);
    g_autofree char *tmp = g_dir_make_tmp("cnisim-ev-XXXXXX", NULL);
    const char *texts[] = {with, open_base};
    for (int i = 0; i < 2; i++) {
        GError *err = NULL;
        cn_scenario *sc = load(texts[i], &err);
        assert_non_null(sc);
        g_autofree char *d = g_strdup_printf("%s/%d", tmp, i);
        cn_batch_options o = {.out_dir = d, .threads = 1, .quiet = TRUE};
        assert_int_equal(cn_batch_run(sc, &o, &err), CN_BATCH_OK);
        if (!cn_report(d, NULL, &err))
            fail_msg("report: %s", err->message);
        g_autofree char *mdp = g_build_filename(d, "report.md", NULL);
        g_autofree char *gpp = g_build_filename(d, "plots", "time-p1.gp", NULL);
        g_autofree char *md = slurp(mdp);
        g_autofree char *gp = slurp(gpp);
        assert_non_null(md);
        if (i == 0) {
            assert_non_null(strstr(md, "## Over time"));
            assert_non_null(strstr(md, "`double` at 2.5 s"));
            assert_non_null(gp);
            assert_non_null(strstr(gp, "set arrow 1 from first 2.5"));
            assert_non_null(strstr(gp, "title 'azure-cni'"));
            assert_non_null(strstr(gp, "using 1:6 with lines")); /* p50 with p99 */
        } else {
            assert_null(strstr(md, "## Over time"));
            assert_null(gp);
        }
        cn_scenario_free(sc);
    }
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_change_shows),
        cmocka_unit_test(test_concurrency_change),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_disruption_window),
        cmocka_unit_test(test_rollout),
        cmocka_unit_test(test_scale_nodes_snat_tier),
        cmocka_unit_test(test_report_over_time),
        cmocka_unit_test(test_drain_and_fail_endpoints),
        cmocka_unit_test(test_fail_in_flight),
        cmocka_unit_test(test_upgrade_snat_tier),
        cmocka_unit_test(test_migrate_refusals),
        cmocka_unit_test(test_migrate_steps),
        cmocka_unit_test(test_services_change_syncs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
