/* Validation of the engine (events, RNG streams, resources, statistics)
 * against queueing theory, using only sim/.
 *
 * Closed forms (Kleinrock, Queueing Systems vol. 1, 1975; Gross & Harris,
 * Fundamentals of Queueing Theory, 4th ed., ch. 2-3 and 6):
 *   M/M/1   W = 1 / (mu - lambda)                              (K. 3.26)
 *   M/M/c   Wq = C(c, a) / (c mu - lambda), a = lambda / mu,  Erlang C:
 *           C = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))
 *   M/D/1   Wq = lambda D^2 / (2 (1 - rho))   Pollaczek-Khinchine  (K. 5.73)
 *   Little  L = lambda W, Lq = lambda Wq, on every sample path   (Little 1961)
 *
 * Tolerances: the mean time in system must be within 3% of the closed form
 * (the requirement; at the run lengths below the standard error of
 * the mean is 0.5-1%, so 3% is three to six standard errors and a correct
 * engine passes for any seed, while a wrong tie order, a lost event or a
 * biased generator moves W by more).  For M/M/1 the 95% confidence interval
 * over replications must also cover the closed form.  Little's law is a
 * sample-path identity: measured L and lambda W differ only by the
 * customers present at the ends of the window (about L W / (N W) = L / N,
 * below 1e-4 here), so it is checked to 0.5%, which catches any error in
 * the time-averaged queue length.
 *
 * Times are integer ns: service means of 1000 ns make the rounding of each
 * draw to the nearest ns change means by less than 1e-4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <math.h>

#include "resource.h"
#include "rng.h"
#include "sim.h"
#include "stats.h"

#define SERVICE_MEAN_NS 1000.0 /* 1 / mu */

typedef struct {
    sim *s;
    sim_resource *res;
    sim_rng *arrivals;        /* interarrival draws */
    sim_rng *services;        /* service draws */
    double arrival_mean_ns;   /* 1 / lambda */
    bool deterministic;       /* M/D/c: every service takes SERVICE_MEAN_NS */
    sim_time_ns window_start; /* measurement begins (end of warm-up), ns */
    uint64_t arrived;         /* arrivals inside the window */
    sim_welford sojourn;      /* time in system of customers arrived in the window, ns */
    uint64_t waited;          /* of those, customers who queued before service */
    bool closed;              /* measurement over: no more arrivals */
} open_queue;

typedef struct {
    open_queue *q;
    sim_time_ns arrival_ns; /* when the customer arrived */
    sim_time_ns service_ns; /* its service demand */
} customer;

static sim_time_ns draw_ns(sim_rng *r, double mean_ns)
{
    return (sim_time_ns)llround(sim_rng_exponential(r, mean_ns));
}

static void departure(sim *s, void *ctx)
{
    customer *c = ctx;
    open_queue *q = c->q;
    if (c->arrival_ns >= q->window_start) {
        sim_time_ns in_system = sim_now(s) - c->arrival_ns;
        sim_welford_add(&q->sojourn, (double)in_system);
        if (in_system > c->service_ns)
            q->waited++;
    }
    g_free(c);
}

static void arrival(sim *s, void *ctx)
{
    open_queue *q = ctx;
    if (q->closed)
        return;
    sim_schedule(s, draw_ns(q->arrivals, q->arrival_mean_ns), arrival, q);
    customer *c = g_new(customer, 1);
    c->q = q;
    c->arrival_ns = sim_now(s);
    c->service_ns =
        q->deterministic ? (sim_time_ns)SERVICE_MEAN_NS : draw_ns(q->services, SERVICE_MEAN_NS);
    if (c->arrival_ns >= q->window_start)
        q->arrived++;
    sim_resource_request(q->res, c->service_ns, departure, c);
}

typedef struct {
    double w_ns;   /* mean time in system, ns */
    double wq_ns;  /* mean wait before service (resource's Welford), ns */
    double l;      /* time-averaged number in system */
    double lq;     /* time-averaged number waiting */
    double lambda; /* measured arrival rate, per ns */
    double util;   /* resource utilisation */
    double p_wait; /* fraction of customers who waited */
} queue_result;

/* One replication: warm up for warm_customers, then measure for customers
 * (both counted in expected arrivals). */
static queue_result run_queue(unsigned servers, double rho, bool deterministic,
                              uint32_t replication, double warm_customers, double customers)
{
    open_queue q = {0};
    q.s = sim_new();
    q.res = sim_resource_new(q.s, servers);
    q.arrivals = sim_rng_new(1, replication, sim_rng_stream_id("arrivals"));
    q.services = sim_rng_new(1, replication, sim_rng_stream_id("services"));
    q.arrival_mean_ns = SERVICE_MEAN_NS / (rho * servers);
    q.deterministic = deterministic;
    q.window_start = (sim_time_ns)(warm_customers * q.arrival_mean_ns);
    sim_welford_init(&q.sojourn);
    sim_time_ns end = q.window_start + (sim_time_ns)(customers * q.arrival_mean_ns);

    sim_schedule(q.s, draw_ns(q.arrivals, q.arrival_mean_ns), arrival, &q);
    sim_run_until(q.s, q.window_start);
    sim_resource_reset_stats(q.res);
    sim_run_until(q.s, end);

    queue_result r;
    double window = (double)(end - q.window_start);
    r.w_ns = q.sojourn.mean;
    r.wq_ns = sim_resource_wait(q.res)->mean;
    r.util = sim_resource_utilisation(q.res);
    r.lq = sim_resource_mean_queue(q.res);
    r.l = r.lq + r.util * servers; /* waiting + in service */
    r.lambda = (double)q.arrived / window;
    r.p_wait = (double)q.waited / (double)q.sojourn.n;

    /* Customers still in the system are freed by their departures: let
     * them leave so the leak checker of ASan builds stays quiet. */
    q.closed = true;
    sim_run_until(q.s, SIM_TIME_MAX);
    sim_resource_free(q.res);
    sim_rng_free(q.arrivals);
    sim_rng_free(q.services);
    sim_free(q.s);
    return r;
}

static void check_rel(const char *what, double got, double want, double tol)
{
    double rel = fabs(got - want) / want;
    print_message("  %-28s %12.4f  expected %12.4f  (%.2f%%, limit %.1f%%)\n", what, got, want,
                  100 * rel, 100 * tol);
    if (rel > tol)
        fail_msg("%s: %g differs from %g by %.2f%% (limit %.1f%%)", what, got, want, 100 * rel,
                 100 * tol);
}

static void check_little(const queue_result *r)
{
    check_rel("Little L = lambda W", r->l, r->lambda * r->w_ns, 0.005);
    check_rel("Little Lq = lambda Wq", r->lq, r->lambda * r->wq_ns, 0.005);
}

/* M/M/1 with R replications: each within 3% ... on the pooled mean, and
 * the replications' 95% CI covering the closed form. */
static void mm1(double rho, int replications, double customers)
{
    double lambda = rho / SERVICE_MEAN_NS, mu = 1 / SERVICE_MEAN_NS;
    double w = 1 / (mu - lambda);
    sim_welford reps;
    sim_welford_init(&reps);
    for (int k = 0; k < replications; k++) {
        queue_result r = run_queue(1, rho, false, (uint32_t)k, customers / 20, customers);
        sim_welford_add(&reps, r.w_ns);
        check_little(&r);
        check_rel("utilisation", r.util, rho, 0.02);
    }
    check_rel("M/M/1 W (mean of replications)", reps.mean, w, 0.03);
    double ci = sim_welford_ci95(&reps);
    print_message("  95%% CI %.1f +- %.1f ns covers %.1f?\n", reps.mean, ci, w);
    assert_true(fabs(reps.mean - w) <= ci);
    /* and the CI is informative, not wide enough to cover anything */
    assert_true(ci < 0.03 * w);
}

static void test_mm1_load_05(void **state)
{
    mm1(0.5, 8, 100000);
}

static void test_mm1_load_09(void **state)
{
    /* The relaxation time at rho 0.9 is ~ 1 / (mu (1 - sqrt rho)^2) = 380
     * services: longer runs are needed for the same precision. */
    mm1(0.9, 8, 400000);
}

static double erlang_c(unsigned c, double a)
{
    double term = 1, sum = 0; /* a^k / k! */
    for (unsigned k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term * c / (c - a);
    return top / (sum + top);
}

static void test_mmc_erlang_c(void **state)
{
    const unsigned c = 4;
    const double rho = 0.8, mu = 1 / SERVICE_MEAN_NS, lambda = rho * c * mu;
    double pc = erlang_c(c, lambda / mu);
    double w = pc / (c * mu - lambda) + 1 / mu;
    queue_result r = run_queue(c, rho, false, 0, 20000, 1000000);
    check_rel("M/M/4 W (Erlang C)", r.w_ns, w, 0.03);
    check_rel("M/M/4 P(wait) = C(4, 3.2)", r.p_wait, pc, 0.03);
    check_rel("utilisation", r.util, rho, 0.02);
    check_little(&r);
}

static void test_md1_pollaczek_khinchine(void **state)
{
    const double rho = 0.8, d = SERVICE_MEAN_NS, lambda = rho / d;
    double w = lambda * d * d / (2 * (1 - rho)) + d;
    queue_result r = run_queue(1, rho, true, 0, 20000, 1000000);
    check_rel("M/D/1 W (Pollaczek-Khinchine)", r.w_ns, w, 0.03);
    check_rel("utilisation", r.util, rho, 0.02);
    check_little(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1_load_05),
        cmocka_unit_test(test_mm1_load_09),
        cmocka_unit_test(test_mmc_erlang_c),
        cmocka_unit_test(test_md1_pollaczek_khinchine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
