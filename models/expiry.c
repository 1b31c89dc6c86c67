#include "expiry.h"

#include <glib.h>

#define BUCKET_NS SIM_NS_PER_MS

void cn_expiry_init(cn_expiry *e)
{
    *e = (cn_expiry){0};
}

void cn_expiry_clear(cn_expiry *e)
{
    g_free(e->at);
    g_free(e->count);
    *e = (cn_expiry){0};
}

static void grow(cn_expiry *e)
{
    uint32_t cap = e->cap ? e->cap * 2 : 64;
    sim_time_ns *at = g_new(sim_time_ns, cap);
    int64_t *count = g_new(int64_t, cap);
    for (uint32_t i = 0; i < e->n; i++) {
        uint32_t j = (e->head + i) & (e->cap - 1);
        at[i] = e->at[j];
        count[i] = e->count[j];
    }
    g_free(e->at);
    g_free(e->count);
    e->at = at;
    e->count = count;
    e->head = 0;
    e->cap = cap;
}

void cn_expiry_add(cn_expiry *e, sim_time_ns at_ns)
{
    sim_time_ns b = (at_ns + BUCKET_NS - 1) / BUCKET_NS * BUCKET_NS;
    e->total++;
    if (e->n > 0) {
        uint32_t last = (e->head + e->n - 1) & (e->cap - 1);
        if (e->at[last] >= b) {
            e->count[last]++;
            return;
        }
    }
    if (e->n == e->cap)
        grow(e);
    uint32_t t = (e->head + e->n) & (e->cap - 1);
    e->at[t] = b;
    e->count[t] = 1;
    e->n++;
}

int64_t cn_expiry_drain(cn_expiry *e, sim_time_ns now_ns)
{
    int64_t gone = 0;
    while (e->n > 0 && e->at[e->head] <= now_ns) {
        gone += e->count[e->head];
        e->head = (e->head + 1) & (e->cap - 1);
        e->n--;
    }
    e->total -= gone;
    return gone;
}

int cn_expiry_pop_oldest(cn_expiry *e)
{
    if (e->n == 0)
        return 0;
    e->total--;
    if (--e->count[e->head] == 0) {
        e->head = (e->head + 1) & (e->cap - 1);
        e->n--;
    }
    return 1;
}
