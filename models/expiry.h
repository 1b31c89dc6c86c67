/* Counts that expire after a fixed hold time: conntrack entries in
 * TIME_WAIT, SNAT ports held after close.  Because every entry of one
 * queue has the same hold time, expiry times arrive in order, so a FIFO of
 * (time, count) buckets is enough: no per-entry timer events, memory bounded
 * by the number of distinct 1 ms buckets in one hold time. */
#ifndef CN_EXPIRY_H
#define CN_EXPIRY_H

#include <stdint.h>

#include "sim.h"

typedef struct {
    sim_time_ns at; /* expiry time of the bucket's entries */
    int64_t count;  /* entries in it */
} cn_expiry_bucket;

typedef struct {
    cn_expiry_bucket *b; /* ring buffer of buckets, oldest at head (one line per touch) */
    sim_time_ns head_at; /* b[head].at while n > 0: a drain with nothing due reads no bucket */
    uint32_t head, n;    /* first bucket, buckets in use */
    uint32_t cap;        /* allocated buckets (power of two) */
    int64_t total;       /* entries not yet expired */
} cn_expiry;

void cn_expiry_init(cn_expiry *e);
void cn_expiry_clear(cn_expiry *e);
/* Add one entry expiring at at_ns (rounded up to the next 1 ms bucket);
 * at_ns must not be earlier than the last one added minus 1 ms. */
void cn_expiry_add(cn_expiry *e, sim_time_ns at_ns);
/* Drop the entries expired at now_ns; returns how many. */
int64_t cn_expiry_drain(cn_expiry *e, sim_time_ns now_ns);
/* Remove the oldest entry (LRU eviction); returns 0 if empty. */
int cn_expiry_pop_oldest(cn_expiry *e);

#endif
