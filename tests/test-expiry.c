/* Expiring counts (TIME_WAIT entries, held SNAT ports) against a plain list
 * of each entry's expiry time: the same totals, drains and evictions
 * through ring wrap-around and growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "expiry.h"

static void test_against_a_list(void **state)
{
    cn_expiry e;
    cn_expiry_init(&e);
    GRand *rand = g_rand_new_with_seed(3);
    /* the reference: each entry's expiry time, oldest first */
    GArray *ref = g_array_new(FALSE, FALSE, sizeof(sim_time_ns));
    sim_time_ns now = 0;
    for (int step = 0; step < 200000; step++) {
        now += g_rand_int_range(rand, 0, 300000); /* up to 0.3 ms */
        int op = g_rand_int_range(rand, 0, 10);
        if (op < 6) {
            /* a hold of 200-201 ms: expiry times in order, give or take 1 ms */
            sim_time_ns at = now + 200 * SIM_NS_PER_MS + g_rand_int_range(rand, 0, 1000000);
            cn_expiry_add(&e, at);
            sim_time_ns b = (at + SIM_NS_PER_MS - 1) / SIM_NS_PER_MS * SIM_NS_PER_MS;
            if (ref->len && g_array_index(ref, sim_time_ns, ref->len - 1) > b)
                b = g_array_index(ref, sim_time_ns, ref->len - 1); /* joins the last bucket */
            g_array_append_val(ref, b);
        } else if (op < 9) {
            int64_t gone = 0;
            while (ref->len && g_array_index(ref, sim_time_ns, 0) <= now) {
                g_array_remove_index(ref, 0);
                gone++;
            }
            assert_int_equal(cn_expiry_drain(&e, now), gone);
        } else {
            int had = ref->len > 0;
            if (had)
                g_array_remove_index(ref, 0);
            assert_int_equal(cn_expiry_pop_oldest(&e), had);
        }
        assert_int_equal(e.total, ref->len);
    }
    assert_true(e.cap > 64); /* it grew */
    cn_expiry_clear(&e);
    assert_int_equal(cn_expiry_drain(&e, now), 0);
    assert_int_equal(cn_expiry_pop_oldest(&e), 0);
    g_array_unref(ref);
    g_rand_free(rand);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_a_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
