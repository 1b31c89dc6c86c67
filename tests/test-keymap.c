/* The per-connection key map: every key added is found with its value,
 * keys never added are not, through growth and with keys that differ only
 * in their high or low half (node << 32 | destination). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "keymap.h"

static void test_found_and_not(void **state)
{
    cn_keymap m;
    cn_keymap_init(&m);
    enum { NODES = 300, DEST = 40 };
    static int values[NODES][DEST];
    for (uint64_t n = 0; n < NODES; n++)
        for (uint64_t d = 0; d < DEST; d++) {
            uint64_t key = n << 32 | d;
            assert_null(cn_keymap_get(&m, key));
            cn_keymap_add(&m, key, &values[n][d]);
            assert_ptr_equal(cn_keymap_get(&m, key), &values[n][d]);
        }
    assert_int_equal(m.n, NODES * DEST);
    assert_true(2 * m.n <= m.mask + 1); /* at most half full */
    for (uint64_t n = 0; n < NODES; n++)
        for (uint64_t d = 0; d < DEST; d++) {
            assert_ptr_equal(cn_keymap_get(&m, n << 32 | d), &values[n][d]);
            assert_null(cn_keymap_get(&m, n << 32 | (d + DEST)));
            assert_null(cn_keymap_get(&m, (n + NODES) << 32 | d));
        }
    assert_null(cn_keymap_get(&m, UINT64_MAX));
    cn_keymap_clear(&m, NULL);
    assert_null(m.e);
}

static int freed;
static void count_free(void *p)
{
    freed++;
    g_free(p);
}

static void test_clear_frees_values(void **state)
{
    cn_keymap m;
    cn_keymap_init(&m);
    for (uint64_t k = 0; k < 1000; k++)
        cn_keymap_add(&m, k * 0x9e3779b97f4a7c15ull, g_new0(int, 1));
    freed = 0;
    cn_keymap_clear(&m, count_free);
    assert_int_equal(freed, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_and_not),
        cmocka_unit_test(test_clear_frees_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
