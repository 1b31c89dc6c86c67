/* `cnisim plan`: ipam.csv (the contract columns), migrations.csv and the
 * printed table, on small scenarios and on scenarios/ip-planning.ini (its
 * path is the first argument). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "plan.h"
#include "scenario.h"

static const char *ip_planning_path;

static const char *const HEADER =
    "scenario,point,variant,ipam,nodes,surge_nodes,max_pods_per_node,node_subnet,"
    "node_subnet_usable,node_subnet_needed,pod_range,pod_range_usable,pod_range_needed,"
    "max_nodes,max_pods,pods_scheduled,limiting_factor,snat_ports_per_node,snat_ports_needed,"
    "snat_ports_available,flags";

static cn_scenario *load(const char *ini)
{
    g_autoptr(GError) err = NULL;
    cn_scenario *sc = cn_scenario_load_data(ini, strlen(ini), "plan.ini", NULL, &err);
    if (!sc)
        fail_msg("%s", err->message);
    return sc;
}

/* Write a file with fn into a temporary directory and return its text. */
static char *written(const cn_scenario *sc,
                     gboolean (*fn)(const cn_scenario *, const char *, GError **))
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("cnisim-plan-XXXXXX", &err);
    assert_non_null(dir);
    g_autofree char *path = g_build_filename(dir, "out.csv", NULL);
    if (!fn(sc, path, &err))
        fail_msg("%s", err->message);
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* Nothing but the file: the temporary was renamed. */
    GDir *d = g_dir_open(dir, 0, NULL);
    int files = 0;
    while (g_dir_read_name(d))
        files++;
    g_dir_close(d);
    assert_int_equal(files, 1);
    g_unlink(path);
    g_rmdir(dir);
    return text;
}

static const char *line_starting(char **lines, const char *prefix)
{
    for (int i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], prefix))
            return lines[i];
    fail_msg("no line starts with '%s'", prefix);
    return NULL;
}

static void test_ipam_csv(void **state)
{
    cn_scenario *sc = load("[scenario]\nname = worked\n[cluster]\nnodes = 50, 60\n"
                           "[plugins]\ncompare = azure-cni, kubenet+calico\n");
    g_autofree char *csv = written(sc, cn_plan_write_ipam_csv);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    assert_true(g_str_has_prefix(lines[0], HEADER));
    /* nodes is already a contract column: no extra column for the sweep. */
    assert_string_equal(lines[0] + strlen(HEADER),
                        ",pods_requested,vnet_ips,snat_ports_per_node_surge,"
                        "node_subnet_min_prefix,pod_range_min_prefix,pod_subnet_allocation,"
                        "max_nodes_upgradable,system_pods_per_node,system_pods,system_pod_addrs,"
                        "user_pods_per_node,user_pods_max");
    assert_int_equal(g_strv_length(lines), 1 + 4 + 1); /* header, 2 points x 2, "" */
    /* The worked examples: 1,581 and 1,891 addresses, a /21.  The LB's
     * 64,000 ports hold 2,000 nodes at 32 ports each (the docs' count),
     * 1,999 with the surge node (max_nodes_upgradable).  System pods: 5
     * DaemonSets per node, and CoreDNS x 5 (50 nodes), its autoscaler,
     * metrics-server x 2, konnectivity x 2: 260, 8 with pod addresses; 25
     * user slots per node, 2,000 x 25 - 10 user pods at 2,000 nodes. */
    assert_string_equal(lines[1], "worked,1,azure-cni,node-subnet,50,1,30,10.224.0.0/16,65531,"
                                  "1581,,0,0,2000,60000,54,snat_ports,1024,26112,64000,"
                                  "snat_surge_tier,54,1581,512,21,,,1999,5,260,8,25,49990");
    assert_true(g_str_has_prefix(lines[3], "worked,2,azure-cni,node-subnet,60,1,30,"
                                           "10.224.0.0/16,65531,1891,"));
    assert_true(g_str_has_prefix(lines[2], "worked,1,kubenet+calico,kubenet,50,1,110,"
                                           "10.224.0.0/16,65531,51,10.244.0.0/16,65536,13056,"
                                           "256,28160,54,pod_cidr,1024,"));
    /* Byte-identical when written again. */
    g_autofree char *again = written(sc, cn_plan_write_ipam_csv);
    assert_string_equal(csv, again);
    cn_scenario_free(sc);
}

static void test_ipam_csv_swept_extra(void **state)
{
    cn_scenario *sc = load("[cluster]\nservices = 10, 20\n[plugins]\ncompare = cilium\n");
    g_autofree char *csv = written(sc, cn_plan_write_ipam_csv);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    assert_true(g_str_has_suffix(lines[0], ",flags,services,pods_requested,vnet_ips,"
                                           "snat_ports_per_node_surge,node_subnet_min_prefix,"
                                           "pod_range_min_prefix,pod_subnet_allocation,"
                                           "max_nodes_upgradable,system_pods_per_node,system_pods,"
                                           "system_pod_addrs,user_pods_per_node,user_pods_max"));
    assert_true(strstr(lines[2], ",,20,7,") != NULL);
    cn_scenario_free(sc);
}

static void test_migrations_csv(void **state)
{
    cn_scenario *sc = load("[plugins]\ncompare = kubenet, kubenet+calico, azure-cni+azure-npm, "
                           "azure-cni-overlay, azure-cni-dynamic, cilium\n");
    g_autofree char *csv = written(sc, cn_plan_write_migrations_csv);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    assert_string_equal(lines[0], "from_variant,to_variant,in_place,steps,prerequisites,n_steps");
    static const struct {
        const char *prefix, *part, *n_steps;
    } rows[] = {
        {"kubenet,azure-cni-overlay,yes,IPAM kubenet to overlay (az aks update --network-plugin "
         "azure --network-plugin-mode overlay),",
         "one way", ",1"},
        {"kubenet,cilium,yes,IPAM kubenet to overlay", "-> enable the Cilium dataplane", ",2"},
        {"kubenet+calico,cilium,yes,uninstall calico (az aks update --network-policy none) -> "
         "IPAM kubenet to overlay",
         "no network policy engine during the IPAM move", ",3"},
        {"azure-cni+azure-npm,azure-cni-overlay,yes,uninstall azure-npm", "--pod-cidr RANGE", ",2"},
        {"azure-cni+azure-npm,cilium,yes,", "no Windows node pools", ",3"},
        {"azure-cni-dynamic,cilium,no,new cluster", "cannot change its IPAM", ",0"},
        {"azure-cni-dynamic,cilium-podsubnet,yes,enable the Cilium dataplane",
         "static block does not support the Cilium dataplane", ",1"},
        {"azure-cni-overlay,cilium,yes,enable the Cilium dataplane", "no documented way back",
         ",1"},
        {"azure-cni-overlay,kubenet,no,new cluster", "the move to overlay is one way", ",0"},
        {"cilium,azure-cni-overlay,no,new cluster", "no documented way back from the Cilium", ",0"},
        {"kubenet,azure-cni,no,new cluster",
         "AKS documents IPAM moves only from kubenet or node subnet to overlay", ",0"},
        {"kubenet,azure-cni-dynamic,no,", "no IPAM move to a pod subnet", ",0"},
        {"kubenet,kubenet+calico,yes,install calico (az aks update --network-policy calico)",
         "reimaged at once", ",1"},
        {"azure-cni-overlay,cilium-podsubnet,no,", "the move to overlay is one way", ",0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *l = line_starting(lines, rows[i].prefix);
        if (!strstr(l, rows[i].part) || !g_str_has_suffix(l, rows[i].n_steps))
            fail_msg("row '%s' lacks '%s' or does not end in '%s'", l, rows[i].part,
                     rows[i].n_steps);
    }
    /* Every compared variant to every other one and to the presets it does
     * not list (azure-cni, cilium-podsubnet): 6 x 7 rows. */
    assert_int_equal(g_strv_length(lines), 1 + 6 * 7 + 1);
    cn_scenario_free(sc);
}

static char *printed(const cn_scenario *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cn_plan_print(sc, f);
    fclose(f);
    return buf;
}

/* A node at max pods 30 on node subnet leaves fewer than 30 user slots, and
 * the plan says what took them (issue 14). */
static void test_print_system_pods(void **state)
{
    cn_scenario *sc = load("[scenario]\nname = slots\n[cluster]\nnodes = 8\nnode_subnet = "
                           "10.224.0.0/24\n[plugins]\ncompare = azure-cni\n");
    g_autofree char *out = printed(sc);
    assert_non_null(strstr(out, "azure-cni: 5 per node, 48 in all on 8 nodes, 6 of them with a "
                                "pod address; 25 of 30 slots per node left"));
    static const char *const took[] = {
        "kube-proxy               DaemonSet, 1 per node, host network (slot, no address)",
        "azure-ip-masq-agent      DaemonSet",
        "cloud-node-manager       DaemonSet",
        "csi-azuredisk-node       DaemonSet",
        "csi-azurefile-node       DaemonSet",
        "coredns                  Deployment, 3 on the system pool, pod network (slot and address)",
        "coredns-autoscaler       Deployment, 1",
        "metrics-server           Deployment, 2",
        "konnectivity-agent       Deployment, 2 on the system pool, host network"};
    for (size_t i = 0; i < G_N_ELEMENTS(took); i++)
        if (!strstr(out, took[i]))
            fail_msg("plan lacks '%s':\n%s", took[i], out);
    /* The table row: 30 pods, 5 system, 25 user; 8 nodes (7 upgradable),
     * 192 user pods at 8 nodes. */
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    const char *row = line_starting(lines, "  azure-cni                node-subnet");
    g_auto(GStrv) f = g_strsplit(row, " ", -1);
    GPtrArray *w = g_ptr_array_new();
    for (int i = 0; f[i] && w->len < 16; i++)
        if (*f[i])
            g_ptr_array_add(w, f[i]);
    assert_string_equal(g_ptr_array_index(w, 4), "30");
    assert_string_equal(g_ptr_array_index(w, 5), "5");
    assert_string_equal(g_ptr_array_index(w, 6), "25");
    assert_string_equal(g_ptr_array_index(w, 11), "8");
    assert_string_equal(g_ptr_array_index(w, 12), "7");
    assert_string_equal(g_ptr_array_index(w, 13), "192");
    g_ptr_array_free(w, TRUE);
    cn_scenario_free(sc);
}

static void test_print(void **state)
{
    cn_scenario *sc = load("[scenario]\nname = show\n[cluster]\nnodes = 401\n"
                           "pod_cidr = 10.244.0.0/15\n[plugins]\ncompare = kubenet, cilium\n");
    g_autofree char *out = printed(sc);
    assert_non_null(strstr(out, "plan: show (plan.ini)"));
    assert_non_null(strstr(out, "kubenet_nodes"));
    assert_non_null(strstr(out, "kubenet past 400 nodes"));
    assert_non_null(strstr(out, "route_table"));
    assert_non_null(strstr(out, "migration paths"));
    assert_non_null(strstr(out, "-> cilium"));
    assert_non_null(strstr(out, "in place, 2 steps"));
    cn_scenario_free(sc);
}

/* The shipped scenario: every preset over nodes and max pods. */
static void test_ip_planning(void **state)
{
    assert_non_null(ip_planning_path);
    g_autoptr(GError) err = NULL;
    cn_scenario *sc = cn_scenario_load(ip_planning_path, NULL, &err);
    if (!sc)
        fail_msg("%s", err->message);
    g_autofree char *csv = written(sc, cn_plan_write_ipam_csv);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    assert_int_equal(g_strv_length(lines), 1 + 9 * 3 * 7 + 1);
    /* Point 1: 10 nodes at 30 max pods. */
    assert_true(g_str_has_prefix(lines[2], "ip-planning,1,azure-cni,node-subnet,10,1,30,"
                                           "10.224.0.0/16,65531,341,"));
    /* kubenet stops at the default pod CIDR's 256 /24s before its 400 nodes
     * (255 with the surge node). */
    const char *k = line_starting(lines, "ip-planning,14,kubenet,kubenet,400,1,110,");
    assert_non_null(strstr(k, ",256,28160,"));
    assert_non_null(strstr(k, ",,255,")); /* max_nodes_upgradable */
    assert_non_null(strstr(k, ",pod_cidr,"));
    assert_null(strstr(k, "kubenet_nodes"));
    const char *k401 = line_starting(lines, "ip-planning,16,kubenet,kubenet,500,");
    assert_non_null(strstr(k401, "pod_cidr_full;kubenet_nodes"));
    /* NPM's 250 nodes. */
    const char *npm = line_starting(lines, "ip-planning,1,azure-cni+azure-npm,");
    assert_non_null(strstr(npm, ",npm_limit,"));
    g_autofree char *out = printed(sc);
    assert_non_null(strstr(out, "point 27 of 27: nodes=5000, max_pods_per_node=250"));
    cn_scenario_free(sc);
}

int main(int argc, char **argv)
{
    ip_planning_path = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipam_csv),          cmocka_unit_test(test_ipam_csv_swept_extra),
        cmocka_unit_test(test_migrations_csv),    cmocka_unit_test(test_print),
        cmocka_unit_test(test_print_system_pods), cmocka_unit_test(test_ip_planning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
