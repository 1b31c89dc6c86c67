/* The pending-event set, internal to the engine (not part of the public API).
 *
 * The scheduler orders compact 16-byte keys (time, sequence|slot); the
 * handler and context of an event live out of line in the slot array of
 * sim.c, so the ordering structure moves 16 bytes per step instead of 32.
 * A key is one unsigned 128-bit integer, time in the high half, so that
 * "earlier, then scheduled first" is a single unsigned comparison.
 *
 * Two implementations sit behind the sim__eventq_* functions, chosen at
 * build time (SIM_EVENTQ_HEAP=1 selects the first; bench/README.md has the
 * measurements behind the default):
 *
 * - a 4-ary min-heap (sim__heap).  Four 16-byte children are exactly one
 *   64-byte cache line; the array is offset so that every group of siblings
 *   starts on a line boundary, so one sift-down level touches one line.
 *
 * - a two-tier set, after the ladder and calendar queues (Tang et al. 2005,
 *   Brown 1988): only the near future is kept in a heap; later events are
 *   appended, unsorted, to time buckets of width bucket_ns, or beyond the
 *   buckets to an overflow array.  When the heap empties, the next bucket
 *   is heapified into it.  Order is still decided only by the heap on full
 *   keys, so ties break by sequence exactly as in the plain heap; the
 *   buckets just keep the heap small and cache-resident.  The width is
 *   re-estimated from the overflow each time the buckets are used up.
 *   Below SIM__SMALL events it is the plain heap (eventq.c). */
#ifndef SIM_EVENTQ_H
#define SIM_EVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 sim__key; /* time << 64 | seq << 24 | slot */

#define SIM__SLOT_BITS 24 /* at most 16M events pending (incl. cancelled) at once */
#define SIM__SLOT_MASK ((UINT64_C(1) << SIM__SLOT_BITS) - 1)
#define SIM__SEQ_MAX   (UINT64_MAX >> SIM__SLOT_BITS) /* 1.1e12 schedules per sim */
#define SIM__KEY_MAX   (~(sim__key)0)                 /* sorts after every real key */

static inline sim__key sim__key_make(int64_t time_ns, uint64_t seqslot)
{
    /* time_ns >= 0 always (time starts at 0 and never goes back), so the
     * unsigned conversion keeps the order. */
    return ((sim__key)(uint64_t)time_ns << 64) | seqslot;
}

static inline int64_t sim__key_time(sim__key k)
{
    return (int64_t)(uint64_t)(k >> 64);
}

static inline uint32_t sim__key_slot(sim__key k)
{
    return (uint32_t)((uint64_t)k & SIM__SLOT_MASK);
}

typedef struct {
    sim__key *key; /* key[0] is the minimum; children of i are 4i+1 .. 4i+4 */
    size_t n;      /* keys in the heap */
    size_t cap;    /* keys the allocation holds; key[n .. cap) are SIM__KEY_MAX */
    void *mem;     /* the 64-byte aligned allocation; key = mem + 3 keys */
} sim__heap;

void sim__heap_init(sim__heap *q);
void sim__heap_free(sim__heap *q);
/* Make room for at least need keys (grows geometrically). */
void sim__heap_reserve(sim__heap *q, size_t need);
/* Restore the heap order of key[0 .. n) after arbitrary edits (Floyd). */
void sim__heap_heapify(sim__heap *q);

static inline void sim__heap_sift_up(sim__key *h, size_t i, sim__key k)
{
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (h[p] < k)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

/* Index of the least of the four siblings starting at c, without branches:
 * two pairwise matches, then the final chosen by arithmetic on the indices
 * so the compiler emits sbb/adc rather than unpredictable jumps.  (Selecting
 * the 128-bit values themselves with cmov measured slower: the register
 * pressure made gcc spill in the loop.) */
static inline size_t sim__heap_min4(const sim__key *h, size_t c)
{
    size_t a = c + (h[c + 1] < h[c]);
    size_t b = c + 2 + (h[c + 3] < h[c + 2]);
    size_t pick_b = (size_t)0 - (size_t)(h[b] < h[a]);
    return a ^ ((a ^ b) & pick_b);
}

/* Put k into the hole at i and move it down to its place.  Positions past n
 * hold SIM__KEY_MAX, so every sibling group can be read as a whole. */
static inline void sim__heap_sift_down(sim__key *h, size_t n, size_t i, sim__key k)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        /* The children of c .. c+3 are the 16 keys from 4c + 1: four whole
         * lines.  Fetching them now overlaps the next level's cache misses
         * with this level's comparisons (prefetches past the end are
         * harmless: they never fault). */
        const sim__key *g = h + 4 * c + 1;
        __builtin_prefetch(g);
        __builtin_prefetch(g + 4);
        __builtin_prefetch(g + 8);
        __builtin_prefetch(g + 12);
        size_t m = sim__heap_min4(h, c);
        if (k < h[m])
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = k;
}

static inline void sim__heap_push(sim__heap *q, sim__key k)
{
    if (q->n >= q->cap)
        sim__heap_reserve(q, q->n + 1);
    sim__heap_sift_up(q->key, q->n++, k);
}

/* The least key; SIM__KEY_MAX when empty. */
static inline sim__key sim__heap_top(const sim__heap *q)
{
    return q->key[0];
}

static inline void sim__heap_pop(sim__heap *q)
{
    size_t n = --q->n;
    sim__key last = q->key[n];
    q->key[n] = SIM__KEY_MAX;
    if (n > 0)
        sim__heap_sift_down(q->key, n, 0, last);
}

/* Replace the least key by k: one sift-down instead of a pop and a push. */
static inline void sim__heap_replace_top(sim__heap *q, sim__key k)
{
    sim__heap_sift_down(q->key, q->n, 0, k);
}

/* ---- the event set ------------------------------------------------- */

#if SIM_EVENTQ_HEAP

typedef struct {
    sim__heap near; /* every pending key */
} sim__eventq;

static inline void sim__eventq_push(sim__eventq *q, sim__key k)
{
    sim__heap_push(&q->near, k);
}

static inline void sim__eventq_pop(sim__eventq *q)
{
    sim__heap_pop(&q->near);
}

static inline void sim__eventq_replace_top(sim__eventq *q, sim__key k)
{
    sim__heap_replace_top(&q->near, k);
}

#else

typedef struct {
    sim__key *key; /* keys in arrival order */
    size_t n;      /* keys used */
    size_t cap;    /* keys allocated */
} sim__keyvec;

typedef struct {
    sim__heap near;        /* keys with time < horizon_ns, in heap order */
    int64_t horizon_ns;    /* start of bucket[cur] */
    int64_t bucket_ns;     /* width of a bucket, ns: 2^bucket_shift */
    unsigned bucket_shift; /* log2 of bucket_ns (a shift, not a division, per push) */
    size_t cur;            /* first bucket not yet moved to the heap */
    size_t nbuckets;       /* buckets in use */
    size_t bucket_cap;     /* buckets allocated */
    sim__keyvec *bucket;   /* bucket[cur + j]: times in horizon + [j, j+1) bucket_ns */
    sim__keyvec overflow;  /* keys at or past the end of the last bucket */
    size_t far;            /* keys in buckets and overflow */
    /* With few events (an M/M/1 model has two) refilling the heap from
     * buckets costs more than it saves: the heap then takes everything
     * (horizon_ns = SIM_TIME_MAX) until it holds split_at keys. */
    size_t split_at; /* heap size that restores the buckets; SIZE_MAX: buckets in use */
} sim__eventq;

void sim__keyvec_grow(sim__keyvec *v);
/* Refill the empty heap from the next bucket (or the overflow). */
void sim__eventq_advance(sim__eventq *q);

static inline void sim__keyvec_append(sim__keyvec *v, sim__key k)
{
    if (__builtin_expect(v->n == v->cap, 0))
        sim__keyvec_grow(v);
    v->key[v->n++] = k;
}

/* File k under the heap, a bucket or the overflow by its time. */
static inline void sim__eventq_push_far(sim__eventq *q, sim__key k)
{
    uint64_t d = (uint64_t)(sim__key_time(k) - q->horizon_ns) >> q->bucket_shift;
    q->far++;
    if (d < q->nbuckets - q->cur)
        sim__keyvec_append(&q->bucket[q->cur + d], k);
    else
        sim__keyvec_append(&q->overflow, k);
}

void sim__eventq_push_empty(sim__eventq *q, sim__key k);
void sim__eventq_split(sim__eventq *q);

static inline void sim__eventq_push(sim__eventq *q, sim__key k)
{
    if (sim__key_time(k) < q->horizon_ns) {
        sim__heap_push(&q->near, k);
        if (__builtin_expect(q->near.n >= q->split_at, 0))
            sim__eventq_split(q);
    } else if (__builtin_expect(q->near.n == 0, 0))
        sim__eventq_push_empty(q, k);
    else
        sim__eventq_push_far(q, k);
}

static inline void sim__eventq_pop(sim__eventq *q)
{
    sim__heap_pop(&q->near);
    if (q->near.n == 0 && q->far > 0)
        sim__eventq_advance(q);
}

static inline void sim__eventq_replace_top(sim__eventq *q, sim__key k)
{
    if (sim__key_time(k) < q->horizon_ns) {
        sim__heap_replace_top(&q->near, k);
    } else {
        sim__eventq_push_far(q, k);
        sim__eventq_pop(q);
    }
}

#endif

void sim__eventq_init(sim__eventq *q);
void sim__eventq_free(sim__eventq *q);

/* The least key; SIM__KEY_MAX when empty. */
static inline sim__key sim__eventq_top(const sim__eventq *q)
{
    return q->near.key[0];
}

/* Keys in the set. */
size_t sim__eventq_count(const sim__eventq *q);

/* Remove every key for which keep(k, ctx) is false, in O(n). */
void sim__eventq_filter(sim__eventq *q, bool (*keep)(sim__key k, void *ctx), void *ctx);

#endif
