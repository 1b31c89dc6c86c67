/* The timing wheel's slow paths: chunk allocation, moving to the next
 * bucket and cascading, the small heap and filtering (eventq.h holds the
 * hot path, inlined into the run loop, and explains the structure). */
#include "eventq.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define SIM__CHUNKS_PER_BLOCK 32 /* chunks allocated at once: 64 KiB */

/* Never written: empty buckets point at its end. */
static _Alignas(SIM__CHUNK_BYTES) sim__chunk dummy;
#define EMPTY (&dummy.ent[SIM__CHUNK_KEYS])

_Static_assert(sizeof(sim__chunk) == SIM__CHUNK_BYTES, "a chunk fills its aligned block");
_Static_assert(sizeof(sim__ent) == 32 && offsetof(sim__chunk, ent) == 32,
               "entries are 32-byte aligned, two to a cache line");

/* The chunk p points into, or just past the last entry of (p - 1 is inside
 * it either way: ent[] starts after the header). */
static inline sim__chunk *chunk_of(const sim__ent *p)
{
    return (sim__chunk *)((uintptr_t)(p - 1) & ~(uintptr_t)(SIM__CHUNK_BYTES - 1));
}

/* Where a bucket whose first chunk is c starts (later chunks of a bucket
 * start at ent[0]).  It varies with the chunk's address so that buckets'
 * first lines fall in different cache sets: at the same place in chunks
 * aligned to 2 KiB they would all be in 2 of an L1's 64 sets (and 1/32 of
 * an L2's), and a window's keys, one per bucket, would evict each other.
 * Address bit 11 already splits chunks in two sets; bits 12-16 pick the
 * line, 0 to 31 (line j's first entry is ent[2j - 1]). */
static inline sim__ent *chunk_start(sim__chunk *c)
{
    unsigned line = (unsigned)((uintptr_t)c >> 12) & 31;
    return &c->ent[line == 0 ? 0 : 2 * line - 1];
}

static inline void bucket_reset(sim__bucket *b)
{
    b->rp = b->wp = EMPTY;
}

void sim__eventq_init(sim__eventq *q, sim_bigmem *mem)
{
    memset(q, 0, sizeof(*q));
    q->mem = mem;
    for (unsigned i = 0; i < SIM__WHEEL_LEVELS * SIM__WHEEL_SIZE; i++)
        bucket_reset(&q->b[i]);
    q->mode = SIM__SMALL;
}

void sim__eventq_free(sim__eventq *q)
{
    /* The chunks are the arena's, freed with it. */
    memset(q, 0, sizeof(*q));
}

static sim__chunk *chunk_get(sim__eventq *q)
{
    if (q->free_chunks == NULL) {
        size_t bytes = SIM__CHUNKS_PER_BLOCK * sizeof(sim__chunk);
        sim__chunk *block = sim_bigmem_alloc(q->mem, bytes, SIM__CHUNK_BYTES);
        q->nblocks++;
        for (size_t i = 0; i < SIM__CHUNKS_PER_BLOCK; i++) {
            block[i].next = q->free_chunks;
            q->free_chunks = &block[i];
        }
    }
    sim__chunk *c = q->free_chunks;
    q->free_chunks = c->next;
    c->next = NULL;
    return c;
}

/* Last in, first out: the chunk just emptied is the one still in cache. */
static void chunk_put(sim__eventq *q, sim__chunk *c)
{
    c->next = q->free_chunks;
    q->free_chunks = c;
}

void sim__bucket_extend(sim__eventq *q, sim__bucket *b)
{
    sim__chunk *c = chunk_get(q);
    if (b->wp == EMPTY) {
        b->rp = b->wp = chunk_start(c);
        return;
    }
    chunk_of(b->wp)->next = c;
    b->wp = c->ent;
}

static inline void used_clear(sim__eventq *q, unsigned bi)
{
    q->used[bi >> 6] &= ~(UINT64_C(1) << (bi & 63));
}

/* Empty bucket bi but keep its (single) chunk for its next keys: buckets
 * that hold about one key at a time (events microseconds apart) would
 * otherwise get and release a chunk per key. */
static inline void bucket_clear(sim__eventq *q, unsigned bi)
{
    sim__bucket *b = &q->b[bi];
    b->rp = b->wp = chunk_start(chunk_of(b->wp));
    used_clear(q, bi);
}

/* Empty bucket bi, calling f(q, e, arg) on each of its entries in order.  Each
 * chunk is released once read, so f may append to other buckets (or even
 * to this one, which starts afresh) without the memory growing by more
 * than a chunk. */
static inline void bucket_drain(sim__eventq *q, unsigned bi,
                                void (*f)(sim__eventq *q, const sim__ent *e, void *arg), void *arg)
{
    sim__bucket *b = &q->b[bi];
    sim__ent *p = b->rp, *wp = b->wp;
    bucket_reset(b);
    used_clear(q, bi);
    if (wp == EMPTY)
        return;
    sim__chunk *tail = chunk_of(wp);
    for (;;) {
        sim__chunk *c = chunk_of(p);
        sim__ent *end = c == tail ? wp : &c->ent[SIM__CHUNK_KEYS];
        for (; p < end; p++)
            f(q, p, arg);
        sim__chunk *next = c->next;
        chunk_put(q, c);
        if (c == tail)
            break;
        p = next->ent;
    }
}

#define next_used sim__next_used

/* sim__eventq_place() for a key of cur's 256 ns window (level 0, where
 * the bucket is the time's low byte; level 0's bit in levels is never
 * read). */
static inline void place0(sim__eventq *q, const sim__ent *e)
{
    unsigned i = (unsigned)(uint64_t)sim__key_time(e->key) & (SIM__WHEEL_SIZE - 1);
    sim__bucket *b = &q->b[i];
    if (G_UNLIKELY(sim__at_chunk_end(b->wp)))
        sim__bucket_extend(q, b);
    *b->wp++ = *e;
    q->used[i >> 6] |= UINT64_C(1) << (i & 63);
}

/* Move bucket bi to the levels below with place(): cur is already its
 * start, so every key lands lower, in order, in buckets that are empty (the
 * lower levels were). */
static inline void cascade_with(sim__eventq *q, unsigned bi,
                                void (*place)(sim__eventq *q, const sim__ent *e))
{
    sim__bucket *b = &q->b[bi];
    sim__ent *p = b->rp, *wp = b->wp;
    sim__chunk *tail = chunk_of(wp);
    used_clear(q, bi);
    /* As bucket_drain() does, but the last chunk stays with the bucket, as
     * in bucket_clear() */
    for (;;) {
        sim__chunk *c = chunk_of(p);
        sim__ent *end = c == tail ? wp : &c->ent[SIM__CHUNK_KEYS];
        for (; p < end; p++)
            place(q, p);
        if (c == tail)
            break;
        sim__chunk *next = c->next;
        chunk_put(q, c);
        p = next->ent;
    }
    b->rp = b->wp = chunk_start(tail);
}

/* Cascade bucket bi of level 'level'.  From level 1 (the usual case when
 * events are tens of nanoseconds apart) every key goes to level 0, its
 * bucket given by its low byte. */
static void cascade(sim__eventq *q, unsigned bi, unsigned level)
{
    if (level == 1)
        cascade_with(q, bi, place0);
    else
        cascade_with(q, bi, sim__eventq_place);
}

/* ---- the small heap ------------------------------------------------ */

/* Taking the least key leaves a hole at the root instead of refilling it
 * at once: the event that ran usually schedules one (a hold model, a
 * server's next completion), and putting that key into the hole is one
 * sift-down instead of a sift-down for the take and a sift-up for the push.
 * small_n counts the hole. */

static void small_sift_down(sim__ent *h, uint32_t n, uint32_t i, sim__ent e)
{
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        /* the lesser child without a branch: which one it is cannot be
         * predicted, and a mispredicted branch per level costs more than
         * the comparison (r is c itself when c has no right sibling) */
        uint32_t r = c + 1 < n ? c + 1 : c;
        c += (uint32_t)(h[r].key < h[c].key);
        if (e.key < h[c].key)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

/* Refill the hole with the last key. */
static G_GNUC_NO_INLINE void small_fill(sim__eventq *q)
{
    q->small_hole = false;
    uint32_t n = --q->small_n;
    if (n > 0)
        small_sift_down(q->small_heap, n, 0, q->small_heap[n]);
}

static inline void small_settle(sim__eventq *q)
{
    if (q->small_hole)
        small_fill(q);
}

static void small_add(sim__eventq *q, const sim__ent *e)
{
    sim__ent *h = q->small_heap;
    if (q->small_hole) {
        q->small_hole = false;
        small_sift_down(h, q->small_n, 0, *e);
        return;
    }
    uint32_t i = q->small_n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h[p].key < e->key)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = *e;
}

/* The small heap is full: all to the wheel, least first, so that keys of
 * equal time are appended in sequence order; k, scheduled last, goes last. */
static G_GNUC_NO_INLINE void small_spill(sim__eventq *q, const sim__ent *e)
{
    q->mode = SIM__WHEEL;
    while (q->small_n > 0) {
        sim__eventq_place(q, &q->small_heap[0]);
        q->small_hole = true;
        small_settle(q);
    }
    sim__eventq_place(q, e);
}

void sim__eventq_push_small(sim__eventq *q, sim__key key, sim_handler h, void *ctx)
{
    const sim__ent ent = {key, h, ctx}, *e = &ent;
    if (G_UNLIKELY(!q->small_hole && q->small_n == SIM__SMALL_MAX))
        small_spill(q, e);
    else
        small_add(q, e);
}

bool sim__eventq_pop_small(sim__eventq *q, uint64_t end_ns, sim__ent *out)
{
    small_settle(q);
    if (q->small_n == 0 || (uint64_t)sim__key_time(q->small_heap[0].key) > end_ns)
        return false;
    *out = q->small_heap[0];
    q->small_hole = true;
    q->cur = (uint64_t)sim__key_time(out->key);
    q->count--;
    return true;
}

static void small_add_cb(sim__eventq *q, const sim__ent *e, void *arg)
{
    (void)arg;
    small_add(q, e);
}

/* Few keys left in the wheel: move them all to the small heap (which orders
 * them by the whole key, so their order in the buckets does not matter). */
static void to_small(sim__eventq *q)
{
    for (unsigned w = 0; w < SIM__WHEEL_LEVELS * SIM__WHEEL_SIZE / 64; w++)
        while (q->used[w] != 0)
            bucket_drain(q, w * 64 + (unsigned)__builtin_ctzll(q->used[w]), small_add_cb, NULL);
    q->levels = 0;
    q->mode = SIM__SMALL;
}

/* ---- window mode --------------------------------------------------- */

/* Whether bucket b's keys are in one chunk and few enough to add to a
 * window holding n keys. */
static inline bool window_takes(const sim__bucket *b, uint32_t n)
{
    return !sim__at_chunk_end(b->rp) && chunk_of(b->rp) == chunk_of(b->wp) &&
           b->wp - b->rp <= (ptrdiff_t)(SIM__WINDOW_TAKE - n);
}

/* Level 0 is empty and bucket j of level 1 comes next, window_takes() it:
 * its keys and those of the used buckets after it, as many as
 * SIM__WINDOW_TAKE keys allow, become the window.  cur moves to the first
 * bucket's start (high is cur's bits above level 1's); the window ends with
 * the last bucket taken.
 *
 * Buckets are in time order, so each bucket's keys are sorted on their own,
 * after the previous bucket's.  A bucket's keys are in the order they were
 * scheduled (appends and cascades keep it), far from time order, and few:
 * each goes straight to its place, its rank, the number of the bucket's
 * keys less than it, counted without a branch (a sort that branches on the
 * comparisons mispredicts about once a key, which costs more).  Since the
 * bucket's order is the sequence order, a key compares as its time in the
 * bucket (8 bits) above its place in the bucket: 16 bits, so the counting
 * runs four or more keys to an instruction. */
static void to_window(sim__eventq *q, unsigned j, uint64_t high)
{
    _Static_assert(SIM__WINDOW_TAKE <= 256, "a key's place in its bucket takes 8 bits");
    int32_t word[SIM__WINDOW_TAKE], rank[SIM__WINDOW_TAKE];
    uint32_t n = 0;
    unsigned first = j;
    int nj;
    for (;;) {
        unsigned bi = 1u << SIM__WHEEL_BITS | j;
        sim__bucket *b = &q->b[bi];
        const sim__ent *p = b->rp;
        uint32_t m = (uint32_t)(b->wp - b->rp);
        for (uint32_t k = 0; k < m; k++) {
            uint32_t t = (uint32_t)(uint64_t)sim__key_time(p[k].key) & (SIM__WHEEL_SIZE - 1);
            word[k] = (int32_t)(t << 8 | k);
            rank[k] = 0;
        }
        for (uint32_t i = 0; i < m; i++) {
            int32_t w = word[i];
            for (uint32_t k = 0; k < m; k++)
                rank[k] += w < word[k];
        }
        for (uint32_t k = 0; k < m; k++)
            q->win[n + (uint32_t)rank[k]] = p[k];
        n += m;
        bucket_clear(q, bi);
        nj = sim__next_used(q->used + SIM__WHEEL_SIZE / 64, j);
        if (nj < 0 || !window_takes(&q->b[1u << SIM__WHEEL_BITS | (unsigned)nj], n))
            break;
        j = (unsigned)nj;
    }
    q->cur = high | (uint64_t)first << SIM__WHEEL_BITS;
    q->win_end = high + ((uint64_t)(j + 1) << SIM__WHEEL_BITS);
    q->win_rp = 0;
    q->win_n = n;
    q->mode = SIM__WINDOW;
}

/* The window's keys to level 0's buckets, in order (so keys of equal time
 * are appended in sequence order), and window mode ends. */
static void window_spill(sim__eventq *q)
{
    for (uint32_t r = q->win_rp; r < q->win_n; r++)
        sim__eventq_place(q, &q->win[r]);
    q->win_rp = q->win_n = 0;
    q->win_end = 0;
    q->mode = SIM__WHEEL;
}

void sim__eventq_push_window(sim__eventq *q, sim__key key, sim_handler h, void *ctx)
{
    const sim__ent ent = {key, h, ctx}, *e = &ent;
    if (G_UNLIKELY(q->win_n == SIM__WINDOW_CAP)) {
        if (q->win_rp == 0) {
            window_spill(q);
            sim__eventq_place(q, e);
            return;
        }
        memmove(q->win, q->win + q->win_rp, (q->win_n - q->win_rp) * sizeof(q->win[0]));
        q->win_n -= q->win_rp;
        q->win_rp = 0;
    }
    /* e's key is the largest scheduled so far but its time may be earlier
     * than others': insert it after every key less than it */
    uint32_t lo = q->win_rp, hi = q->win_n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (q->win[mid].key < e->key)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&q->win[lo + 1], &q->win[lo], (q->win_n - lo) * sizeof(q->win[0]));
    q->win_n++;
    q->win[lo] = *e;
}

/* The general case of sim__eventq_pop_slow(): chunk boundaries, the move
 * to the small heap, and cascades from the levels above. */
static G_GNUC_NO_INLINE bool pop_general(sim__eventq *q, uint64_t end_ns, sim__ent *out)
{
    /* From window mode the window is used up and level 0's buckets are
     * empty: the next keys are found as from an empty level 0. */
    q->mode = SIM__WHEEL;
    q->win_rp = q->win_n = 0;
    q->win_end = 0;
    for (;;) {
        unsigned i0 = (unsigned)(q->cur & (SIM__WHEEL_SIZE - 1));
        sim__bucket *b = &q->b[i0];
        sim__ent *rp = b->rp;
        if (rp != b->wp && !sim__at_chunk_end(rp)) {
            b->rp = rp + 1;
            q->count--;
            *out = *rp;
            return true;
        }
        if (rp != b->wp) {
            /* the head chunk is used up, more follow */
            sim__chunk *c = chunk_of(rp);
            b->rp = c->next->ent;
            chunk_put(q, c);
            continue;
        }
        /* Used up.  A level-0 bucket is not cleared when used up (see
         * sim__eventq_pop_slow()): its bit goes when the window is left. */
        if (q->count <= SIM__SMALL_ENTER) {
            to_small(q);
            return sim__eventq_pop_small(q, end_ns, out);
        }
        /* the next nanosecond with keys in cur's window */
        int j = next_used(q->used, i0);
        if (j >= 0) {
            uint64_t t = (q->cur & ~(uint64_t)(SIM__WHEEL_SIZE - 1)) | (uint64_t)j;
            if (t > end_ns)
                return false;
            q->cur = t;
            continue;
        }
        /* Level 0 is empty (its bits left set are of used-up buckets):
         * clear the bits, and start each of those buckets' entries again
         * at the front of its chunk, so that level 0's entries keep to one
         * line per bucket instead of walking through every chunk. */
        for (unsigned w = 0; w < SIM__WHEEL_SIZE / 64; w++) {
            for (uint64_t m = q->used[w]; m != 0; m &= m - 1) {
                sim__bucket *u = &q->b[w * 64 + (unsigned)__builtin_ctzll(m)];
                u->rp = u->wp = chunk_start(chunk_of(u->wp));
            }
            q->used[w] = 0;
        }
        /* the first used bucket of the lowest used level (a level's bit in
         * levels is dropped once it is seen empty) */
        unsigned level = 0;
        uint32_t levels = q->levels & ~UINT32_C(1);
        j = -1;
        while (levels != 0) {
            level = (unsigned)__builtin_ctz(levels);
            unsigned shift = level * SIM__WHEEL_BITS;
            j = next_used(q->used + level * (SIM__WHEEL_SIZE / 64),
                          (unsigned)(q->cur >> shift) & (SIM__WHEEL_SIZE - 1));
            if (j >= 0)
                break;
            q->levels &= ~(UINT32_C(1) << level);
            levels &= levels - 1;
        }
        if (j < 0)
            g_error("sim: event set holds %zu keys but no bucket is in use", q->count);
        unsigned bi = level << SIM__WHEEL_BITS | (unsigned)j;
        sim__bucket *src = &q->b[bi];
        unsigned shift = level * SIM__WHEEL_BITS;
        unsigned above = shift + SIM__WHEEL_BITS; /* bits from here up are cur's */
        uint64_t high = above >= 64 ? 0 : q->cur >> above << above;
        uint64_t start = high | (uint64_t)j << shift;
        if (level == 1 && window_takes(src, 0)) {
            /* Not past end_ns: cur must stay <= sim_now() for later pushes. */
            if (start > end_ns)
                return false;
            to_window(q, (unsigned)j, high);
            return sim__eventq_pop_until(q, end_ns, out); /* from the window */
        }
        if (src->rp + 1 == src->wp) {
            /* A lone key at level 2 or above (level 1's go to a window) is
             * the least: take it directly.  cur moves to its time, which keeps
             * the structure's rule: the lower levels are empty and this
             * bucket, cur's own at its level, is emptied.  The keys of
             * cur's 256 ns window pushed next go to an (empty) window. */
            uint64_t t = (uint64_t)sim__key_time(src->rp->key);
            if (t > end_ns)
                return false;
            q->cur = t;
            *out = *src->rp;
            bucket_clear(q, bi);
            q->count--;
            q->win_end = (t | (SIM__WHEEL_SIZE - 1)) + 1;
            q->mode = SIM__WINDOW;
            return true;
        }
        if (start > end_ns)
            return false;
        q->cur = start;
        cascade(q, bi, level);
    }
}

typedef struct {
    bool (*keep)(const sim__ent *e, void *ctx);
    void *ctx;
    sim__bucket *b; /* the bucket being refilled */
} filter_arg;

static void filter_cb(sim__eventq *q, const sim__ent *e, void *arg)
{
    filter_arg *fa = arg;
    if (!fa->keep(e, fa->ctx)) {
        q->count--;
        return;
    }
    if (sim__at_chunk_end(fa->b->wp))
        sim__bucket_extend(q, fa->b);
    *fa->b->wp++ = *e;
}

void sim__eventq_filter(sim__eventq *q, bool (*keep)(const sim__ent *e, void *ctx), void *ctx)
{
    if (q->mode == SIM__SMALL) {
        small_settle(q);
        uint32_t n = q->small_n;
        q->small_n = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (keep(&q->small_heap[i], ctx))
                q->small_heap[q->small_n++] = q->small_heap[i];
            else
                q->count--;
        }
        for (uint32_t i = q->small_n / 2; i-- > 0;)
            small_sift_down(q->small_heap, q->small_n, i, q->small_heap[i]);
        return;
    }
    if (q->mode == SIM__WINDOW) {
        uint32_t n = q->win_rp;
        for (uint32_t r = q->win_rp; r < q->win_n; r++) {
            if (keep(&q->win[r], ctx))
                q->win[n++] = q->win[r];
            else
                q->count--;
        }
        q->win_n = n;
    }
    /* Each used bucket is drained and the kept keys appended back to it,
     * in order. */
    for (unsigned w = 0; w < SIM__WHEEL_LEVELS * SIM__WHEEL_SIZE / 64; w++) {
        uint64_t m = q->used[w];
        while (m != 0) {
            unsigned bi = w * 64 + (unsigned)__builtin_ctzll(m);
            m &= m - 1;
            filter_arg fa = {keep, ctx, &q->b[bi]};
            bucket_drain(q, bi, filter_cb, &fa);
            if (q->b[bi].wp != EMPTY)
                q->used[w] |= UINT64_C(1) << (bi & 63);
        }
    }
}

/* The usual way out of a used-up bucket when events are tens of
 * nanoseconds apart or more: the next key is in a later bucket of level 0
 * (cur's 256 ns window).  A leaf with few registers live, so the common
 * case pays no call-saved register traffic; anything else goes to
 * pop_general().
 *
 * A used-up level-0 bucket is left as it is, its bit set and its pointers
 * where they stopped (rp == wp is empty; the next keys are appended after,
 * in a new chunk when that one is full): cur only moves forward in its
 * window and next_used() looks only above cur, so the bits of buckets at
 * or before cur are never read there; when level 0 is found empty and cur
 * leaves the window, all of level 0's bits are cleared at once.  That
 * saves clearing a bucket per event when each bucket holds about one key. */
bool sim__eventq_pop_slow(sim__eventq *q, uint64_t end_ns, sim__ent *out)
{
    if (q->mode == SIM__WINDOW)
        return pop_general(q, end_ns, out);
    unsigned i0 = (unsigned)(q->cur & (SIM__WHEEL_SIZE - 1));
    sim__bucket *b = &q->b[i0];
    if (G_UNLIKELY(b->rp != b->wp || q->count <= SIM__SMALL_ENTER))
        return pop_general(q, end_ns, out);
    int j = next_used(q->used, i0);
    if (j < 0)
        return pop_general(q, end_ns, out);
    uint64_t t = (q->cur & ~(uint64_t)(SIM__WHEEL_SIZE - 1)) | (uint64_t)j;
    if (t > end_ns)
        return false;
    q->cur = t;
    /* bucket j holds entries (only the current bucket can be in use and
     * empty), but its first one may be past the end of a chunk */
    b = &q->b[j];
    sim__ent *rp = b->rp;
    if (G_UNLIKELY(sim__at_chunk_end(rp)))
        return pop_general(q, end_ns, out);
    b->rp = rp + 1;
    q->count--;
    *out = *rp;
    return true;
}
