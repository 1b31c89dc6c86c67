/* The cluster build at the scale issue 3 asks for: 5,000 nodes (5 pools of
 * 1,000), 250,000 pods, 100,000 Services x 4 endpoints, 10,000 network
 * policies, for every preset.  Target: under 2 s and under 1 GiB.  One line
 * per variant: build time (best of --repeat) and the process's peak RSS
 * (getrusage), which covers every build so far.
 *
 *   bench-cluster [--repeat R] [--variant NAME] */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cluster.h"
#include "scenario.h"

static const char *const scenario_text =
    "[scenario]\nname = bench-cluster\nseed = 1\n"
    "[cluster]\n"
    "nodes = 5000\nnode_pools = 1000, 1000, 1000, 1000, 1000\n"
    "pods = 250000\nmax_pods_per_node = 60\n"
    "node_subnet = 10.0.0.0/14\npod_subnet = 10.8.0.0/13\npod_cidr = 100.64.0.0/10\n"
    "service_cidr = 192.168.0.0/13\ndns_service_ip = 192.168.0.10\n"
    "services = 100000\nendpoints_per_service = 4\nnetwork_policies = 10000\n"
    "allocated_outbound_ports = 8\n"
    "[plugins]\ncompare = kubenet, azure-cni, azure-cni-overlay, azure-cni-dynamic, cilium, "
    "cilium-podsubnet\n";

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

int main(int argc, char **argv)
{
    gint repeat = 3;
    gchar *only = NULL;
    GOptionEntry entries[] = {
        {"repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Builds per variant, best kept (default 3)",
         "R"},
        {"variant", 'v', 0, G_OPTION_ARG_STRING, &only, "Only this variant", "NAME"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- 5,000-node cluster build benchmark");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err) || repeat < 1) {
        fprintf(stderr, "bench-cluster: %s\n", err ? err->message : "--repeat must be >= 1");
        return 2;
    }
    g_autoptr(cn_scenario) sc =
        cn_scenario_load_data(scenario_text, strlen(scenario_text), "bench-cluster", NULL, &err);
    if (!sc) {
        fprintf(stderr, "bench-cluster: %s\n", err->message);
        return 1;
    }
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    int status = 0, ran = 0;
    for (int i = 0; i < c.n_variants; i++) {
        const cn_variant *v = &c.variants[i];
        if (only && strcmp(only, v->name) != 0)
            continue;
        double best = 1e30;
        cn_cluster *cl = NULL;
        for (int r = 0; r < repeat; r++) {
            cn_cluster_free(cl);
            double t0 = seconds_now();
            cl = cn_cluster_build(&c, v, (uint32_t)r, &err);
            double dt = seconds_now() - t0;
            if (!cl) {
                fprintf(stderr, "bench-cluster: %s\n", err->message);
                return 1;
            }
            best = dt < best ? dt : best;
        }
        double rss = peak_rss_mib();
        bool met = best < 2.0 && rss < 1024.0;
        printf("variant=%s nodes=%u pods=%u services=%u endpoints=%u policies=%u build_s=%.4f "
               "peak_rss_mib=%.1f target=%s\n",
               v->name, cl->n_nodes, cl->n_pods, cl->n_services, cl->svc_ep_start[cl->n_services],
               cl->n_policies, best, rss, met ? "met" : "MISSED");
        fflush(stdout);
        cn_cluster_free(cl);
        status |= met ? 0 : 1;
        ran++;
    }
    g_free(only);
    if (!ran) {
        fprintf(stderr, "bench-cluster: no variant named that\n");
        return 2;
    }
    return status;
}
