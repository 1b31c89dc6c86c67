/* FIFO multi-server resource: service order, parallelism, and the
 * statistics on small cases worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "resource.h"

typedef struct {
    int order[64];        /* labels of completed jobs */
    sim_time_ns when[64]; /* completion times, ns */
    int n;
} done_log;

typedef struct {
    done_log *log;
    int label;
} job_tag;

/* The log holds exactly n completions: labels want[], at times at[]. */
static void assert_log(const done_log *log, int n, const int want[], const sim_time_ns at[])
{
    assert_int_equal(log->n, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(log->order[i], want[i]);
        assert_int_equal(log->when[i], at[i]);
    }
}

static void job_finished(sim *s, void *ctx)
{
    job_tag *t = ctx;
    t->log->when[t->log->n] = sim_now(s);
    t->log->order[t->log->n++] = t->label;
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* Two servers, four 100 ns jobs at t=0: jobs 0,1 run in [0,100], jobs 2,3
 * wait 100 ns then run in [100,200].  Observed over [0,400]:
 * busy area 400 server-ns -> utilisation 400 / (2 * 400) = 0.5;
 * waiting area 2 jobs * 100 ns -> mean queue 200 / 400 = 0.5;
 * waits 0, 0, 100, 100 -> mean 50. */
static void test_two_servers_by_hand(void **state)
{
    sim *s = sim_new();
    sim_resource *r = sim_resource_new(s, 2);
    done_log log = {0};
    job_tag t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (job_tag){&log, i};
        sim_resource_request(r, 100, job_finished, &t[i]);
    }
    assert_int_equal(sim_resource_servers(r), 2);
    assert_int_equal(sim_resource_busy(r), 2);
    assert_int_equal(sim_resource_queued(r), 2);
    sim_run_until(s, 150);
    assert_int_equal(sim_resource_busy(r), 2);
    assert_int_equal(sim_resource_queued(r), 0);
    assert_true(NEAR(sim_resource_mean_queue(r), 200.0 / 150));
    sim_run_until(s, 400);
    assert_int_equal(sim_resource_busy(r), 0);
    assert_int_equal(log.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log.order[i], i);
        assert_int_equal(log.when[i], i < 2 ? 100 : 200);
    }
    assert_true(NEAR(sim_resource_utilisation(r), 0.5));
    assert_true(NEAR(sim_resource_busy_ns(r), 400));
    assert_true(NEAR(sim_resource_mean_queue(r), 0.5));
    const sim_welford *w = sim_resource_wait(r);
    assert_int_equal(w->n, 4);
    assert_true(NEAR(w->mean, 50));
    assert_true(NEAR(w->max, 100));

    /* after a reset only the new interval counts */
    sim_resource_reset_stats(r);
    assert_true(sim_resource_utilisation(r) == 0);
    sim_resource_request(r, 50, NULL, NULL);
    sim_run_until(s, 500);
    /* one server busy 50 ns of 2 * 100 server-ns */
    assert_true(NEAR(sim_resource_utilisation(r), 0.25));
    assert_true(NEAR(sim_resource_mean_queue(r), 0));
    assert_int_equal(sim_resource_wait(r)->n, 1);
    sim_resource_free(r);
    sim_free(s);
}

/* One server: strict FIFO whatever the service times; a job submitted by a
 * completion handler queues behind those already waiting. */
typedef struct {
    sim_resource *res;
    done_log *log;
    job_tag tag;
    job_tag resubmitted;
} resubmit;

static void finish_and_resubmit(sim *s, void *ctx)
{
    resubmit *rs = ctx;
    job_finished(s, &rs->tag);
    sim_resource_request(rs->res, 1, job_finished, &rs->resubmitted);
}

static void test_fifo_single_server(void **state)
{
    sim *s = sim_new();
    sim_resource *r = sim_resource_new(s, 1);
    done_log log = {0};
    resubmit rs = {r, &log, {&log, 0}, {&log, 99}};
    job_tag t[5];
    sim_resource_request(r, 30, finish_and_resubmit, &rs);
    const sim_time_ns svc[5] = {5, 50, 1, 20, 2};
    for (int i = 0; i < 5; i++) {
        t[i] = (job_tag){&log, i + 1};
        sim_resource_request(r, svc[i], job_finished, &t[i]);
    }
    sim_run_until(s, 1000);
    const int want[7] = {0, 1, 2, 3, 4, 5, 99};
    const sim_time_ns at[7] = {30, 35, 85, 86, 106, 108, 109};
    assert_log(&log, 7, want, at);
    /* waits: 0, 30, 35, 85, 86, 106 and the resubmitted job 108 - 30 = 78 */
    const sim_welford *w = sim_resource_wait(r);
    assert_int_equal(w->n, 7);
    assert_true(NEAR(w->mean, (0 + 30 + 35 + 85 + 86 + 106 + 78) / 7.0));
    assert_true(NEAR(sim_resource_busy_ns(r), 109));
    sim_resource_free(r);
    sim_free(s);
}

/* Many jobs at once: the pool grows past a chunk, and every job runs. */
static void count_done(sim *s, void *ctx)
{
    (*(int *)ctx)++;
}

static void test_many_jobs(void **state)
{
    sim *s = sim_new();
    sim_resource *r = sim_resource_new(s, 3);
    int done = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3000; i++)
            sim_resource_request(r, 10, count_done, &done);
        assert_int_equal(sim_resource_queued(r), 2997);
        sim_run_until(s, sim_now(s) + 10000);
        assert_int_equal(sim_resource_busy(r), 0);
    }
    assert_int_equal(done, 9000);
    /* zero service time completes at once, still in order */
    sim_resource_request(r, 0, count_done, &done);
    sim_run_until(s, sim_now(s));
    assert_int_equal(done, 9001);
    sim_resource_free(r);
    sim_free(s);
}

/* A caller's own job: completion comes with the job, the first field. */
typedef struct {
    sim_job job;
    job_tag *tag;
} owned_job;

static void owned_finished(sim *s, void *ctx)
{
    owned_job *o = ctx;
    job_finished(s, o->tag);
}

/* Caller-owned jobs (sim_resource_submit) mixed with pooled ones on a
 * resource of an array: the same order, times and statistics as the
 * two-server case above, and the array's resources do not share state. */
static void test_submit_and_arrays(void **state)
{
    sim *s = sim_new();
    sim_resource *a = sim_resources_new(s, 3, 2);
    sim_resource *r = sim_resource_at(a, 1);
    assert_ptr_not_equal(r, a);
    assert_ptr_not_equal(r, sim_resource_at(a, 2));
    done_log log = {0};
    job_tag t[4];
    owned_job own[2];
    for (int i = 0; i < 4; i++) {
        t[i] = (job_tag){&log, i};
        if (i % 2 == 0) {
            own[i / 2].tag = &t[i];
            sim_resource_submit(r, &own[i / 2].job, 100, owned_finished);
        } else
            sim_resource_request(r, 100, job_finished, &t[i]);
    }
    assert_int_equal(sim_resource_busy(r), 2);
    assert_int_equal(sim_resource_queued(r), 2);
    assert_int_equal(sim_resource_busy(a), 0);
    assert_int_equal(sim_resource_busy(sim_resource_at(a, 2)), 0);
    /* a job on another resource of the array runs alongside */
    job_tag t_other = {&log, 7};
    owned_job other = {.tag = &t_other};
    /* waiting times off: the same service, no wait statistics */
    sim_resource_set_wait_stats(sim_resource_at(a, 2), false);
    sim_resource_submit(sim_resource_at(a, 2), &other.job, 150, owned_finished);
    sim_run_until(s, 400);
    const int want[5] = {0, 1, 7, 2, 3};
    const sim_time_ns at[5] = {100, 100, 150, 200, 200};
    assert_log(&log, 5, want, at);
    assert_true(NEAR(sim_resource_utilisation(r), 0.5));
    assert_true(NEAR(sim_resource_mean_queue(r), 0.5));
    assert_true(NEAR(sim_resource_wait(r)->mean, 50));
    assert_true(NEAR(sim_resource_busy_ns(sim_resource_at(a, 2)), 150));
    assert_int_equal(sim_resource_wait(sim_resource_at(a, 2))->n, 0);
    assert_int_equal(sim_resource_wait(r)->n, 4);
    assert_true(sim_resource_busy_ns(a) == 0);
    sim_resources_free(a);
    sim_free(s);
}

/* Two kinds made together (a node's CPU and NIC): kind k's i-th is
 * sim_resource_at(first[k], i), index i's two share a cache line, and each
 * keeps its own servers, line and statistics. */
static void test_kinds(void **state)
{
    sim *s = sim_new();
    sim_resource *first[2];
    sim_resources_new_kinds(s, 4, 2, (const unsigned[]){3, 1}, first);
    for (size_t i = 0; i < 4; i++) {
        sim_resource *cpu = sim_resource_at(first[0], i), *nic = sim_resource_at(first[1], i);
        assert_int_equal(sim_resource_servers(cpu), 3);
        assert_int_equal(sim_resource_servers(nic), 1);
        assert_true((uintptr_t)cpu / 64 == (uintptr_t)nic / 64);
        for (size_t k = 0; k < i; k++)
            assert_true((uintptr_t)sim_resource_at(first[0], k) / 64 != (uintptr_t)cpu / 64);
    }
    /* node 2's NIC: three 100 ns jobs queue (waits 0, 100, 200); its CPU
     * runs two at once beside it; node 1's NIC stays idle */
    sim_resource *nic = sim_resource_at(first[1], 2), *cpu = sim_resource_at(first[0], 2);
    done_log log = {0};
    job_tag t[5];
    for (int i = 0; i < 5; i++) {
        t[i] = (job_tag){&log, i};
        sim_resource_request(i < 3 ? nic : cpu, 100, job_finished, &t[i]);
    }
    assert_int_equal(sim_resource_busy(nic), 1);
    assert_int_equal(sim_resource_queued(nic), 2);
    assert_int_equal(sim_resource_busy(cpu), 2);
    assert_int_equal(sim_resource_queued(cpu), 0);
    assert_int_equal(sim_resource_busy(sim_resource_at(first[1], 1)), 0);
    sim_run_until(s, 400);
    const int want[5] = {0, 3, 4, 1, 2};
    const sim_time_ns at[5] = {100, 100, 100, 200, 300};
    assert_log(&log, 5, want, at);
    /* NIC over [0,400]: busy 300 ns; waiting area 2 * 100 + 1 * 100 = 300 */
    assert_true(NEAR(sim_resource_utilisation(nic), 0.75));
    assert_true(NEAR(sim_resource_mean_queue(nic), 0.75));
    assert_true(NEAR(sim_resource_wait(nic)->mean, 100));
    assert_true(NEAR(sim_resource_utilisation(cpu), 200.0 / (3 * 400)));
    assert_true(NEAR(sim_resource_mean_queue(cpu), 0));
    assert_int_equal(sim_resource_wait(cpu)->n, 2);
    assert_true(sim_resource_busy_ns(sim_resource_at(first[1], 1)) == 0);
    sim_resources_free(first[1]); /* any kind's first frees them all */
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_servers_by_hand),
        cmocka_unit_test(test_fifo_single_server),
        cmocka_unit_test(test_many_jobs),
        cmocka_unit_test(test_submit_and_arrays),
        cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
