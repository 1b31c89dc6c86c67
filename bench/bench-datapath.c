/* Datapath simulation speed.
 *   bench-datapath scale       wall ns per simulated transaction against the
 *                              number of Services (1 .. 100,000), per variant
 *   bench-datapath mix         simulated transactions per wall second for the
 *                              quickstart mix, one thread
 *   bench-datapath file X.ini  every run of a scenario, one thread, with time
 *                              and peak RSS per variant
 * One line per measurement, key=value, for scripts. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <glib.h>

#include "run.h"
#include "scenario.h"

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t total_txn(const cn_run_result *r)
{
    uint64_t n = 0;
    for (int k = 0; k < CN_CLASS_COUNT; k++)
        n += r->cls[k].transactions + r->cls[k].failed;
    return n;
}

static int run_scenario(const char *text_or_path, gboolean is_path, const char *const *sets,
                        const char *label)
{
    GError *err = NULL;
    cn_scenario *sc =
        is_path ? cn_scenario_load(text_or_path, sets, &err)
                : cn_scenario_load_data(text_or_path, strlen(text_or_path), "bench", sets, &err);
    if (!sc) {
        fprintf(stderr, "%s\n", err->message);
        return 2;
    }
    for (gsize p = 0; p < cn_scenario_n_points(sc); p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int v = 0; v < c.n_variants; v++) {
            cn_run_result r;
            double t0 = now_s();
            if (!cn_run(&c, &c.variants[v], 0, &r, &err)) {
                fprintf(stderr, "%s\n", err->message);
                return 1;
            }
            double dt = now_s() - t0;
            uint64_t n = total_txn(&r);
            printf("%s point=%zu variant=%s services=%" G_GINT64_FORMAT
                   " transactions=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT
                   " seconds=%.3f ns_per_txn=%.0f txn_per_s=%.0f peak_rss_mib=%.0f\n",
                   label, p + 1, c.variants[v].name, c.services, n, r.events, dt,
                   n ? dt * 1e9 / (double)n : 0, dt > 0 ? (double)n / dt : 0,
                   (double)peak_rss_kib() / 1024);
            fflush(stdout);
            cn_run_result_clear(&r);
        }
    }
    cn_scenario_free(sc);
    return 0;
}

static const char scale_ini[] =
    "[scenario]\nname = bench-scale\nseed = 1\nduration_s = 1000\nwarmup_s = 0.01\n"
    "stop_after_transactions = 300000\n"
    "[cluster]\nnodes = 3\nservices = 1, 1000, 10000, 100000\nservice_cidr = 10.0.0.0/13\n"
    "bpf_lb_map_max = 1000000\n"
    "[workload]\nconcurrency = 32\ntraffic = pod-to-service\nrequests_per_connection = 1\n"
    "target_services = 100\n"
    "[plugins]\ncompare = kubenet, azure-cni, azure-cni/ipvs, azure-cni-overlay+calico, "
    "azure-cni-dynamic, cilium\n";

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "scale") == 0)
        return run_scenario(scale_ini, FALSE, NULL, "scale");
    if (argc >= 2 && strcmp(argv[1], "mix") == 0) {
        const char *sets[] = {"scenario.replications=1", "scenario.duration_s=2", NULL};
        return run_scenario("scenarios/quickstart.ini", TRUE, sets, "mix");
    }
    if (argc >= 3 && strcmp(argv[1], "file") == 0)
        return run_scenario(argv[2], TRUE, (const char *const *)(argv + 3), "file");
    fprintf(stderr,
            "usage: bench-datapath scale | mix | file SCENARIO.ini [group.key=value ...]\n");
    return 2;
}
