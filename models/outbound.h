/* Azure Load Balancer outbound SNAT port allocation (MODEL.md "SNAT").
 * With allocated_outbound_ports = 0 each node gets the default allocation
 * from the backend-pool-size table (per frontend IP, at most 1,024); with a
 * manual allocation every node gets that many ports, and all backend
 * instances together must fit in outbound IPs x 64,000 ports. */
#ifndef CN_OUTBOUND_H
#define CN_OUTBOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Default ports per node and frontend IP for a backend pool of that size
 * (1-50: 1,024; 51-100: 512; ... 801-1,000: 32). */
int64_t cn_lb_default_ports(const cn_config *c, int64_t backend_instances);
/* SNAT ports per node with backend_instances nodes behind the load balancer
 * (pass c->nodes for the steady state, nodes + surge during an upgrade). */
int64_t cn_lb_ports_per_node(const cn_config *c, int64_t backend_instances);

typedef struct {
    int64_t backend_instances;
    int64_t ports_per_node;
    int64_t ports_needed;    /* backend_instances x ports_per_node */
    int64_t ports_available; /* outbound IPs x 64,000 */
    bool fits;
} cn_lb_capacity;

/* The check that every node's allocation fits the frontend IPs' ports. */
void cn_lb_capacity_check(const cn_config *c, int64_t backend_instances, cn_lb_capacity *out);
/* The largest backend pool whose allocations fit (0 when none). */
int64_t cn_lb_max_backend(const cn_config *c);

#endif
