/* Connection-tracking tables of one node: netfilter's (drops new flows when
 * full) or Cilium's BPF LRU maps (evict the least recently used entry
 * instead).  A flow holds an entry while open and for a fixed timeout after
 * it closes (netfilter TIME_WAIT 120 s, Cilium TCP teardown 10 s). */
#ifndef CN_CONNTRACK_H
#define CN_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "expiry.h"

typedef struct {
    int64_t capacity;          /* entries */
    bool lru;                  /* evict when full (Cilium) instead of dropping */
    sim_time_ns close_hold_ns; /* an entry's life after its flow closes */
    int64_t open;              /* entries of open flows */
    cn_expiry closing;         /* entries of closed flows, until they time out */
    int64_t peak;              /* highest occupancy seen */
    uint64_t drops;            /* new flows refused because the table was full */
    uint64_t evictions;        /* entries evicted to make room (LRU) */
} cn_ct_table;

void cn_ct_init(cn_ct_table *t, int64_t capacity, bool lru, sim_time_ns close_hold_ns);
void cn_ct_clear(cn_ct_table *t);
/* Every entry goes (the node went); what the table counted stays. */
void cn_ct_empty(cn_ct_table *t);
int64_t cn_ct_occupancy(cn_ct_table *t, sim_time_ns now);
/* A new flow wants an entry: true if it got one (after an eviction when the
 * table is LRU and full); false and a drop when a netfilter table is full. */
bool cn_ct_open(cn_ct_table *t, sim_time_ns now);
/* A flow that got its entry but never started (its SYN was refused
 * further on): the entry goes at once, nothing lingers. */
void cn_ct_abandon(cn_ct_table *t);
/* The flow closed at now: its entry lingers for close_hold_ns. */
void cn_ct_close(cn_ct_table *t, sim_time_ns now);

/* netfilter's table size as kube-proxy sets it: max(min, per_core x cores). */
int64_t cn_ct_kube_proxy_max(int64_t min, int64_t per_core, int64_t cores);

#endif
