/* FIFO resource with c servers.
 *
 * Jobs come from a pool of fixed-size chunks (pointers stay valid while the
 * pool grows, because a job in service is the context of its completion
 * event) recycled through an intrusive free list.  The waiting line is an
 * intrusive singly linked FIFO.  Time averages are kept as integrals
 * (server-ns busy, job-ns waiting) advanced at every change of state. */
#include "resource.h"

#include <glib.h>

#define SIM__JOBS_PER_CHUNK 256 /* jobs per pool allocation */

typedef struct sim__job sim__job;
struct sim__job {
    sim_resource *res;      /* owner, for the completion handler */
    sim_handler done;       /* called at completion, may be NULL */
    void *ctx;              /* done's argument */
    sim_time_ns service_ns; /* service demand, ns */
    sim_time_ns arrival_ns; /* time of the request, ns */
    sim__job *next;         /* next in the waiting line or the free list */
};

struct sim_resource {
    sim *sim;            /* the simulation whose clock and events we use */
    unsigned servers;    /* c, parallel servers */
    unsigned busy;       /* servers serving a job now */
    size_t queued;       /* jobs waiting now */
    sim__job *head;      /* oldest waiting job, next to start */
    sim__job *tail;      /* newest waiting job */
    sim__job *free_jobs; /* pool free list */
    GPtrArray *chunks;   /* pool allocations, freed with the resource */
    /* statistics since the last reset */
    sim_time_ns stats_start_ns; /* time of the reset, ns */
    sim_time_ns last_ns;        /* time the integrals were last advanced, ns */
    double busy_area;           /* integral of busy servers over time, server-ns */
    double queue_area;          /* integral of waiting jobs over time, job-ns */
    sim_welford wait;           /* waiting times of jobs started, ns */
};

sim_resource *sim_resource_new(sim *s, unsigned servers)
{
    g_return_val_if_fail(s != NULL && servers >= 1, NULL);
    sim_resource *r = g_new0(sim_resource, 1);
    r->sim = s;
    r->servers = servers;
    r->chunks = g_ptr_array_new_with_free_func(g_free);
    sim_resource_reset_stats(r);
    return r;
}

void sim_resource_free(sim_resource *r)
{
    if (r == NULL)
        return;
    /* Completion events of jobs still in service point into the pool: the
     * caller frees the resource only when its simulation is done with it. */
    g_ptr_array_unref(r->chunks);
    g_free(r);
}

static G_GNUC_NO_INLINE void pool_grow(sim_resource *r)
{
    sim__job *chunk = g_new(sim__job, SIM__JOBS_PER_CHUNK);
    g_ptr_array_add(r->chunks, chunk);
    for (size_t i = SIM__JOBS_PER_CHUNK; i-- > 0;) {
        chunk[i].next = r->free_jobs;
        r->free_jobs = &chunk[i];
    }
}

/* Add the areas under the busy and queue curves since the last change. */
static inline void advance(sim_resource *r, sim_time_ns now)
{
    double dt = (double)(now - r->last_ns);
    r->busy_area += dt * r->busy;
    r->queue_area += dt * (double)r->queued;
    r->last_ns = now;
}

static void job_done(sim *s, void *ctx);

static inline void start(sim_resource *r, sim__job *j, sim_time_ns now)
{
    sim_welford_add(&r->wait, (double)(now - j->arrival_ns));
    sim_schedule(r->sim, j->service_ns, job_done, j);
}

static void job_done(sim *s, void *ctx)
{
    sim__job *j = ctx;
    sim_resource *r = j->res;
    sim_time_ns now = sim_now(s);
    advance(r, now);
    sim_handler done = j->done;
    void *done_ctx = j->ctx;
    j->next = r->free_jobs;
    r->free_jobs = j;
    /* The freed server takes the oldest waiting job at once, before done
     * runs: work that done submits queues behind the jobs already waiting. */
    sim__job *next = r->head;
    if (next != NULL) {
        r->head = next->next;
        if (r->head == NULL)
            r->tail = NULL;
        r->queued--;
        start(r, next, now);
    } else {
        r->busy--;
    }
    if (done != NULL)
        done(s, done_ctx);
}

void sim_resource_request(sim_resource *r, sim_time_ns service_ns, sim_handler done, void *ctx)
{
    g_return_if_fail(service_ns >= 0);
    sim_time_ns now = sim_now(r->sim);
    advance(r, now);
    if (G_UNLIKELY(r->free_jobs == NULL))
        pool_grow(r);
    sim__job *j = r->free_jobs;
    r->free_jobs = j->next;
    j->res = r;
    j->done = done;
    j->ctx = ctx;
    j->service_ns = service_ns;
    j->arrival_ns = now;
    j->next = NULL;
    if (r->busy < r->servers) {
        r->busy++;
        start(r, j, now);
    } else {
        if (r->tail != NULL)
            r->tail->next = j;
        else
            r->head = j;
        r->tail = j;
        r->queued++;
    }
}

unsigned sim_resource_servers(const sim_resource *r)
{
    return r->servers;
}

unsigned sim_resource_busy(const sim_resource *r)
{
    return r->busy;
}

size_t sim_resource_queued(const sim_resource *r)
{
    return r->queued;
}

void sim_resource_reset_stats(sim_resource *r)
{
    sim_time_ns now = sim_now(r->sim);
    r->stats_start_ns = now;
    r->last_ns = now;
    r->busy_area = 0;
    r->queue_area = 0;
    sim_welford_init(&r->wait);
}

/* The integrals up to now, without changing the resource (queries are
 * const and may come between events). */
static double busy_area_now(const sim_resource *r)
{
    return r->busy_area + (double)(sim_now(r->sim) - r->last_ns) * r->busy;
}

double sim_resource_busy_ns(const sim_resource *r)
{
    return busy_area_now(r);
}

double sim_resource_utilisation(const sim_resource *r)
{
    sim_time_ns elapsed = sim_now(r->sim) - r->stats_start_ns;
    if (elapsed <= 0)
        return 0.0;
    return busy_area_now(r) / ((double)elapsed * r->servers);
}

double sim_resource_mean_queue(const sim_resource *r)
{
    sim_time_ns elapsed = sim_now(r->sim) - r->stats_start_ns;
    if (elapsed <= 0)
        return 0.0;
    double area = r->queue_area + (double)(sim_now(r->sim) - r->last_ns) * (double)r->queued;
    return area / (double)elapsed;
}

const sim_welford *sim_resource_wait(const sim_resource *r)
{
    return &r->wait;
}
