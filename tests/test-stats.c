/* Welford accumulators and the log-bucketed histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "stats.h"

static void test_welford_small(void **state)
{
    sim_welford w;
    sim_welford_init(&w);
    assert_int_equal(w.n, 0);
    assert_true(sim_welford_variance(&w) == 0);
    assert_true(sim_welford_ci95(&w) == 0);
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    for (int i = 0; i < 8; i++)
        sim_welford_add(&w, x[i]);
    assert_true(fabs(w.mean - 5.0) < 1e-12);
    assert_true(fabs(sim_welford_variance(&w) - 32.0 / 7) < 1e-12);
    assert_true(w.min == 2 && w.max == 9);
    /* t(0.975, 7) = 2.364624 (standard tables) */
    double want = 2.364624 * sqrt(32.0 / 7) / sqrt(8.0);
    assert_true(fabs(sim_welford_ci95(&w) - want) < 1e-5);
}

/* A large offset breaks the naive sum-of-squares formula, not Welford. */
static void test_welford_offset(void **state)
{
    sim_welford w;
    sim_welford_init(&w);
    for (int i = 0; i < 1000; i++)
        sim_welford_add(&w, 1e9 + (i % 2 ? 1 : -1));
    assert_true(fabs(w.mean - 1e9) < 1e-6);
    assert_true(fabs(sim_welford_variance(&w) - 1000.0 / 999) < 1e-6);
}

static void test_welford_merge(void **state)
{
    sim_welford all, a, b, empty;
    sim_welford_init(&all);
    sim_welford_init(&a);
    sim_welford_init(&b);
    sim_welford_init(&empty);
    for (int i = 0; i < 1000; i++) {
        double x = sin(i) * 100 + i * 0.1;
        sim_welford_add(&all, x);
        sim_welford_add(i < 300 ? &a : &b, x);
    }
    sim_welford_merge(&a, &empty);
    sim_welford_merge(&a, &b);
    assert_int_equal(a.n, all.n);
    assert_true(fabs(a.mean - all.mean) < 1e-9);
    assert_true(fabs(sim_welford_variance(&a) - sim_welford_variance(&all)) < 1e-6);
    assert_true(a.min == all.min && a.max == all.max);
    sim_welford_merge(&empty, &all);
    assert_int_equal(empty.n, all.n);
    assert_true(empty.mean == all.mean);
}

/* ---- histogram ------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact q-quantile of a sorted sample, by the histogram's definition:
 * the value of rank ceil(q n), 1-based. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void check_quantiles(const sim_hist *h, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(uint64_t), cmp_u64);
    const double qs[] = {0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        double exact = (double)exact_quantile(v, n, qs[i]);
        double got = sim_hist_quantile(h, qs[i]);
        double tol = SIM_HIST_REL_ERROR * exact;
        if (fabs(got - exact) > tol)
            fail_msg("q=%g: histogram %g, exact %g, tolerance %g", qs[i], got, exact, tol);
    }
    /* p0 and p100 are the exact extremes */
    assert_true(sim_hist_quantile(h, 0) == (double)v[0]);
    assert_true(sim_hist_quantile(h, 1) == (double)v[n - 1]);
}

#define HN 200000

static void test_hist_uniform(void **state)
{
    uint64_t *v = g_new(uint64_t, HN);
    sim_hist *h = sim_hist_new();
    sim_rng *r = sim_rng_new(11, 0, 0);
    double sum = 0;
    for (size_t i = 0; i < HN; i++) {
        v[i] = sim_rng_uniform_int(r, 10000000);
        sum += (double)v[i];
        sim_hist_add(h, v[i]);
    }
    assert_int_equal(sim_hist_count(h), HN);
    assert_true(fabs(sim_hist_mean(h) - sum / HN) < 1e-6 * sum / HN);
    check_quantiles(h, v, HN);
    sim_rng_free(r);
    sim_hist_free(h);
    g_free(v);
}

static void test_hist_exponential(void **state)
{
    uint64_t *v = g_new(uint64_t, HN);
    sim_hist *h = sim_hist_new();
    sim_rng *r = sim_rng_new(12, 0, 0);
    for (size_t i = 0; i < HN; i++) {
        /* mean 50 us in ns: spans the exact region and ~20 octaves */
        v[i] = (uint64_t)llround(sim_rng_exponential(r, 50000.0));
        sim_hist_add(h, v[i]);
    }
    check_quantiles(h, v, HN);
    sim_rng_free(r);
    sim_hist_free(h);
    g_free(v);
}

/* Small values are exact, and the largest values do not overflow. */
static void test_hist_extremes(void **state)
{
    sim_hist *h = sim_hist_new();
    assert_true(sim_hist_quantile(h, 0.5) == 0);
    assert_true(sim_hist_mean(h) == 0);
    for (uint64_t x = 0; x < 128; x++)
        sim_hist_add(h, x);
    for (uint64_t x = 0; x < 128; x++)
        assert_true(sim_hist_quantile(h, (double)(x + 1) / 128) == (double)x);
    sim_hist_reset(h);
    assert_int_equal(sim_hist_count(h), 0);
    sim_hist_add(h, UINT64_MAX);
    sim_hist_add(h, UINT64_MAX);
    sim_hist_add(h, UINT64_C(1) << 63);
    assert_true(sim_hist_quantile(h, 1) == (double)UINT64_MAX);
    double med = sim_hist_quantile(h, 0.5);
    assert_true(fabs(med - (double)UINT64_MAX) <= SIM_HIST_REL_ERROR * (double)UINT64_MAX);
    /* exact mean even where a double sum would round */
    double want = ((double)UINT64_MAX * 2 + ldexp(1, 63)) / 3;
    assert_true(fabs(sim_hist_mean(h) - want) <= 1e-15 * want);
    sim_hist_free(h);
}

static void test_hist_merge(void **state)
{
    sim_hist *all = sim_hist_new(), *a = sim_hist_new(), *b = sim_hist_new();
    sim_rng *r = sim_rng_new(13, 0, 0);
    for (int i = 0; i < 50000; i++) {
        /* different ranges, so merge must grow the smaller histogram */
        uint64_t x =
            i % 3 ? (uint64_t)sim_rng_exponential(r, 1e3) : (uint64_t)sim_rng_exponential(r, 1e9);
        sim_hist_add(all, x);
        sim_hist_add(i % 3 ? a : b, x);
    }
    sim_hist_merge(a, b);
    assert_int_equal(sim_hist_count(a), sim_hist_count(all));
    assert_true(sim_hist_mean(a) == sim_hist_mean(all));
    for (double q = 0; q <= 1.0; q += 0.001)
        assert_true(sim_hist_quantile(a, q) == sim_hist_quantile(all, q));
    /* A reset histogram (which clears only the range it used) is as good as
     * a new one. */
    sim_hist_reset(a);
    sim_hist *fresh = sim_hist_new();
    for (int i = 0; i < 1000; i++) {
        uint64_t x = (uint64_t)sim_rng_exponential(r, 1e6);
        sim_hist_add(a, x);
        sim_hist_add(fresh, x);
    }
    assert_int_equal(sim_hist_count(a), 1000);
    for (double q = 0; q <= 1.0; q += 0.001)
        assert_true(sim_hist_quantile(a, q) == sim_hist_quantile(fresh, q));
    g_autofree char *ta = sim_hist_to_text(a);
    g_autofree char *tf = sim_hist_to_text(fresh);
    assert_string_equal(ta, tf);
    sim_hist_free(fresh);
    sim_rng_free(r);
    sim_hist_free(all);
    sim_hist_free(a);
    sim_hist_free(b);
}

/* A span histogram's quantiles, alone and of several together, are the
 * sim_hist's of the same samples, and merged into a sim_hist it gives what
 * adding them would, over rounds of reset and reuse, with samples from the
 * exact region to the largest values. */
static void test_span_hist(void **state)
{
    enum { K = 4 };
    sim_span_hist *sp[K];
    for (int k = 0; k < K; k++)
        sp[k] = sim_span_hist_new();
    sim_rng *r = sim_rng_new(14, 0, 0);
    const double qs[] = {0, 1e-4, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1};
    for (int round = 0; round < 200; round++) {
        sim_hist *one[K], *all = sim_hist_new();
        int n = (int)sim_rng_uniform_int(r, round < 100 ? 40 : 3000);
        for (int k = 0; k < K; k++)
            one[k] = sim_hist_new();
        for (int i = 0; i < n; i++) {
            int k = (int)sim_rng_uniform_int(r, K);
            double mean = round % 5 == 0 ? 50 : round % 5 == 1 ? 1e9 : 3e4;
            uint64_t x = (uint64_t)sim_rng_exponential(r, mean);
            if (sim_rng_uniform_int(r, 100) == 0)
                x = UINT64_MAX - sim_rng_uniform_int(r, 3); /* an outlier far up */
            sim_span_hist_add(sp[k], x);
            sim_hist_add(one[k], x);
            sim_hist_add(all, x);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(qs); i++) {
            for (int k = 0; k < K; k++) {
                const sim_span_hist *h = sp[k];
                assert_true(sim_span_hist_quantile(&h, 1, qs[i]) ==
                            sim_hist_quantile(one[k], qs[i]));
            }
            assert_true(sim_span_hist_quantile((const sim_span_hist *const *)sp, K, qs[i]) ==
                        sim_hist_quantile(all, qs[i]));
        }
        /* Merged into a sim_hist: the same histogram as adding the samples. */
        sim_hist *merged = sim_hist_new(), *added = sim_hist_new();
        sim_hist_add(merged, 77); /* something there already */
        sim_hist_add(added, 77);
        for (int k = 0; k < K; k++) {
            sim_hist_merge_span(merged, sp[k]);
            sim_hist_merge(added, one[k]);
        }
        g_autofree char *tm = sim_hist_to_text(merged);
        g_autofree char *ta = sim_hist_to_text(added);
        assert_string_equal(tm, ta);
        assert_true(sim_hist_mean(merged) == sim_hist_mean(added));
        sim_hist_free(merged);
        sim_hist_free(added);
        uint64_t total = 0;
        for (int k = 0; k < K; k++) {
            assert_int_equal(sim_span_hist_count(sp[k]), sim_hist_count(one[k]));
            total += sim_span_hist_count(sp[k]);
            sim_span_hist_reset(sp[k]);
            sim_hist_free(one[k]);
        }
        assert_int_equal(total, (uint64_t)n);
        sim_hist_free(all);
    }
    for (int k = 0; k < K; k++) {
        assert_int_equal(sim_span_hist_count(sp[k]), 0);
        assert_true(sim_span_hist_quantile((const sim_span_hist *const *)&sp[k], 1, 0.5) == 0);
        sim_span_hist_free(sp[k]);
    }
    sim_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welford_small),    cmocka_unit_test(test_welford_offset),
        cmocka_unit_test(test_welford_merge),    cmocka_unit_test(test_hist_uniform),
        cmocka_unit_test(test_hist_exponential), cmocka_unit_test(test_hist_extremes),
        cmocka_unit_test(test_hist_merge),       cmocka_unit_test(test_span_hist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
