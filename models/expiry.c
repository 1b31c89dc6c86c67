#include "expiry.h"

#include <glib.h>

#define BUCKET_NS SIM_NS_PER_MS

void cn_expiry_init(cn_expiry *e)
{
    *e = (cn_expiry){0};
}

void cn_expiry_clear(cn_expiry *e)
{
    g_free(e->b);
    *e = (cn_expiry){0};
}

static void grow(cn_expiry *e)
{
    uint32_t cap = e->cap ? e->cap * 2 : 64;
    cn_expiry_bucket *b = g_new(cn_expiry_bucket, cap);
    for (uint32_t i = 0; i < e->n; i++)
        b[i] = e->b[(e->head + i) & (e->cap - 1)];
    g_free(e->b);
    e->b = b;
    e->head = 0;
    e->cap = cap;
}

void cn_expiry_add(cn_expiry *e, sim_time_ns at_ns)
{
    sim_time_ns at = (at_ns + BUCKET_NS - 1) / BUCKET_NS * BUCKET_NS;
    e->total++;
    if (e->n > 0) {
        cn_expiry_bucket *last = &e->b[(e->head + e->n - 1) & (e->cap - 1)];
        if (last->at >= at) {
            last->count++;
            return;
        }
    }
    if (e->n == e->cap)
        grow(e);
    e->b[(e->head + e->n) & (e->cap - 1)] = (cn_expiry_bucket){at, 1};
    if (e->n++ == 0)
        e->head_at = at;
}

/* The head bucket is gone: the next one's time, if any. */
static inline void pop_head(cn_expiry *e)
{
    e->head = (e->head + 1) & (e->cap - 1);
    if (--e->n > 0)
        e->head_at = e->b[e->head].at;
}

int64_t cn_expiry_drain(cn_expiry *e, sim_time_ns now_ns)
{
    int64_t gone = 0;
    while (e->n > 0 && e->head_at <= now_ns) {
        gone += e->b[e->head].count;
        pop_head(e);
    }
    e->total -= gone;
    return gone;
}

int cn_expiry_pop_oldest(cn_expiry *e)
{
    if (e->n == 0)
        return 0;
    e->total--;
    if (--e->b[e->head].count == 0)
        pop_head(e);
    return 1;
}
