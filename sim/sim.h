/* The event loop: simulated time, the pending-event set and the run loop.
 *
 * Time is an int64_t count of nanoseconds.  An event is (time, sequence,
 * handler, context); events run in time order and, at equal times, in the
 * order they were scheduled, so a run is deterministic.  The engine knows
 * nothing about networks. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bigmem.h"

typedef int64_t sim_time_ns; /* simulated time, nanoseconds */

#define SIM_NS_PER_US INT64_C(1000)
#define SIM_NS_PER_MS INT64_C(1000000)
#define SIM_NS_PER_S  INT64_C(1000000000)
#define SIM_TIME_MAX  INT64_MAX

typedef struct sim sim;

/* An event handler.  ctx is the pointer given to sim_schedule(). */
typedef void (*sim_handler)(sim *s, void *ctx);

/* A handle naming one scheduled event; 0 never names an event.  An id is
 * never reused within a simulation, so cancelling a stale id is safe. */
typedef uint64_t sim_event_id;

sim *sim_new(void);
void sim_free(sim *s);

/* Schedule h(ctx) to run delay_ns from now (delay_ns >= 0; a time past
 * SIM_TIME_MAX is clamped to it, "never").  Returns the event's id, or 0
 * for invalid arguments.  Limits: 16M events pending at once (cancelled ones
 * count until compacted away) and 2^40 (1.1e12) events scheduled per sim;
 * exceeding either aborts.  Allocates nothing once the internal arrays have
 * grown to the peak population.  Shortly before h runs, the first 128
 * bytes at ctx are prefetched: a model keeps what h reads first there. */
sim_event_id sim_schedule(sim *s, sim_time_ns delay_ns, sim_handler h, void *ctx);
/* Schedule h(ctx) at absolute time at_ns (at_ns >= sim_now()). */
sim_event_id sim_schedule_at(sim *s, sim_time_ns at_ns, sim_handler h, void *ctx);

/* Cancel a pending event in O(1).  Returns true if it was pending, false if it
 * already ran, was already cancelled or id is 0. */
bool sim_cancel(sim *s, sim_event_id id);

/* Run events in order while their time is <= end_ns, or until sim_stop().
 * On return sim_now() is end_ns if the run reached it (even when no event
 * was at end_ns), or the time of the last event run when stopped.  Returns
 * the number of events run by this call. */
uint64_t sim_run_until(sim *s, sim_time_ns end_ns); /* end_ns >= sim_now() */

/* Ask sim_run_until() to return after the current handler.  Called between
 * runs, it makes the next sim_run_until() return at once, running nothing;
 * either way the request is consumed by the run it stops. */
void sim_stop(sim *s);

/* A sampler: h(s, ctx) is called at first_ns, first_ns + period_ns, ...
 * once every event at or before that time has run, with sim_now() at that
 * time.  It is not an event: it takes no sequence number, does not count in
 * sim_executed() and changes the order of no event, so a simulation runs the
 * same with or without it.  h may call sim_stop() and may schedule events
 * (at or after its time).  One sampler per sim; a new call replaces it;
 * period_ns <= 0 or h NULL removes it.  first_ns >= sim_now().  Set from
 * an event handler, it takes effect at the next sim_run_until(). */
void sim_set_sampler(sim *s, sim_time_ns first_ns, sim_time_ns period_ns, sim_handler h, void *ctx);

sim_time_ns sim_now(const sim *s);
size_t sim_pending(const sim *s);    /* events scheduled and not yet run or cancelled */
uint64_t sim_executed(const sim *s); /* events run since sim_new() */
/* The simulation's arena (bigmem.h), freed by sim_free(): for pools whose
 * blocks live as long as the simulation (the event set's chunks are there). */
sim_bigmem *sim_mem(sim *s);

#endif
