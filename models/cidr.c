#include "cidr.h"

#include <stdio.h>
#include <string.h>

static bool parse_octets(const char *p, uint32_t *addr, const char **end)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned v = 0, digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p - '0');
            if (++digits > 3 || v > 255)
                return false;
            p++;
        }
        a = (a << 8) | v;
        if (i < 3) {
            if (*p != '.')
                return false;
            p++;
        }
    }
    *addr = a;
    *end = p;
    return true;
}

bool cn_ipv4_parse(const char *text, uint32_t *addr)
{
    const char *end;
    if (!text || !parse_octets(text, addr, &end))
        return false;
    return *end == '\0';
}

bool cn_cidr_parse(const char *text, cn_cidr *out, const char **why)
{
    const char *dummy;
    const char **w = why ? why : &dummy;
    const char *end;
    uint32_t a;
    if (!text || !parse_octets(text, &a, &end)) {
        *w = "an IPv4 range such as 10.244.0.0/16";
        return false;
    }
    if (*end != '/') {
        *w = "a prefix length after the address, such as /16";
        return false;
    }
    end++;
    if (*end < '0' || *end > '9') {
        *w = "a prefix length from 0 to 32";
        return false;
    }
    unsigned n = 0, digits = 0;
    while (*end >= '0' && *end <= '9') {
        n = n * 10 + (unsigned)(*end - '0');
        if (++digits > 2)
            break;
        end++;
    }
    if (*end != '\0' || n > 32) {
        *w = "a prefix length from 0 to 32";
        return false;
    }
    uint32_t mask = n == 0 ? 0 : UINT32_MAX << (32 - n);
    if (a & ~mask) {
        *w = "a network address with the host bits zero";
        return false;
    }
    out->addr = a;
    out->prefix = (uint8_t)n;
    return true;
}

char *cn_ipv4_format(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u);
    return buf;
}

char *cn_cidr_format(cn_cidr c, char *buf)
{
    cn_ipv4_format(c.addr, buf);
    size_t l = strlen(buf);
    snprintf(buf + l, 19 - l, "/%u", (unsigned)c.prefix);
    return buf;
}

uint64_t cn_cidr_size(cn_cidr c)
{
    /* A prefix past 32 is no range: never shift by a negative count (issue
     * 9, a [costs] subnet_min_prefix of 33 reached here). */
    if (c.prefix > 32)
        return 0;
    return UINT64_C(1) << (32 - c.prefix);
}

uint32_t cn_cidr_last(cn_cidr c)
{
    return (uint32_t)(c.addr + cn_cidr_size(c) - 1);
}

bool cn_cidr_contains_addr(cn_cidr c, uint32_t addr)
{
    return addr >= c.addr && addr <= cn_cidr_last(c);
}

bool cn_cidr_contains(cn_cidr outer, cn_cidr inner)
{
    return inner.prefix >= outer.prefix && cn_cidr_contains_addr(outer, inner.addr);
}

bool cn_cidr_overlaps(cn_cidr a, cn_cidr b)
{
    return cn_cidr_contains(a, b) || cn_cidr_contains(b, a);
}

uint64_t cn_cidr_subnet_count(cn_cidr outer, unsigned prefix)
{
    if (prefix > 32 || prefix < outer.prefix)
        return 0;
    return UINT64_C(1) << (prefix - outer.prefix);
}

bool cn_cidr_nth_subnet(cn_cidr outer, unsigned prefix, uint64_t n, cn_cidr *out)
{
    if (n >= cn_cidr_subnet_count(outer, prefix))
        return false;
    out->addr = (uint32_t)(outer.addr + n * (UINT64_C(1) << (32 - prefix)));
    out->prefix = (uint8_t)prefix;
    return true;
}

int cn_prefix_for_addresses(uint64_t addresses)
{
    for (int p = 32; p >= 0; p--)
        if ((UINT64_C(1) << (32 - p)) >= addresses)
            return p;
    return -1;
}
