/* Checked unit conversions (models/units.c) and the calibration ranges
 * (calibration.def): every conversion to integer nanoseconds refuses a value
 * that would overflow int64 or round to zero, and every default lies in its
 * entry's own range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include <glib.h>

#include "calibration.h"
#include "units.h"

static void test_seconds(void **state)
{
    (void)state;
    int64_t ns = -1;
    assert_int_equal(cn_units_s_to_ns(0, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 0);
    assert_int_equal(cn_units_s_to_ns(2.5, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 2500000000);
    assert_int_equal(cn_units_s_to_ns(1e-9, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 1);
    /* Rounded to nearest, halves away from zero (as llround). */
    assert_int_equal(cn_units_s_to_ns(1.5e-9, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 2);
    /* 9.2e9 s is the last that fits: 9.22e18 ns. */
    assert_int_equal(cn_units_s_to_ns(9.2e9, &ns), CN_UNITS_OK);
    assert_int_equal(ns, INT64_C(9200000000000000000));
}

static void test_seconds_refused(void **state)
{
    (void)state;
    int64_t ns = 42;
    assert_int_equal(cn_units_s_to_ns(9.3e9, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_s_to_ns(1e10, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_s_to_ns(1e300, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_s_to_ns(1e-10, &ns), CN_UNITS_ZERO);
    assert_int_equal(cn_units_s_to_ns(4.9e-10, &ns), CN_UNITS_ZERO);
    assert_int_equal(cn_units_s_to_ns(1e-300, &ns), CN_UNITS_ZERO);
    assert_int_equal(cn_units_s_to_ns(-1, &ns), CN_UNITS_NEGATIVE);
    assert_int_equal(cn_units_s_to_ns(NAN, &ns), CN_UNITS_NOT_FINITE);
    assert_int_equal(cn_units_s_to_ns(INFINITY, &ns), CN_UNITS_NOT_FINITE);
    /* A refusal leaves the output alone. */
    assert_int_equal(ns, 42);
}

static void test_scale(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_int_equal(cn_units_us_to_ns(20, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 20000);
    /* copy_byte_ns x bytes: 0.1 ns x 1e9 bytes. */
    assert_int_equal(cn_units_scale_ns(1e9, 0.1, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 100000000);
    assert_int_equal(cn_units_scale_ns(1e12, 1e7, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_scale_ns(1, 0.1, &ns), CN_UNITS_ZERO);
    /* A zero factor gives zero, not a refusal: the work is turned off. */
    assert_int_equal(cn_units_scale_ns(1e9, 0, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 0);
    assert_int_equal(cn_units_scale_ns(1, -1, &ns), CN_UNITS_NEGATIVE);
}

static void test_rate(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_int_equal(cn_units_rate_to_interval_ns(1000, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 1000000);
    assert_int_equal(cn_units_rate_to_interval_ns(1e9, &ns), CN_UNITS_OK);
    assert_int_equal(ns, 1);
    assert_int_equal(cn_units_rate_to_interval_ns(3e9, &ns), CN_UNITS_ZERO);
    assert_int_equal(cn_units_rate_to_interval_ns(1e-12, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_rate_to_interval_ns(1e-320, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_rate_to_interval_ns(0, &ns), CN_UNITS_OVERFLOW);
    assert_int_equal(cn_units_rate_to_interval_ns(-5, &ns), CN_UNITS_NEGATIVE);
    assert_int_equal(cn_units_rate_to_interval_ns(NAN, &ns), CN_UNITS_NOT_FINITE);
}

static void test_status_text(void **state)
{
    (void)state;
    assert_non_null(strstr(cn_units_status_text(CN_UNITS_OVERFLOW), "overflows"));
    assert_non_null(strstr(cn_units_status_text(CN_UNITS_ZERO), "zero"));
}

/* Every default is a value its own entry accepts, and every range is a real
 * interval; an entry added with a default outside its range fails here. */
static void test_defaults_in_range(void **state)
{
    (void)state;
    for (int i = 0; i < CAL_COUNT; i++) {
        const cn_cal_entry *e = &cn_cal_table[i];
        if (!(e->min <= e->max) || !cn_cal_in_range(i, e->value))
            fail_msg("%s: default %g outside %g..%g", e->name, e->value, e->min, e->max);
        assert_true(cn_cal_in_range(i, e->min));
        assert_true(cn_cal_in_range(i, e->max));
        assert_false(cn_cal_in_range(i, nextafter(e->max, INFINITY)));
        assert_false(cn_cal_in_range(i, nextafter(e->min, -INFINITY)));
        assert_false(cn_cal_in_range(i, NAN));
    }
}

static void test_whole_entries(void **state)
{
    (void)state;
    assert_true(cn_cal_whole(CAL_max_pods_default_kubenet));
    assert_true(cn_cal_whole(CAL_subnet_min_prefix));
    assert_false(cn_cal_whole(CAL_copy_byte_ns));
    assert_false(cn_cal_in_range(CAL_max_pods_default_kubenet, 0.4));
    assert_false(cn_cal_in_range(CAL_max_pods_default_kubenet, 0));
    assert_false(cn_cal_in_range(CAL_subnet_min_prefix, 33));
    assert_false(cn_cal_in_range(CAL_node_pod_block_prefix, 0.4));
    assert_false(cn_cal_in_range(CAL_mss_bytes, 0));
    assert_false(cn_cal_in_range(CAL_iptables_sync_ns_per_rule, 1e12));
    assert_false(cn_cal_in_range(CAL_tcp_syn_retries, 6.5));
    assert_false(cn_cal_in_range(CAL_nf_time_wait_s, 1e10));
    assert_false(cn_cal_in_range(CAL_syn_rto_initial_s, 9.3e9));
    assert_true(cn_cal_in_range(CAL_copy_byte_ns, 0.05));
    g_autofree char *r = cn_cal_range_text(CAL_max_pods_default_kubenet);
    assert_string_equal(r, "a whole number of pods from 1 to 1000");
}

/* cn_units_round is llround: halves and their neighbours, signs, the
 * edges of the fast path, huge values, and a sweep of random doubles. */
static void test_round_is_llround(void **state)
{
    (void)state;
    const double fixed[] = {0.0,  -0.0,   0.5,    -0.5,    1.5,        -1.5,   2.5,  -2.5,
                            0.49, 1e-300, 0x1p52, -0x1p52, 0x1p52 + 2, 0x1p53, 1e18, -1e18};
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
        double x = fixed[i];
        assert_int_equal(cn_units_round(x), llround(x));
        assert_int_equal(cn_units_round(nextafter(x, 0)), llround(nextafter(x, 0)));
        assert_int_equal(cn_units_round(nextafter(x, INFINITY)), llround(nextafter(x, INFINITY)));
        assert_int_equal(cn_units_round(nextafter(x, -INFINITY)), llround(nextafter(x, -INFINITY)));
    }
    GRand *g = g_rand_new_with_seed(12);
    for (int i = 0; i < 200000; i++) {
        double x = ldexp(g_rand_double_range(g, -1, 1), g_rand_int_range(g, -4, 60));
        double h = floor(x) + 0.5; /* a half-way value near it */
        assert_int_equal(cn_units_round(x), llround(x));
        assert_int_equal(cn_units_round(h), llround(h));
    }
    g_rand_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds),       cmocka_unit_test(test_seconds_refused),
        cmocka_unit_test(test_scale),         cmocka_unit_test(test_rate),
        cmocka_unit_test(test_status_text),   cmocka_unit_test(test_defaults_in_range),
        cmocka_unit_test(test_whole_entries), cmocka_unit_test(test_round_is_llround),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
