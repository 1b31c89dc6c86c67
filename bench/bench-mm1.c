/* M/M/1 through sim_resource: arrival rate 0.9, service rate 1 (one
 * service = 1000 ns), so the mean time in system is 1 / (1 - 0.9) = 10
 * services.  Measures the whole engine: two events, two draws and the
 * resource's bookkeeping per customer.
 *
 *   bench-mm1 [--customers N] [--seed S] */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "resource.h"
#include "rng.h"
#include "sim.h"

#define SERVICE_NS 1000.0             /* 1 / mu */
#define ARRIVAL_NS (SERVICE_NS / 0.9) /* 1 / lambda, load 0.9 */

/* One server serves in arrival order, so customers leave in the order they
 * came: a ring of arrival times is all the per-customer state needed. */
typedef struct {
    sim_resource *res;
    sim_rng *arrivals, *services;
    uint64_t to_arrive;   /* customers still to generate */
    sim_time_ns *ring;    /* arrival times of customers in the system, ns */
    size_t ring_cap;      /* power of two */
    size_t head, tail;    /* ring indices, free-running */
    double sum_system_ns; /* total time in system of departed customers, ns */
    uint64_t departed;
} mm1;

static sim_time_ns draw(sim_rng *r, double mean_ns)
{
    return (sim_time_ns)(sim_rng_exponential(r, mean_ns) + 0.5);
}

static void departure(sim *s, void *ctx)
{
    mm1 *m = ctx;
    m->sum_system_ns += (double)(sim_now(s) - m->ring[m->head++ & (m->ring_cap - 1)]);
    m->departed++;
}

static G_GNUC_NO_INLINE void ring_grow(mm1 *m)
{
    sim_time_ns *ring = g_new(sim_time_ns, m->ring_cap * 2);
    for (size_t i = m->head; i != m->tail; i++)
        ring[i & (m->ring_cap * 2 - 1)] = m->ring[i & (m->ring_cap - 1)];
    g_free(m->ring);
    m->ring = ring;
    m->ring_cap *= 2;
}

static void arrival(sim *s, void *ctx)
{
    mm1 *m = ctx;
    if (G_LIKELY(--m->to_arrive > 0))
        sim_schedule(s, draw(m->arrivals, ARRIVAL_NS), arrival, m);
    if (G_UNLIKELY(m->tail - m->head == m->ring_cap))
        ring_grow(m);
    m->ring[m->tail++ & (m->ring_cap - 1)] = sim_now(s);
    sim_resource_request(m->res, draw(m->services, SERVICE_NS), departure, m);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    gdouble customers = 1e6;
    gint64 seed = 1;
    GOptionEntry entries[] = {
        {"customers", 'n', 0, G_OPTION_ARG_DOUBLE, &customers, "Customers (default 1e6)", "N"},
        {"seed", 's', 0, G_OPTION_ARG_INT64, &seed, "RNG seed (default 1)", "S"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- M/M/1 engine benchmark");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "bench-mm1: %s\n", err->message);
        return 2;
    }
    if (customers < 1 || customers > 1e12) {
        fprintf(stderr, "bench-mm1: need 1 <= N <= 1e12\n");
        return 2;
    }

    sim *s = sim_new();
    mm1 m = {0};
    m.res = sim_resource_new(s, 1);
    m.arrivals = sim_rng_new((uint64_t)seed, 0, sim_rng_stream_id("arrivals"));
    m.services = sim_rng_new((uint64_t)seed, 0, sim_rng_stream_id("services"));
    m.to_arrive = (uint64_t)customers;
    m.ring_cap = 1024;
    m.ring = g_new(sim_time_ns, m.ring_cap);
    sim_schedule(s, draw(m.arrivals, ARRIVAL_NS), arrival, &m);

    double t0 = seconds_now();
    sim_run_until(s, SIM_TIME_MAX);
    double dt = seconds_now() - t0;

    if (m.departed != (uint64_t)customers) {
        fprintf(stderr, "bench-mm1: %" G_GUINT64_FORMAT " customers left\n", (guint64)m.departed);
        return 1;
    }
    printf("customers=%" G_GUINT64_FORMAT " seconds=%.3f customers_per_s=%.0f events_per_s=%.0f "
           "mean_system_time=%.3f\n",
           (guint64)m.departed, dt, (double)m.departed / dt, (double)sim_executed(s) / dt,
           m.sum_system_ns / (double)m.departed / SERVICE_NS);
    g_free(m.ring);
    sim_rng_free(m.arrivals);
    sim_rng_free(m.services);
    sim_resource_free(m.res);
    sim_free(s);
    return 0;
}
