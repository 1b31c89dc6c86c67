/* The pools' arena: blocks aligned as asked, zeroed, disjoint and
 * writable; ordinary allocations until SIM_BIGMEM_SMALL bytes, then 2 MiB
 * regions (2 MiB-aligned on Linux); the sim's arena holds its event set's
 * chunks and a large resource group, and is freed with the sim (the ASan
 * build and tests/valgrind.sh check that nothing leaks or is freed twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "bigmem.h"
#include "resource.h"
#include "sim.h"

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_blocks(void **state)
{
    (void)state;
    sim_bigmem *m = sim_bigmem_new();
    enum { N = 400 };
    static unsigned char *b[N];
    static size_t len[N];
    size_t total = 0;
    bool saw_small = false, saw_region = false;
    for (int i = 0; i < N; i++) {
        size_t align = (size_t)1 << (i % 13); /* 1 .. 4096 */
        len[i] = 1000 + (size_t)i * 37;
        b[i] = sim_bigmem_alloc(m, len[i], align);
        assert_non_null(b[i]);
        assert_int_equal((uintptr_t)b[i] % align, 0);
        assert_true(all_zero(b[i], len[i]));
        memset(b[i], i + 1, len[i]); /* writable; the others keep their bytes */
        total += len[i];
        assert_int_equal(sim_bigmem_bytes(m), total);
        if (total < SIM_BIGMEM_SMALL)
            assert_int_equal(sim_bigmem_region_bytes(m), 0);
        saw_small |= sim_bigmem_region_bytes(m) == 0;
        saw_region |= sim_bigmem_region_bytes(m) > 0;
    }
    assert_true(total > 2 * SIM_BIGMEM_SMALL);
    assert_true(saw_small);
    /* without the mappings (no mmap, or an AddressSanitizer build) every
     * block is an allocation of its own */
    assert_true(saw_region == sim_bigmem_maps());
    assert_true(sim_bigmem_region_bytes(m) <= total);
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k += 97)
            assert_int_equal(b[i][k], (unsigned char)(i + 1));

    /* A block larger than a region gets a mapping of its own. */
    size_t big = 5 * SIM_BIGMEM_REGION + 123;
    unsigned char *p = sim_bigmem_alloc(m, big, 64);
    assert_non_null(p);
    assert_true(all_zero(p, big));
    p[0] = p[big - 1] = 1;
    if (sim_bigmem_maps())
        assert_int_equal((uintptr_t)p % SIM_BIGMEM_REGION, 0);
    sim_bigmem_free(m);
    sim_bigmem_free(NULL);
}

static void noop(sim *s, void *ctx)
{
    (void)s;
    (void)ctx;
}

static void test_sim_arena(void **state)
{
    (void)state;
    sim *s = sim_new();
    sim_bigmem *m = sim_mem(s);
    assert_non_null(m);
    assert_int_equal(sim_bigmem_bytes(m), 0);
    /* Enough events for the wheel: its chunks come from the arena. */
    for (int i = 0; i < 10000; i++)
        sim_schedule(s, (sim_time_ns)(i * 7919 % 100000), noop, NULL);
    size_t after_events = sim_bigmem_bytes(m);
    assert_true(after_events > 0);
    /* A large group is the arena's; a small one is not. */
    sim_resource *one = sim_resource_new(s, 1);
    assert_int_equal(sim_bigmem_bytes(m), after_events);
    sim_resource *many = sim_resources_new(s, 10000, 2);
    assert_true(sim_bigmem_bytes(m) >= after_events + 10000 * 32);
    sim_resource_request(sim_resource_at(many, 9999), 10, NULL, NULL);
    sim_run_until(s, SIM_TIME_MAX);
    assert_int_equal(sim_pending(s), 0);
    assert_true(sim_resource_busy_ns(sim_resource_at(many, 9999)) == 10.0); /* one server, 10 ns */
    sim_resources_free(many);
    sim_resource_free(one);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_sim_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
