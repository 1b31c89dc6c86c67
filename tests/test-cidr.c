/* IPv4 address arithmetic: parsing, formatting, size, containment, overlap,
 * the n-th /24 of a range and Azure's reserved addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cidr.h"
#include "ipam.h"
#include "scenario.h"

static cn_cidr cidr(const char *text)
{
    cn_cidr c;
    const char *why = NULL;
    assert_true(cn_cidr_parse(text, &c, &why));
    return c;
}

static void test_parse_format(void **state)
{
    char buf[20];
    cn_cidr c = cidr("10.244.0.0/16");
    assert_int_equal(c.addr, 0x0af40000u);
    assert_int_equal(c.prefix, 16);
    assert_string_equal(cn_cidr_format(c, buf), "10.244.0.0/16");
    assert_string_equal(cn_cidr_format(cidr("0.0.0.0/0"), buf), "0.0.0.0/0");
    assert_string_equal(cn_cidr_format(cidr("255.255.255.255/32"), buf), "255.255.255.255/32");
    uint32_t a;
    assert_true(cn_ipv4_parse("10.0.0.10", &a));
    assert_int_equal(a, 0x0a00000au);
    assert_string_equal(cn_ipv4_format(a, buf), "10.0.0.10");
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"10.244.0.0", "a prefix length after the address, such as /16"},
        {"10.244.0.1/16", "a network address with the host bits zero"},
        {"10.244.0.0/33", "a prefix length from 0 to 32"},
        {"10.244.0.0/", "a prefix length from 0 to 32"},
        {"10.244.0/16", "an IPv4 range such as 10.244.0.0/16"},
        {"256.0.0.0/8", "an IPv4 range such as 10.244.0.0/16"},
        {"10.0.0.0/8x", "a prefix length from 0 to 32"},
        {"", "an IPv4 range such as 10.244.0.0/16"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cn_cidr c;
        const char *why = NULL;
        assert_false(cn_cidr_parse(bad[i].text, &c, &why));
        assert_string_equal(why, bad[i].why);
    }
    uint32_t a;
    assert_false(cn_ipv4_parse("10.0.0", &a));
    assert_false(cn_ipv4_parse("10.0.0.1.2", &a));
    assert_false(cn_ipv4_parse("1000.0.0.1", &a));
}

static void test_size_contains_overlap(void **state)
{
    assert_int_equal(cn_cidr_size(cidr("10.0.0.0/8")), 16777216);
    assert_int_equal(cn_cidr_size(cidr("10.0.0.0/29")), 8);
    assert_int_equal(cn_cidr_size(cidr("0.0.0.0/0")), UINT64_C(4294967296));
    assert_int_equal(cn_cidr_last(cidr("10.244.0.0/16")), 0x0af4ffffu);
    assert_true(cn_cidr_contains(cidr("10.0.0.0/8"), cidr("10.244.0.0/16")));
    assert_false(cn_cidr_contains(cidr("10.244.0.0/16"), cidr("10.0.0.0/8")));
    assert_true(cn_cidr_overlaps(cidr("10.244.0.0/16"), cidr("10.0.0.0/8")));
    assert_false(cn_cidr_overlaps(cidr("10.244.0.0/16"), cidr("10.245.0.0/16")));
    assert_true(cn_cidr_contains_addr(cidr("10.0.0.0/16"), 0x0a00000au));
    assert_false(cn_cidr_contains_addr(cidr("10.0.0.0/16"), 0x0a010000u));
}

/* MODEL.md worked example: pod CIDR 10.244.0.0/16, 3 nodes get
 * 10.244.0.0/24, 10.244.1.0/24, 10.244.2.0/24 in order. */
static void test_nth_24(void **state)
{
    char buf[20];
    cn_cidr pod = cidr("10.244.0.0/16");
    const char *want[] = {"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"};
    for (int i = 0; i < 3; i++) {
        cn_cidr s;
        assert_true(cn_cidr_nth_subnet(pod, 24, (uint64_t)i, &s));
        assert_string_equal(cn_cidr_format(s, buf), want[i]);
    }
    cn_cidr s;
    assert_int_equal(cn_cidr_subnet_count(pod, 24), 256);
    assert_true(cn_cidr_nth_subnet(pod, 24, 255, &s));
    assert_string_equal(cn_cidr_format(s, buf), "10.244.255.0/24");
    assert_false(cn_cidr_nth_subnet(pod, 24, 256, &s));
    /* A range smaller than a /24 holds no node block. */
    assert_int_equal(cn_cidr_subnet_count(cidr("10.244.0.0/25"), 24), 0);
    assert_false(cn_cidr_nth_subnet(cidr("10.244.0.0/25"), 24, 0, &s));
    assert_int_equal(cn_cidr_subnet_count(cidr("10.0.0.0/8"), 24), 65536);
}

static void test_prefix_for(void **state)
{
    assert_int_equal(cn_prefix_for_addresses(1), 32);
    assert_int_equal(cn_prefix_for_addresses(256), 24);
    assert_int_equal(cn_prefix_for_addresses(257), 23);
    assert_int_equal(cn_prefix_for_addresses(1586), 21);
    assert_int_equal(cn_prefix_for_addresses(UINT64_C(4294967296)), 0);
    assert_int_equal(cn_prefix_for_addresses(UINT64_C(4294967297)), -1);
}

/* Azure reserves 5 addresses per subnet: the first four and the last; a
 * /24 leaves 251, a /29 leaves 3. */
static void test_azure_reserved(void **state)
{
    cn_config c;
    cn_config_defaults(&c);
    assert_int_equal(cn_subnet_usable(&c, cidr("10.1.2.0/24")), 251);
    assert_int_equal(cn_subnet_usable(&c, cidr("10.1.2.0/29")), 3);
    assert_int_equal(cn_subnet_usable(&c, cidr("10.0.0.0/8")), 16777211);
    assert_int_equal(cn_subnet_usable(&c, cidr("10.1.2.0/30")), 0);
    uint32_t first, last;
    assert_true(cn_subnet_usable_range(&c, cidr("192.168.1.0/24"), &first, &last));
    assert_int_equal(first, 0xc0a80104u); /* .0 network, .1 gateway, .2-.3 DNS */
    assert_int_equal(last, 0xc0a801feu);  /* .255 broadcast */
    assert_false(cn_subnet_usable_range(&c, cidr("10.1.2.0/32"), &first, &last));
    /* Whole /28 blocks: the first and last block hold reserved addresses. */
    uint32_t fb;
    assert_int_equal(cn_subnet_static_blocks(&c, cidr("10.1.0.0/24"), &fb), 14);
    assert_int_equal(fb, 0x0a010010u);
    assert_int_equal(cn_subnet_static_blocks(&c, cidr("10.1.0.0/28"), NULL), 0);
    assert_int_equal(cn_subnet_static_blocks(&c, cidr("10.1.0.0/27"), NULL), 0);
    assert_int_equal(cn_subnet_static_blocks(&c, cidr("10.1.0.0/26"), NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_size_contains_overlap),
        cmocka_unit_test(test_nth_24),
        cmocka_unit_test(test_prefix_for),
        cmocka_unit_test(test_azure_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
