/* Intervals of a run (timeseries.csv): they add up to the summary, they do
 * not change it, and they show the transients the analytic model predicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "run.h"
#include "scenario.h"

static const char base[] = "[scenario]\nname = t\nseed = 7\nduration_s = 0.2\nwarmup_s = 0.02\n"
                           "[cluster]\nnodes = 3\nvcpus_per_node = 4\nmax_pods_per_node = 100\n"
                           "[plugins]\ncompare = azure-cni\n";

static cn_scenario *load(const char *text, const char *const *sets)
{
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data(text, strlen(text), "test.ini", sets, &err);
    if (!sc)
        fail_msg("scenario: %s", err->message);
    return sc;
}

static cn_run_result run(const char *const *sets)
{
    cn_scenario *sc = load(base, sets);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    cn_run_result r;
    GError *err = NULL;
    if (!cn_run(&c, &c.variants[0], 0, &r, &err))
        fail_msg("run: %s", err->message);
    cn_scenario_free(sc);
    return r;
}

/* The first interval whose count (selected by `what`) is non-zero: its
 * start, or -1. */
typedef uint64_t (*count_of)(const cn_interval *iv);
static uint64_t ct_drops(const cn_interval *iv)
{
    return iv->drops_conntrack;
}
static uint64_t snat_fails(const cn_interval *iv)
{
    return iv->snat_failures;
}
static double first_nonzero(const cn_run_result *r, count_of what)
{
    for (size_t i = 0; i < r->n_intervals; i++)
        if (what(&r->intervals[i]))
            return r->intervals[i].t_s;
    return -1;
}

/* Summing the intervals of the measured window gives the summary's counts,
 * also when warm-up is not a multiple of the interval (boundaries are
 * aligned to its end) and the table and ports fail. */
static void sums_equal_totals(const char *compare)
{
    const char *sets[] = {compare,
                          "scenario.interval_s=0.007",
                          "scenario.duration_s=4.5",
                          "scenario.warmup_s=0.5",
                          "cluster.nf_conntrack_max=1500",
                          "cluster.allocated_outbound_ports=64",
                          "workload.model=open",
                          "workload.rate_rps=2000",
                          "costs.tcp_syn_retries=1",
                          "costs.syn_rto_initial_s=0.1",
                          "workload.requests_per_connection=1",
                          "workload.traffic=pod-to-pod-cross-node:0.5, pod-to-external:0.3, "
                          "pod-to-service:0.2",
                          NULL};
    cn_run_result r = run(sets);
    assert_true(r.n_intervals > 600);
    uint64_t done[CN_CLASS_COUNT + 1] = {0}, failed[CN_CLASS_COUNT + 1] = {0};
    uint64_t drops = 0, snat = 0, stale = 0, evict_all = 0;
    double t = 0;
    for (size_t i = 0; i < r.n_intervals; i++) {
        const cn_interval *iv = &r.intervals[i];
        assert_float_equal(iv->t_s, t, 1e-9); /* contiguous from 0 */
        t += iv->width_s;
        evict_all += iv->ct_evictions;
        if (iv->t_s < 0.5 - 1e-9) {
            assert_true(iv->t_s + iv->width_s <= 0.5 + 1e-9); /* none straddles warm-up's end */
            continue;
        }
        for (int k = 0; k <= CN_CLASS_COUNT; k++) {
            done[k] += iv->done[k];
            failed[k] += iv->failed[k];
        }
        drops += iv->drops_conntrack;
        snat += iv->snat_failures;
        stale += iv->stale_failures;
    }
    assert_float_equal(t, 5.0, 1e-9);
    uint64_t all_done = 0, all_failed = 0;
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        assert_int_equal(done[k], r.cls[k].transactions);
        assert_int_equal(failed[k], r.cls[k].failed);
        all_done += r.cls[k].transactions;
        all_failed += r.cls[k].failed;
    }
    assert_int_equal(done[CN_CLASS_COUNT], all_done);
    assert_int_equal(failed[CN_CLASS_COUNT], all_failed);
    assert_true(all_failed > 0);
    assert_true(r.drops_conntrack > 0 && r.snat_failures > 0);
    assert_int_equal(drops, r.drops_conntrack);
    assert_int_equal(snat, r.snat_failures);
    assert_int_equal(stale, r.stale_failures);
    assert_int_equal(evict_all, r.ct_evictions); /* the summary counts these from t = 0 */
    cn_run_result_clear(&r);
}

/* kube-proxy's netfilter table; Cilium's BPF map with the host's netfilter
 * table beside it (legacy host routing). */
static void test_interval_sums_equal_totals(void **state)
{
    (void)state;
    sums_equal_totals("plugins.compare=azure-cni");
    sums_equal_totals("plugins.compare=cilium");
}

/* Intervals change no number of the run. */
static void test_intervals_change_nothing(void **state)
{
    (void)state;
    const char *on[] = {"scenario.interval_s=0.003", "workload.concurrency=8",
                        "workload.endpoint_churn_per_s=50",
                        "workload.traffic=pod-to-service:0.7, pod-to-external:0.3", NULL};
    const char *off[] = {"scenario.interval_s=0", "workload.concurrency=8",
                         "workload.endpoint_churn_per_s=50",
                         "workload.traffic=pod-to-service:0.7, pod-to-external:0.3", NULL};
    cn_run_result a = run(on), b = run(off);
    assert_true(a.n_intervals > 50);
    assert_null(b.intervals);
    assert_int_equal(a.events, b.events);
    for (int k = 0; k < CN_CLASS_COUNT; k++) {
        assert_int_equal(a.cls[k].transactions, b.cls[k].transactions);
        assert_int_equal(a.cls[k].failed, b.cls[k].failed);
        assert_true(sim_hist_mean(a.cls[k].latency) == sim_hist_mean(b.cls[k].latency) ||
                    a.cls[k].transactions == 0);
    }
    assert_true(a.cpu_util_mean == b.cpu_util_mean);
    assert_true(a.cpu_util_max == b.cpu_util_max);
    assert_int_equal(a.stale_failures, b.stale_failures);
    assert_int_equal(a.rule_syncs, b.rule_syncs);
    cn_run_result_clear(&a);
    cn_run_result_clear(&b);
}

/* A table of C entries filled by R new flows/s whose entries outlive the
 * run (TIME_WAIT 120 s) first drops at C/R, within one interval. */
static void test_conntrack_first_drop_at_capacity_over_rate(void **state)
{
    (void)state;
    const char *sets[] = {"scenario.interval_s=0.1",
                          "scenario.duration_s=4",
                          "scenario.warmup_s=0",
                          "cluster.nodes=1",
                          "cluster.nf_conntrack_max=2000",
                          "workload.model=open",
                          "workload.rate_rps=1000",
                          "workload.requests_per_connection=1",
                          "workload.traffic=pod-to-pod-same-node",
                          NULL};
    cn_run_result r = run(sets);
    double t = first_nonzero(&r, ct_drops);
    assert_true(fabs(t - 2000.0 / 1000.0) <= 0.1 + 1e-9);
    /* The table holds C from then on. */
    assert_int_equal(r.intervals[r.n_intervals - 1].conntrack_max, 2000);
    assert_true(r.intervals[5].conntrack_max < 1000);
    /* The summary's exhaustion figures: the same instant, exactly C flows
     * admitted before it, and every SYN refused after it. */
    assert_true(fabs(r.time_to_first_ct_drop_s - 2.0) <= 3 * sqrt(2000.0) / 1000);
    assert_true(r.time_to_first_ct_drop_s >= t && r.time_to_first_ct_drop_s < t + 0.1);
    assert_true(isnan(r.time_to_first_snat_failure_s));
    assert_true(r.admitted_before_exhaustion == 2000);
    assert_true(r.failure_rate_after_exhaustion == 1.0);
    assert_true(isnan(r.disruption_s) && isnan(r.disruption_failed)); /* no events */
    cn_run_result_clear(&r);
}

/* A node's SNAT ports to one destination, at R new connections/s each
 * holding its port H after close, run out at ports/R when R x H > ports,
 * and never when R x H < ports. */
static void test_snat_runs_out_only_when_rate_times_hold_exceeds_ports(void **state)
{
    (void)state;
    /* 1,024 ports (one node), H = 240 s. */
    const char *fast[] = {"scenario.interval_s=2",
                          "scenario.duration_s=150",
                          "scenario.warmup_s=0",
                          "cluster.nodes=1",
                          "costs.lb_fin_hold_s=240",
                          "workload.model=open",
                          "workload.rate_rps=10",
                          "workload.requests_per_connection=1",
                          "workload.traffic=pod-to-external",
                          "workload.external_destinations=1",
                          NULL};
    cn_run_result r = run(fast);
    double t = first_nonzero(&r, snat_fails);
    assert_true(fabs(t - 1024.0 / 10) <= 2 + 1e-9 + 3 * sqrt(1024.0) / 10); /* Poisson noise */
    assert_int_equal(r.intervals[r.n_intervals - 1].snat_ports_max, 1024);
    assert_true(r.time_to_first_snat_failure_s >= t && r.time_to_first_snat_failure_s < t + 2);
    assert_true(isnan(r.time_to_first_ct_drop_s));
    assert_true(r.admitted_before_exhaustion == 1024);
    /* Ports come back 240 s after their connections close: none yet. */
    assert_true(r.failure_rate_after_exhaustion == 1.0);
    cn_run_result_clear(&r);
    const char *slow[] = {"scenario.interval_s=10",
                          "scenario.duration_s=400",
                          "scenario.warmup_s=0",
                          "cluster.nodes=1",
                          "costs.lb_fin_hold_s=240",
                          "workload.model=open",
                          "workload.rate_rps=3",
                          "workload.requests_per_connection=1",
                          "workload.traffic=pod-to-external",
                          "workload.external_destinations=1",
                          NULL};
    cn_run_result s = run(slow);
    assert_true(first_nonzero(&s, snat_fails) < 0);
    assert_true(isnan(s.time_to_first_snat_failure_s) && isnan(s.admitted_before_exhaustion) &&
                isnan(s.failure_rate_after_exhaustion));
    /* In use settles near R x H = 720. */
    int64_t last = s.intervals[s.n_intervals - 1].snat_ports_max;
    assert_true(last > 600 && last < 840);
    cn_run_result_clear(&s);
}

static char *slurp(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(p, &text, NULL, NULL))
        return NULL;
    return text;
}

/* timeseries.csv is the same with 1 or 2 threads; interval_s = 0 writes no
 * timeseries.csv and the same summary.csv and runs.csv. */
static void test_csv_deterministic_and_off(void **state)
{
    (void)state;
    const char text[] =
        "[scenario]\nname = det\nseed = 11\nreplications = 2\nduration_s = 0.05\nwarmup_s = "
        "0.01\n[cluster]\nnodes = 3\nservices = 10, 3000\n[workload]\nconcurrency = 8\n"
        "traffic = pod-to-service:0.6, pod-to-external:0.4\n"
        "[plugins]\ncompare = kubenet, cilium\n";
    const char *off_sets[] = {"scenario.interval_s=0", NULL};
    cn_scenario *sc = load(text, NULL);
    cn_scenario *off = load(text, off_sets);
    g_autofree char *tmp = g_dir_make_tmp("cnisim-ts-XXXXXX", NULL);
    g_autofree char *d1 = g_build_filename(tmp, "j1", NULL);
    g_autofree char *d2 = g_build_filename(tmp, "j2", NULL);
    g_autofree char *d3 = g_build_filename(tmp, "off", NULL);
    cn_batch_options o1 = {.out_dir = d1, .threads = 1, .quiet = TRUE};
    cn_batch_options o2 = {.out_dir = d2, .threads = 2, .quiet = TRUE};
    cn_batch_options o3 = {.out_dir = d3, .threads = 2, .quiet = TRUE};
    GError *err = NULL;
    assert_int_equal(cn_batch_run(sc, &o1, &err), CN_BATCH_OK);
    assert_int_equal(cn_batch_run(sc, &o2, &err), CN_BATCH_OK);
    assert_int_equal(cn_batch_run(off, &o3, &err), CN_BATCH_OK);
    g_autofree char *a = slurp(d1, "timeseries.csv");
    g_autofree char *b = slurp(d2, "timeseries.csv");
    g_autofree char *c = slurp(d3, "timeseries.csv");
    assert_non_null(a);
    assert_string_equal(a, b);
    assert_null(c);
    /* points x variants x replications x intervals x (2 classes + all) */
    int lines = 0;
    for (char *p = a; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 2 * 2 * 2 * 120 * 3);
    assert_true(g_str_has_prefix(a, "scenario,point,variant,services,replication,t_s,class,"));
    /* The transient columns are there, empty for runs without exhaustion. */
    g_autofree char *sum = slurp(d1, "summary.csv");
    assert_non_null(strstr(sum, ",time_to_first_ct_drop_s,time_to_first_snat_failure_s,"
                                "admitted_before_exhaustion,failure_rate_after_exhaustion,"
                                "disruption_s,disruption_failed"));
    assert_non_null(strstr(sum, ",,,,,,\n"));
    const char *files[] = {"summary.csv", "runs.csv"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *x = slurp(d1, files[i]);
        g_autofree char *y = slurp(d3, files[i]);
        assert_non_null(x);
        assert_string_equal(x, y);
    }
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    cn_scenario_free(sc);
    cn_scenario_free(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_sums_equal_totals),
        cmocka_unit_test(test_intervals_change_nothing),
        cmocka_unit_test(test_conntrack_first_drop_at_capacity_over_rate),
        cmocka_unit_test(test_snat_runs_out_only_when_rate_times_hold_exceeds_ports),
        cmocka_unit_test(test_csv_deterministic_and_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
