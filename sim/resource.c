/* FIFO resource with c servers.
 *
 * Jobs come either from the caller (sim_resource_submit) or from a pool of
 * fixed-size chunks (pointers stay valid while the pool grows, because a job
 * in service is the context of its completion event) recycled through an
 * intrusive free list; resources made together by sim_resources_new() share
 * one pool.  The waiting line is an intrusive singly linked FIFO.  Time
 * averages are kept as integrals (server-ns busy, job-ns waiting) advanced
 * at every change of state.
 *
 * Layout: what every request and completion touches is in the first cache
 * line of the struct; the pool and the waiting-time statistics in the
 * second. */
#include "resource.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define SIM__JOBS_PER_CHUNK 256 /* jobs per pool allocation */
#define SIM__LINE           64  /* bytes */

/* A pooled job: the caller's handler and context beside the job. */
typedef struct {
    sim_job job;
    sim_handler done; /* may be NULL */
    void *ctx;
} sim__pjob;

typedef struct {
    sim_job *free_jobs; /* free list (of sim__pjob) */
    GPtrArray *chunks;  /* allocations, freed with the pool */
} sim__pool;

struct sim_resource {
    /* hot: every request and completion */
    sim *sim;            /* the simulation whose clock and events we use */
    sim_job *head;       /* oldest waiting job, next to start */
    sim_job *tail;       /* newest waiting job */
    unsigned servers;    /* c, parallel servers */
    unsigned busy;       /* servers serving a job now */
    uint32_t queued;     /* jobs waiting now (40 bytes each: 2^32 is 160 GiB) */
    bool wait_stats;     /* record waiting times */
    sim_time_ns last_ns; /* time the integrals were last advanced, ns */
    double busy_area;    /* integral of busy servers over time, server-ns */
    double queue_area;   /* integral of waiting jobs over time, job-ns */
    /* per start (waiting time), per pooled request, per reset */
    sim__pool *pool;            /* shared by the resources of one sim_resources_new() */
    sim_welford wait;           /* waiting times of jobs started, ns */
    sim_time_ns stats_start_ns; /* time of the reset, ns */
    bool owns_pool;             /* made by sim_resource_new(): frees the pool */
} __attribute__((aligned(SIM__LINE)));

static sim__pool *pool_new(void)
{
    sim__pool *p = g_new0(sim__pool, 1);
    p->chunks = g_ptr_array_new_with_free_func(g_free);
    return p;
}

static void pool_free(sim__pool *p)
{
    g_ptr_array_unref(p->chunks);
    g_free(p);
}

static void resource_init(sim_resource *r, sim *s, unsigned servers, sim__pool *pool)
{
    memset(r, 0, sizeof(*r));
    r->sim = s;
    r->servers = servers;
    r->pool = pool;
    r->wait_stats = true;
    sim_resource_reset_stats(r);
}

sim_resource *sim_resource_new(sim *s, unsigned servers)
{
    g_return_val_if_fail(s != NULL && servers >= 1, NULL);
    sim_resource *r = aligned_alloc(SIM__LINE, sizeof(sim_resource));
    if (r == NULL)
        g_error("sim: out of memory for a resource");
    resource_init(r, s, servers, pool_new());
    r->owns_pool = true;
    return r;
}

void sim_resource_free(sim_resource *r)
{
    if (r == NULL)
        return;
    /* Completion events of jobs still in service point into the pool: the
     * caller frees the resource only when its simulation is done with it. */
    if (r->owns_pool)
        pool_free(r->pool);
    free(r);
}

sim_resource *sim_resources_new(sim *s, size_t n, unsigned servers)
{
    g_return_val_if_fail(s != NULL && servers >= 1 && n >= 1, NULL);
    sim_resource *a = aligned_alloc(SIM__LINE, n * sizeof(sim_resource));
    if (a == NULL)
        g_error("sim: out of memory for %zu resources", n);
    sim__pool *pool = pool_new();
    for (size_t i = 0; i < n; i++)
        resource_init(&a[i], s, servers, pool);
    return a;
}

sim_resource *sim_resource_at(sim_resource *first, size_t i)
{
    return &first[i];
}

void sim_resources_free(sim_resource *first)
{
    if (first == NULL)
        return;
    pool_free(first->pool);
    free(first);
}

static G_GNUC_NO_INLINE void pool_grow(sim__pool *p)
{
    sim__pjob *chunk = g_new(sim__pjob, SIM__JOBS_PER_CHUNK);
    g_ptr_array_add(p->chunks, chunk);
    for (size_t i = SIM__JOBS_PER_CHUNK; i-- > 0;) {
        chunk[i].job.next = p->free_jobs;
        p->free_jobs = &chunk[i].job;
    }
}

/* The done of a pooled job: marks it as one (never called). */
static void pooled_done(sim *s, void *ctx)
{
    (void)s;
    (void)ctx;
    g_assert_not_reached();
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

static inline void start(sim_resource *r, sim_job *j, sim_time_ns now)
{
    if (r->wait_stats)
        sim_welford_add(&r->wait, (double)(now - j->arrival_ns));
    sim_schedule(r->sim, j->service_ns, job_done, j);
}

static void job_done(sim *s, void *ctx)
{
    sim_job *j = ctx;
    sim_resource *r = j->res;
    sim_time_ns now = sim_now(s);
    advance(r, now);
    sim_handler done = j->done;
    void *done_ctx = j;
    if (done == pooled_done) {
        sim__pjob *pj = (sim__pjob *)(void *)j;
        done = pj->done;
        done_ctx = pj->ctx;
        j->next = r->pool->free_jobs;
        r->pool->free_jobs = j;
    }
    /* The freed server takes the oldest waiting job at once, before done
     * runs: work that done submits queues behind the jobs already waiting. */
    sim_job *next = r->head;
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

static inline void enqueue(sim_resource *r, sim_job *j, sim_time_ns service_ns, sim_handler done,
                           sim_time_ns now)
{
    j->res = r;
    j->done = done;
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

void sim_resource_request(sim_resource *r, sim_time_ns service_ns, sim_handler done, void *ctx)
{
    g_return_if_fail(service_ns >= 0);
    sim_time_ns now = sim_now(r->sim);
    advance(r, now);
    sim__pool *p = r->pool;
    if (G_UNLIKELY(p->free_jobs == NULL))
        pool_grow(p);
    sim_job *j = p->free_jobs;
    p->free_jobs = j->next;
    sim__pjob *pj = (sim__pjob *)(void *)j;
    pj->done = done;
    pj->ctx = ctx;
    enqueue(r, j, service_ns, pooled_done, now);
}

void sim_resource_submit(sim_resource *r, sim_job *j, sim_time_ns service_ns, sim_handler done)
{
    g_return_if_fail(service_ns >= 0 && j != NULL);
    sim_time_ns now = sim_now(r->sim);
    advance(r, now);
    enqueue(r, j, service_ns, done, now);
}

void sim_resource_set_wait_stats(sim_resource *r, bool on)
{
    r->wait_stats = on;
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
