/* The event loop.  Pending events are entries in the event set (eventq.h):
 * key, handler and context together, so running an event reads only its
 * entry.  Each entry in the set also holds a slot, a number a cancel finds
 * it by: per slot the id last scheduled in it, and two bits, in use and
 * cancelled.  Slots are handed out next-fit, the first free one at or
 * after the last handed out, with at least half of them free (the arrays
 * double when not): so ids are written in order, a cache line at a time,
 * not scattered over an array as large as the pending population, and
 * running an event touches only its two bits.  Scheduling allocates
 * nothing once the arrays have grown to the peak population.  Cancelling
 * sets the cancelled bit and leaves the entry in the event set as a
 * tombstone, skipped when it reaches the top; when tombstones are more
 * than half of the set it is compacted, so they cost O(1) amortised and
 * never more than twice the memory. */
#include "sim.h"

#include "bigmem.h"
#include "eventq.h"

#include <glib.h>

#define SIM__COMPACT_MIN 64 /* sets smaller than this are never compacted */
#define SIM__PEEK        3  /* contexts are fetched this many events ahead (window mode) */
#define SIM__PEEK_WHEEL  2  /* and in wheel mode, where looking further walks buckets */

struct sim {
    sim__eventq q; /* pending entries, including tombstones */
    uint64_t *ids; /* per slot: the sim_event_id last scheduled in it */
    /* per 64 slots, two words: bits of the slots in use (their entry is in
     * the set), then bits of those cancelled (a tombstone) */
    uint64_t *bits;
    uint32_t slots_cap;       /* slots allocated, a multiple of 64 */
    uint32_t slots_in_use;    /* slots whose entry is in the set */
    uint32_t slot_next;       /* where the next free slot is looked for */
    size_t tombstones;        /* cancelled entries still in the set */
    uint64_t next_seq;        /* sequence of the next scheduled event, from 1 */
    sim_time_ns now;          /* current simulated time, ns */
    uint64_t executed;        /* events run since sim_new() */
    bool stop;                /* sim_stop() was called; run_until returns */
    sim_handler sampler;      /* sim_set_sampler(); NULL: none */
    void *sampler_ctx;        /* its argument */
    sim_time_ns sample_at;    /* its next time; SIM_TIME_MAX when none */
    sim_time_ns sample_every; /* its period, ns */
    sim_bigmem *mem;          /* the event set's chunks and the models' pools (sim_mem) */
};

sim *sim_new(void)
{
    sim *s = g_new0(sim, 1);
    s->mem = sim_bigmem_new();
    sim__eventq_init(&s->q, s->mem);
    s->next_seq = 1;
    s->sample_at = SIM_TIME_MAX;
    return s;
}

void sim_free(sim *s)
{
    if (s == NULL)
        return;
    sim__eventq_free(&s->q);
    sim_bigmem_free(s->mem);
    g_free(s->ids);
    g_free(s->bits);
    g_free(s);
}

sim_bigmem *sim_mem(sim *s)
{
    return s->mem;
}

sim_time_ns sim_now(const sim *s)
{
    return s->now;
}

size_t sim_pending(const sim *s)
{
    return sim__eventq_count(&s->q) - s->tombstones;
}

uint64_t sim_executed(const sim *s)
{
    return s->executed;
}

void sim_stop(sim *s)
{
    s->stop = true;
}

void sim_set_sampler(sim *s, sim_time_ns first_ns, sim_time_ns period_ns, sim_handler h, void *ctx)
{
    g_return_if_fail(first_ns >= s->now);
    bool on = h != NULL && period_ns > 0;
    s->sampler = on ? h : NULL;
    s->sampler_ctx = ctx;
    s->sample_every = period_ns;
    s->sample_at = on ? first_ns : SIM_TIME_MAX;
}

/* Double the slots; the new ones are free, and the search goes on there. */
static G_GNUC_NO_INLINE void slots_grow(sim *s)
{
    uint32_t cap = s->slots_cap ? s->slots_cap * 2 : 64;
    s->ids = g_renew(uint64_t, s->ids, cap);
    s->bits = g_renew(uint64_t, s->bits, cap / 32);
    for (uint32_t w = s->slots_cap / 32; w < cap / 32; w++)
        s->bits[w] = 0;
    s->slot_next = s->slots_cap;
    s->slots_cap = cap;
}

static inline uint64_t slot_bit(uint32_t i)
{
    return UINT64_C(1) << (i & 63);
}

/* The two words of slot i's 64: in use, cancelled. */
static inline uint64_t *slot_words(const sim *s, uint32_t i)
{
    return &s->bits[(i >> 6) * 2];
}

/* The first free slot at or after slot_next (wrapping), marked in use.
 * With at least half of the slots free the search is short; past 2^23
 * slots in use the arrays stop growing and the search may be long. */
static inline uint32_t slot_alloc(sim *s)
{
    if (G_UNLIKELY(s->slots_in_use >= s->slots_cap / 2)) {
        if (s->slots_cap <= SIM__SLOT_MASK)
            slots_grow(s);
        else if (s->slots_in_use == s->slots_cap)
            g_error("sim: more than %u events pending at once", (unsigned)SIM__SLOT_MASK + 1);
    }
    uint32_t i = s->slot_next;
    uint64_t *w = slot_words(s, i);
    uint64_t free = ~w[0] & (~UINT64_C(0) << (i & 63));
    while (free == 0) {
        i = (i | 63) + 1;
        if (i == s->slots_cap)
            i = 0;
        w = slot_words(s, i);
        free = ~w[0];
    }
    i = (i & ~UINT32_C(63)) | (uint32_t)__builtin_ctzll(free);
    w[0] |= slot_bit(i);
    s->slots_in_use++;
    s->slot_next = i + 1 == s->slots_cap ? 0 : i + 1;
    return i;
}

/* Slot i's entry left the set; true if it was a tombstone. */
static inline bool slot_release(sim *s, uint32_t i)
{
    uint64_t *w = slot_words(s, i);
    uint64_t bit = slot_bit(i);
    bool cancelled = (w[1] & bit) != 0;
    w[0] &= ~bit;
    w[1] &= ~bit;
    s->slots_in_use--;
    return cancelled;
}

static G_GNUC_NO_INLINE G_GNUC_NORETURN void seq_exhausted(void)
{
    g_error("sim: sequence numbers exhausted after %" G_GUINT64_FORMAT " events",
            (guint64)SIM__SEQ_MAX);
}

/* The body of both schedule calls, arguments already checked (one copy
 * inlined in each, so sim_schedule() does not pay for a second call). */
static inline sim_event_id schedule(sim *s, sim_time_ns at_ns, sim_handler h, void *ctx)
{
    if (G_UNLIKELY(s->next_seq > SIM__SEQ_MAX))
        seq_exhausted();
    uint32_t slot = slot_alloc(s);
    uint64_t id = s->next_seq++ << SIM__SLOT_BITS | slot;
    s->ids[slot] = id;
    sim__eventq_push(&s->q, sim__key_make(at_ns, id), h, ctx);
    return id;
}

sim_event_id sim_schedule_at(sim *s, sim_time_ns at_ns, sim_handler h, void *ctx)
{
    g_return_val_if_fail(h != NULL, 0);
    g_return_val_if_fail(at_ns >= s->now, 0);
    return schedule(s, at_ns, h, ctx);
}

sim_event_id sim_schedule(sim *s, sim_time_ns delay_ns, sim_handler h, void *ctx)
{
    g_return_val_if_fail(h != NULL, 0);
    g_return_val_if_fail(delay_ns >= 0, 0);
    /* Saturate rather than overflow: "never" is SIM_TIME_MAX (both terms
     * are >= 0, so an overflow is always past SIM_TIME_MAX). */
    sim_time_ns at;
    if (__builtin_add_overflow(s->now, delay_ns, &at))
        at = SIM_TIME_MAX;
    return schedule(s, at, h, ctx);
}

/* Whether e is a live event; frees the slot of a cancelled one. */
static bool keep_live(const sim__ent *e, void *ctx)
{
    sim *s = ctx;
    uint32_t slot = sim__key_slot(e->key);
    if ((slot_words(s, slot)[1] & slot_bit(slot)) == 0)
        return true;
    slot_release(s, slot);
    return false;
}

/* Remove every tombstone: O(n), run when tombstones outnumber live keys, so
 * at most once per n/2 cancels. */
static void compact(sim *s)
{
    sim__eventq_filter(&s->q, keep_live, s);
    s->tombstones = 0;
}

bool sim_cancel(sim *s, sim_event_id id)
{
    uint64_t slot = id & SIM__SLOT_MASK;
    if (id == 0 || slot >= s->slots_cap)
        return false;
    /* A slot is reused by later events: it names this event only while it
     * holds this id and is in use, and the event is pending only while it
     * is not cancelled. */
    uint64_t *w = slot_words(s, (uint32_t)slot);
    uint64_t bit = slot_bit((uint32_t)slot);
    if (s->ids[slot] != id || (w[0] & bit) == 0 || (w[1] & bit) != 0)
        return false;
    w[1] |= bit;
    s->tombstones++;
    size_t n = sim__eventq_count(&s->q);
    if (s->tombstones > n / 2 && n >= SIM__COMPACT_MIN)
        compact(s);
    return true;
}

uint64_t sim_run_until(sim *s, sim_time_ns end_ns)
{
    g_return_val_if_fail(end_ns >= s->now, 0);
    uint64_t start = s->executed;
    /* A stop requested between runs is honoured by the next run. */
    if (s->stop) {
        s->stop = false;
        return 0;
    }
    /* Events run up to the bound: the next sample time or end_ns.  At a
     * sample time the sampler runs, then the next bound is set. */
    sim_time_ns bound = s->sample_at < end_ns ? s->sample_at : end_ns;
    for (;;) {
        sim__ent e;
        if (!sim__eventq_pop_until(&s->q, (uint64_t)bound, &e)) {
            /* nothing left at or before the bound */
            if (G_LIKELY(bound != s->sample_at) || s->sampler == NULL)
                break;
            s->now = bound;
            s->sample_at =
                bound > SIM_TIME_MAX - s->sample_every ? SIM_TIME_MAX : bound + s->sample_every;
            s->sampler(s, s->sampler_ctx);
            if (s->stop) {
                s->stop = false;
                return s->executed - start;
            }
            bound = s->sample_at < end_ns ? s->sample_at : end_ns;
            continue;
        }
        /* The context of an event a few ahead (a model's state, written
         * long ago, a cache miss with large populations) is fetched while
         * this handler and the next ones run (one handler's time was
         * measured too short for the fetch): its first two cache lines,
         * where a model keeps what its handlers touch (the datapath
         * model's transaction: a step's state, then issue's and finish's).
         * Three ahead when the next events are a window's (a sorted array,
         * cheap to look into), two in the wheel (bench/README.md); near the
         * end of the window or of level 0's entries fewer are known. */
        const sim__ent *ahead[SIM__PEEK];
        unsigned n_ahead =
            sim__eventq_peek(&s->q, s->q.mode == SIM__WINDOW ? SIM__PEEK : SIM__PEEK_WHEEL, ahead);
        if (n_ahead > 0) {
            const void *c = ahead[n_ahead - 1]->ctx;
            __builtin_prefetch(c);
            __builtin_prefetch((const char *)c + 64);
        }
        if (G_UNLIKELY(slot_release(s, sim__key_slot(e.key)))) {
            s->tombstones--;
            continue;
        }
        s->now = sim__key_time(e.key);
        s->executed++;
        e.h(s, e.ctx);
        if (G_UNLIKELY(s->stop)) {
            s->stop = false;
            return s->executed - start;
        }
    }
    s->now = end_ns;
    return s->executed - start;
}
