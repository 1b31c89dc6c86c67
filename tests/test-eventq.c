/* The event loop: order, ties, cancellation, run_until boundaries, stop,
 * and a million-event random schedule/cancel mix checked against a GTree;
 * and the event set itself (eventq.h) driven through each of its modes
 * against a reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "bigmem.h"
#include "eventq.h"
#include "sim.h"

/* A log of which events ran, in order. */
typedef struct {
    int order[256];        /* labels of the events run */
    sim_time_ns when[256]; /* sim_now() when each ran */
    int n;                 /* entries used */
} run_log;

typedef struct {
    run_log *log; /* where to record */
    int label;    /* what to record */
} tagged;

static void record(sim *s, void *ctx)
{
    tagged *t = ctx;
    assert_true(t->log->n < 256);
    t->log->when[t->log->n] = sim_now(s);
    t->log->order[t->log->n++] = t->label;
}

static void test_time_order(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    const sim_time_ns at[] = {50, 10, 40, 20, 30, 0, 1000000, 7};
    tagged t[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (tagged){&log, i};
        assert_int_not_equal(sim_schedule_at(s, at[i], record, &t[i]), 0);
    }
    assert_int_equal(sim_pending(s), 8);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX - 1), 8);
    const int want[] = {5, 7, 1, 3, 4, 2, 0, 6};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(log.order[i], want[i]);
        assert_int_equal(log.when[i], at[want[i]]);
    }
    assert_int_equal(sim_pending(s), 0);
    assert_int_equal(sim_executed(s), 8);
    sim_free(s);
}

/* Events at equal times run in the order they were scheduled, including
 * zero-delay events scheduled by a handler running at that time. */
typedef struct {
    run_log log;
    tagged late[4];
} tie_state;

static void schedule_late(sim *s, void *ctx)
{
    tie_state *ts = ctx;
    ts->log.order[ts->log.n++] = 100;
    for (int i = 0; i < 4; i++)
        sim_schedule(s, 0, record, &ts->late[i]);
}

static void test_tie_order(void **state)
{
    sim *s = sim_new();
    tie_state ts = {0};
    tagged t[200];
    for (int i = 0; i < 4; i++)
        ts.late[i] = (tagged){&ts.log, 200 + i};
    /* 200 events at t=5, with the tie-scheduling one in the middle. */
    for (int i = 0; i < 200; i++) {
        t[i] = (tagged){&ts.log, i};
        sim_schedule_at(s, 5, record, &t[i]);
        if (i == 99)
            sim_schedule_at(s, 5, schedule_late, &ts);
    }
    sim_run_until(s, 5);
    assert_int_equal(ts.log.n, 205);
    for (int i = 0; i < 100; i++)
        assert_int_equal(ts.log.order[i], i);
    assert_int_equal(ts.log.order[100], 100);
    for (int i = 100; i < 200; i++)
        assert_int_equal(ts.log.order[i + 1], i);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ts.log.order[201 + i], 200 + i);
    sim_free(s);
}

static void test_cancel(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    tagged t[4] = {{&log, 0}, {&log, 1}, {&log, 2}, {&log, 3}};
    sim_event_id a = sim_schedule(s, 10, record, &t[0]);
    sim_event_id b = sim_schedule(s, 20, record, &t[1]);
    sim_event_id c = sim_schedule(s, 30, record, &t[2]);
    assert_false(sim_cancel(s, 0));
    assert_true(sim_cancel(s, b));
    assert_false(sim_cancel(s, b)); /* double cancel */
    assert_int_equal(sim_pending(s), 2);
    sim_run_until(s, 15);
    assert_false(sim_cancel(s, a)); /* already ran */
    /* b's slot is free now: a new event may take it, and b's id must not
     * name the new event. */
    sim_event_id d = sim_schedule(s, 1, record, &t[3]);
    assert_int_not_equal(d, b);
    assert_false(sim_cancel(s, b));
    assert_false(sim_cancel(s, a));
    assert_false(sim_cancel(s, 12345678)); /* never issued */
    sim_run_until(s, 100);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.order[0], 0);
    assert_int_equal(log.order[1], 3);
    assert_int_equal(log.order[2], 2);
    assert_false(sim_cancel(s, c));
    assert_false(sim_cancel(s, d));
    sim_free(s);
}

/* Slots are handed out round the array again and again (next-fit): an id
 * whose event ran never names a later event in the same slot, and the ids
 * of events pending all along stay valid through every wrap. */
static void test_cancel_after_slot_reuse(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    tagged t = {&log, 0};
    sim_event_id longs[50];
    for (int i = 0; i < 50; i++)
        longs[i] = sim_schedule(s, SIM_NS_PER_S, record, &t);
    sim_event_id old[100] = {0};
    for (int i = 0; i < 20000; i++) {
        /* one short event at a time, plus now and then a second one that
         * is cancelled while pending */
        sim_event_id a = sim_schedule(s, 1, record, &t);
        if (i % 7 == 0) {
            sim_event_id c = sim_schedule(s, 2, record, &t);
            assert_true(sim_cancel(s, c));
            old[(i + 50) % 100] = c;
        }
        log.n = 0;
        assert_int_equal(sim_run_until(s, sim_now(s) + 1), 1);
        old[i % 100] = a;
        for (int k = 0; k < 100; k++)
            assert_false(sim_cancel(s, old[k]));
        assert_int_equal(sim_pending(s), 50);
    }
    for (int i = 0; i < 50; i++)
        assert_true(sim_cancel(s, longs[i]));
    assert_int_equal(sim_pending(s), 0);
    log.n = 0;
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    sim_free(s);
}

/* Cancelling most events triggers compaction; the survivors still run in
 * order and exactly once. */
static void test_cancel_compaction(void **state)
{
    sim *s = sim_new();
    static run_log log;
    static tagged t[2000];
    sim_event_id id[2000];
    log.n = 0;
    for (int i = 0; i < 2000; i++) {
        t[i] = (tagged){&log, i};
        /* reverse time order, so heap order differs from insertion order */
        id[i] = sim_schedule_at(s, 5000 - i, record, &t[i]);
    }
    int kept = 0;
    for (int i = 0; i < 2000; i++) {
        if (i % 10 == 3) {
            kept++;
            continue;
        }
        assert_true(sim_cancel(s, id[i]));
        assert_int_equal(sim_pending(s), 2000 - (i + 1) + kept);
    }
    assert_int_equal(sim_pending(s), 200);
    for (int i = 0; i < 2000; i++)
        if (i % 10 != 3)
            assert_false(sim_cancel(s, id[i]));
    log.n = 0;
    /* log holds 256 entries: run the first 200 only */
    assert_int_equal(sim_run_until(s, 10000), 200);
    assert_int_equal(log.n, 200);
    for (int k = 0; k < 200; k++)
        assert_int_equal(log.order[k], 1993 - 10 * k);
    sim_free(s);
}

static void test_run_until_boundaries(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    tagged t[3] = {{&log, 0}, {&log, 1}, {&log, 2}};
    sim_schedule_at(s, 100, record, &t[0]);
    sim_schedule_at(s, 101, record, &t[1]);
    assert_int_equal(sim_run_until(s, 99), 0);
    assert_int_equal(sim_now(s), 99);
    assert_int_equal(sim_run_until(s, 100), 1); /* an event exactly at end runs */
    assert_int_equal(sim_now(s), 100);
    assert_int_equal(log.n, 1);
    assert_int_equal(sim_run_until(s, 100), 0); /* idempotent */
    assert_int_equal(sim_run_until(s, 250), 1);
    assert_int_equal(sim_now(s), 250); /* end, though the last event was at 101 */
    /* delays count from the new now */
    sim_schedule(s, 5, record, &t[2]);
    assert_int_equal(sim_run_until(s, 254), 0);
    assert_int_equal(sim_run_until(s, 255), 1);
    assert_int_equal(log.when[2], 255);
    /* an empty queue still advances time */
    assert_int_equal(sim_run_until(s, 1000), 0);
    assert_int_equal(sim_now(s), 1000);
    /* "never" saturates instead of overflowing */
    sim_event_id far = sim_schedule(s, SIM_TIME_MAX, record, &t[0]);
    assert_int_not_equal(far, 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX - 1), 0);
    assert_int_equal(sim_pending(s), 1);
    assert_true(sim_cancel(s, far));
    sim_free(s);
}

typedef struct {
    int runs;    /* handler calls */
    int stop_at; /* call sim_stop() on this call */
} stopper;

static void stop_handler(sim *s, void *ctx)
{
    stopper *st = ctx;
    if (++st->runs == st->stop_at)
        sim_stop(s);
}

static void test_stop(void **state)
{
    sim *s = sim_new();
    stopper st = {0, 3};
    for (int i = 1; i <= 5; i++)
        sim_schedule_at(s, i * 10, stop_handler, &st);
    assert_int_equal(sim_run_until(s, 1000), 3);
    assert_int_equal(sim_now(s), 30); /* the time of the event that stopped */
    assert_int_equal(sim_pending(s), 2);
    /* the stop was consumed: the next run goes on to the end */
    assert_int_equal(sim_run_until(s, 1000), 2);
    assert_int_equal(sim_now(s), 1000);
    /* a stop requested between runs ends the next run before any event */
    sim_schedule(s, 1, stop_handler, &st);
    sim_stop(s);
    assert_int_equal(sim_run_until(s, 2000), 0);
    assert_int_equal(sim_now(s), 1000);
    assert_int_equal(sim_run_until(s, 2000), 1);
    sim_free(s);
}

/* ---- the sampler -------------------------------------------------- */

/* A sampler logs as label -1 after the events at its time; it may stop the
 * run or schedule an event. */
typedef struct {
    run_log *log;
    int calls;
    int stop_at;      /* stop the run at this call (0: never) */
    tagged *schedule; /* schedule this at its own time on the first call */
} sampler_state;

static void sampler(sim *s, void *ctx)
{
    sampler_state *st = ctx;
    run_log *log = st->log;
    assert_true(log->n < 256);
    log->when[log->n] = sim_now(s);
    log->order[log->n++] = -1;
    if (++st->calls == st->stop_at)
        sim_stop(s);
    if (st->calls == 1 && st->schedule)
        sim_schedule(s, 0, record, st->schedule);
}

static void test_sampler_times(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    const sim_time_ns at[] = {5, 10, 15, 25, 30};
    tagged t[5];
    for (int i = 0; i < 5; i++) {
        t[i] = (tagged){&log, i};
        sim_schedule_at(s, at[i], record, &t[i]);
    }
    tagged late = {&log, 9};
    sampler_state st = {&log, 0, 0, &late};
    sim_set_sampler(s, 10, 10, sampler, &st);
    /* Runs ending between and exactly on sample times. */
    assert_int_equal(sim_run_until(s, 12), 3); /* 5, 10, late */
    assert_int_equal(sim_now(s), 12);
    assert_int_equal(sim_run_until(s, 20), 1);
    assert_int_equal(sim_run_until(s, 35), 2);
    const int want[] = {0, 1, -1, 9, 2, -1, 3, 4, -1};
    const sim_time_ns when[] = {5, 10, 10, 10, 15, 20, 25, 30, 30};
    assert_int_equal(log.n, 9);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(log.order[i], want[i]);
        assert_int_equal(log.when[i], when[i]);
    }
    /* Not an event. */
    assert_int_equal(sim_executed(s), 6);
    /* Removed: nothing more is logged. */
    sim_set_sampler(s, sim_now(s), 0, sampler, &st);
    assert_int_equal(sim_run_until(s, 100), 0);
    assert_int_equal(log.n, 9);
    sim_free(s);
}

static void test_sampler_stop(void **state)
{
    sim *s = sim_new();
    run_log log = {0};
    tagged t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (tagged){&log, i};
        sim_schedule_at(s, 10 * (i + 1), record, &t[i]);
    }
    sampler_state st = {&log, 0, 2, NULL};
    sim_set_sampler(s, 15, 10, sampler, &st);
    assert_int_equal(sim_run_until(s, 100), 2); /* 10, [15], 20, [25] stops */
    assert_int_equal(sim_now(s), 25);
    assert_int_equal(sim_run_until(s, 100), 2);
    assert_int_equal(st.calls, 9); /* 15, 25, ..., 95 */
    sim_free(s);
}

/* A sampler changes nothing about the events: a random schedule runs in the
 * same order, at the same times, with or without one. */
typedef struct {
    GArray *seen; /* labels in the order run */
    GRand *rnd;
    int left;
} chain;

static void chain_step(sim *s, void *ctx)
{
    chain *c = ctx;
    int label = (int)g_rand_int_range(c->rnd, 0, 1000);
    g_array_append_val(c->seen, label);
    if (c->left-- > 0) {
        sim_schedule(s, g_rand_int_range(c->rnd, 0, 50), chain_step, c);
        if (label % 3 == 0)
            sim_schedule(s, g_rand_int_range(c->rnd, 0, 5), chain_step, c);
    }
}

static void quiet_sampler(sim *s, void *ctx)
{
    (void)s;
    (*(int *)ctx)++;
}

static GArray *chain_run(bool with_sampler, uint64_t *executed, int *samples)
{
    sim *s = sim_new();
    chain c = {g_array_new(FALSE, FALSE, sizeof(int)), g_rand_new_with_seed(7), 20000};
    for (int i = 0; i < 10; i++)
        sim_schedule(s, i, chain_step, &c);
    if (with_sampler)
        sim_set_sampler(s, 0, 3, quiet_sampler, samples);
    for (sim_time_ns t = 0; sim_pending(s) > 0; t += 1000)
        sim_run_until(s, t);
    *executed = sim_executed(s);
    g_rand_free(c.rnd);
    sim_free(s);
    return c.seen;
}

static void test_sampler_changes_nothing(void **state)
{
    uint64_t e0, e1;
    int samples = 0;
    GArray *a = chain_run(false, &e0, &samples);
    GArray *b = chain_run(true, &e1, &samples);
    assert_true(samples > 100);
    assert_int_equal(e0, e1);
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len * sizeof(int));
    g_array_unref(a);
    g_array_unref(b);
}

/* ---- random mix against a reference -------------------------------- */

#define MIX_EVENTS 1000000 /* events scheduled in all */

typedef struct mix mix;
typedef struct {
    mix *m;           /* the test */
    sim_time_ns at;   /* scheduled time */
    uint32_t serial;  /* schedule order, the reference's tie-break */
    int32_t pend_pos; /* index in m->pending, -1 when not pending */
    sim_event_id id;  /* engine's id */
    bool ran;         /* the handler was called */
} mix_rec;

struct mix {
    sim *s;
    GRand *rand;
    mix_rec *rec;      /* one per scheduled event */
    uint32_t nrec;     /* records used */
    GTree *ref;        /* reference: pending records ordered by (at, serial) */
    uint32_t *pending; /* serials of pending records, any order */
    uint32_t npending;
    uint64_t ran;       /* handler calls */
    uint64_t cancelled; /* successful cancels */
};

static gint mix_cmp(gconstpointer a, gconstpointer b)
{
    const mix_rec *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static gboolean first_node(gpointer key, gpointer value, gpointer data)
{
    *(mix_rec **)data = key;
    return TRUE;
}

static mix_rec *ref_min(mix *m)
{
    mix_rec *r = NULL;
    g_tree_foreach(m->ref, first_node, &r);
    return r;
}

static void pending_remove(mix *m, mix_rec *r)
{
    uint32_t last = m->pending[--m->npending];
    m->pending[r->pend_pos] = last;
    m->rec[last].pend_pos = r->pend_pos;
    r->pend_pos = -1;
}

static void mix_handler(sim *s, void *ctx);

static void mix_schedule(mix *m)
{
    if (m->nrec == MIX_EVENTS)
        return;
    mix_rec *r = &m->rec[m->nrec];
    r->m = m;
    r->serial = m->nrec++;
    /* Mostly small delays so equal times are frequent; some long ones, a
     * few very long (they sit in the event set's overflow for a long time)
     * and a few "never" (SIM_TIME_MAX, where time arithmetic saturates). */
    int kind = g_rand_int_range(m->rand, 0, 1000);
    if (kind == 0) {
        r->at = SIM_TIME_MAX;
        r->id = sim_schedule_at(m->s, SIM_TIME_MAX, mix_handler, r);
    } else {
        sim_time_ns d = kind < 100   ? 0
                        : kind < 800 ? g_rand_int_range(m->rand, 0, 20)
                        : kind < 990 ? g_rand_int_range(m->rand, 0, 100000)
                                     : (sim_time_ns)g_rand_double_range(m->rand, 0, 1e12);
        r->at = sim_now(m->s) + d;
        r->id = sim_schedule(m->s, d, mix_handler, r);
    }
    assert_int_not_equal(r->id, 0);
    r->pend_pos = (int32_t)m->npending;
    m->pending[m->npending++] = r->serial;
    g_tree_insert(m->ref, r, r);
}

static void mix_cancel_random(mix *m)
{
    if (m->npending == 0)
        return;
    mix_rec *r = &m->rec[m->pending[g_rand_int_range(m->rand, 0, (gint32)m->npending)]];
    assert_true(sim_cancel(m->s, r->id));
    assert_false(sim_cancel(m->s, r->id));
    g_tree_remove(m->ref, r);
    pending_remove(m, r);
    m->cancelled++;
}

static void mix_handler(sim *s, void *ctx)
{
    mix_rec *r = ctx;
    mix *m = r->m;
    assert_false(r->ran);
    assert_ptr_equal(ref_min(m), r);
    assert_int_equal(sim_now(s), r->at);
    g_tree_remove(m->ref, r);
    pending_remove(m, r);
    r->ran = true;
    m->ran++;
    assert_false(sim_cancel(s, r->id)); /* running: no longer pending */
    /* an event that ran earlier cannot be cancelled */
    mix_rec *old = &m->rec[g_rand_int_range(m->rand, 0, (gint32)m->nrec)];
    if (old->ran)
        assert_false(sim_cancel(s, old->id));
    int u = g_rand_int_range(m->rand, 0, 100);
    if (u < 40) {
        mix_schedule(m);
    } else if (u < 70) {
        mix_schedule(m);
        mix_schedule(m);
    } else if (u < 85) {
        mix_schedule(m);
        mix_cancel_random(m);
    } else if (u < 86) {
        /* a burst of cancels: drives tombstones past half the heap */
        for (uint32_t k = m->npending / 2 + 1; k > 0; k--)
            mix_cancel_random(m);
        for (int k = 0; k < 50; k++)
            mix_schedule(m);
    }
    assert_int_equal(sim_pending(s), g_tree_nnodes(m->ref));
}

static void test_random_mix_against_reference(void **state)
{
    mix m = {0};
    m.s = sim_new();
    m.rand = g_rand_new_with_seed(20240611);
    m.rec = g_new0(mix_rec, MIX_EVENTS);
    m.pending = g_new(uint32_t, MIX_EVENTS);
    m.ref = g_tree_new(mix_cmp);
    for (int i = 0; i < 1000; i++)
        mix_schedule(&m);
    /* Keep the population up while events remain to schedule, and run in
     * slices to exercise run_until boundaries under load. */
    while (m.nrec < MIX_EVENTS) {
        /* mostly short slices; now and then a leap past many events */
        sim_time_ns end = sim_now(m.s) + (g_rand_int_range(m.rand, 0, 100) == 0
                                              ? (sim_time_ns)g_rand_double_range(m.rand, 0, 1e11)
                                              : g_rand_int_range(m.rand, 0, 5000));
        sim_run_until(m.s, end);
        assert_int_equal(sim_now(m.s), end);
        mix_rec *next = ref_min(&m);
        if (next != NULL)
            assert_true(next->at > end);
        /* Alternate small and large populations: the event set switches
         * between its heap-only and bucketed modes (eventq.h) both ways. */
        uint32_t target = (m.nrec / 100000) % 2 ? 12000 : 300;
        while (m.npending < target && m.nrec < MIX_EVENTS)
            mix_schedule(&m);
    }
    /* all scheduled: run the rest, "never" included */
    sim_run_until(m.s, SIM_TIME_MAX);
    assert_int_equal(sim_pending(m.s), 0);
    assert_int_equal(m.nrec, MIX_EVENTS);
    assert_int_equal(g_tree_nnodes(m.ref), 0);
    assert_int_equal(m.ran + m.cancelled, MIX_EVENTS);
    assert_int_equal(sim_executed(m.s), m.ran);
    assert_true(m.cancelled > MIX_EVENTS / 10);
    g_tree_destroy(m.ref);
    g_free(m.pending);
    g_free(m.rec);
    g_rand_free(m.rand);
    sim_free(m.s);
}

/* ---- the event set's modes against a reference ---------------------- */

/* Phases of a schedule, each steering the set into one of its modes by
 * how many keys are pending and how far apart they are. */
typedef struct {
    uint32_t target;     /* keys kept pending */
    sim_time_ns max_gap; /* delays drawn from 0..max_gap ns */
    bool far;            /* now and then a key far ahead (levels 3 and up) */
    bool bursts;         /* now and then 80 keys into the next 100 ns */
} set_phase;

static const set_phase set_phases[] = {
    {30, 1000, false, false},    /* the small heap */
    {400, 200000, true, false},  /* windows of several level-1 buckets */
    {3000, 40000, true, false},  /* windows of one bucket, tens of keys */
    {40000, 4000, true, false},  /* hundreds of keys per 256 ns: level 0 */
    {1000, 40000, false, true},  /* windows that fill up and spill */
    {5000, 100000, true, false}, /* back to windows after the dense phase */
};

typedef struct {
    sim__eventq q;
    sim_bigmem *mem;
    GRand *rand;
    GTree *ref; /* pending keys (sim__key *), ordered */
    uint64_t seq;
    uint64_t now;
    uint64_t pops_in[3]; /* per mode, successful pops that left the set in it */
    uint64_t spills;     /* pushes that ended window mode (its buffer full) */
    uint64_t far;        /* keys pushed far ahead (levels 3 and up) */
} set_test;

static gint key_cmp(gconstpointer a, gconstpointer b)
{
    sim__key x = *(const sim__key *)a, y = *(const sim__key *)b;
    return x < y ? -1 : x > y;
}

static void set_push(set_test *t, sim_time_ns max_gap, bool far)
{
    uint64_t d = (uint64_t)g_rand_int_range(t->rand, 0, (gint32)max_gap + 1);
    if (far && g_rand_int_range(t->rand, 0, 500) == 0) {
        d = (uint64_t)g_rand_double_range(t->rand, 1e8, 1e12);
        t->far++;
    }
    sim__key *k = g_new(sim__key, 1);
    *k = sim__key_make((int64_t)(t->now + d), ++t->seq << SIM__SLOT_BITS);
    sim__mode before = t->q.mode;
    sim__eventq_push(&t->q, *k, NULL, k);
    if (before == SIM__WINDOW && t->q.mode == SIM__WHEEL)
        t->spills++;
    g_tree_insert(t->ref, k, k);
}

static gboolean first_key(gpointer key, gpointer value, gpointer data)
{
    (void)value;
    *(sim__key **)data = key;
    return TRUE;
}

/* Pop with a bound; the result must be the reference's least key, or
 * nothing when that is past the bound. */
static bool set_pop(set_test *t, uint64_t end)
{
    sim__key *least = NULL;
    g_tree_foreach(t->ref, first_key, &least);
    sim__ent e;
    bool got = sim__eventq_pop_until(&t->q, end, &e);
    if (least == NULL || (uint64_t)sim__key_time(*least) > end) {
        assert_false(got);
        return false;
    }
    assert_true(got);
    assert_true(e.key == *least);
    assert_ptr_equal(e.ctx, least);
    t->now = (uint64_t)sim__key_time(e.key);
    t->pops_in[t->q.mode]++;
    g_tree_remove(t->ref, least);
    g_free(least);
    return true;
}

/* Filter: with before == 0 drop the keys whose sequence number is a
 * multiple of 3; else those at or after time before. */
typedef struct {
    uint64_t before;
    GPtrArray *drop;
} set_keep;

static bool keep_key(const sim__ent *e, void *ctx)
{
    const set_keep *k = ctx;
    if (k->before > 0)
        return (uint64_t)sim__key_time(e->key) < k->before;
    return ((uint64_t)e->key >> SIM__SLOT_BITS) % 3 != 0;
}

static gboolean collect_dropped(gpointer key, gpointer value, gpointer data)
{
    (void)value;
    set_keep *k = data;
    const sim__ent e = {*(sim__key *)key, NULL, NULL};
    if (!keep_key(&e, k))
        g_ptr_array_add(k->drop, key);
    return FALSE;
}

static void set_filter(set_test *t, uint64_t before)
{
    GPtrArray *drop = g_ptr_array_new();
    set_keep k = {before, drop};
    g_tree_foreach(t->ref, collect_dropped, &k);
    sim__eventq_filter(&t->q, keep_key, &k);
    for (guint i = 0; i < drop->len; i++) {
        g_tree_remove(t->ref, drop->pdata[i]);
        g_free(drop->pdata[i]);
    }
    g_ptr_array_free(drop, TRUE);
    assert_int_equal(sim__eventq_count(&t->q), g_tree_nnodes(t->ref));
}

static void test_event_set_modes(void **state)
{
    (void)state;
    set_test t = {0};
    t.mem = sim_bigmem_new();
    sim__eventq_init(&t.q, t.mem);
    t.rand = g_rand_new_with_seed(20261202);
    t.ref = g_tree_new(key_cmp);
    for (int round = 0; round < 2; round++) {
        for (size_t ph = 0; ph < G_N_ELEMENTS(set_phases); ph++) {
            const set_phase *p = &set_phases[ph];
            if (!p->far) /* the far keys would keep the population up */
                set_filter(&t, t.now + 100000000);
            for (int i = 0; i < 60000; i++) {
                /* keep the population near the phase's target: one pop,
                 * and pushes enough to get back there */
                uint32_t n = g_tree_nnodes(t.ref);
                int pushes = n < p->target ? 2 : n > p->target + p->target / 8 ? 0 : 1;
                for (int k = 0; k < pushes; k++)
                    set_push(&t, p->max_gap, p->far);
                if (p->bursts && i % 200 == 0)
                    for (int k = 0; k < 80; k++)
                        set_push(&t, 100, false);
                /* mostly an open bound; now and then one that stops short,
                 * at or before the next key (the set must not move past it) */
                uint64_t end = g_rand_int_range(t.rand, 0, 8) == 0
                                   ? t.now + (uint64_t)g_rand_int_range(t.rand, 0, 300)
                                   : t.now + (uint64_t)p->max_gap * 4 + 1000000000;
                set_pop(&t, end);
                if (i % 20000 == 19999)
                    set_filter(&t, 0);
                assert_int_equal(sim__eventq_count(&t.q), g_tree_nnodes(t.ref));
            }
        }
    }
    /* everything left, far keys included */
    while (set_pop(&t, UINT64_MAX / 2))
        ;
    assert_int_equal(g_tree_nnodes(t.ref), 0);
    assert_int_equal(sim__eventq_count(&t.q), 0);
    /* each mode served a good share of the pops, and the window's buffer
     * filled and spilled: otherwise this test would not test them */
    print_message(
        "pops: wheel %" G_GUINT64_FORMAT ", small %" G_GUINT64_FORMAT ", window %" G_GUINT64_FORMAT
        "; spills %" G_GUINT64_FORMAT ", far keys %" G_GUINT64_FORMAT "\n",
        t.pops_in[SIM__WHEEL], t.pops_in[SIM__SMALL], t.pops_in[SIM__WINDOW], t.spills, t.far);
    assert_true(t.pops_in[SIM__WHEEL] > 50000);
    assert_true(t.pops_in[SIM__SMALL] > 50000);
    assert_true(t.pops_in[SIM__WINDOW] > 200000);
    assert_true(t.spills > 10);
    g_tree_destroy(t.ref);
    g_rand_free(t.rand);
    sim__eventq_free(&t.q);
    sim_bigmem_free(t.mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_tie_order),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_after_slot_reuse),
        cmocka_unit_test(test_cancel_compaction),
        cmocka_unit_test(test_run_until_boundaries),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_sampler_times),
        cmocka_unit_test(test_sampler_stop),
        cmocka_unit_test(test_sampler_changes_nothing),
        cmocka_unit_test(test_random_mix_against_reference),
        cmocka_unit_test(test_event_set_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
