/* The validation corpus machinery: check-model's table, pass rule and
 * errors, and calibrate recovering known costs from synthetic cases.
 * (The corpus itself, tests/validation/cases, runs as the meson test
 * check-model.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "calibrate.h"
#include "calibration.h"
#include "validation.h"

/* A small TCP_RR / fortio-like set-up: two 4-vCPU nodes, one client node. */
static const char scenario_part[] = "[scenario]\nname = t\nseed = 3\nreplications = 1\n"
                                    "duration_s = 0.05\nwarmup_s = 0.005\n"
                                    "[cluster]\nnodes = 2\nvcpus_per_node = 4\n"
                                    "[workload]\nconcurrency = 1\nclient_nodes = 1\n"
                                    "traffic = pod-to-pod-cross-node\n"
                                    "requests_per_connection = 1000000000\n"
                                    "request_bytes = 1\nresponse_bytes = 1\nserver_time_us = 0\n"
                                    "[plugins]\ncompare = azure-cni, cilium-podsubnet\n";

static const char case_part[] = "[case]\ntitle = synthetic\naddress = none\ndate = 2026-12-01\n"
                                "revision = 1\nrole = %s\n";

/* The three figures a TCP_RR + short + keepalive set-up fixes. */
static const char metrics_part[] =
    "[metric rr_p50]\nmeasure = latency_p50_us\nvariant = azure-cni\npublished = %.9g\n"
    "tolerance = %g\nwhy = synthetic\n"
    "[metric ka_tput]\nmeasure = throughput_rps\nvariant = azure-cni\n"
    "set = workload.concurrency=64\npublished = %.9g\ntolerance = %g\nwhy = synthetic\n"
    "[metric short_over_ka]\nmeasure = throughput_rps\nvariant = azure-cni\n"
    "set = workload.concurrency=64; workload.requests_per_connection=1\n"
    "over_set = workload.concurrency=64\npublished = %.9g\ntolerance = %g\nwhy = synthetic\n"
    "role = %s\n";

static char *make_dir(void)
{
    GError *e = NULL;
    char *d = g_dir_make_tmp("cnisim-corpus-XXXXXX", &e);
    assert_non_null(d);
    return d;
}

static void write_case(const char *dir, const char *name, const char *role, const double pub[3],
                       double tol, const char *last_role, const char *extra)
{
    g_autofree char *path = g_strdup_printf("%s/%s.ini", dir, name);
    g_autofree char *text = g_strdup_printf("%s%s%s", scenario_part, case_part, metrics_part);
    g_autofree char *body =
        g_strdup_printf(text, role, pub[0], tol, pub[1], tol, pub[2], tol, last_role);
    g_autofree char *all = g_strconcat(body, extra ? extra : "", NULL);
    assert_true(g_file_set_contents(path, all, -1, NULL));
}

static void remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            remove_dir(p);
        else
            g_unlink(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

/* The simulated values of the three figures at a cost vector (NULL: the
 * shipped calibration). */
static void simulate(const double *cost, double out[3])
{
    g_autofree char *dir = make_dir();
    const double one[3] = {1, 1, 1};
    write_case(dir, "probe", "fit", one, 0.5, "fit", NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) cases = cn_vcorpus_load(dir, &e);
    assert_non_null(cases);
    assert_int_equal(cases->len, 1);
    assert_null(cn_vcase_error(g_ptr_array_index(cases, 0)));
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(cn_vrow_free);
    cn_vcase_eval(g_ptr_array_index(cases, 0), cost, NULL, rows);
    assert_int_equal(rows->len, 3);
    for (int i = 0; i < 3; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        assert_null(r->error);
        out[i] = r->simulated;
    }
    remove_dir(dir);
}

static int count_lines(const char *path)
{
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* check-model: a figure within tolerance passes, one outside fails; only a
 * fit figure (or a fit case that cannot run) counts as a failure; a check
 * case that cannot run is an error row, and a failure under --strict. */
static void test_check_model_rules(void **state)
{
    (void)state;
    double sim[3];
    simulate(NULL, sim);
    assert_true(sim[0] > 0 && sim[1] > 0 && sim[2] > 0 && sim[2] < 1);

    g_autofree char *dir = make_dir();
    /* Within 3% of the published figures, tolerance 5%: all pass. */
    double near[3] = {sim[0] * 1.03, sim[1] / 1.03, sim[2] * 1.03};
    write_case(dir, "a-pass", "fit", near, 0.05, "fit", NULL);
    /* 1.5x off with 10% tolerance: every figure fails, the last is a check. */
    double far[3] = {sim[0] * 1.5, sim[1] * 1.5, sim[2] * 1.5};
    write_case(dir, "b-fail", "fit", far, 0.10, "check", NULL);
    /* A check case whose scenario does not load (a key the model lacks). */
    write_case(dir, "c-error", "check", near, 0.05, "check", "[cluster]\nno_such_key = 1\n");
    g_autofree char *out = g_build_filename(dir, "out", NULL);

    FILE *devnull = fopen("/dev/null", "w");
    g_autoptr(GError) e = NULL;
    int failures = cn_check_model(dir, out, false, false, devnull, &e);
    assert_int_equal(failures, 2); /* b-fail's two fit figures */
    failures = cn_check_model(dir, out, true, false, devnull, &e);
    assert_int_equal(failures, 3); /* and, strictly, c-error */
    fclose(devnull);

    g_autofree char *csv = g_build_filename(out, "validation.csv", NULL);
    assert_int_equal(count_lines(csv), 1 + 3 + 3 + 1);
    g_autofree char *text = NULL;
    assert_true(g_file_get_contents(csv, &text, NULL, NULL));
    assert_non_null(strstr(text, "case,metric,published,simulated,ratio,tolerance,pass,role"));
    assert_non_null(strstr(text, "a-pass,rr_p50,"));
    assert_non_null(strstr(text, ",error,check,"));
    assert_non_null(strstr(text, "no_such_key"));

    /* The rows themselves: ratio and pass rule (1/(1+t) <= ratio <= 1+t). */
    g_autoptr(GPtrArray) cases = cn_vcorpus_load(dir, &e);
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(cn_vrow_free);
    cn_vcase_eval(g_ptr_array_index(cases, 0), NULL, NULL, rows);
    cn_vcase_eval(g_ptr_array_index(cases, 1), NULL, NULL, rows);
    for (int i = 0; i < 6; i++) {
        const cn_vrow *r = g_ptr_array_index(rows, i);
        assert_null(r->error);
        double want = i < 3 ? (i == 1 ? 1.03 : 1 / 1.03) : 1 / 1.5;
        assert_float_equal(r->ratio, want, 1e-9);
        assert_int_equal(r->pass, i < 3);
        assert_int_equal(r->role, i == 5 ? CN_ROLE_CHECK : CN_ROLE_FIT);
        assert_true((fabs(cn_vrow_residual(r)) <= 1.0) == (i < 3));
    }
    remove_dir(dir);
}

/* Bad corpus files name the file, group and key. */
static void test_bad_case_files(void **state)
{
    (void)state;
    g_autofree char *dir = make_dir();
    const double pub[3] = {1, 1, 1};
    write_case(dir, "bad-measure", "fit", pub, 0.1, "fit", "[metric x]\nmeasure = speed\n");
    write_case(dir, "bad-variant", "fit", pub, 0.1, "fit",
               "[metric y]\nmeasure = throughput_rps\nvariant = kubenet\npublished = 1\n"
               "tolerance = 0.1\nwhy = w\n");
    write_case(dir, "no-why", "fit", pub, 0.1, "fit",
               "[metric z]\nmeasure = throughput_rps\npublished = 1\ntolerance = 0.1\n");
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) cases = cn_vcorpus_load(dir, &e);
    assert_int_equal(cases->len, 3);
    const char *want[3][2] = {{"[metric x] measure", "speed"},
                              {"[metric y] variant", "kubenet"},
                              {"[metric z] why", "missing"}};
    for (int i = 0; i < 3; i++) {
        const char *err = cn_vcase_error(g_ptr_array_index(cases, i));
        assert_non_null(err);
        printf("%s\n", err);
        assert_non_null(strstr(err, ".ini: "));
        assert_non_null(strstr(err, want[i][0]));
        assert_non_null(strstr(err, want[i][1]));
    }
    remove_dir(dir);
}

/* calibrate on synthetic cases generated from known costs recovers them:
 * the published figures are the model's own with sock_msg_ns,
 * vnet_one_way_ns and tcp_conn_side_ns at 0.7, 1.3 and 0.6 times the
 * shipped values; starting from the shipped values, the fit must come back
 * within 3% of each (the figures are simulated with the same seeds, so only
 * the simulation's discreteness and the solver's stopping rule separate
 * them). */
static void test_calibrate_recovers_known_costs(void **state)
{
    (void)state;
    const char *names[3] = {"sock_msg_ns", "vnet_one_way_ns", "tcp_conn_side_ns"};
    const double factor[3] = {0.7, 1.3, 0.6};
    double truth[3];
    double cost[CAL_COUNT];
    for (int i = 0; i < CAL_COUNT; i++)
        cost[i] = NAN;
    for (int j = 0; j < 3; j++) {
        int id = cn_cal_lookup(names[j]);
        assert_true(id >= 0);
        truth[j] = cn_cal_table[id].value * factor[j];
        cost[id] = truth[j];
    }
    double pub[3];
    simulate(cost, pub);

    g_autofree char *dir = make_dir();
    g_autofree char *cases = g_build_filename(dir, "cases", NULL);
    g_mkdir(cases, 0700);
    write_case(cases, "synthetic", "fit", pub, 0.05, "fit", NULL);
    g_autofree char *free_path = g_build_filename(dir, "free.ini", NULL);
    static const char free_text[] =
        "[param sock_msg_ns]\nmin = 1000\nmax = 100000\nwhy = test\n"
        "[param vnet_one_way_ns]\nmin = 5000\nmax = 500000\nwhy = test\n"
        "[param tcp_conn_side_ns]\nmin = 5000\nmax = 1000000\nwhy = test\n";
    assert_true(g_file_set_contents(free_path, free_text, -1, NULL));
    g_autofree char *out_path = g_build_filename(dir, "costs.ini", NULL);
    cn_calibrate_options opt = {cases, free_path, out_path, 0, "test"};
    cn_calibrate_result res;
    g_autoptr(GError) e = NULL;
    gboolean ok = cn_calibrate(&opt, stdout, &res, &e);
    if (!ok)
        fail_msg("%s", e->message);
    assert_int_equal(res.n_params, 3);
    assert_true(res.cost_after < res.cost_before);
    assert_true(res.all_within);
    for (int j = 0; j < 3; j++) {
        printf("%s: fitted %.1f, truth %.1f, +- %.3g\n", res.names[j], res.value[j], truth[j],
               res.sd[j]);
        assert_float_equal(res.value[j], truth[j], 0.03 * truth[j]);
        assert_true(isfinite(res.sd[j]) && res.sd[j] > 0);
    }
    /* The [costs] output loads as a scenario's [costs] group. */
    g_autoptr(GKeyFile) kf = g_key_file_new();
    assert_true(g_key_file_load_from_file(kf, out_path, G_KEY_FILE_NONE, NULL));
    for (int j = 0; j < 3; j++) {
        double v = g_key_file_get_double(kf, "costs", names[j], NULL);
        assert_float_equal(v, res.value[j], 1e-5 * res.value[j]);
    }
    cn_calibrate_result_clear(&res);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_model_rules),
        cmocka_unit_test(test_bad_case_files),
        cmocka_unit_test(test_calibrate_recovers_known_costs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
