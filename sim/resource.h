/* A FIFO resource with c parallel servers: a node's vCPUs, a NIC's transmit
 * queue.  Work arrives with a service time; it starts when a server is free,
 * in arrival order, and calls its completion handler when done.  Utilisation,
 * queue length and waiting time are recorded from the last reset. */
#ifndef SIM_RESOURCE_H
#define SIM_RESOURCE_H

#include "sim.h"
#include "stats.h"

typedef struct sim_resource sim_resource;

sim_resource *sim_resource_new(sim *s, unsigned servers);
/* Jobs in service have completion events pointing into the resource: free
 * it only once its sim will not run them (after sim_free(), or when idle). */
void sim_resource_free(sim_resource *r);

/* Queue work of service_ns; done(s, ctx) runs when it completes.  done may
 * be NULL (work that only occupies the server).  Allocates nothing per call
 * once the internal pools have grown to the peak population. */
void sim_resource_request(sim_resource *r, sim_time_ns service_ns, sim_handler done, void *ctx);

unsigned sim_resource_servers(const sim_resource *r);
unsigned sim_resource_busy(const sim_resource *r); /* servers busy now */
size_t sim_resource_queued(const sim_resource *r); /* jobs waiting now */

/* Forget statistics gathered so far (end of warm-up). */
void sim_resource_reset_stats(sim_resource *r);
/* Mean fraction of server capacity busy since the reset (0..1). */
double sim_resource_utilisation(const sim_resource *r);
/* Time-averaged number of jobs waiting (not in service) since the reset. */
double sim_resource_mean_queue(const sim_resource *r);
/* Waiting time (arrival to start of service, ns) of jobs started since the reset. */
const sim_welford *sim_resource_wait(const sim_resource *r);
/* Total busy server-time since the reset, ns. */
double sim_resource_busy_ns(const sim_resource *r);

#endif
