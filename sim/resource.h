/* A FIFO resource with c parallel servers: a node's vCPUs, a NIC's transmit
 * queue.  Work arrives with a service time; it starts when a server is free,
 * in arrival order, and calls its completion handler when done.  Utilisation,
 * queue length and waiting time are recorded from the last reset. */
#ifndef SIM_RESOURCE_H
#define SIM_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"
#include "stats.h"

typedef struct sim_resource sim_resource;

/* One request's bookkeeping, 40 bytes.  sim_resource_request() takes one
 * from the resource's pool; sim_resource_submit() uses storage the caller
 * owns (a field of the customer's own state, already in cache when the
 * request is made and when it completes).  The fields are the resource's. */
typedef struct sim_job sim_job;
struct sim_job {
    sim_resource *res;      /* owner, for the completion handler */
    sim_handler done;       /* called at completion with the job, may be NULL */
    sim_time_ns service_ns; /* service demand, ns */
    sim_time_ns arrival_ns; /* time of the request, ns */
    sim_job *next;          /* next in the waiting line or the free list */
};

/* servers: 1 to 2^31 - 1. */
sim_resource *sim_resource_new(sim *s, unsigned servers);
/* Jobs in service have completion events pointing into the resource: free
 * it only once its sim will not run them (after sim_free(), or when idle). */
void sim_resource_free(sim_resource *r);

/* n resources of `servers` servers each, contiguous in memory and sharing
 * one job pool: many small resources (one per node) then take half a cache
 * line each instead of scattered allocations.  sim_resource_at() names the
 * i-th; sim_resources_free() frees them all (same rule as above). */
sim_resource *sim_resources_new(sim *s, size_t n, unsigned servers);
/* n resources of each of `kinds` kinds, kind k with servers[k] servers, in
 * one array with the kinds of one index side by side: with two kinds, index
 * i's two resources share a cache line (a node's CPU and NIC, so that the
 * NIC step after a CPU step finds its resource loaded).  first[k] receives
 * kind k's first resource; sim_resource_at(first[k], i) is kind k's i-th.
 * One job pool for all; sim_resources_free() of any first[k] frees all.
 * Groups of 64 KiB or more (2,048 resources) are in the sim's arena
 * (sim_mem(), bigmem.h), on huge pages with the other pools: their memory
 * lasts until sim_free() even if freed before, and not after it (query
 * them before sim_free(); sim_resources_free() may still follow it). */
void sim_resources_new_kinds(sim *s, size_t n, size_t kinds, const unsigned servers[],
                             sim_resource *first[]);
sim_resource *sim_resource_at(sim_resource *first, size_t i);
void sim_resources_free(sim_resource *first);

/* Queue work of service_ns; done(s, ctx) runs when it completes.  done may
 * be NULL (work that only occupies the server).  Allocates nothing per call
 * once the internal pools have grown to the peak population. */
void sim_resource_request(sim_resource *r, sim_time_ns service_ns, sim_handler done, void *ctx);
/* The same with a job the caller owns: done(s, j) runs when it completes
 * (the caller finds its own state from j, e.g. j as its first field); j
 * must stay untouched until then (or, with done NULL, until the service
 * ends).  Same order and statistics as sim_resource_request(): the two can
 * be mixed. */
void sim_resource_submit(sim_resource *r, sim_job *j, sim_time_ns service_ns, sim_handler done);

unsigned sim_resource_servers(const sim_resource *r);
unsigned sim_resource_busy(const sim_resource *r); /* servers busy now */
size_t sim_resource_queued(const sim_resource *r); /* jobs waiting now */

/* Whether waiting times are recorded (sim_resource_wait; on by default).
 * Off, a start costs no statistics update and touches only the resource's
 * own 32 bytes: for many resources whose waits nobody reads. */
void sim_resource_set_wait_stats(sim_resource *r, bool on);

/* Forget statistics gathered so far (end of warm-up). */
void sim_resource_reset_stats(sim_resource *r);
/* Mean fraction of server capacity busy since the reset (0..1). */
double sim_resource_utilisation(const sim_resource *r);
/* Time-averaged number of jobs waiting (not in service) since the reset. */
double sim_resource_mean_queue(const sim_resource *r);
/* Waiting time (arrival to start of service, ns) of jobs started since the
 * reset (none while wait statistics are off). */
const sim_welford *sim_resource_wait(const sim_resource *r);
/* Total busy server-time since the reset, ns. */
double sim_resource_busy_ns(const sim_resource *r);

#endif
