/* Scenario files: the contract of DESIGN.md "Scenario files".  Valid files
 * load into the configuration they describe (every group, the defaults,
 * inline comments), sweeps expand in file order with the first swept key
 * varying slowest, --set overrides and creates sweeps, and every malformed
 * input is refused with a message naming the file, the group, the key and
 * what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <string.h>

#include "scenario.h"

#define FILE_NAME "t.ini"

static cn_scenario *load(const char *text, const char *const *sets, GError **err)
{
    return cn_scenario_load_data(text, strlen(text), FILE_NAME, sets, err);
}

/* Load text that must be valid; fail the test with the loader's message if not. */
static cn_scenario *load_ok(const char *text, const char *const *sets)
{
    GError *err = NULL;
    cn_scenario *sc = load(text, sets, &err);
    if (!sc) {
        print_error("unexpected error: %s\n", err->message);
        g_error_free(err);
        fail();
    }
    return sc;
}

/* Load text that must be refused with a message containing expected. */
static void expect_error(const char *text, const char *const *sets, const char *expected)
{
    GError *err = NULL;
    cn_scenario *sc = load(text, sets, &err);
    if (sc) {
        cn_scenario_free(sc);
        print_error("loaded, expected an error containing: %s\n", expected);
        fail();
    }
    assert_non_null(err);
    if (!strstr(err->message, expected)) {
        print_error("error:    %s\nexpected: %s\n", err->message, expected);
        g_error_free(err);
        fail();
    }
    /* One message, one line, naming the file. */
    assert_true(g_str_has_prefix(err->message, FILE_NAME ": "));
    assert_null(strchr(err->message, '\n'));
    g_error_free(err);
}

static const char full_text[] =
    "# every group, every kind of value\n"
    "[scenario]\n"
    "name = full\n"
    "description = Every group of a scenario file\n"
    "seed = 18446744073709551615\n"
    "replications = 5\n"
    "duration_s = 2.5\n"
    "warmup_s = 0.25\n"
    "stop_after_transactions = 1000\n"
    "\n"
    "[cluster]\n"
    "nodes = 10\n"
    "vcpus_per_node = 8\n"
    "nic_gbps = 25\n"
    "max_pods_per_node = 50\n"
    "pods = 120\n"
    "node_subnet = 10.224.0.0/16\n"
    "pod_subnet = 10.225.0.0/16\n"
    "pod_cidr = 10.244.0.0/16\n"
    "service_cidr = 10.0.0.0/16\n"
    "dns_service_ip = 10.0.0.53\n"
    "services = 300\n"
    "endpoints_per_service = 3\n"
    "network_policies = 20\n"
    "rules_per_policy = 6\n"
    "node_pools = 4, 6\n"
    "max_surge = 33%\n"
    "outbound_ips = 2\n"
    "nf_conntrack_max = 262144\n"
    "\n"
    "[workload]\n"
    "model = open\n"
    "rate_rps = 5000\n"
    "traffic = pod-to-service:3, pod-to-external:1\n"
    "requests_per_connection = 10\n"
    "request_bytes = 200\n"
    "response_bytes = 1048576\n"
    "server_time_us = 50\n"
    "client_time_us = 5\n"
    "client_nodes = 4\n"
    "\n"
    "[plugins]\n"
    "compare = kubenet+calico, azure-cni/ipvs, azure-cni-overlay, cilium\n"
    "\n"
    "[costs]\n"
    "iptables_rule_ns = 30\n";

static void test_all_groups(void **state)
{
    cn_scenario *sc = load_ok(full_text, NULL);
    assert_int_equal(cn_scenario_n_points(sc), 1);
    assert_int_equal(cn_scenario_n_axes(sc), 0);
    assert_string_equal(cn_scenario_path(sc), FILE_NAME);
    assert_int_equal(strlen(cn_scenario_digest(sc)), 64);
    cn_config c;
    cn_scenario_config(sc, 0, &c);

    assert_string_equal(c.name, "full");
    assert_string_equal(c.description, "Every group of a scenario file");
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.replications, 5);
    assert_true(c.duration_s == 2.5);
    assert_true(c.warmup_s == 0.25);
    assert_int_equal(c.stop_after_transactions, 1000);

    assert_int_equal(c.nodes, 10);
    assert_int_equal(c.vcpus_per_node, 8);
    assert_true(c.nic_gbps == 25);
    assert_int_equal(c.max_pods_per_node, 50);
    assert_int_equal(c.pods, 120);
    char buf[20];
    assert_string_equal(cn_cidr_format(c.node_subnet, buf), "10.224.0.0/16");
    assert_string_equal(cn_cidr_format(c.pod_subnet, buf), "10.225.0.0/16");
    assert_string_equal(cn_cidr_format(c.pod_cidr, buf), "10.244.0.0/16");
    assert_string_equal(cn_cidr_format(c.service_cidr, buf), "10.0.0.0/16");
    assert_string_equal(cn_ipv4_format(c.dns_service_ip, buf), "10.0.0.53");
    assert_int_equal(c.services, 300);
    assert_int_equal(c.endpoints_per_service, 3);
    assert_int_equal(c.network_policies, 20);
    assert_int_equal(c.rules_per_policy, 6);
    assert_int_equal(c.n_node_pools, 2);
    assert_int_equal(c.node_pools[0], 4);
    assert_int_equal(c.node_pools[1], 6);
    assert_true(c.max_surge_percent == 33);
    assert_int_equal(c.max_surge_nodes, 0);
    assert_int_equal(c.outbound_ips, 2);
    assert_int_equal(c.nf_conntrack_max, 262144);

    assert_int_equal(c.model, CN_LOAD_OPEN);
    /* concurrency: a closed-loop key, refused with model = open */
    assert_true(c.rate_rps == 5000);
    assert_true(c.traffic_weight[CN_CLASS_SERVICE] == 0.75);
    assert_true(c.traffic_weight[CN_CLASS_EXTERNAL] == 0.25);
    assert_true(c.traffic_weight[CN_CLASS_SAME_NODE] == 0);
    assert_int_equal(c.requests_per_connection, 10);
    assert_int_equal(c.request_bytes, 200);
    assert_int_equal(c.response_bytes, 1048576);
    assert_true(c.server_time_us == 50);
    assert_true(c.client_time_us == 5);
    assert_int_equal(c.client_nodes, 4);

    assert_int_equal(c.n_variants, 4);
    assert_string_equal(c.variants[0].name, "kubenet+calico");
    assert_int_equal(c.variants[0].preset, CN_PRESET_KUBENET);
    assert_int_equal(c.variants[0].ipam, CN_IPAM_KUBENET);
    assert_int_equal(c.variants[0].policy, CN_POLICY_CALICO);
    assert_int_equal(c.variants[0].svc, CN_SVC_IPTABLES);
    assert_string_equal(c.variants[1].name, "azure-cni/ipvs");
    assert_int_equal(c.variants[1].ipam, CN_IPAM_NODE_SUBNET);
    assert_int_equal(c.variants[1].svc, CN_SVC_IPVS);
    assert_int_equal(c.variants[2].ipam, CN_IPAM_OVERLAY);
    assert_int_equal(c.variants[2].policy, CN_POLICY_NONE);
    assert_string_equal(c.variants[3].name, "cilium");
    assert_true(c.variants[3].ebpf_dataplane);
    assert_int_equal(c.variants[3].policy, CN_POLICY_CILIUM);
    assert_int_equal(c.variants[3].svc, CN_SVC_EBPF);

    int rule = cn_cal_lookup("iptables_rule_ns");
    assert_true(rule >= 0);
    assert_true(c.cost[rule] == 30);
    cn_scenario_free(sc);
}

/* A file that says only what to compare gets every default, and the AKS
 * defaults for the address ranges (AKS docs: 10.0.0.0/16, DNS 10.0.0.10,
 * pod CIDR 10.244.0.0/16, node subnet 10.224.0.0/16). */
static void test_defaults(void **state)
{
    cn_scenario *sc = load_ok("[plugins]\ncompare = azure-cni\n", NULL);
    cn_config c, d;
    cn_scenario_config(sc, 0, &c);
    cn_config_defaults(&d);
    assert_int_equal(cn_scenario_n_points(sc), 1);
    assert_string_equal(c.name, d.name);
    assert_true(c.seed == d.seed);
    assert_int_equal(c.replications, d.replications);
    assert_true(c.duration_s == d.duration_s);
    assert_true(c.warmup_s == d.warmup_s);
    assert_int_equal(c.nodes, d.nodes);
    assert_int_equal(c.vcpus_per_node, d.vcpus_per_node);
    assert_int_equal(c.services, d.services);
    assert_int_equal(c.concurrency, d.concurrency);
    assert_int_equal(c.model, CN_LOAD_CLOSED);
    assert_int_equal(c.n_node_pools, 0);
    assert_null(c.node_pools);
    assert_memory_equal(c.traffic_weight, d.traffic_weight, sizeof c.traffic_weight);
    assert_true(c.traffic_weight[CN_CLASS_SERVICE] == 1.0);
    assert_memory_equal(c.cost, d.cost, sizeof c.cost);
    for (int i = 0; i < CAL_COUNT; i++)
        assert_true(c.cost[i] == cn_cal_table[i].value);
    char buf[20];
    assert_string_equal(cn_cidr_format(c.service_cidr, buf), "10.0.0.0/16");
    assert_string_equal(cn_ipv4_format(c.dns_service_ip, buf), "10.0.0.10");
    assert_string_equal(cn_cidr_format(c.pod_cidr, buf), "10.244.0.0/16");
    assert_string_equal(cn_cidr_format(c.node_subnet, buf), "10.224.0.0/16");
    assert_int_equal(c.n_variants, 1);
    assert_string_equal(c.variants[0].name, "azure-cni");
    cn_scenario_free(sc);
}

static void test_inline_comments(void **state)
{
    cn_scenario *sc = load_ok("# a comment line\n"
                              "   # an indented one\n"
                              "[scenario]   \n"
                              "name = a#b          # '#' after a blank starts a comment\n"
                              "replications = 2    ; so does ';'\n"
                              "duration_s = 3\t# after a tab too\n"
                              "[cluster]\n"
                              "services = 10, 20   # a sweep with a comment\n"
                              "[plugins]\n"
                              "compare = kubenet, cilium # two variants\n",
                              NULL);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    assert_string_equal(c.name, "a#b");
    assert_int_equal(c.replications, 2);
    assert_true(c.duration_s == 3);
    assert_int_equal(c.n_variants, 2);
    assert_string_equal(c.variants[1].name, "cilium");
    assert_int_equal(cn_scenario_n_points(sc), 2);
    assert_string_equal(cn_scenario_axis_value(sc, 0, 1), "20");
    cn_scenario_free(sc);
}

static void test_sweep_one_key(void **state)
{
    cn_scenario *sc = load_ok("[cluster]\n"
                              "service_cidr = 10.0.0.0/13\n"
                              "services = 0, 5000,10000 ,  1e5\n"
                              "[plugins]\n"
                              "compare = azure-cni\n",
                              NULL);
    assert_int_equal(cn_scenario_n_axes(sc), 1);
    assert_string_equal(cn_scenario_axis_group(sc, 0), "cluster");
    assert_string_equal(cn_scenario_axis_key(sc, 0), "services");
    assert_int_equal(cn_scenario_n_points(sc), 4);
    const char *written[] = {"0", "5000", "10000", "1e5"};
    const int64_t value[] = {0, 5000, 10000, 100000};
    for (gsize p = 0; p < 4; p++) {
        assert_string_equal(cn_scenario_axis_value(sc, 0, p), written[p]);
        cn_config c;
        cn_scenario_config(sc, p, &c);
        assert_int_equal(c.services, value[p]);
        assert_int_equal(c.nodes, 3); /* unswept keys keep their value */
    }
    cn_scenario_free(sc);
}

/* Two swept keys: their cartesian product, the key that comes first in the
 * file varying slowest, whatever the groups' order in the key table. */
static void test_sweep_two_keys(void **state)
{
    cn_scenario *sc = load_ok("[workload]\n"
                              "concurrency = 1, 8, 64\n"
                              "[cluster]\n"
                              "nodes = 3, 5\n"
                              "[plugins]\n"
                              "compare = azure-cni, cilium\n",
                              NULL);
    assert_int_equal(cn_scenario_n_axes(sc), 2);
    assert_string_equal(cn_scenario_axis_key(sc, 0), "concurrency");
    assert_string_equal(cn_scenario_axis_group(sc, 0), "workload");
    assert_string_equal(cn_scenario_axis_key(sc, 1), "nodes");
    assert_string_equal(cn_scenario_axis_group(sc, 1), "cluster");
    assert_int_equal(cn_scenario_n_points(sc), 6);
    const int64_t conc[] = {1, 1, 8, 8, 64, 64};
    const int64_t nodes[] = {3, 5, 3, 5, 3, 5};
    for (gsize p = 0; p < 6; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        assert_int_equal(c.concurrency, conc[p]);
        assert_int_equal(c.nodes, nodes[p]);
        assert_int_equal(c.n_variants, 2); /* compare is a list, not a sweep */
        g_autofree char *cv = g_strdup_printf("%" PRId64, conc[p]);
        g_autofree char *nv = g_strdup_printf("%" PRId64, nodes[p]);
        assert_string_equal(cn_scenario_axis_value(sc, 0, p), cv);
        assert_string_equal(cn_scenario_axis_value(sc, 1, p), nv);
    }
    cn_scenario_free(sc);
}

/* Words (model) and [costs] entries sweep too; values stay as written. */
static void test_sweep_words_and_costs(void **state)
{
    cn_scenario *sc = load_ok("[workload]\n"
                              "model = closed, open\n"
                              "rate_rps = 100\n"
                              "[costs]\n"
                              "iptables_rule_ns = 18, 22.5\n"
                              "[plugins]\n"
                              "compare = kubenet\n",
                              NULL);
    int rule = cn_cal_lookup("iptables_rule_ns");
    assert_int_equal(cn_scenario_n_points(sc), 4);
    assert_string_equal(cn_scenario_axis_key(sc, 0), "model");
    assert_string_equal(cn_scenario_axis_group(sc, 1), "costs");
    assert_string_equal(cn_scenario_axis_key(sc, 1), "iptables_rule_ns");
    assert_string_equal(cn_scenario_axis_value(sc, 1, 3), "22.5");
    cn_config c;
    cn_scenario_config(sc, 1, &c);
    assert_int_equal(c.model, CN_LOAD_CLOSED);
    assert_true(c.cost[rule] == 22.5);
    cn_scenario_config(sc, 2, &c);
    assert_int_equal(c.model, CN_LOAD_OPEN);
    assert_true(c.cost[rule] == 18);
    cn_scenario_free(sc);
}

static const char small_text[] = "[scenario]\n"
                                 "name = small\n"
                                 "[cluster]\n"
                                 "nodes = 3\n"
                                 "services = 10, 20\n"
                                 "[plugins]\n"
                                 "compare = azure-cni\n";

static void test_set_overrides(void **state)
{
    const char *sets[] = {"cluster.nodes=7",
                          "workload.concurrency = 99",
                          "scenario.name=from-the-command-line",
                          "costs.iptables_rule_ns=40",
                          "plugins.compare=kubenet, cilium",
                          NULL};
    cn_scenario *sc = load_ok(small_text, sets);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    assert_int_equal(c.nodes, 7);
    assert_int_equal(c.concurrency, 99); /* a key the file leaves out */
    assert_string_equal(c.name, "from-the-command-line");
    assert_true(c.cost[cn_cal_lookup("iptables_rule_ns")] == 40);
    assert_int_equal(c.n_variants, 2);
    assert_int_equal(cn_scenario_n_points(sc), 2); /* the file's sweep stays */
    cn_scenario_free(sc);

    /* The last of several --set of one key wins. */
    const char *twice[] = {"cluster.nodes=4", "cluster.nodes=6", NULL};
    sc = load_ok(small_text, twice);
    cn_scenario_config(sc, 0, &c);
    assert_int_equal(c.nodes, 6);
    cn_scenario_free(sc);
}

static void test_set_creates_sweep(void **state)
{
    /* A sweep from the command line, after the file's sweep. */
    const char *sets[] = {"workload.concurrency=1,2,4", NULL};
    cn_scenario *sc = load_ok(small_text, sets);
    assert_int_equal(cn_scenario_n_axes(sc), 2);
    assert_string_equal(cn_scenario_axis_key(sc, 0), "services");
    assert_string_equal(cn_scenario_axis_key(sc, 1), "concurrency");
    assert_int_equal(cn_scenario_n_points(sc), 6);
    cn_config c;
    cn_scenario_config(sc, 5, &c);
    assert_int_equal(c.services, 20);
    assert_int_equal(c.concurrency, 4);
    cn_scenario_free(sc);

    /* A scalar --set removes the file's sweep of that key. */
    const char *flat[] = {"cluster.services=15", NULL};
    sc = load_ok(small_text, flat);
    assert_int_equal(cn_scenario_n_axes(sc), 0);
    assert_int_equal(cn_scenario_n_points(sc), 1);
    cn_scenario_config(sc, 0, &c);
    assert_int_equal(c.services, 15);
    cn_scenario_free(sc);

    /* A --set sweep replacing the file's sweep keeps its place in the order. */
    const char *swap[] = {"cluster.services=1,2,3", "workload.model=closed,open",
                          "workload.rate_rps=10", NULL};
    sc = load_ok(small_text, swap);
    assert_int_equal(cn_scenario_n_points(sc), 6);
    assert_string_equal(cn_scenario_axis_key(sc, 0), "services");
    assert_string_equal(cn_scenario_axis_value(sc, 0, 2), "2");
    assert_string_equal(cn_scenario_axis_key(sc, 1), "model");
    assert_string_equal(cn_scenario_axis_value(sc, 1, 3), "open");
    cn_scenario_free(sc);
}

static void test_set_bad_forms(void **state)
{
    struct {
        const char *set, *expected;
    } cases[] = {
        {"nodes=3", "t.ini: --set 'nodes=3': expected group.key=value, e.g. cluster.nodes=10"},
        {"cluster.nodes", "--set 'cluster.nodes': expected group.key=value"},
        {"cluster.=3", "--set 'cluster.=3': expected group.key=value"},
        {".nodes=3", "--set '.nodes=3': expected group.key=value"},
        {"cluster.no des]=3", "--set 'cluster.no des]=3': expected group.key=value"},
        {"cluster.]nodes=10", "--set 'cluster.]nodes=10': expected group.key=value"},
        {"cluster.nodes=1\n2", "expected group.key=value without control characters"},
        {"clusters.nodes=3", "t.ini: --set [clusters] nodes: unknown group; did you mean "
                             "'cluster'? (groups: scenario, cluster, workload, plugins, costs, "
                             "report)"},
        {"cluster.nodez=3", "t.ini: --set [cluster] nodez: unknown key; did you mean 'nodes'? "
                            "(keys of [cluster]: nodes"},
        {"plugins.compare=kubnet",
         "unknown preset 'kubnet' in variant 'kubnet'; did you mean 'kubenet'?"},
        {"plugins.compare=cilium/ebfp",
         "unknown service mode 'ebfp' in variant 'cilium/ebfp'; did you mean 'ebpf'?"},
        {"costs.iptables_rule_nss=1",
         "--set [costs] iptables_rule_nss: unknown calibration entry; did you mean "
         "'iptables_rule_ns'?"},
        {"cluster.nodes=three",
         "t.ini: --set [cluster] nodes: expected a whole number from 1 to 50000, got 'three'"},
        {"cluster.nodes=", "t.ini: --set [cluster] nodes: expected a value, got nothing"},
        {"cluster.services=1,2,1", "t.ini: --set [cluster] services: sweep value '1' listed twice"},
        {"costs.no_such_cost=1", "t.ini: --set [costs] no_such_cost: unknown calibration entry"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *sets[] = {"cluster.nodes=4", cases[i].set, NULL};
        expect_error(small_text, sets, cases[i].expected);
    }
}

/* ---- malformed inputs, each with the text its error must contain ---- */

typedef struct {
    const char *name;
    const char *text;     /* the scenario file */
    const char *expected; /* a substring of the message */
} bad_case;

#define PLUGINS "[plugins]\ncompare = azure-cni\n"

static const bad_case bad_cases[] = {
    {"unknown-group", "[clusterr]\nnodes = 3\n" PLUGINS,
     "t.ini: [clusterr]: unknown group; did you mean 'cluster'? (groups: scenario, cluster, "
     "workload, plugins, costs, report)"},
    {"unknown-key", "[cluster]\nnode = 3\n" PLUGINS,
     "t.ini: [cluster] node: unknown key; did you mean 'nodes'? (keys of [cluster]: nodes, "
     "vcpus_per_node"},
    {"localized-key", "[cluster]\nnodes[2] = 5\n" PLUGINS,
     "t.ini: [cluster] nodes[2]: unknown key (keys of [cluster]: nodes"},
    {"key-given-twice", "[cluster]\nnodes = 3, 4\nnodes = 5, 6\n" PLUGINS,
     "t.ini: [cluster] nodes: given more than once; write a sweep as one comma list"},
    {"key-given-twice-in-repeated-group",
     "[cluster]\nnodes = 3\n" PLUGINS "[cluster]\nservices = 2\nnodes = 4\n",
     "t.ini: [cluster] nodes: given more than once"},
    {"key-in-wrong-group", "[workload]\nnodes = 3\n" PLUGINS,
     "t.ini: [workload] nodes: unknown key (keys of [workload]: model"},
    {"wrong-type-int", "[cluster]\nnodes = three\n" PLUGINS,
     "t.ini: [cluster] nodes: expected a whole number from 1 to 50000, got 'three'"},
    {"wrong-type-fraction", "[cluster]\nnodes = 2.5\n" PLUGINS,
     "t.ini: [cluster] nodes: expected a whole number from 1 to 50000, got '2.5'"},
    {"wrong-type-double", "[cluster]\nnic_gbps = fast\n" PLUGINS,
     "t.ini: [cluster] nic_gbps: expected a number greater than 0 and at most 1000, got 'fast'"},
    {"wrong-word", "[workload]\nmodel = half-open\n" PLUGINS,
     "t.ini: [workload] model: expected one of closed, open, got 'half-open'"},
    {"wrong-type-seed", "[scenario]\nseed = -1\n" PLUGINS,
     "t.ini: [scenario] seed: expected a whole number from 0 to 18446744073709551615, got '-1'"},
    {"out-of-range", "[cluster]\nvcpus_per_node = 2000\n" PLUGINS,
     "t.ini: [cluster] vcpus_per_node: expected a whole number from 1 to 1024, got 2000"},
    {"negative", "[workload]\nconcurrency = -5\n" PLUGINS,
     "t.ini: [workload] concurrency: expected a whole number from 1 to 1000000, got -5"},
    {"zero-replications", "[scenario]\nreplications = 0\n" PLUGINS,
     "t.ini: [scenario] replications: expected a whole number from 1 to 1000, got 0"},
    {"zero-duration", "[scenario]\nduration_s = 0\n" PLUGINS,
     "t.ini: [scenario] duration_s: expected a number greater than 0 and at most 1e+06, got '0'"},
    {"zero-nodes", "[cluster]\nnodes = 0\n" PLUGINS,
     "t.ini: [cluster] nodes: expected a whole number from 1 to 50000, got 0"},
    {"absurd-nodes", "[cluster]\nnodes = 10000000\n" PLUGINS,
     "t.ini: [cluster] nodes: expected a whole number from 1 to 50000, got 10000000 (cnisim "
     "models at most 50000 nodes; AKS documents 5,000 per cluster)"},
    {"absurd-concurrency", "[workload]\nconcurrency = 10000000\n" PLUGINS,
     "t.ini: [workload] concurrency: expected a whole number from 1 to 1000000, got 10000000"},
    {"absurd-endpoints",
     "[cluster]\nservice_cidr = 10.0.0.0/13\nservices = 500000\nendpoints_per_service = "
     "1000\n" PLUGINS,
     "t.ini: [cluster] services: 500000 Services x 1000 endpoints is 500000000 endpoints; "
     "cnisim models at most 100000000"},
    {"absurd-bytes", "[workload]\nresponse_bytes = 1e12\n" PLUGINS,
     "t.ini: [workload] response_bytes: expected a whole number from 1 to 1073741824, got 1e12"},
    {"number-overflow", "[cluster]\nservices = 99999999999999999999999\n" PLUGINS,
     "t.ini: [cluster] services: expected a whole number from 0 to 1000000, got "
     "'99999999999999999999999'"},
    {"max-pods-below-aks-minimum", "[cluster]\nmax_pods_per_node = 5\n" PLUGINS,
     "t.ini: [cluster] max_pods_per_node: expected 0 (the plugin's default) or 10 to 250 (AKS "
     "minimum is 10), got 5"},
    {"bad-cidr-host-bits", "[cluster]\npod_cidr = 10.244.0.1/16\n" PLUGINS,
     "t.ini: [cluster] pod_cidr: expected a network address with the host bits zero, got "
     "'10.244.0.1/16'"},
    {"bad-cidr-no-prefix", "[cluster]\nnode_subnet = 10.224.0.0\n" PLUGINS,
     "t.ini: [cluster] node_subnet: expected a prefix length after the address, such as /16, got "
     "'10.224.0.0'"},
    {"bad-cidr-octet", "[cluster]\nservice_cidr = 10.300.0.0/16\n" PLUGINS,
     "t.ini: [cluster] service_cidr: expected an IPv4 range such as 10.244.0.0/16, got "
     "'10.300.0.0/16'"},
    {"bad-cidr-prefix", "[cluster]\nservice_cidr = 10.0.0.0/33\n" PLUGINS,
     "t.ini: [cluster] service_cidr: expected a prefix length from 0 to 32, got '10.0.0.0/33'"},
    {"bad-dns-ip", "[cluster]\ndns_service_ip = 10.0.0\n" PLUGINS,
     "t.ini: [cluster] dns_service_ip: expected an IPv4 address such as 10.0.0.10, got '10.0.0'"},
    {"overlapping-ranges",
     "[cluster]\nnode_subnet = 10.0.0.0/8\npod_cidr = 10.244.0.0/16\nservice_cidr = "
     "192.168.0.0/16\ndns_service_ip = 192.168.0.10\n[plugins]\ncompare = kubenet\n",
     "t.ini: [cluster] pod_cidr: 10.244.0.0/16 overlaps node_subnet 10.0.0.0/8; the ranges must "
     "not overlap"},
    {"service-overlaps-nodes", "[cluster]\nnode_subnet = 10.0.0.0/16\n" PLUGINS,
     "t.ini: [cluster] service_cidr: 10.0.0.0/16 overlaps node_subnet 10.0.0.0/16"},
    {"aks-reserved-range",
     "[cluster]\npod_cidr = 169.254.0.0/16\n[plugins]\ncompare = azure-cni-overlay\n",
     "t.ini: [cluster] pod_cidr: 169.254.0.0/16 overlaps 169.254.0.0/16 is link-local; AKS "
     "rejects it"},
    {"aks-reserved-172-30",
     "[cluster]\nservice_cidr = 172.30.0.0/16\ndns_service_ip = 172.30.0.10\n" PLUGINS,
     "t.ini: [cluster] service_cidr: 172.30.0.0/16 overlaps 172.30.0.0/16 is reserved by AKS"},
    {"service-cidr-12",
     "[cluster]\nservice_cidr = 10.16.0.0/12\ndns_service_ip = 10.16.0.10\n" PLUGINS,
     "t.ini: [cluster] service_cidr: expected a range smaller than /12 (AKS rejects a service "
     "CIDR of /12 or larger), got 10.16.0.0/12"},
    {"dns-outside-service-cidr", "[cluster]\ndns_service_ip = 10.1.0.10\n" PLUGINS,
     "t.ini: [cluster] dns_service_ip: expected an address inside service_cidr 10.0.0.0/16 other "
     "than its first"},
    {"dns-first-address", "[cluster]\ndns_service_ip = 10.0.0.0\n" PLUGINS,
     "t.ini: [cluster] dns_service_ip: expected an address inside service_cidr 10.0.0.0/16 other "
     "than its first"},
    {"kubenet-azure-npm", "[plugins]\ncompare = azure-cni, kubenet+azure-npm\n",
     "t.ini: [plugins] compare: variant 'kubenet+azure-npm' is not supported: kubenet supports "
     "Calico network policy only, not Azure NPM"},
    {"cilium-calico", "[plugins]\ncompare = cilium+calico\n",
     "t.ini: [plugins] compare: variant 'cilium+calico' is not supported: Azure CNI powered by "
     "Cilium enforces network policy with Cilium only"},
    {"cilium-iptables", "[plugins]\ncompare = cilium/iptables\n",
     "t.ini: [plugins] compare: variant 'cilium/iptables' is not supported: Azure CNI powered by "
     "Cilium replaces kube-proxy, so its service mode is ebpf"},
    {"ebpf-without-cilium", "[plugins]\ncompare = azure-cni/ebpf\n",
     "t.ini: [plugins] compare: variant 'azure-cni/ebpf' is not supported: eBPF service handling "
     "comes with the Cilium dataplane"},
    {"cilium-policy-without-cilium", "[plugins]\ncompare = azure-cni+cilium\n",
     "t.ini: [plugins] compare: variant 'azure-cni+cilium' is not supported: Cilium network "
     "policy needs the Cilium dataplane"},
    {"unknown-preset", "[plugins]\ncompare = flannel\n",
     "t.ini: [plugins] compare: unknown preset 'flannel' in variant 'flannel' (expected one of: "
     "kubenet, azure-cni"},
    {"unknown-policy", "[plugins]\ncompare = azure-cni+npm\n",
     "t.ini: [plugins] compare: unknown policy engine 'npm' in variant 'azure-cni+npm'"},
    {"unknown-service-mode", "[plugins]\ncompare = azure-cni/userspace\n",
     "t.ini: [plugins] compare: unknown service mode 'userspace' in variant "
     "'azure-cni/userspace'"},
    {"empty-compare", "[plugins]\ncompare =\n",
     "t.ini: [plugins] compare: expected a value, got nothing"},
    {"empty-compare-item", "[plugins]\ncompare = kubenet, , cilium\n",
     "t.ini: [plugins] compare: expected a comma list of variants preset[+policy][/service-mode], "
     "got an empty item"},
    {"no-compare", "[scenario]\nname = x\n",
     "t.ini: [plugins] compare: expected at least one variant, e.g. compare = kubenet, "
     "azure-cni, cilium"},
    {"duplicate-variant", "[plugins]\ncompare = cilium, kubenet, cilium\n",
     "t.ini: [plugins] compare: variant 'cilium' listed twice"},
    {"duplicate-sweep-value", "[cluster]\nservices = 10, 20, 10\n" PLUGINS,
     "t.ini: [cluster] services: sweep value '10' listed twice"},
    {"triplicate-sweep-value", "[cluster]\nservices = 5, 5, 5\n" PLUGINS,
     "t.ini: [cluster] services: sweep value '5' listed twice"},
    {"bad-sweep-value", "[cluster]\nservices = 10, lots, 30\n" PLUGINS,
     "t.ini: [cluster] services: expected a whole number from 0 to 1000000, got 'lots'"},
    {"empty-sweep-value", "[cluster]\nservices = 10,,30\n" PLUGINS,
     "t.ini: [cluster] services: expected a whole number from 0 to 1000000, got ''"},
    {"sweep-of-a-range", "[cluster]\npod_cidr = 10.244.0.0/16, 10.245.0.0/16\n" PLUGINS,
     "t.ini: [cluster] pod_cidr: expected a prefix length from 0 to 32, got "
     "'10.244.0.0/16, 10.245.0.0/16'"},
    {"too-many-points",
     "[cluster]\nservices = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\n"
     "[workload]\nconcurrency = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\n"
     "request_bytes = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\n"
     "response_bytes = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\n" PLUGINS,
     "t.ini: [cluster] services: the sweeps make 160000 points; at most 100000 are allowed"},
    {"bad-traffic-class", "[workload]\ntraffic = pod-to-service:0.5, pod-to-moon:0.5\n" PLUGINS,
     "t.ini: [workload] traffic: expected traffic classes from pod-to-pod-same-node, "
     "pod-to-pod-cross-node, pod-to-service, pod-to-external, external-to-service, got "
     "'pod-to-moon'"},
    {"bad-traffic-weight", "[workload]\ntraffic = pod-to-service:0, pod-to-external:1\n" PLUGINS,
     "t.ini: [workload] traffic: expected a positive weight (at most 1e9) after "
     "'pod-to-service:', got '0'"},
    {"huge-traffic-weight",
     "[workload]\ntraffic = pod-to-service:1e308, pod-to-external:1e308\n" PLUGINS,
     "t.ini: [workload] traffic: expected a positive weight (at most 1e9) after "
     "'pod-to-service:', got '1e308'"},
    {"traffic-class-twice", "[workload]\ntraffic = pod-to-service:1, pod-to-service:2\n" PLUGINS,
     "t.ini: [workload] traffic: traffic class 'pod-to-service' given twice"},
    {"cross-node-on-one-node",
     "[cluster]\nnodes = 1\n[workload]\ntraffic = pod-to-pod-cross-node\n" PLUGINS,
     "t.ini: [workload] traffic: pod-to-pod-cross-node needs at least 2 nodes, [cluster] nodes "
     "is 1"},
    {"node-pools-sum", "[cluster]\nnodes = 6\nnode_pools = 2, 3\n" PLUGINS,
     "t.ini: [cluster] node_pools: the pools hold 5 nodes but [cluster] nodes is 6"},
    {"node-pools-sum-at-point", "[cluster]\nnodes = 5, 6\nnode_pools = 2, 3\n" PLUGINS,
     "t.ini: [cluster] node_pools: the pools hold 5 nodes but [cluster] nodes is 6 (at sweep "
     "point nodes=6)"},
    {"node-pool-too-big", "[cluster]\nnodes = 1500\nnode_pools = 1500\n" PLUGINS,
     "t.ini: [cluster] node_pools: expected a comma list of node counts from 1 to 1000 (AKS "
     "allows 1,000 nodes per node pool), got '1500'"},
    {"client-nodes-above-nodes", "[cluster]\nnodes = 3\n[workload]\nclient_nodes = 4\n" PLUGINS,
     "t.ini: [workload] client_nodes: expected at most [cluster] nodes (3), got 4"},
    {"open-rate-zero", "[workload]\nmodel = open\nrate_rps = 0\n" PLUGINS,
     "t.ini: [workload] rate_rps: expected a rate above 0 with model = open"},
    {"open-rate-missing", "[workload]\nmodel = open\n" PLUGINS,
     "t.ini: [workload] rate_rps: expected a rate above 0 with model = open"},
    {"bad-surge", "[cluster]\nmax_surge = 150%\n" PLUGINS,
     "t.ini: [cluster] max_surge: expected a node count or a percentage from 1% to 100%, got "
     "'150%'"},
    {"unknown-cost", "[costs]\nno_such_cost = 1\n" PLUGINS,
     "t.ini: [costs] no_such_cost: unknown calibration entry (see 'cnisim help costs' for the "
     "names)"},
    {"negative-cost", "[costs]\niptables_rule_ns = -1\n" PLUGINS,
     "t.ini: [costs] iptables_rule_ns: expected a number of ns from 0 to 10000, got '-1'"},
    {"control-character", "[scenario]\nname = a\033[2Jb\n" PLUGINS,
     "t.ini: [scenario] name: expected text without control characters, got 'a\\x1b[2Jb'"},
    {"syntax-error", "[scenario]\nthis line is not a key\n" PLUGINS,
     "t.ini: not a valid scenario file: "},
    {"syntax-unclosed-group", "[scenario\nname = x\n" PLUGINS,
     "t.ini: not a valid scenario file: "},
    {"syntax-key-before-group", "nodes = 3\n" PLUGINS, "t.ini: not a valid scenario file: "},
    {"empty-file", "", "t.ini: [plugins] compare: expected at least one variant"},
};

static void test_bad(void **state)
{
    const bad_case *bc = *state;
    expect_error(bc->text, NULL, bc->expected);
}

/* A NUL byte cannot be written in a text literal the loader measures with strlen. */
static void test_nul_byte(void **state)
{
    static const char text[] = "[plugins]\ncompare = azure-cni\0\n";
    GError *err = NULL;
    assert_null(cn_scenario_load_data(text, sizeof text - 1, FILE_NAME, NULL, &err));
    assert_non_null(strstr(err->message, "t.ini: not a scenario file: it contains a NUL byte"));
    g_error_free(err);
}

static void test_missing_file(void **state)
{
    GError *err = NULL;
    assert_null(cn_scenario_load("/nonexistent/cnisim/x.ini", NULL, &err));
    assert_int_equal(err->code, CN_SCENARIO_ERROR_IO);
    assert_non_null(strstr(err->message, "/nonexistent/cnisim/x.ini: cannot read: "));
    g_error_free(err);
}

/* A UTF-8 byte order mark is accepted (as report accepts one); the digest
 * still covers the file's bytes. */
static void test_bom_accepted(void **state)
{
    (void)state;
    cn_scenario *sc = load_ok("\xEF\xBB\xBF[scenario]\nname = bom\n" PLUGINS, NULL);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    assert_string_equal(c.name, "bom");
    cn_scenario_free(sc);
}

/* 64 swept keys of 2 values make 2^64 points: the count must not wrap to 0
 * (which once loaded a scenario with no points at all). */
static void test_points_product_overflow(void **state)
{
    GString *t = g_string_new("[plugins]\ncompare = azure-cni\n[costs]\n");
    for (int i = 0; i < 64; i++) /* two values each entry accepts */
        g_string_append_printf(t, "%s = %.17g, %.17g\n", cn_cal_table[i].name, cn_cal_table[i].min,
                               cn_cal_table[i].max);
    expect_error(t->str, NULL, "t.ini: [costs] " /* the first axis */);
    expect_error(t->str, NULL,
                 ": the sweeps make at least 131072 points; at most 100000 are allowed");
    g_string_free(t, TRUE);
}

/* The error codes say which kind of mistake it was. */
static void test_error_codes(void **state)
{
    struct {
        const char *text;
        int code;
    } cases[] = {
        {"[x]\n" PLUGINS, CN_SCENARIO_ERROR_UNKNOWN},
        {"[cluster]\nnodez = 1\n" PLUGINS, CN_SCENARIO_ERROR_UNKNOWN},
        {"garbage\n", CN_SCENARIO_ERROR_SYNTAX},
        {"[cluster]\nnodes = 0\n" PLUGINS, CN_SCENARIO_ERROR_VALUE},
        {"[plugins]\ncompare = kubenet+azure-npm\n", CN_SCENARIO_ERROR_COMBINATION},
        {"[cluster]\nnodes = 6\nnode_pools = 2, 3\n" PLUGINS, CN_SCENARIO_ERROR_COMBINATION},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GError *err = NULL;
        assert_null(load(cases[i].text, NULL, &err));
        assert_true(err->domain == CN_SCENARIO_ERROR);
        assert_int_equal(err->code, cases[i].code);
        g_error_free(err);
    }
}

int main(void)
{
    /* A GLib warning or critical (an error set twice, a g_return_if_fail that
     * fired) is a bug in the loader, not a message to scroll past. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_all_groups),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_inline_comments),
        cmocka_unit_test(test_sweep_one_key),
        cmocka_unit_test(test_sweep_two_keys),
        cmocka_unit_test(test_sweep_words_and_costs),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_creates_sweep),
        cmocka_unit_test(test_set_bad_forms),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bom_accepted),
        cmocka_unit_test(test_points_product_overflow),
        cmocka_unit_test(test_error_codes),
    };
    /* One test per malformed input, named after it. */
    size_t n_fixed = G_N_ELEMENTS(fixed), n_bad = G_N_ELEMENTS(bad_cases);
    struct CMUnitTest *tests = g_new0(struct CMUnitTest, n_fixed + n_bad);
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < n_bad; i++) {
        tests[n_fixed + i].name = bad_cases[i].name;
        tests[n_fixed + i].test_func = test_bad;
        tests[n_fixed + i].initial_state = (void *)&bad_cases[i];
    }
    int failed = _cmocka_run_group_tests("scenario", tests, n_fixed + n_bad, NULL, NULL);
    g_free(tests);
    return failed;
}
