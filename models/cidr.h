/* IPv4 addresses and CIDR ranges: parsing, formatting and arithmetic. */
#ifndef CN_CIDR_H
#define CN_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct {
    uint32_t addr;  /* network address, host byte order, host bits zero */
    uint8_t prefix; /* prefix length, 0..32 */
} cn_cidr;

/* Parse "a.b.c.d"; false on anything else. */
bool cn_ipv4_parse(const char *text, uint32_t *addr);
/* Parse "a.b.c.d/n".  Host bits must be zero.  On failure returns false and,
 * if why is not NULL, sets a static text saying what was wrong. */
bool cn_cidr_parse(const char *text, cn_cidr *out, const char **why);
/* Format into buf (at least 19 bytes); returns buf. */
char *cn_cidr_format(cn_cidr c, char *buf);
char *cn_ipv4_format(uint32_t addr, char *buf); /* buf at least 16 bytes */

uint64_t cn_cidr_size(cn_cidr c); /* addresses in the range, 2^(32-prefix); 0 past /32 */
uint32_t cn_cidr_last(cn_cidr c); /* highest address in the range */
bool cn_cidr_contains_addr(cn_cidr c, uint32_t addr);
bool cn_cidr_contains(cn_cidr outer, cn_cidr inner);
bool cn_cidr_overlaps(cn_cidr a, cn_cidr b);

/* Number of /prefix ranges inside outer: 0 when prefix is shorter than outer's. */
uint64_t cn_cidr_subnet_count(cn_cidr outer, unsigned prefix);
/* The n-th (0-based, in address order) /prefix range inside outer, e.g. the
 * node /24s of a pod CIDR; false when outer holds no such range. */
bool cn_cidr_nth_subnet(cn_cidr outer, unsigned prefix, uint64_t n, cn_cidr *out);
/* The longest prefix whose range holds at least addresses (a /21 for 2,048);
 * -1 when even a /0 is too small. */
int cn_prefix_for_addresses(uint64_t addresses);

#endif
