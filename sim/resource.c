/* FIFO resource with c servers.
 *
 * Jobs come either from the caller (sim_resource_submit) or from a pool of
 * fixed-size chunks (pointers stay valid while the pool grows, because a job
 * in service is the context of its completion event) recycled through an
 * intrusive free list.  The waiting line is an intrusive singly linked FIFO.
 * Time averages are kept as integrals (server-ns busy, job-ns waiting)
 * advanced at every change of state.
 *
 * Layout: every resource belongs to a group (one per sim_resource_new() or
 * sim_resources_new*() call) holding the sim, the job pool and, per
 * resource, what a request or completion without waiting does not touch:
 * the waiting line, its integral, the waiting-time statistics.  The
 * resource itself is 32 bytes, two to a cache line: its group, the time of
 * the last change, the busy integral and the count of jobs present (in
 * service and waiting: whether there is a line is load > servers).  A
 * node's CPU and NIC made together (sim_resources_new_kinds) share a line. */
#include "resource.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define SIM__JOBS_PER_CHUNK 256 /* jobs per pool allocation */
#define SIM__LINE           64  /* bytes */
#define SIM__MAX_SERVERS    0x7fffffffu
#define SIM__GROUP_BIG      65536 /* bytes of resources from which a group is the sim's arena's */

/* A pooled job: the caller's handler and context beside the job. */
typedef struct {
    sim_job job;
    sim_handler done; /* may be NULL */
    void *ctx;
} sim__pjob;

/* What a resource touches only when jobs wait or at a reset, and queries. */
typedef struct {
    sim_job *head;              /* oldest waiting job, next to start */
    sim_job *tail;              /* newest waiting job */
    double queue_area;          /* integral of waiting jobs over time, job-ns */
    sim_welford wait;           /* waiting times of jobs started, ns */
    sim_time_ns stats_start_ns; /* time of the reset, ns */
} sim__cold;

typedef struct {
    sim *sim;            /* the simulation whose clock and events the group uses */
    sim_job *free_jobs;  /* the pool's free list (of sim__pjob) */
    GPtrArray *chunks;   /* the pool's allocations, freed with the group */
    sim_resource *first; /* the group's resources, n * kinds, kinds side by side */
    sim__cold *cold;     /* their cold parts, same index */
    size_t kinds;        /* resources per index (stride of sim_resource_at) */
    bool in_mem;         /* first and cold are from sim_mem(): freed with the sim */
} sim__group;

struct sim_resource {
    sim__group *g;           /* the group: sim, pool, cold part */
    sim_time_ns last_ns;     /* time the integrals were last advanced, ns */
    double busy_area;        /* integral of busy servers over time, server-ns */
    uint32_t load;           /* jobs present: in service + waiting */
    uint32_t servers : 31;   /* c, parallel servers */
    uint32_t wait_stats : 1; /* record waiting times */
};

_Static_assert(sizeof(sim_resource) == 32, "two resources per cache line");

static inline sim__cold *cold(const sim_resource *r)
{
    return &r->g->cold[r - r->g->first];
}

static inline unsigned busy_of(const sim_resource *r)
{
    return r->load < r->servers ? r->load : r->servers;
}

static inline uint32_t queued_of(const sim_resource *r)
{
    return r->load > r->servers ? r->load - r->servers : 0;
}

static sim__group *group_new(sim *s, size_t n, size_t kinds, const unsigned servers[])
{
    sim__group *g = g_new0(sim__group, 1);
    g->sim = s;
    g->chunks = g_ptr_array_new_with_free_func(g_free);
    g->kinds = kinds;
    size_t bytes = n * kinds * sizeof(sim_resource);
    bytes = (bytes + SIM__LINE - 1) / SIM__LINE * SIM__LINE;
    /* A large group (a cluster's nodes) is touched at every step, in no
     * order: from the arena, on huge pages with the other pools. */
    g->in_mem = bytes >= SIM__GROUP_BIG;
    if (g->in_mem) {
        g->first = sim_bigmem_alloc(sim_mem(s), bytes, SIM__LINE);
        g->cold = sim_bigmem_alloc(sim_mem(s), n * kinds * sizeof(sim__cold), _Alignof(sim__cold));
    } else {
        g->first = aligned_alloc(SIM__LINE, bytes);
        if (g->first == NULL)
            g_error("sim: out of memory for %zu resources", n * kinds);
        memset(g->first, 0, bytes);
        g->cold = g_new0(sim__cold, n * kinds);
    }
    for (size_t i = 0; i < n * kinds; i++) {
        sim_resource *r = &g->first[i];
        r->g = g;
        r->servers = servers[i % kinds];
        r->wait_stats = 1;
        sim_resource_reset_stats(r);
    }
    return g;
}

static void group_free(sim__group *g)
{
    g_ptr_array_unref(g->chunks);
    if (!g->in_mem) {
        g_free(g->cold);
        free(g->first);
    }
    g_free(g);
}

sim_resource *sim_resource_new(sim *s, unsigned servers)
{
    g_return_val_if_fail(s != NULL && servers >= 1 && servers <= SIM__MAX_SERVERS, NULL);
    return group_new(s, 1, 1, &servers)->first;
}

void sim_resource_free(sim_resource *r)
{
    /* Completion events of jobs still in service point into the pool: the
     * caller frees the resource only when its simulation is done with it. */
    if (r != NULL)
        group_free(r->g);
}

sim_resource *sim_resources_new(sim *s, size_t n, unsigned servers)
{
    sim_resource *first;
    sim_resources_new_kinds(s, n, 1, &servers, &first);
    return first;
}

void sim_resources_new_kinds(sim *s, size_t n, size_t kinds, const unsigned servers[],
                             sim_resource *first[])
{
    g_return_if_fail(s != NULL && n >= 1 && kinds >= 1 && servers != NULL && first != NULL);
    for (size_t k = 0; k < kinds; k++)
        g_return_if_fail(servers[k] >= 1 && servers[k] <= SIM__MAX_SERVERS);
    sim__group *g = group_new(s, n, kinds, servers);
    for (size_t k = 0; k < kinds; k++)
        first[k] = &g->first[k];
}

sim_resource *sim_resource_at(sim_resource *first, size_t i)
{
    return first + i * first->g->kinds;
}

void sim_resources_free(sim_resource *first)
{
    if (first != NULL)
        group_free(first->g);
}

static G_GNUC_NO_INLINE void pool_grow(sim__group *g)
{
    sim__pjob *chunk = g_new(sim__pjob, SIM__JOBS_PER_CHUNK);
    g_ptr_array_add(g->chunks, chunk);
    for (size_t i = SIM__JOBS_PER_CHUNK; i-- > 0;) {
        chunk[i].job.next = g->free_jobs;
        g->free_jobs = &chunk[i].job;
    }
}

/* The done of a pooled job: marks it as one (never called). */
static void pooled_done(sim *s, void *ctx)
{
    (void)s;
    (void)ctx;
    g_assert_not_reached();
}

/* Add the areas under the busy and queue curves since the last change.  With
 * no job waiting the queue's area grows by dt * 0 = +0.0, which leaves it
 * as it is: only a resource with a line touches its cold part. */
static inline void advance(sim_resource *r, sim_time_ns now)
{
    double dt = (double)(now - r->last_ns);
    r->busy_area += dt * (double)busy_of(r);
    if (G_UNLIKELY(r->load > r->servers))
        cold(r)->queue_area += dt * (double)queued_of(r);
    r->last_ns = now;
}

static void job_done(sim *s, void *ctx);

static inline void start(sim_resource *r, sim *s, sim_job *j, sim_time_ns now)
{
    if (r->wait_stats)
        sim_welford_add(&cold(r)->wait, (double)(now - j->arrival_ns));
    sim_schedule(s, j->service_ns, job_done, j);
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
        j->next = r->g->free_jobs;
        r->g->free_jobs = j;
    }
    /* The freed server takes the oldest waiting job at once, before done
     * runs: work that done submits queues behind the jobs already waiting. */
    if (G_UNLIKELY(r->load > r->servers)) {
        sim__cold *c = cold(r);
        sim_job *next = c->head;
        c->head = next->next;
        if (c->head == NULL)
            c->tail = NULL;
        else
            /* the new head is read when the next server frees, a service
             * time from now: its line (the waiting customer's own state,
             * long untouched when many wait) is fetched meanwhile */
            __builtin_prefetch(c->head);
        r->load--;
        start(r, s, next, now);
    } else {
        r->load--;
    }
    if (done != NULL)
        done(s, done_ctx);
}

static inline void enqueue(sim_resource *r, sim *s, sim_job *j, sim_time_ns service_ns,
                           sim_handler done, sim_time_ns now)
{
    j->res = r;
    j->done = done;
    j->service_ns = service_ns;
    j->arrival_ns = now;
    j->next = NULL;
    if (r->load < r->servers) {
        r->load++;
        start(r, s, j, now);
    } else {
        g_assert(r->load < UINT32_MAX);
        sim__cold *c = cold(r);
        if (c->tail != NULL)
            c->tail->next = j;
        else
            c->head = j;
        c->tail = j;
        r->load++;
    }
}

void sim_resource_request(sim_resource *r, sim_time_ns service_ns, sim_handler done, void *ctx)
{
    g_return_if_fail(service_ns >= 0);
    sim__group *g = r->g;
    sim_time_ns now = sim_now(g->sim);
    advance(r, now);
    if (G_UNLIKELY(g->free_jobs == NULL))
        pool_grow(g);
    sim_job *j = g->free_jobs;
    g->free_jobs = j->next;
    sim__pjob *pj = (sim__pjob *)(void *)j;
    pj->done = done;
    pj->ctx = ctx;
    enqueue(r, g->sim, j, service_ns, pooled_done, now);
}

void sim_resource_submit(sim_resource *r, sim_job *j, sim_time_ns service_ns, sim_handler done)
{
    g_return_if_fail(service_ns >= 0 && j != NULL);
    sim *s = r->g->sim;
    sim_time_ns now = sim_now(s);
    advance(r, now);
    enqueue(r, s, j, service_ns, done, now);
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
    return busy_of(r);
}

size_t sim_resource_queued(const sim_resource *r)
{
    return queued_of(r);
}

void sim_resource_reset_stats(sim_resource *r)
{
    sim_time_ns now = sim_now(r->g->sim);
    sim__cold *c = cold(r);
    c->stats_start_ns = now;
    r->last_ns = now;
    r->busy_area = 0;
    c->queue_area = 0;
    sim_welford_init(&c->wait);
}

/* The integrals up to now, without changing the resource (queries are
 * const and may come between events). */
static double busy_area_now(const sim_resource *r)
{
    return r->busy_area + (double)(sim_now(r->g->sim) - r->last_ns) * (double)busy_of(r);
}

double sim_resource_busy_ns(const sim_resource *r)
{
    return busy_area_now(r);
}

double sim_resource_utilisation(const sim_resource *r)
{
    sim_time_ns elapsed = sim_now(r->g->sim) - cold(r)->stats_start_ns;
    if (elapsed <= 0)
        return 0.0;
    return busy_area_now(r) / ((double)elapsed * (double)r->servers);
}

double sim_resource_mean_queue(const sim_resource *r)
{
    sim_time_ns now = sim_now(r->g->sim);
    const sim__cold *c = cold(r);
    sim_time_ns elapsed = now - c->stats_start_ns;
    if (elapsed <= 0)
        return 0.0;
    double area = c->queue_area + (double)(now - r->last_ns) * (double)queued_of(r);
    return area / (double)elapsed;
}

const sim_welford *sim_resource_wait(const sim_resource *r)
{
    return &cold(r)->wait;
}
