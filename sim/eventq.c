/* Allocation and bulk operations of the event set (eventq.h holds the hot
 * path, inlined into the run loop). */
#include "eventq.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define SIM__HEAP_ALIGN 64 /* bytes: one cache line = four keys */
#define SIM__HEAP_PAD   3  /* keys before key[0], so key[4i+1] is line-aligned */
#define SIM__HEAP_MIN   64 /* keys allocated at first */

static void eventq_alloc(sim__heap *q, size_t cap)
{
    /* cap + PAD keys, plus one spare group so sim__heap_min4() may read a
     * whole group past n; rounded up to whole cache lines for aligned_alloc. */
    size_t bytes = (cap + SIM__HEAP_PAD + 4) * sizeof(sim__key);
    bytes = (bytes + SIM__HEAP_ALIGN - 1) / SIM__HEAP_ALIGN * SIM__HEAP_ALIGN;
    void *mem = aligned_alloc(SIM__HEAP_ALIGN, bytes);
    if (mem == NULL)
        g_error("sim: out of memory for %zu pending events", cap);
    sim__key *key = (sim__key *)mem + SIM__HEAP_PAD;
    size_t total = bytes / sizeof(sim__key) - SIM__HEAP_PAD;
    size_t keep = q->mem != NULL ? q->n : 0;
    if (keep > 0)
        memcpy(key, q->key, keep * sizeof(sim__key));
    for (size_t i = keep; i < total; i++)
        key[i] = SIM__KEY_MAX;
    free(q->mem);
    q->mem = mem;
    q->key = key;
    q->cap = total - 4; /* the last group stays SIM__KEY_MAX */
}

void sim__heap_init(sim__heap *q)
{
    memset(q, 0, sizeof(*q));
    eventq_alloc(q, SIM__HEAP_MIN);
}

void sim__heap_free(sim__heap *q)
{
    free(q->mem);
    memset(q, 0, sizeof(*q));
}

void sim__heap_reserve(sim__heap *q, size_t need)
{
    if (need <= q->cap)
        return;
    size_t cap = q->cap * 2;
    if (cap < need)
        cap = need;
    eventq_alloc(q, cap);
}

void sim__heap_heapify(sim__heap *q)
{
    if (q->n < 2)
        return;
    for (size_t i = (q->n - 2) / 4 + 1; i-- > 0;)
        sim__heap_sift_down(q->key, q->n, i, q->key[i]);
}

/* ---- the event set ------------------------------------------------- */

static size_t heap_filter(sim__heap *h, bool (*keep)(sim__key k, void *ctx), void *ctx)
{
    size_t kept = 0, n = h->n;
    for (size_t i = 0; i < n; i++)
        if (keep(h->key[i], ctx))
            h->key[kept++] = h->key[i];
    for (size_t i = kept; i < n; i++)
        h->key[i] = SIM__KEY_MAX;
    h->n = kept;
    sim__heap_heapify(h);
    return n - kept;
}

#if SIM_EVENTQ_HEAP

void sim__eventq_init(sim__eventq *q)
{
    sim__heap_init(&q->near);
}

void sim__eventq_free(sim__eventq *q)
{
    sim__heap_free(&q->near);
}

size_t sim__eventq_count(const sim__eventq *q)
{
    return q->near.n;
}

void sim__eventq_filter(sim__eventq *q, bool (*keep)(sim__key k, void *ctx), void *ctx)
{
    heap_filter(&q->near, keep, ctx);
}

#else

#define SIM__BUCKET_TARGET 32         /* keys per bucket aimed at when sizing */
#define SIM__BUCKETS_MAX   (1u << 16) /* buckets at most */
#define SIM__SAMPLE        64         /* overflow keys sampled to size buckets */
#define SIM__SMALL         2048       /* fewer keys than this: heap only */
#define SIM__SPLIT         8192       /* heap-only until it holds this many */

void sim__eventq_init(sim__eventq *q)
{
    memset(q, 0, sizeof(*q));
    sim__heap_init(&q->near);
    q->bucket_ns = 1;
    q->split_at = SIZE_MAX;
}

void sim__eventq_free(sim__eventq *q)
{
    sim__heap_free(&q->near);
    for (size_t b = 0; b < q->bucket_cap; b++)
        g_free(q->bucket[b].key);
    g_free(q->bucket);
    g_free(q->overflow.key);
    memset(q, 0, sizeof(*q));
}

size_t sim__eventq_count(const sim__eventq *q)
{
    return q->near.n + q->far;
}

void sim__keyvec_grow(sim__keyvec *v)
{
    v->cap = v->cap ? v->cap * 2 : 16;
    v->key = g_renew(sim__key, v->key, v->cap);
}

/* Nothing is pending: the buckets are empty, so the window can be moved to
 * start just after k, which goes to the heap. */
void sim__eventq_push_empty(sim__eventq *q, sim__key k)
{
    int64_t t = sim__key_time(k);
    q->horizon_ns = t == INT64_MAX ? t : t + 1;
    sim__heap_push(&q->near, k);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The buckets are used up: size new ones from the overflow and spread the
 * overflow over them.  The width is set so that the keys up to the third
 * quartile of the overflow's times (estimated from a sample, robust to a
 * few far-off timers) fill about SIM__BUCKET_TARGET per bucket, and the
 * buckets reach twice that far, for the events scheduled meanwhile. */
static void rebuild(sim__eventq *q)
{
    sim__keyvec *o = &q->overflow;
    if (o->n < SIM__SMALL) {
        /* Few keys: all to the heap, except "never" ones (the heap holds
         * times below the horizon, which is now SIM_TIME_MAX). */
        size_t kept = 0;
        for (size_t i = 0; i < o->n; i++) {
            sim__key k = o->key[i];
            if (sim__key_time(k) < INT64_MAX)
                sim__heap_push(&q->near, k);
            else
                o->key[kept++] = k;
        }
        q->far -= o->n - kept;
        o->n = kept;
        q->nbuckets = q->cur = 0;
        if (q->near.n > 0) {
            q->horizon_ns = INT64_MAX;
            q->split_at = SIM__SPLIT;
            return;
        }
    }
    q->split_at = SIZE_MAX;
    int64_t tmin = INT64_MAX;
    for (size_t i = 0; i < o->n; i++) {
        int64_t t = sim__key_time(o->key[i]);
        if (t < tmin)
            tmin = t;
    }
    int64_t sample[SIM__SAMPLE];
    size_t ns = o->n < SIM__SAMPLE ? o->n : SIM__SAMPLE;
    for (size_t i = 0; i < ns; i++)
        sample[i] = sim__key_time(o->key[i * o->n / ns]);
    qsort(sample, ns, sizeof(sample[0]), cmp_i64);
    uint64_t span = (uint64_t)(sample[ns * 3 / 4] - tmin) + 1;
    uint64_t want = (uint64_t)o->n * 3 / 4 / SIM__BUCKET_TARGET;
    if (want < 1)
        want = 1;
    uint64_t width = (span + want - 1) / want;
    unsigned shift = 0;
    while ((UINT64_C(1) << shift) < width)
        shift++;
    width = UINT64_C(1) << shift;
    uint64_t nb = 2 * ((span + width - 1) / width) + 1;
    if (nb > SIM__BUCKETS_MAX)
        nb = SIM__BUCKETS_MAX;
    if (nb > q->bucket_cap) {
        q->bucket = g_renew(sim__keyvec, q->bucket, nb);
        memset(q->bucket + q->bucket_cap, 0, (nb - q->bucket_cap) * sizeof(sim__keyvec));
        q->bucket_cap = nb;
    }
    q->nbuckets = nb;
    q->cur = 0;
    q->horizon_ns = tmin;
    q->bucket_shift = shift;
    q->bucket_ns = (int64_t)(width > INT64_MAX ? INT64_MAX : width);
    size_t n = o->n, kept = 0;
    for (size_t i = 0; i < n; i++) {
        sim__key k = o->key[i];
        uint64_t d = (uint64_t)(sim__key_time(k) - tmin) >> shift;
        if (d < nb)
            sim__keyvec_append(&q->bucket[d], k);
        else
            o->key[kept++] = k;
    }
    o->n = kept;
}

/* The heap-only mode has grown large: keep the least key in the heap (it
 * may be the running event's, which sim.c pops after its handler) and move
 * the others to the overflow; the heap then empties at once and the next
 * refill sizes buckets.  The horizon is the least key's time, so that keys
 * scheduled meanwhile at that same time go behind the moved ones. */
void sim__eventq_split(sim__eventq *q)
{
    sim__heap *h = &q->near;
    for (size_t i = 1; i < h->n; i++) {
        sim__keyvec_append(&q->overflow, h->key[i]);
        h->key[i] = SIM__KEY_MAX;
    }
    q->far += h->n - 1;
    h->n = 1;
    q->horizon_ns = sim__key_time(h->key[0]);
    q->nbuckets = q->cur = 0;
    q->split_at = SIZE_MAX;
}

void sim__eventq_advance(sim__eventq *q)
{
    for (;;) {
        while (q->cur < q->nbuckets) {
            sim__keyvec *b = &q->bucket[q->cur++];
            /* saturate: a bucket may reach SIM_TIME_MAX ("never") */
            q->horizon_ns =
                q->horizon_ns > INT64_MAX - q->bucket_ns ? INT64_MAX : q->horizon_ns + q->bucket_ns;
            if (b->n == 0)
                continue;
            sim__heap *h = &q->near;
            sim__heap_reserve(h, b->n);
            memcpy(h->key, b->key, b->n * sizeof(sim__key));
            h->n = b->n;
            q->far -= b->n;
            b->n = 0;
            sim__heap_heapify(h);
            return;
        }
        rebuild(q);
        if (q->near.n > 0)
            return; /* the rebuild filled the heap directly */
    }
}

void sim__eventq_filter(sim__eventq *q, bool (*keep)(sim__key k, void *ctx), void *ctx)
{
    heap_filter(&q->near, keep, ctx);
    for (size_t b = q->cur; b < q->nbuckets; b++) {
        sim__keyvec *v = &q->bucket[b];
        size_t kept = 0;
        for (size_t i = 0; i < v->n; i++)
            if (keep(v->key[i], ctx))
                v->key[kept++] = v->key[i];
        q->far -= v->n - kept;
        v->n = kept;
    }
    sim__keyvec *o = &q->overflow;
    size_t kept = 0;
    for (size_t i = 0; i < o->n; i++)
        if (keep(o->key[i], ctx))
            o->key[kept++] = o->key[i];
    q->far -= o->n - kept;
    o->n = kept;
    if (q->near.n == 0 && q->far > 0)
        sim__eventq_advance(q);
}

#endif
