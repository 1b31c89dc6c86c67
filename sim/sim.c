/* The event loop.  Pending events are keys in the event set (eventq.h) and
 * payloads (handler, context) in a slot array recycled through a free list,
 * so scheduling allocates nothing once the arrays have grown to the peak
 * population.  Cancelling clears the slot's handler and leaves the key in
 * the event set as a tombstone, skipped when it reaches the top; when
 * tombstones are more than half of the set it is compacted, so they cost
 * O(1) amortised and never more than twice the memory. */
#include "sim.h"

#include "eventq.h"

#include <glib.h>

#define SIM__COMPACT_MIN 64 /* sets smaller than this are never compacted */

typedef struct {
    sim_handler handler; /* NULL: cancelled (still in the set) or free */
    void *ctx;           /* handler's argument; next free slot + 1 when free */
    uint64_t id;         /* sim_event_id of the event last scheduled in it */
} sim__slot;

struct sim {
    sim__eventq q;            /* pending keys, including tombstones */
    sim__slot *slots;         /* payloads, indexed by the key's slot bits */
    uint32_t slots_used;      /* slots ever handed out (high-water mark) */
    uint32_t slots_cap;       /* slots allocated */
    uint32_t free_head;       /* first free slot + 1; 0 when the free list is empty */
    size_t tombstones;        /* cancelled keys still in the set */
    uint64_t next_seq;        /* sequence of the next scheduled event, from 1 */
    sim_time_ns now;          /* current simulated time, ns */
    uint64_t executed;        /* events run since sim_new() */
    bool stop;                /* sim_stop() was called; run_until returns */
    sim_handler sampler;      /* sim_set_sampler(); NULL: none */
    void *sampler_ctx;        /* its argument */
    sim_time_ns sample_at;    /* its next time; SIM_TIME_MAX when none */
    sim_time_ns sample_every; /* its period, ns */
};

sim *sim_new(void)
{
    sim *s = g_new0(sim, 1);
    sim__eventq_init(&s->q);
    s->next_seq = 1;
    s->sample_at = SIM_TIME_MAX;
    return s;
}

void sim_free(sim *s)
{
    if (s == NULL)
        return;
    sim__eventq_free(&s->q);
    g_free(s->slots);
    g_free(s);
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

static G_GNUC_NO_INLINE void slots_grow(sim *s)
{
    if (s->slots_cap > SIM__SLOT_MASK)
        g_error("sim: more than %u events pending at once", (unsigned)SIM__SLOT_MASK + 1);
    uint32_t cap = s->slots_cap ? s->slots_cap * 2 : 64;
    if (cap > SIM__SLOT_MASK + 1)
        cap = (uint32_t)(SIM__SLOT_MASK + 1);
    s->slots = g_renew(sim__slot, s->slots, cap);
    s->slots_cap = cap;
}

static inline uint32_t slot_alloc(sim *s)
{
    if (s->free_head != 0) {
        uint32_t i = s->free_head - 1;
        s->free_head = (uint32_t)(uintptr_t)s->slots[i].ctx;
        return i;
    }
    if (G_UNLIKELY(s->slots_used == s->slots_cap))
        slots_grow(s);
    return s->slots_used++;
}

static inline void slot_free(sim *s, uint32_t i)
{
    s->slots[i].handler = NULL;
    s->slots[i].ctx = (void *)(uintptr_t)s->free_head;
    s->free_head = i + 1;
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
    sim__slot *e = &s->slots[slot];
    e->handler = h;
    e->ctx = ctx;
    e->id = id;
    sim__eventq_push(&s->q, sim__key_make(at_ns, id));
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

/* Whether k is a live event; frees the slot of a cancelled one. */
static bool keep_live(sim__key k, void *ctx)
{
    sim *s = ctx;
    uint32_t slot = sim__key_slot(k);
    if (s->slots[slot].handler != NULL)
        return true;
    slot_free(s, slot);
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
    if (id == 0 || slot >= s->slots_used)
        return false;
    sim__slot *e = &s->slots[slot];
    /* A slot is reused by later events: it names this event only while it
     * holds this id, and the event is pending only while it has a handler. */
    if (e->id != id || e->handler == NULL)
        return false;
    e->handler = NULL;
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
        sim__key k = sim__eventq_pop_until(&s->q, (uint64_t)bound);
        if (k == SIM__KEY_MAX) {
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
        /* The keys after this one in its bucket run next, and their
         * payloads sit in slots written long ago, a cache miss with large
         * populations: fetch a few events ahead, overlapping the handlers
         * (the mask keeps SIM__KEY_MAX in bounds). */
        __builtin_prefetch(&s->slots[sim__key_slot(sim__eventq_ahead(&s->q)) & (s->slots_cap - 1)]);
        uint32_t slot = sim__key_slot(k);
        sim__slot *e = &s->slots[slot];
        sim_handler h = e->handler;
        void *ctx = e->ctx;
        /* Free the slot before the handler runs so an event it schedules
         * reuses this (cache-hot) slot. */
        slot_free(s, slot);
        if (G_UNLIKELY(h == NULL)) {
            s->tombstones--;
            continue;
        }
        s->now = sim__key_time(k);
        s->executed++;
        h(s, ctx);
        if (G_UNLIKELY(s->stop)) {
            s->stop = false;
            return s->executed - start;
        }
    }
    s->now = end_ns;
    return s->executed - start;
}
