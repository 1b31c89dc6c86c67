/* The pending-event set, internal to the engine (not part of the public API).
 *
 * A key is one unsigned 128-bit integer: the time in the high half, the
 * event's sequence number and slot (sim.c: what a cancel finds it by) in
 * the low half.  An entry is the key with its handler and context beside
 * it, 32 bytes, so taking an event reads nothing but the entry.
 *
 * The set is a radix-ordered hierarchical timing wheel (after Varghese and
 * Lauck's hierarchical timing wheels, with the level chosen as in a radix
 * heap): 8 levels of 256 buckets, level L splitting time into bucket widths
 * of 2^(8L) ns.  cur is a time no later than any pending key (the last one
 * taken).  A key of time t goes to the level of the highest byte in which t
 * and cur differ, in the bucket given by that byte of t; so level 0 holds
 * the 256 single nanoseconds of cur's window and every level holds only
 * times after cur's own bucket there.  A bucket is a queue appended to in
 * scheduling order.  When level 0 has nothing left the first non-empty
 * bucket of the lowest non-empty level is moved down ("cascaded"): cur
 * becomes that bucket's start and its keys, in order, go to lower levels,
 * all empty at that moment (a bucket with a single key is taken directly,
 * cur moving to its time).  cur never passes the end of a run
 * (sim__eventq_pop_until), so events scheduled after it are never earlier.
 *
 * Why this keeps the event-order contract (time, then scheduling order)
 * without comparing keys: every key of a given time is always in the same
 * bucket (the bucket is a function of t and cur, and cur moves only within
 * level 0's window or to a cascaded bucket's start), appends happen in
 * sequence order, and a cascade moves keys in order into empty buckets
 * before anything else can be appended to them.  A level-0 bucket holds a
 * single time, so taking it front to back is the contract exactly.
 *
 * Costs: a push is a few shifts and an append; a pop takes the next key of
 * the current bucket; each key is cascaded at most once per level it
 * crosses (once or twice in practice).  Nothing is sorted, so the cost does
 * not grow with the population, and the front of the set is read
 * sequentially; sim__eventq_peek() names the entry that comes next, so
 * sim.c can fetch its context while the current handler runs.
 * With 256 keys or fewer (after dropping to 64) they sit in a small binary
 * heap instead (see SIM__SMALL_MAX), and when events are sparse the next
 * keys are sorted into a short array instead of cascaded to level 0 (see
 * "Window mode").  bench/README.md has the measurements against the 4-ary
 * heap and the two-tier heap+buckets set this replaced, and of both modes.
 *
 * The references: G. Varghese and T. Lauck, "Hashed and hierarchical timing
 * wheels", SOSP 1987; R. Ahuja, K. Mehlhorn, J. Orlin, R. Tarjan, "Faster
 * algorithms for the shortest path problem" (radix heaps), JACM 1990. */
#ifndef SIM_EVENTQ_H
#define SIM_EVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

__extension__ typedef unsigned __int128 sim__key; /* time << 64 | seq << 24 | slot */

#define SIM__SLOT_BITS 24 /* at most 16M events pending (incl. cancelled) at once */
#define SIM__SLOT_MASK ((UINT64_C(1) << SIM__SLOT_BITS) - 1)
#define SIM__SEQ_MAX   (UINT64_MAX >> SIM__SLOT_BITS) /* 1.1e12 schedules per sim */

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

#define SIM__WHEEL_BITS   8
#define SIM__WHEEL_SIZE   (1u << SIM__WHEEL_BITS) /* buckets per level */
#define SIM__WHEEL_LEVELS 8                       /* 8 x 8 bits cover a 64-bit time */

/* An event in the set: its key, and the payload the run loop calls. */
typedef struct {
    sim__key key;
    sim_handler h;
    void *ctx;
} sim__ent;

/* Buckets are queues of 2 KiB chunks from one free list, so memory follows
 * the pending population rather than each bucket's peak (a bucket that once
 * held half a million keys does not keep that array).  Chunks are aligned
 * to their size, so an entry's address gives its chunk and its place in it,
 * and a bucket is just two pointers.  The header takes 32 bytes so that no
 * entry straddles two cache lines; the entries end at the chunk's end. */
#define SIM__CHUNK_BYTES 2048
#define SIM__CHUNK_KEYS  63 /* entries a chunk holds after its header */

typedef struct sim__chunk sim__chunk;
struct sim__chunk {
    sim__chunk *next; /* next chunk of the bucket, or of the free list */
    uint64_t pad[3];  /* entries start 32-byte aligned */
    sim__ent ent[SIM__CHUNK_KEYS];
};

/* An empty bucket points both ends at the end of a static, zeroed dummy
 * chunk: so "empty" and "tail chunk full" are one test. */
typedef struct {
    sim__ent *rp; /* the next entry to take */
    sim__ent *wp; /* where the next entry goes */
} sim__bucket;

/* Whether p is just past a chunk's last entry: the next chunk's start. */
static inline bool sim__at_chunk_end(const sim__ent *p)
{
    return ((uintptr_t)p & (SIM__CHUNK_BYTES - 1)) == 0;
}

/* With few keys pending (an M/M/1 model has two) walking the wheel's empty
 * buckets costs more than ordering the keys: then they are kept in a small
 * binary heap instead, until it fills (bench/README.md has the numbers). */
#define SIM__SMALL_MAX   256 /* keys the small heap holds; one more: the wheel */
#define SIM__SMALL_ENTER 64  /* back to the small heap at this many keys or fewer */

/* Window mode: when events are tens of nanoseconds apart or more, a
 * level-1 bucket (256 ns) holds a few keys, which level 0 would spread one
 * to a bucket, each a line to write and read and a bucket to walk to.  So
 * when level 0 is empty and the next level-1 bucket holds at most
 * SIM__WINDOW_TAKE keys it is not cascaded: its keys, with those of the
 * used buckets after it while they fit in SIM__WINDOW_TAKE, are sorted into
 * win[] (the "window", cur to win_end) and taken from the front.  Keys
 * pushed into the window meanwhile are inserted in order; when win[] is
 * full they all go to level 0 and the wheel goes on as before. */
#define SIM__WINDOW_TAKE 32 /* a level-1 bucket of this many keys or fewer: window mode */
#define SIM__WINDOW_CAP  64 /* keys win[] holds */

typedef enum {
    SIM__WHEEL,  /* the keys are in the wheel's buckets */
    SIM__SMALL,  /* the keys are in small_heap, the wheel is empty */
    SIM__WINDOW, /* the window's keys are win[win_rp .. win_n), in order;
                  * level 0's buckets are empty; levels 1 and up hold the rest */
} sim__mode;

typedef struct {
    uint64_t cur;    /* no pending key is earlier; level 0 is cur's 256 ns window */
    size_t count;    /* keys in the set (taken ones excluded) */
    uint32_t levels; /* bit L set: level L may hold keys (cleared lazily) */
    sim__mode mode;
    bool small_hole;  /* small_heap[0] was taken, not yet refilled */
    uint64_t win_end; /* window mode: the window is cur to win_end - 1; else 0 */
    uint32_t win_rp;  /* the next key of the window to take */
    uint32_t win_n;   /* end of the window's keys */
    uint32_t small_n; /* keys in small_heap, the hole included */
    /* bucket i of level L is b[L << 8 | i]; its bit in used[L << 2 | i >> 6]
     * is set while it holds keys (and, at level 0, may stay set on a
     * used-up bucket at or before cur until cur leaves the window) */
    sim__bucket b[SIM__WHEEL_LEVELS * SIM__WHEEL_SIZE];
    uint64_t used[SIM__WHEEL_LEVELS * SIM__WHEEL_SIZE / 64];
    sim__chunk *free_chunks;             /* chunks not in any bucket */
    sim_bigmem *mem;                     /* where chunks are carved from (the sim's) */
    size_t nblocks;                      /* blocks of chunks carved from mem */
    sim__ent small_heap[SIM__SMALL_MAX]; /* binary min-heap on the whole key */
    sim__ent win[SIM__WINDOW_CAP];       /* window mode: cur's window, sorted */
} sim__eventq;

void sim__eventq_init(sim__eventq *q, sim_bigmem *mem);
void sim__eventq_free(sim__eventq *q);
/* Give b a new tail chunk (b is empty or its tail is full). */
void sim__bucket_extend(sim__eventq *q, sim__bucket *b);
/* The current bucket is used up: find (cascading as needed) the next entry
 * and take it into *out if its time is <= end_ns; false otherwise. */
bool sim__eventq_pop_slow(sim__eventq *q, uint64_t end_ns, sim__ent *out);
/* Push in small mode (moves everything to the wheel when the heap is full). */
void sim__eventq_push_small(sim__eventq *q, sim__key key, sim_handler h, void *ctx);
/* sim__eventq_pop_until() in small mode. */
bool sim__eventq_pop_small(sim__eventq *q, uint64_t end_ns, sim__ent *out);
/* Push a key of cur's window in window mode. */
void sim__eventq_push_window(sim__eventq *q, sim__key key, sim_handler h, void *ctx);

/* Append an entry to its bucket; does not count it.  The fields are
 * stored one by one: an entry put together on the stack and copied would
 * be read back 16 bytes at a time from 8-byte stores, which the CPU cannot
 * forward (a stall of a dozen cycles, twice per push). */
static inline void sim__eventq_place_kv(sim__eventq *q, sim__key key, sim_handler h, void *ctx)
{
    uint64_t t = (uint64_t)sim__key_time(key);
    /* level = index of the highest byte in which t and cur differ
     * (x | 1 keeps clz defined when they are equal) */
    uint64_t x = (t ^ q->cur) | 1;
    unsigned level = (unsigned)(63 - __builtin_clzll(x)) / SIM__WHEEL_BITS;
    unsigned i = (unsigned)(t >> (level * SIM__WHEEL_BITS)) & (SIM__WHEEL_SIZE - 1);
    unsigned bi = level << SIM__WHEEL_BITS | i;
    sim__bucket *b = &q->b[bi];
    if (__builtin_expect(sim__at_chunk_end(b->wp), 0))
        sim__bucket_extend(q, b);
    sim__ent *d = b->wp++;
    d->key = key;
    d->h = h;
    d->ctx = ctx;
    q->used[bi >> 6] |= UINT64_C(1) << (bi & 63);
    q->levels |= UINT32_C(1) << level;
}

/* Append e to its bucket; does not count it. */
static inline void sim__eventq_place(sim__eventq *q, const sim__ent *e)
{
    sim__eventq_place_kv(q, e->key, e->h, e->ctx);
}

static inline void sim__eventq_push(sim__eventq *q, sim__key key, sim_handler h, void *ctx)
{
    q->count++;
    if (q->mode == SIM__SMALL)
        sim__eventq_push_small(q, key, h, ctx);
    else if ((uint64_t)sim__key_time(key) < q->win_end)
        sim__eventq_push_window(q, key, h, ctx);
    else
        sim__eventq_place_kv(q, key, h, ctx);
}

/* Take the least entry into *out if its time is <= end_ns; false otherwise
 * (and then nothing is taken).  end_ns must be >= the time of the last key
 * taken, which holds in sim.c: it is sim_now() or later. */
static inline bool sim__eventq_pop_until(sim__eventq *q, uint64_t end_ns, sim__ent *out)
{
    if (q->mode != SIM__WHEEL) {
        if (q->mode == SIM__SMALL)
            return sim__eventq_pop_small(q, end_ns, out);
        if (__builtin_expect(q->win_rp == q->win_n, 0))
            return sim__eventq_pop_slow(q, end_ns, out);
        const sim__ent *w = &q->win[q->win_rp];
        uint64_t t = (uint64_t)sim__key_time(w->key);
        if (t > end_ns)
            return false;
        q->win_rp++;
        q->cur = t;
        q->count--;
        *out = *w;
        return true;
    }
    /* The current bucket holds exactly time cur, and cur <= end_ns. */
    sim__bucket *b = &q->b[q->cur & (SIM__WHEEL_SIZE - 1)];
    sim__ent *rp = b->rp;
    if (__builtin_expect(rp != b->wp && !sim__at_chunk_end(rp), 1)) {
        b->rp = rp + 1;
        q->count--;
        *out = *rp;
        return true;
    }
    return sim__eventq_pop_slow(q, end_ns, out);
}

/* The first used bucket of a level after bucket i; -1 if none. */
static inline int sim__next_used(const uint64_t *used, unsigned i)
{
    unsigned w = i >> 6;
    /* bits above i in its word (two shifts: i & 63 may be 63) */
    uint64_t m = used[w] & ((~UINT64_C(0) << (i & 63)) << 1);
    for (;;) {
        if (m != 0)
            return (int)(w * 64 + (unsigned)__builtin_ctzll(m));
        if (++w == SIM__WHEEL_SIZE / 64)
            return -1;
        m = used[w];
    }
}

/* Call right after an entry was taken: the entries that will be taken
 * next if nothing earlier is pushed meanwhile, up to n of them and as far
 * as they are in cur's 256 ns window without a cascade or a chunk change
 * (in window mode: in the window), into ahead[]; returns how many (0 in
 * small mode, where everything is in cache anyway).  For prefetching. */
static inline unsigned sim__eventq_peek(const sim__eventq *q, unsigned n, const sim__ent **ahead)
{
    unsigned k = 0;
    if (q->mode != SIM__WHEEL) {
        /* in window mode the window's next keys (past its end nothing is
         * known yet) */
        if (q->mode == SIM__WINDOW)
            for (uint32_t r = q->win_rp; k < n && r < q->win_n; r++)
                ahead[k++] = &q->win[r];
        return k;
    }
    unsigned i = (unsigned)(q->cur & (SIM__WHEEL_SIZE - 1));
    const sim__bucket *b = &q->b[i];
    const sim__ent *p = b->rp;
    while (k < n) {
        /* buckets after cur with their bit set hold entries; cur's own
         * may be used up */
        if (p == b->wp) {
            int j = sim__next_used(q->used, i);
            if (j < 0)
                break;
            i = (unsigned)j;
            b = &q->b[i];
            p = b->rp;
        }
        if (sim__at_chunk_end(p))
            break;
        ahead[k++] = p++;
    }
    return k;
}

/* Keys in the set. */
static inline size_t sim__eventq_count(const sim__eventq *q)
{
    return q->count;
}

/* Remove every entry for which keep(e, ctx) is false, in O(n + buckets),
 * keeping the order of the others. */
void sim__eventq_filter(sim__eventq *q, bool (*keep)(const sim__ent *e, void *ctx), void *ctx);

#endif
