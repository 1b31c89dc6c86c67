/* libFuzzer harness: from a scenario file to the model (issue 9).
 *
 * The loader harness stops at the loaded configuration; this one goes on
 * where the hostile inputs of issue 9 did their damage: for every input that
 * loads, the build check of every point and variant (cn_run_check), the
 * plan (every point's address plan, as `cnisim plan` prints it), the work
 * budget estimate, and a short capped run of the first point of every
 * variant (at most 2 ms of simulated time and 200 transactions, on clusters
 * small enough to build in milliseconds).  Any sanitizer report, GLib
 * warning or critical, or assertion is a crash; a run may fail only with a
 * one-line message naming the file.  The dictionary tests/fuzz/model.dict
 * holds every group, scenario key and [costs] name. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "fuzz.h"
#include "plan.h"
#include "run.h"
#include "scenario.h"

/* Past these the cluster alone takes long to build: checked and planned,
 * not run. */
#define RUN_MAX_NODES     64
#define RUN_MAX_ENDPOINTS 20000
#define RUN_MAX_POINTS    64

static void check_message(const GError *err)
{
    g_assert(err != NULL);
    g_assert(g_str_has_prefix(err->message, "fuzz.ini: "));
    g_assert(strchr(err->message, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_fuzz_init();
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data((const char *)data, size, "fuzz.ini", NULL, &err);
    if (!sc) {
        check_message(err);
        g_error_free(err);
        return 0;
    }
    gsize np = cn_scenario_n_points(sc);
    gboolean buildable = TRUE;
    for (gsize p = 0; p < np && p < RUN_MAX_POINTS && buildable; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int v = 0; v < c.n_variants && buildable; v++)
            if (!cn_run_check(&c, &c.variants[v], &err)) {
                g_assert(err && strchr(err->message, '\n') == NULL);
                g_clear_error(&err);
                buildable = FALSE;
            }
    }
    if (np <= RUN_MAX_POINTS)
        cn_plan_print(sc, devnull);
    cn_budget bud;
    cn_budget_estimate(sc, 2, &bud);
    g_assert(bud.runs >= 1 && !isnan(bud.transactions) && bud.transactions >= 0 &&
             bud.memory_bytes > 0);
    cn_budget_clear(&bud);

    cn_config c;
    cn_scenario_config(sc, 0, &c);
    if (buildable && c.nodes <= RUN_MAX_NODES &&
        (double)c.services * (double)c.endpoints_per_service <= RUN_MAX_ENDPOINTS &&
        c.pods <= 64 * RUN_MAX_NODES) {
        /* Capped: what is exercised is the set-up, the conversions and the
         * first events, not a long simulation. */
        c.warmup_s = fmin(c.warmup_s, 0.001);
        c.duration_s = fmin(c.duration_s, 0.002);
        c.stop_after_transactions = 200;
        if (c.concurrency > 256)
            c.concurrency = 256;
        if (c.rate_rps > 1e6)
            c.rate_rps = 1e6;
        for (int v = 0; v < c.n_variants; v++) {
            cn_run_result r;
            if (cn_run(&c, &c.variants[v], 0, &r, &err)) {
                uint64_t done = 0;
                for (int k = 0; k < CN_CLASS_COUNT; k++)
                    done += r.cls[k].transactions;
                g_assert(done <= 200 + 256);
                g_assert(r.measured_s >= 0 && r.cpu_util_mean >= 0 && r.cpu_util_max <= 1.0001);
                cn_run_result_clear(&r);
            } else {
                g_assert(err && strchr(err->message, '\n') == NULL);
                g_clear_error(&err);
            }
        }
    }
    cn_scenario_free(sc);
    return 0;
}
