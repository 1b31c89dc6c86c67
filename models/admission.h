/* Connection admission: whether a new connection's SYN gets through, i.e.
 * its Service is programmed, its endpoint still exists, policy allows it,
 * every conntrack table on its path has an entry and (egress) the node has an
 * SNAT port to the destination; and what a closing connection releases. */
#ifndef CN_ADMISSION_H
#define CN_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "keymap.h"
#include "snat.h"
#include "workload.h"

typedef struct run run;

typedef struct {
    int64_t lb_programmed;    /* eBPF: Services that fit the LB map */
    int64_t snat_ports;       /* per node */
    sim_time_ns snat_hold_ns; /* a closed connection's SNAT port is held this long */
    GHashTable *snat;         /* (node << 32 | destination) -> cn_snat_pool, owns them */
    cn_keymap snat_find;      /* the same pools by the same keys: the lookup per new connection */
} cn_admission;

void admission_init(run *r);
void admission_free(run *r);
/* The load balancer's backend pool is now `nodes` nodes (scale_nodes
 * event): with the default allocation every node's ports change tier. */
void admission_scale_nodes(run *r, int64_t nodes);
/* Node nd left (drain, fail): its conntrack tables and SNAT pools are
 * emptied; closes of flows through it no longer touch them. */
void admission_node_gone(run *r, uint32_t nd);
/* The SNAT port pool of a node towards one external destination. */
cn_snat_pool *admission_snat_pool(run *r, uint32_t node, uint32_t destination);
/* A new connection's SYN: true when admitted (entries and port taken). */
bool admission_admit(run *r, conn *cn);
/* The connection closed: its entries and port linger for their timeouts. */
void admission_close(run *r, conn *cn);

#endif
