/* libFuzzer harness: IPv4 address and CIDR parsing.
 *
 * Properties: the parsers never read past the string; a range that parses
 * has its host bits zero and formats to text that parses back to the same
 * range (parse(format(x)) == x); the same for addresses; the arithmetic on a
 * parsed range stays inside it. */
#include <string.h>

#include "cidr.h"
#include "fuzz.h"

static void check_range(cn_cidr c)
{
    char buf[19], buf2[19];
    g_assert(c.prefix <= 32);
    uint32_t mask = c.prefix == 0 ? 0 : UINT32_MAX << (32 - c.prefix);
    g_assert((c.addr & ~mask) == 0);
    cn_cidr back;
    const char *why = NULL;
    cn_cidr_format(c, buf);
    g_assert(strlen(buf) < sizeof buf);
    g_assert(cn_cidr_parse(buf, &back, &why));
    g_assert(back.addr == c.addr && back.prefix == c.prefix);
    /* The canonical text is a fixed point. */
    cn_cidr_format(back, buf2);
    g_assert(strcmp(buf, buf2) == 0);

    g_assert(cn_cidr_size(c) == (UINT64_C(1) << (32 - c.prefix)));
    g_assert(cn_cidr_contains_addr(c, c.addr));
    g_assert(cn_cidr_contains_addr(c, cn_cidr_last(c)));
    g_assert(cn_cidr_contains(c, c) && cn_cidr_overlaps(c, c));
    for (unsigned p = 0; p <= 33; p++) {
        uint64_t n = cn_cidr_subnet_count(c, p);
        if (p < c.prefix || p > 32) {
            g_assert(n == 0);
            continue;
        }
        g_assert(n == (UINT64_C(1) << (p - c.prefix)));
        cn_cidr first, last;
        g_assert(cn_cidr_nth_subnet(c, p, 0, &first));
        g_assert(cn_cidr_nth_subnet(c, p, n - 1, &last));
        g_assert(!cn_cidr_nth_subnet(c, p, n, &first));
        g_assert(first.addr == c.addr && first.prefix == p);
        g_assert(cn_cidr_contains(c, last) && cn_cidr_last(last) == cn_cidr_last(c));
    }
    int p = cn_prefix_for_addresses(cn_cidr_size(c));
    g_assert(p == c.prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_fuzz_init();
    /* The parsers take C strings: give them exactly the input's bytes. */
    char *text = g_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    cn_cidr c;
    const char *why = NULL;
    if (cn_cidr_parse(text, &c, &why))
        check_range(c);
    else
        g_assert(why != NULL && *why);
    g_assert(!cn_cidr_parse(text, &c, NULL) || c.prefix <= 32);

    uint32_t a;
    if (cn_ipv4_parse(text, &a)) {
        char buf[16];
        uint32_t back;
        cn_ipv4_format(a, buf);
        g_assert(cn_ipv4_parse(buf, &back) && back == a);
    }

    /* Raw bytes as a range: the formatter and parser agree on every value. */
    if (size >= 5) {
        uint32_t addr =
            (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
        uint8_t prefix = (uint8_t)(data[4] % 33);
        uint32_t mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
        check_range((cn_cidr){addr & mask, prefix});
        char buf[16];
        uint32_t back;
        g_assert(cn_ipv4_parse(cn_ipv4_format(addr, buf), &back) && back == addr);
    }
    g_free(text);
    return 0;
}
