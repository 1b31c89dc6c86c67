#include "conntrack.h"

void cn_ct_init(cn_ct_table *t, int64_t capacity, bool lru, sim_time_ns close_hold_ns)
{
    *t = (cn_ct_table){.capacity = capacity, .lru = lru, .close_hold_ns = close_hold_ns};
    cn_expiry_init(&t->closing);
}

void cn_ct_clear(cn_ct_table *t)
{
    cn_expiry_clear(&t->closing);
}

void cn_ct_empty(cn_ct_table *t)
{
    cn_ct_table keep = *t;
    cn_ct_clear(t);
    cn_ct_init(t, keep.capacity, keep.lru, keep.close_hold_ns);
    t->peak = keep.peak;
    t->drops = keep.drops;
    t->evictions = keep.evictions;
}

int64_t cn_ct_occupancy(cn_ct_table *t, sim_time_ns now)
{
    cn_expiry_drain(&t->closing, now);
    return t->open + t->closing.total;
}

bool cn_ct_open(cn_ct_table *t, sim_time_ns now)
{
    int64_t occ = cn_ct_occupancy(t, now);
    if (occ >= t->capacity) {
        if (!t->lru) {
            t->drops++;
            return false;
        }
        /* LRU: closed flows' entries are the least recently used. */
        if (!cn_expiry_pop_oldest(&t->closing))
            t->open--; /* an idle open flow loses its entry */
        t->evictions++;
        occ--;
    }
    t->open++;
    if (occ + 1 > t->peak)
        t->peak = occ + 1;
    return true;
}

void cn_ct_abandon(cn_ct_table *t)
{
    if (t->open > 0)
        t->open--;
}

void cn_ct_close(cn_ct_table *t, sim_time_ns now)
{
    if (t->open > 0)
        t->open--;
    cn_expiry_add(&t->closing, now + t->close_hold_ns);
}

int64_t cn_ct_kube_proxy_max(int64_t min, int64_t per_core, int64_t cores)
{
    int64_t v = per_core * cores;
    return v > min ? v : min;
}
