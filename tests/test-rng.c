/* RNG streams: reproducible, independent of each other, and the draws have
 * the distributions they claim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "rng.h"
#include "stats.h"

#define DRAWS 1000

static void fill(sim_rng *r, double *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = sim_rng_uniform(r);
}

static void test_same_tuple_same_draws(void **state)
{
    double a[DRAWS], b[DRAWS];
    sim_rng *r1 = sim_rng_new(42, 3, 7);
    sim_rng *r2 = sim_rng_new(42, 3, 7);
    fill(r1, a, DRAWS);
    fill(r2, b, DRAWS);
    assert_memory_equal(a, b, sizeof(a));
    sim_rng_free(r1);
    sim_rng_free(r2);
}

/* Any change of seed, replication or stream gives a different sequence;
 * checked on neighbouring tuples, which a weak mixer would correlate. */
static void test_different_tuples_differ(void **state)
{
    const uint64_t tuples[][3] = {{42, 3, 7}, {43, 3, 7}, {42, 4, 7}, {42, 3, 8}, {0, 0, 0},
                                  {0, 0, 1},  {0, 1, 0},  {1, 0, 0},  {7, 3, 42}, {42, 7, 3}};
    enum { NT = sizeof(tuples) / sizeof(tuples[0]) };
    static double d[NT][DRAWS];
    for (int i = 0; i < NT; i++) {
        sim_rng *r = sim_rng_new(tuples[i][0], (uint32_t)tuples[i][1], (uint32_t)tuples[i][2]);
        fill(r, d[i], DRAWS);
        sim_rng_free(r);
    }
    for (int i = 0; i < NT; i++) {
        for (int j = i + 1; j < NT; j++) {
            int same = 0;
            for (int k = 0; k < DRAWS; k++)
                same += d[i][k] == d[j][k];
            assert_true(same < 3);
            /* and not merely shifted copies of one another */
            int shifted = 0;
            for (int k = 0; k + 1 < DRAWS; k++)
                shifted += d[i][k + 1] == d[j][k] || d[i][k] == d[j][k + 1];
            assert_true(shifted < 3);
        }
    }
}

/* Creating and drawing from another stream in between does not change a
 * stream's draws: streams share no state. */
static void test_streams_do_not_interfere(void **state)
{
    double alone[DRAWS], mixed[DRAWS];
    sim_rng *r = sim_rng_new(1, 0, sim_rng_stream_id("arrivals"));
    fill(r, alone, DRAWS);
    sim_rng_free(r);

    sim_rng *a = sim_rng_new(1, 0, sim_rng_stream_id("arrivals"));
    sim_rng *other = NULL;
    for (int i = 0; i < DRAWS; i++) {
        if (i == 10)
            other = sim_rng_new(1, 0, sim_rng_stream_id("service"));
        if (other != NULL)
            sim_rng_exponential(other, 5.0);
        mixed[i] = sim_rng_uniform(a);
    }
    assert_memory_equal(alone, mixed, sizeof(alone));
    sim_rng_free(a);
    sim_rng_free(other);
}

static void test_stream_id(void **state)
{
    /* FNV-1a 32 reference values: "" -> offset basis, "a" -> 0xe40c292c. */
    assert_int_equal(sim_rng_stream_id(""), 2166136261u);
    assert_int_equal(sim_rng_stream_id("a"), 0xe40c292cu);
    assert_int_not_equal(sim_rng_stream_id("arrivals"), sim_rng_stream_id("service"));
}

/* Sample means within 5 standard errors (a false alarm about 1 in 2e6). */
static void check_mean(const sim_welford *w, double mean, double sd)
{
    double se = sd / sqrt((double)w->n);
    if (fabs(w->mean - mean) > 5 * se)
        fail_msg("mean %g, expected %g +- %g", w->mean, mean, 5 * se);
}

#define N 200000

static void test_distribution_means(void **state)
{
    sim_rng *r = sim_rng_new(2024, 1, 99);
    sim_welford u, up, e, ln, pa, ui, big;
    sim_welford_init(&u);
    sim_welford_init(&up);
    sim_welford_init(&e);
    sim_welford_init(&ln);
    sim_welford_init(&pa);
    sim_welford_init(&ui);
    sim_welford_init(&big);
    for (int i = 0; i < N; i++) {
        double x = sim_rng_uniform(r);
        assert_true(x >= 0 && x < 1);
        sim_welford_add(&u, x);
        x = sim_rng_uniform_pos(r);
        assert_true(x > 0 && x < 1);
        sim_welford_add(&up, x);
        sim_welford_add(&e, sim_rng_exponential(r, 250.0));
        sim_welford_add(&ln, sim_rng_lognormal(r, 1.0, 0.5));
        x = sim_rng_pareto(r, 3.0, 2.0);
        assert_true(x >= 2.0);
        sim_welford_add(&pa, x);
        uint64_t k = sim_rng_uniform_int(r, 10);
        assert_true(k < 10);
        sim_welford_add(&ui, (double)k);
        /* beyond 32 bits: needs the two-draw path */
        uint64_t n64 = UINT64_C(3) << 40;
        uint64_t b = sim_rng_uniform_int(r, n64);
        assert_true(b < n64);
        sim_welford_add(&big, (double)b / (double)n64);
    }
    check_mean(&u, 0.5, sqrt(1.0 / 12));
    check_mean(&up, 0.5, sqrt(1.0 / 12));
    check_mean(&e, 250.0, 250.0);
    /* lognormal(mu, s): mean e^(mu + s^2/2), variance (e^(s^2) - 1) e^(2mu + s^2) */
    double lm = exp(1.0 + 0.125);
    check_mean(&ln, lm, sqrt((exp(0.25) - 1) * exp(2.25)));
    /* Pareto(a, b): mean a b / (a - 1), variance b^2 a / ((a-1)^2 (a-2)) */
    check_mean(&pa, 3.0, sqrt(4.0 * 3 / (4 * 1)));
    check_mean(&ui, 4.5, sqrt(99.0 / 12));
    check_mean(&big, 0.5, sqrt(1.0 / 12));
    /* the spread too, for the exponential: sd = mean */
    assert_true(fabs(sim_welford_stddev(&e) / 250.0 - 1) < 0.02);
    sim_rng_free(r);
}

static void test_gamma_mean_cv(void **state)
{
    sim_rng *r = sim_rng_new(7, 0, 3);
    sim_welford g;
    sim_welford_init(&g);
    for (int i = 0; i < N; i++) {
        double x = sim_rng_gamma_mean_cv(r, 40.0, 0.5);
        assert_true(x > 0);
        sim_welford_add(&g, x);
    }
    check_mean(&g, 40.0, 20.0);
    assert_true(fabs(sim_welford_stddev(&g) / 20.0 - 1) < 0.02);
    /* cv 0: the mean exactly, and no draw (the stream does not move) */
    sim_rng *a = sim_rng_new(7, 0, 4), *b = sim_rng_new(7, 0, 4);
    assert_true(sim_rng_gamma_mean_cv(a, 12.5, 0) == 12.5);
    assert_true(sim_rng_uniform(a) == sim_rng_uniform(b));
    sim_rng_free(a);
    sim_rng_free(b);
    sim_rng_free(r);
}

/* The draws are GSL's, value for value and in the same order, on the
 * stream's own generator: uniform, uniform_int and gamma (which runs
 * GSL's algorithms inline) against gsl_rng_uniform, gsl_rng_uniform_int
 * and gsl_ran_gamma on a copy of the same state, interleaved so that a
 * draw using more or fewer outputs than GSL's would shift all that follow.
 * The CVs cover the model's (0.2, 0.25), shapes near 1 and below (CV > 1,
 * GSL's own path). */
static void test_draws_are_gsl_s(void **state)
{
    const double cvs[] = {0.2, 0.254316, 0.1, 0.5, 0.9, 1.0, 1.5, 3.0};
    for (size_t c = 0; c < sizeof cvs / sizeof cvs[0]; c++) {
        sim_rng *a = sim_rng_new(11, (uint32_t)c, 5);
        sim_rng *b = sim_rng_new(11, (uint32_t)c, 5);
        gsl_rng *g = sim__rng_gsl(b);
        for (int i = 0; i < 200000; i++) {
            double mean = 1 + i % 5000;
            double x = sim_rng_gamma_mean_cv(a, mean, cvs[c]);
            double k = 1.0 / (cvs[c] * cvs[c]);
            double y = gsl_ran_gamma(g, k, mean / k);
            assert_memory_equal(&x, &y, sizeof x);
            if (i % 7 == 0) {
                double u = sim_rng_uniform(a), v = gsl_rng_uniform(g);
                assert_memory_equal(&u, &v, sizeof u);
            }
            if (i % 11 == 0) {
                uint64_t n = 1 + (uint64_t)i * 7919 % 100003;
                assert_int_equal(sim_rng_uniform_int(a, n), gsl_rng_uniform_int(g, n));
            }
            if (i % 13 == 0) {
                double u = sim_rng_uniform_pos(a), v = gsl_rng_uniform_pos(g);
                assert_memory_equal(&u, &v, sizeof u);
            }
        }
        sim_rng_free(a);
        sim_rng_free(b);
    }
}

static void test_discrete(void **state)
{
    const double w[] = {1, 0, 3, 6};
    sim_rng_discrete *d = sim_rng_discrete_new(4, w);
    assert_non_null(d);
    sim_rng *r = sim_rng_new(5, 0, 1);
    unsigned count[4] = {0};
    for (int i = 0; i < N; i++) {
        size_t k = sim_rng_discrete_draw(r, d);
        assert_true(k < 4);
        count[k]++;
    }
    assert_int_equal(count[1], 0);
    for (int k = 0; k < 4; k++) {
        double p = w[k] / 10.0;
        double sd = sqrt(N * p * (1 - p));
        assert_true(fabs(count[k] - N * p) <= 5 * sd);
    }
    sim_rng_discrete_free(d);
    sim_rng_free(r);

    const double negative[] = {1, -1};
    const double zeros[] = {0, 0};
    assert_null(sim_rng_discrete_new(2, negative));
    assert_null(sim_rng_discrete_new(2, zeros));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_tuple_same_draws),
        cmocka_unit_test(test_different_tuples_differ),
        cmocka_unit_test(test_streams_do_not_interfere),
        cmocka_unit_test(test_stream_id),
        cmocka_unit_test(test_distribution_means),
        cmocka_unit_test(test_gamma_mean_cv),
        cmocka_unit_test(test_draws_are_gsl_s),
        cmocka_unit_test(test_discrete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
