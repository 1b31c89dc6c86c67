/* summary.csv: pooled quantiles, undefined values as empty fields, the
 * histogram text the part files keep, and the number formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "csvout.h"
#include "run.h"
#include "scenario.h"
#include "stats.h"

static cn_scenario *load(const char *text)
{
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data(text, strlen(text), "test.ini", NULL, &err);
    if (!sc)
        fail_msg("scenario: %s", err->message);
    return sc;
}

/* A histogram written as text and parsed back is the same histogram: same
 * count, mean, extremes and quantiles; parsing into a non-empty one merges. */
static void test_hist_text_round_trip(void **state)
{
    (void)state;
    sim_hist *a = sim_hist_new(), *b = sim_hist_new(), *direct = sim_hist_new();
    GRand *rnd = g_rand_new_with_seed(3);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = (uint64_t)g_rand_int_range(rnd, 1, 2000000);
        sim_hist_add(i % 2 ? a : b, v);
        sim_hist_add(direct, v);
    }
    g_autofree char *ta = sim_hist_to_text(a);
    g_autofree char *tb = sim_hist_to_text(b);
    assert_null(strchr(ta, ','));
    sim_hist *back = sim_hist_new();
    assert_true(sim_hist_parse(back, ta));
    assert_int_equal(sim_hist_count(back), sim_hist_count(a));
    assert_true(sim_hist_mean(back) == sim_hist_mean(a));
    assert_true(sim_hist_parse(back, tb));
    const double qs[] = {0, 0.5, 0.9, 0.99, 0.999, 1};
    for (size_t i = 0; i < G_N_ELEMENTS(qs); i++)
        assert_true(sim_hist_quantile(back, qs[i]) == sim_hist_quantile(direct, qs[i]));
    assert_true(sim_hist_mean(back) == sim_hist_mean(direct));
    assert_false(sim_hist_parse(back, "3 0 10 1 5 4:2"));    /* counts do not add up */
    assert_false(sim_hist_parse(back, "1 0 5 5 5 4:1 x"));   /* trailing junk */
    assert_false(sim_hist_parse(back, "1 0 5 5 5 99999:1")); /* no such bucket */
    assert_false(sim_hist_parse(back, "1 0 5 5 5 9:1"));     /* a count outside [min, max] */
    g_rand_free(rnd);
    sim_hist_free(a);
    sim_hist_free(b);
    sim_hist_free(direct);
    sim_hist_free(back);
}

/* Field f (0-based) of the summary row whose variant and class match. */
static char *summary_field(const char *csv, const char *variant, const char *cls, const char *col)
{
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    g_auto(GStrv) head = g_strsplit(lines[0], ",", -1);
    int at = -1, vat = -1, cat = -1;
    for (int i = 0; head[i]; i++) {
        if (strcmp(head[i], col) == 0)
            at = i;
        if (strcmp(head[i], "variant") == 0)
            vat = i;
        if (strcmp(head[i], "class") == 0)
            cat = i;
    }
    if (at < 0)
        fail_msg("no column %s", col);
    for (int l = 1; lines[l] && *lines[l]; l++) {
        g_auto(GStrv) f = g_strsplit(lines[l], ",", -1);
        if (strcmp(f[vat], variant) == 0 && strcmp(f[cat], cls) == 0)
            return g_strdup(f[at]);
    }
    fail_msg("no row %s %s", variant, cls);
    return NULL;
}

static char *run_batch(const cn_scenario *sc, char **tmp_out)
{
    char *tmp = g_dir_make_tmp("cnisim-summary-XXXXXX", NULL);
    g_autofree char *dir = g_build_filename(tmp, "out", NULL);
    cn_batch_options o = {.out_dir = dir, .threads = 1, .quiet = TRUE};
    GError *err = NULL;
    if (cn_batch_run(sc, &o, &err) != CN_BATCH_OK)
        fail_msg("batch: %s", err->message);
    g_autofree char *path = g_build_filename(dir, "summary.csv", NULL);
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    *tmp_out = tmp;
    return text;
}

/* Remove the temporary directory and free its name. */
static void rm_rf(char *tmp)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    g_free(tmp);
}

/* Two requests per connection: half the transactions pay the connection
 * set-up and half do not, so the latency has two peaks and each
 * replication's p50 lands near one or the other (this is quickstart's
 * kubenet external-to-service, whose replications' p50 were 1,167, 2,105
 * and 1,176 us).  The summary's quantiles are those of all the
 * replications' transactions together (their merged histograms), not the
 * mean of the replications' quantiles, a value no transaction had. */
static void test_pooled_quantiles(void **state)
{
    (void)state;
    const char text[] =
        "[scenario]\nname = pool\nseed = 1\nreplications = 3\nduration_s = 0.5\n"
        "warmup_s = 0.05\n[cluster]\nnodes = 6\nservices = 2000\nnetwork_policies = 20\n"
        "[workload]\nconcurrency = 48\ntraffic = pod-to-service:0.5, pod-to-pod-cross-node:0.2, "
        "pod-to-pod-same-node:0.1, pod-to-external:0.1, external-to-service:0.1\n"
        "requests_per_connection = 2\ntarget_services = 10\nexternal_destinations = 4\n"
        /* constant stage times keep the new/reused peaks apart */
        "[costs]\ncpu_cv = 0\nnet_cv = 0\n"
        "[plugins]\ncompare = kubenet\n";
    cn_scenario *sc = load(text);
    char *tmp;
    g_autofree char *csv = run_batch(sc, &tmp);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    sim_hist *pooled = sim_hist_new();
    double mean_of_p50 = 0;
    for (uint32_t r = 0; r < 3; r++) {
        cn_run_result rr;
        GError *err = NULL;
        assert_true(cn_run(&c, &c.variants[0], r, &rr, &err));
        sim_hist *h = rr.cls[CN_CLASS_INGRESS].latency;
        mean_of_p50 += sim_hist_quantile(h, 0.5) / 1e3 / 3;
        sim_hist_merge(pooled, h);
        cn_run_result_clear(&rr);
    }
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    const char *cols[] = {"latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_p999_us"};
    for (size_t i = 0; i < G_N_ELEMENTS(qs); i++) {
        g_autofree char *got = summary_field(csv, "kubenet", "external-to-service", cols[i]);
        double want = sim_hist_quantile(pooled, qs[i]) / 1e3;
        /* %.6g in the file; the histogram's own error is 0.39%. */
        if (fabs(g_ascii_strtod(got, NULL) - want) > 1e-5 * want)
            fail_msg("%s: summary %s, pooled %g", cols[i], got, want);
    }
    /* The interval of a pooled quantile is the replications' spread. */
    g_autofree char *ci =
        summary_field(csv, "kubenet", "external-to-service", "latency_p50_ci95_us");
    assert_true(*ci && g_ascii_strtod(ci, NULL) > 0);
    /* Split by connection, each peak has its own quantiles: new connections
     * pay the set-up (here the KUBE-SERVICES walk and SNAT), reused ones do
     * not; with two requests per connection half are new. */
    g_autofree char *np50 =
        summary_field(csv, "kubenet", "external-to-service", "latency_new_p50_us");
    g_autofree char *rp50 =
        summary_field(csv, "kubenet", "external-to-service", "latency_reused_p50_us");
    g_autofree char *nnew =
        summary_field(csv, "kubenet", "external-to-service", "transactions_new");
    g_autofree char *nall = summary_field(csv, "kubenet", "external-to-service", "transactions");
    printf("p50 new %s us, reused %s us; %s of %s new\n", np50, rp50, nnew, nall);
    assert_true(g_ascii_strtod(np50, NULL) > 1.2 * g_ascii_strtod(rp50, NULL));
    double frac = g_ascii_strtod(nnew, NULL) / g_ascii_strtod(nall, NULL);
    assert_true(frac > 0.45 && frac < 0.55);
    /* The case is two-peaked enough that averaging would have moved p50. */
    double p50 = sim_hist_quantile(pooled, 0.5) / 1e3;
    printf("pooled p50 %g us, mean of the replications' p50 %g us\n", p50, mean_of_p50);
    assert_true(fabs(mean_of_p50 - p50) > 0.01 * p50);
    sim_hist_free(pooled);
    rm_rf(tmp);
    cn_scenario_free(sc);
}

/* One replication: no interval, so every *_ci95 field is empty, not 0; a
 * class that completed nothing has empty latency fields. */
static void test_undefined_values_are_empty(void **state)
{
    (void)state;
    const char text[] = "[scenario]\nname = one\nseed = 5\nreplications = 1\nduration_s = 0.05\n"
                        "warmup_s = 0.01\n[cluster]\nnodes = 3\n[workload]\nconcurrency = 4\n"
                        "traffic = pod-to-service\n[plugins]\ncompare = kubenet, cilium\n";
    cn_scenario *sc = load(text);
    char *tmp;
    g_autofree char *csv = run_batch(sc, &tmp);
    const char *empty[] = {"throughput_ci95", "latency_ci95_us", "latency_p50_ci95_us",
                           "latency_p99_ci95_us", "sync_ms_mean"};
    for (size_t i = 0; i < G_N_ELEMENTS(empty); i++) {
        g_autofree char *v = summary_field(csv, "cilium", "pod-to-service", empty[i]);
        if (*v)
            fail_msg("%s is '%s', expected an empty field", empty[i], v);
    }
    g_autofree char *p50 = summary_field(csv, "cilium", "pod-to-service", "latency_p50_us");
    assert_true(g_ascii_strtod(p50, NULL) > 0);
    rm_rf(tmp);
    cn_scenario_free(sc);
}

/* Large rates keep their digits; small values stay %.6g. */
static void test_number_format(void **state)
{
    (void)state;
    char buf[CN_CSV_DOUBLE_BUF];
    cn_csv_format_double(buf, 1234567.4);
    assert_string_equal(buf, "1234567");
    cn_csv_format_double(buf, 185432.25);
    assert_string_equal(buf, "185432");
    cn_csv_format_double(buf, 0.000123456789);
    assert_string_equal(buf, "0.000123457");
    cn_csv_format_double(buf, 2.5e17);
    assert_string_equal(buf, "2.5e+17");
}

static void check_format(double v)
{
    char got[CN_CSV_DOUBLE_BUF], want[CN_CSV_DOUBLE_BUF];
    double a = fabs(v);
    cn_csv_format_double(got, v);
    g_ascii_formatd(want, sizeof want, a >= 1e6 && a < 1e15 ? "%.0f" : "%.6g", v);
    if (strcmp(got, want) != 0)
        fail_msg("%.17g: wrote '%s', printf writes '%s'", v, got, want);
}

/* The formatter's shortcuts write printf's digits: over magnitudes from
 * 1e-17 to 1e17, values with few decimals (whose sixth digit is a near tie
 * in binary, on either side), exact ties (to even), halves, whole numbers,
 * and neighbours of powers of ten. */
static void test_number_format_printf(void **state)
{
    (void)state;
    g_autoptr(GRand) rnd = g_rand_new_with_seed(7);
    for (int i = 0; i < 300000; i++) {
        double v = pow(10, g_rand_double_range(rnd, -17, 17));
        check_format(i % 2 ? v : -v);
        double d =
            (double)g_rand_int_range(rnd, 1, 10000000) / pow(10, g_rand_int_range(rnd, 0, 14));
        check_format(d);
        check_format((double)g_rand_int_range(rnd, 0, 2000000) + 0.5);
        check_format(
            ldexp((double)g_rand_int_range(rnd, 1, 1 << 30), g_rand_int_range(rnd, -60, 10)));
        check_format(floor(pow(10, g_rand_double_range(rnd, 0, 18))));
        /* a latency bucket's midpoint (a half nanosecond) in µs: 123.4565 */
        double tie = ((double)g_rand_int_range(rnd, 100000, 1000000) + 0.5) / 1e3;
        check_format(tie);
        check_format(nextafter(tie, 0));
        check_format(nextafter(tie, 1e9));
        check_format(ldexp((double)g_rand_int_range(rnd, 200000, 2000000) + 1, -1));
    }
    for (int k = -16; k <= 16; k++) {
        double p = pow(10, k);
        for (int j = -3; j <= 3; j++)
            check_format(p + j * p * DBL_EPSILON);
        check_format(9.999995 * p);
        check_format(9.9999949 * p);
        check_format(1.000005 * p);
    }
    const double special[] = {0.0,     -0.0,   NAN,      INFINITY, -INFINITY, 999999.5, 999999.4,
                              0.00001, 0.0001, 123456.5, 1e15,     DBL_MAX,   DBL_MIN,  5e-324};
    for (size_t i = 0; i < G_N_ELEMENTS(special); i++)
        check_format(special[i]);
}

/* [report] baseline must be one of the variants. */
static void test_report_group(void **state)
{
    (void)state;
    const char bad[] = "[scenario]\nname = r\n[plugins]\ncompare = kubenet, cilium\n"
                       "[report]\nbaseline = azure-cni\n";
    GError *err = NULL;
    assert_null(cn_scenario_load_data(bad, strlen(bad), "r.ini", NULL, &err));
    assert_non_null(strstr(err->message, "r.ini: [report] baseline: expected one of the "
                                         "variants in [plugins] compare, got 'azure-cni'"));
    g_clear_error(&err);
    const char good[] = "[scenario]\nname = r\n[plugins]\ncompare = kubenet, cilium\n"
                        "[report]\nbaseline = cilium\nheadline = latency_p99_us, failed\n";
    cn_scenario *sc = load(good);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    assert_string_equal(c.report_baseline, "cilium");
    assert_string_equal(c.report_headline, "latency_p99_us, failed");
    cn_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_text_round_trip),       cmocka_unit_test(test_pooled_quantiles),
        cmocka_unit_test(test_undefined_values_are_empty), cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_number_format_printf),       cmocka_unit_test(test_report_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
