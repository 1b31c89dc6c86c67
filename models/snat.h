/* Azure Load Balancer outbound SNAT ports of one node towards one external
 * destination IP:port.  A TCP port can be reused for a different destination,
 * so each (node, destination) has the node's whole allocation; a port is held
 * while its connection is open and for the idle timeout after it closes.
 * When all are taken, new connections to that destination fail. */
#ifndef CN_SNAT_H
#define CN_SNAT_H

#include <stdbool.h>
#include <stdint.h>

#include "expiry.h"

typedef struct {
    int64_t ports;  /* ports allocated to the node */
    int64_t open;   /* ports used by open connections */
    cn_expiry held; /* ports of closed connections, until the idle timeout */
} cn_snat_pool;

void cn_snat_init(cn_snat_pool *p, int64_t ports);
void cn_snat_clear(cn_snat_pool *p);
int64_t cn_snat_in_use(cn_snat_pool *p, sim_time_ns now);
/* Take a port for a new connection; false when exhausted. */
bool cn_snat_open(cn_snat_pool *p, sim_time_ns now);
/* The connection closed at now; its port is held until now + hold_ns. */
void cn_snat_close(cn_snat_pool *p, sim_time_ns now, sim_time_ns hold_ns);

#endif
