/* Hold model, after ns-3's utils/bench-scheduler: P events pending; each
 * executed event schedules one new event at now + Exp(mean 100 ns), so the
 * population stays P while T events run.  Measures the event set plus the
 * handler call and the random draw, as ns-3's does.  Prints the wall-clock
 * rate (what ns-3's bench-scheduler reports) and the CPU-time rate.
 *
 *   bench-hold [--pop P] [--total T] [--seed S]
 * Without --pop: P = 1e3, 1e4, 1e5, 1e6 in turn, T = 5e6 each. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rng.h"
#include "sim.h"

#define HOLD_MEAN_NS 100.0 /* ns-3 bench-scheduler default: Exp(100) */

typedef struct {
    sim_rng *rng;       /* delay draws */
    uint64_t remaining; /* events still to run */
} hold;

static void hold_event(sim *s, void *ctx)
{
    hold *h = ctx;
    if (G_UNLIKELY(--h->remaining == 0))
        sim_stop(s);
    sim_schedule(s, (sim_time_ns)(sim_rng_exponential(h->rng, HOLD_MEAN_NS) + 0.5), hold_event, h);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* This process's CPU time: on a shared machine, what the run cost without
 * the time other jobs held the CPU (which the wall time counts). */
static double cpu_seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run(uint64_t pop, uint64_t total, uint64_t seed)
{
    sim *s = sim_new();
    hold h = {sim_rng_new(seed, 0, sim_rng_stream_id("hold")), total};
    for (uint64_t i = 0; i < pop; i++)
        sim_schedule(s, (sim_time_ns)(sim_rng_exponential(h.rng, HOLD_MEAN_NS) + 0.5), hold_event,
                     &h);
    double t0 = seconds_now(), c0 = cpu_seconds_now();
    uint64_t ran = sim_run_until(s, SIM_TIME_MAX);
    double dt = seconds_now() - t0, dc = cpu_seconds_now() - c0;
    if (ran != total || sim_pending(s) != pop) {
        fprintf(stderr, "bench-hold: ran %" G_GUINT64_FORMAT " events, %zu pending\n", (guint64)ran,
                sim_pending(s));
        exit(1);
    }
    printf("pop=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT
           " seconds=%.3f events_per_s=%.0f cpu_seconds=%.3f cpu_events_per_s=%.0f\n",
           (guint64)pop, (guint64)total, dt, (double)total / dt, dc, (double)total / dc);
    fflush(stdout);
    sim_rng_free(h.rng);
    sim_free(s);
}

int main(int argc, char **argv)
{
    gdouble pop = 0, total = 5e6;
    gint64 seed = 1;
    GOptionEntry entries[] = {
        {"pop", 'p', 0, G_OPTION_ARG_DOUBLE, &pop, "Pending events (default: 1e3..1e6)", "P"},
        {"total", 't', 0, G_OPTION_ARG_DOUBLE, &total, "Events to run (default 5e6)", "T"},
        {"seed", 's', 0, G_OPTION_ARG_INT64, &seed, "RNG seed (default 1)", "S"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- event-set hold benchmark");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        fprintf(stderr, "bench-hold: %s\n", err->message);
        return 2;
    }
    if (pop < 0 || total < 1 || pop > 1e8 || total > 1e12) {
        fprintf(stderr, "bench-hold: need 0 <= P <= 1e8 and 1 <= T <= 1e12\n");
        return 2;
    }
    if (pop > 0) {
        run((uint64_t)pop, (uint64_t)total, (uint64_t)seed);
    } else {
        for (double p = 1e3; p <= 1e6; p *= 10)
            run((uint64_t)p, (uint64_t)total, (uint64_t)seed);
    }
    return 0;
}
