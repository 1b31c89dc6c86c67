/* IPAM per plugin, SNAT ports and the documented limits: every worked
 * example of MODEL.md "IP address management" and "SNAT", the edges around
 * them, the errors AKS enforces, and a property test on random inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "ipam.h"
#include "outbound.h"
#include "scenario.h"
#include "syspods.h"

static cn_scenario *load(const char *ini)
{
    g_autoptr(GError) err = NULL;
    cn_scenario *sc = cn_scenario_load_data(ini, strlen(ini), "t.ini", NULL, &err);
    if (!sc)
        fail_msg("%s", err->message);
    return sc;
}

/* The plan of variant i at point p of a scenario given as text. */
static void plan_at(const char *ini, gsize p, int i, cn_ipam_plan *pl)
{
    cn_scenario *sc = load(ini);
    cn_config c;
    cn_scenario_config(sc, p, &c);
    assert_true(i < c.n_variants);
    cn_ipam_plan_compute(&c, &c.variants[i], pl);
    cn_scenario_free(sc);
}

static void plan_of(const char *ini, cn_ipam_plan *pl)
{
    plan_at(ini, 0, 0, pl);
}

/* The error text of a scenario that must not load. */
static char *load_error(const char *ini)
{
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data(ini, strlen(ini), "bad.ini", NULL, &err);
    if (sc)
        fail_msg("expected an error for:\n%s", ini);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static void assert_contains(const char *s, const char *part)
{
    if (!s || !strstr(s, part))
        fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

/* ---- MODEL.md worked examples ---- */

/* Node subnet, 50 nodes + 1 surge, 30 pods: 51 + 51 x 30 = 1,581 (a /21). */
static void test_node_subnet_50(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 50\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.ipam, CN_IPAM_NODE_SUBNET);
    assert_int_equal(pl.surge_nodes, 1);
    assert_int_equal(pl.max_pods_per_node, 30);
    assert_int_equal(pl.node_subnet_needed, 1581);
    assert_int_equal(pl.node_subnet_min_prefix, 21);
    assert_int_equal(pl.node_subnet_usable, 65531);
    assert_false(pl.has_pod_range);
    /* The surge node takes the LB backend pool to 51: the default SNAT
     * allocation halves during the upgrade. */
    assert_int_equal(pl.flags, CN_FLAG_SNAT_SURGE_TIER);
}

/* Node subnet, 60 nodes (50 + 10 scale-out) + 1 surge, 30 pods: 1,891. */
static void test_node_subnet_60(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 60\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.node_subnet_needed, 1891);
    assert_int_equal(pl.node_subnet_min_prefix, 21);
}

/* Pod CIDR 10.244.0.0/16, 3 nodes: 10.244.0.0/24, 10.244.1.0/24,
 * 10.244.2.0/24, in order, for kubenet and overlay. */
static void test_pod_cidr_order(void **state)
{
    const char *ini = "[cluster]\nnodes = 3\npods = 9\n[plugins]\n"
                      "compare = kubenet, azure-cni-overlay, cilium\n";
    cn_scenario *sc = load(ini);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    for (int v = 0; v < c.n_variants; v++) {
        g_autoptr(GError) err = NULL;
        cn_cluster *cl = cn_cluster_build(&c, &c.variants[v], 0, &err);
        assert_non_null(cl);
        for (uint32_t i = 0; i < cl->n_pods; i++) {
            uint32_t node = cl->pod_node[i];
            cn_cidr want = {0x0af40000u + (node << 8), 24};
            assert_true(cn_cidr_contains_addr(want, cl->pod_ip[i]));
        }
        cn_cluster_free(cl);
        cn_ipam_plan pl;
        cn_ipam_plan_compute(&c, &c.variants[v], &pl);
        /* 3 nodes + 1 surge: four /24s, 1,024 addresses, a /22. */
        assert_int_equal(pl.pod_range_needed, 4 * 256);
        assert_int_equal(pl.pod_range_usable, 65536);
        assert_int_equal(pl.pod_range_min_prefix, 22);
        assert_int_equal(pl.node_subnet_needed, 4);
    }
    cn_scenario_free(sc);
}

/* Static block, max pods 31: 2 blocks, 31 usable, no waste (and the doc's
 * other cases: 30 -> 2 blocks, 1 wasted; 32 -> 3 blocks, 15 wasted). */
static void test_static_block(void **state)
{
    cn_config c;
    cn_config_defaults(&c);
    assert_int_equal(cn_ipam_static_blocks(&c, 31), 2);
    assert_int_equal(2 * 16 - 1, 31);
    assert_int_equal(cn_ipam_static_blocks(&c, 30), 2);
    assert_int_equal(cn_ipam_static_blocks(&c, 32), 3);
    assert_int_equal(cn_ipam_static_blocks(&c, 250), 16);

    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 10\nmax_pods_per_node = 31\npod_subnet_allocation = "
            "static-block\n[plugins]\ncompare = azure-cni-dynamic\n",
            &pl);
    assert_int_equal(pl.pod_range_needed, 11 * 2 * 16);
    /* 10.225.0.0/16: 4,096 /28s less the two holding reserved addresses. */
    assert_int_equal(pl.pod_range_usable, 4094 * 16);
    assert_int_equal(pl.node_subnet_needed, 11);
    /* A block counts once against the VNet limit. */
    assert_int_equal(pl.vnet_ips, 11 + 22);
}

/* Azure LB, default allocation, 48 nodes: 1,024 ports per node. */
static void test_lb_default_48(void **state)
{
    cn_config c;
    cn_config_defaults(&c);
    assert_int_equal(cn_lb_ports_per_node(&c, 48), 1024);
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 48\n[plugins]\ncompare = azure-cni-overlay\n", &pl);
    assert_int_equal(pl.snat_ports_per_node, 1024);
    assert_int_equal(pl.snat_ports_per_node_surge, 1024);
    assert_int_equal(pl.snat_ports_needed, 49 * 1024);
    assert_int_equal(pl.snat_ports_available, 64000);
    assert_int_equal(pl.flags, 0);
}

/* ---- the rest of the rules ---- */

static void test_lb_table(void **state)
{
    cn_config c;
    cn_config_defaults(&c);
    static const struct {
        int64_t backend, ports;
    } rows[] = {{1, 1024},  {50, 1024}, {51, 512}, {100, 512}, {101, 256}, {200, 256}, {201, 128},
                {400, 128}, {401, 64},  {800, 64}, {801, 32},  {1000, 32}, {1001, 32}, {2000, 32}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(cn_lb_default_ports(&c, rows[i].backend), rows[i].ports);
    /* Per frontend IP, at most 1,024: 100 nodes, 2 IPs -> 1,024; 3 IPs too. */
    c.outbound_ips = 2;
    assert_int_equal(cn_lb_ports_per_node(&c, 100), 1024);
    c.outbound_ips = 3;
    assert_int_equal(cn_lb_ports_per_node(&c, 100), 1024);
    assert_int_equal(cn_lb_ports_per_node(&c, 1000), 96);
    /* Past the table (assumption): the fit check stops the pool at 2,000
     * per IP. */
    c.outbound_ips = 1;
    assert_int_equal(cn_lb_max_backend(&c), 2000);
    /* Manual: 64,000 / 1,000 ports = 64 nodes per IP. */
    c.allocated_outbound_ports = 1000;
    assert_int_equal(cn_lb_ports_per_node(&c, 10), 1000);
    assert_int_equal(cn_lb_max_backend(&c), 64);
    c.outbound_ips = 4;
    assert_int_equal(cn_lb_max_backend(&c), 256);
}

/* 50 vs 51 nodes: the default allocation drops from 1,024 to 512 ports;
 * with 50 nodes the surge node already crosses the tier. */
static void test_snat_50_51(void **state)
{
    cn_ipam_plan a, b;
    plan_of("[cluster]\nnodes = 50\n[plugins]\ncompare = kubenet\n", &a);
    plan_of("[cluster]\nnodes = 51\n[plugins]\ncompare = kubenet\n", &b);
    assert_int_equal(a.snat_ports_per_node, 1024);
    assert_int_equal(a.snat_ports_per_node_surge, 512);
    assert_true(a.flags & CN_FLAG_SNAT_SURGE_TIER);
    assert_false(a.flags & CN_FLAG_SNAT_PORTS);
    assert_int_equal(b.snat_ports_per_node, 512);
    assert_int_equal(b.snat_ports_per_node_surge, 512);
    assert_false(b.flags & CN_FLAG_SNAT_SURGE_TIER);
    cn_ipam_plan c;
    plan_of("[cluster]\nnodes = 50\nmax_surge = 0\n[plugins]\ncompare = kubenet\n", &c);
    assert_int_equal(c.snat_ports_per_node_surge, 1024);
    assert_int_equal(c.flags, 0);
}

/* Manual ports: (nodes + surge) x ports must fit IPs x 64,000. */
static void test_snat_manual(void **state)
{
    cn_ipam_plan a, b;
    plan_of("[cluster]\nnodes = 63\nallocated_outbound_ports = 1000\n[plugins]\ncompare = "
            "azure-cni-overlay\n",
            &a);
    assert_int_equal(a.snat_ports_needed, 64000);
    assert_false(a.flags & CN_FLAG_SNAT_PORTS);
    assert_int_equal(a.max_nodes, 64); /* the docs' count: no surge */
    assert_int_equal(a.max_nodes_upgradable, 63);
    assert_int_equal(a.limiting, CN_LIMIT_SNAT);
    plan_of("[cluster]\nnodes = 64\nallocated_outbound_ports = 1000\n[plugins]\ncompare = "
            "azure-cni-overlay\n",
            &b);
    assert_int_equal(b.snat_ports_needed, 65000);
    assert_true(b.flags & CN_FLAG_SNAT_PORTS);
    char *e = load_error("[cluster]\nallocated_outbound_ports = 1001\n[plugins]\ncompare = "
                         "kubenet\n");
    assert_contains(e, "bad.ini: [cluster] allocated_outbound_ports: expected 0");
    assert_contains(e, "multiple of 8");
    g_free(e);
}

static void test_max_pods_defaults(void **state)
{
    cn_scenario *sc = load("[plugins]\ncompare = kubenet, azure-cni, azure-cni-overlay, "
                           "azure-cni-dynamic, cilium, cilium-podsubnet\n");
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    const int64_t want[] = {110, 30, 250, 250, 250, 250};
    for (int i = 0; i < c.n_variants; i++)
        assert_int_equal(cn_ipam_max_pods(&c, c.variants[i].ipam), want[i]);
    cn_scenario_free(sc);
    /* The pod subnet default is a parameter (the pages disagree: 250/110). */
    cn_ipam_plan pl;
    plan_of("[plugins]\ncompare = azure-cni-dynamic\n[costs]\nmax_pods_default_pod_subnet = "
            "110\n",
            &pl);
    assert_int_equal(pl.max_pods_per_node, 110);
    plan_of("[cluster]\nmax_pods_per_node = 50\n[plugins]\ncompare = kubenet\n", &pl);
    assert_int_equal(pl.max_pods_per_node, 50);
}

/* Dynamic: 16 at start, another 16 when fewer than 8 are free. */
static void test_dynamic(void **state)
{
    cn_config c;
    cn_config_defaults(&c);
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 0, 250), 16);
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 8, 250), 16);
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 9, 250), 32);
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 24, 250), 32);
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 25, 250), 48);   /* CNS scaling-math example */
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 250, 250), 250); /* capped at max pods */
    assert_int_equal(cn_ipam_dynamic_addrs(&c, 30, 30), 30);
    /* Consumption follows the pods actually scheduled: 100 pods on 4 nodes
     * hold 48 each, the surge node as much as the fullest. */
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 4\npods = 100\n[plugins]\ncompare = azure-cni-dynamic\n", &pl);
    assert_int_equal(pl.pod_range_needed, 5 * 48);
    assert_int_equal(pl.node_subnet_needed, 5);
    assert_int_equal(pl.pods_scheduled, 100);
    plan_of("[cluster]\nnodes = 4\npods = 101\n[plugins]\ncompare = azure-cni-dynamic\n", &pl);
    assert_int_equal(pl.pod_range_needed, 48 + 3 * 48 + 48);
    plan_of("[cluster]\nnodes = 4\npods = 4\n[plugins]\ncompare = azure-cni-dynamic\n", &pl);
    assert_int_equal(pl.pod_range_needed, 5 * 16);
    /* Growth assumes full nodes: a /24 pod subnet (251) holds 2 nodes of
     * 110 pods, or 1 + 1 surge. */
    plan_of("[cluster]\nnodes = 1\nmax_pods_per_node = 110\npod_subnet = 10.225.0.0/24\n"
            "[plugins]\ncompare = azure-cni-dynamic\n",
            &pl);
    assert_int_equal(pl.max_nodes, 2);
    assert_int_equal(pl.max_nodes_upgradable, 1);
    assert_int_equal(pl.limiting, CN_LIMIT_POD_SUBNET);
}

/* Surge: one node by default, a count, or a percentage of each pool rounded
 * up; pools surge together (network updates reimage every pool at once). */
static void test_surge(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 10\nmax_surge = 33%\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.surge_nodes, 4);
    assert_int_equal(pl.node_subnet_needed, 14 * 31);
    plan_of("[cluster]\nnodes = 100\nmax_surge = 33%\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.surge_nodes, 33);
    plan_of("[cluster]\nnodes = 10\nnode_pools = 3, 7\nmax_surge = 33%\n[plugins]\n"
            "compare = azure-cni\n",
            &pl);
    assert_int_equal(pl.surge_nodes, 1 + 3);
    plan_of("[cluster]\nnodes = 10\nnode_pools = 3, 7\nmax_surge = 2\n[plugins]\n"
            "compare = azure-cni\n",
            &pl);
    assert_int_equal(pl.surge_nodes, 4);
    plan_of("[cluster]\nnodes = 10\nnode_pools = 3, 7\nmax_surge = 33%\n[plugins]\n"
            "compare = azure-cni\n[costs]\nsurge_pools_at_once = 0\n",
            &pl);
    assert_int_equal(pl.surge_nodes, 3);
    plan_of("[cluster]\nnodes = 5\nmax_surge = 100%\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.surge_nodes, 5);
    plan_of("[cluster]\nnodes = 5\nmax_surge = 0\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.surge_nodes, 0);
    assert_int_equal(pl.node_subnet_needed, 5 * 31);
}

/* A /29 node subnet leaves 3 addresses: 2 kubenet nodes + 1 surge. */
static void test_slash_29(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 2\nnode_subnet = 10.224.0.0/29\n[plugins]\ncompare = kubenet\n",
            &pl);
    assert_int_equal(pl.node_subnet_usable, 3);
    assert_int_equal(pl.node_subnet_needed, 3);
    assert_int_equal(pl.max_nodes, 3);
    assert_int_equal(pl.max_nodes_upgradable, 2);
    assert_int_equal(pl.limiting, CN_LIMIT_NODE_SUBNET);
    assert_int_equal(pl.flags, 0);
    plan_of("[cluster]\nnodes = 3\nnode_subnet = 10.224.0.0/29\n[plugins]\ncompare = kubenet\n",
            &pl);
    assert_int_equal(pl.flags, CN_FLAG_NODE_SUBNET_FULL);
    char *e = load_error("[cluster]\nnode_subnet = 10.224.0.0/30\n[plugins]\ncompare = "
                         "kubenet\n");
    assert_contains(e, "bad.ini: [cluster] node_subnet: expected a /29 or larger range");
    g_free(e);
}

/* A /8: node subnet IPAM stops at the VNet's 64,000 addresses, overlay at
 * the cluster's 5,000 nodes. */
static void test_slash_8(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 100\nnode_subnet = 10.0.0.0/8\nservice_cidr = 192.168.0.0/16\n"
            "dns_service_ip = 192.168.0.10\nallocated_outbound_ports = 8\n[plugins]\n"
            "compare = azure-cni\n",
            &pl);
    assert_int_equal(pl.node_subnet_usable, 16777211);
    /* n x 31 <= 64,000: n = 2,064; (n + 1) x 31: 2,063. */
    assert_int_equal(pl.max_nodes, 2064);
    assert_int_equal(pl.max_nodes_upgradable, 2063);
    assert_int_equal(pl.limiting, CN_LIMIT_VNET);
    assert_int_equal(pl.max_pods, 2064 * 30);
    plan_of("[cluster]\nnodes = 5000\npod_cidr = 100.0.0.0/8\nallocated_outbound_ports = 8\n"
            "[plugins]\ncompare = azure-cni-overlay\n",
            &pl);
    assert_int_equal(pl.max_nodes, 5000);
    assert_int_equal(pl.limiting, CN_LIMIT_CLUSTER);
    assert_int_equal(pl.pod_range_usable, 65536 * 256);
    assert_int_equal(pl.flags, CN_FLAG_POOL_NODES); /* one pool of 5,000 nodes */
    plan_of("[cluster]\nnodes = 2100\nnode_subnet = 10.0.0.0/8\nservice_cidr = 192.168.0.0/16\n"
            "dns_service_ip = 192.168.0.10\nallocated_outbound_ports = 8\n[plugins]\ncompare = "
            "azure-cni\n",
            &pl);
    assert_true(pl.flags & CN_FLAG_VNET_IPS);
    assert_false(pl.flags & CN_FLAG_NODE_SUBNET_FULL);
}

/* A /24 with 250 pods per node: node subnet IPAM takes 251 per node, so the
 * /24 holds a single node and no upgrade headroom. */
static void test_slash_24_250(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 1\nmax_pods_per_node = 250\nnode_subnet = 10.224.0.0/24\n"
            "[plugins]\ncompare = azure-cni\n",
            &pl);
    assert_int_equal(pl.node_subnet_usable, 251);
    assert_int_equal(pl.node_subnet_needed, 502);
    assert_int_equal(pl.max_nodes, 1);
    assert_int_equal(pl.max_nodes_upgradable, 0);
    assert_true(pl.flags & CN_FLAG_NODE_SUBNET_FULL);
    plan_of("[cluster]\nnodes = 1\nmax_surge = 0\nmax_pods_per_node = 250\nnode_subnet = "
            "10.224.0.0/24\n[plugins]\ncompare = azure-cni\n",
            &pl);
    assert_int_equal(pl.max_nodes, 1);
    assert_int_equal(pl.flags, 0);
    /* Overlay: a /24 pod CIDR is one node's block. */
    plan_of("[cluster]\nnodes = 1\nmax_surge = 0\npods = 250\nmax_pods_per_node = 250\n"
            "pod_cidr = 10.244.0.0/24\nsystem_pods = none\n[plugins]\ncompare = "
            "azure-cni-overlay\n",
            &pl);
    assert_int_equal(pl.max_nodes, 1);
    assert_int_equal(pl.limiting, CN_LIMIT_POD_CIDR);
    assert_int_equal(pl.pods_scheduled, 250);
    assert_int_equal(pl.flags, 0);
}

/* kubenet: 400 nodes is supported, 401 is simulated and flagged. */
static void test_kubenet_400_401(void **state)
{
    cn_ipam_plan a, b;
    plan_of("[cluster]\nnodes = 400\npod_cidr = 10.244.0.0/15\n[plugins]\ncompare = kubenet\n", &a);
    assert_false(a.flags & CN_FLAG_KUBENET_NODES);
    assert_int_equal(a.max_nodes, 400);
    assert_int_equal(a.limiting, CN_LIMIT_ROUTE_TABLE);
    plan_of("[cluster]\nnodes = 401\npod_cidr = 10.244.0.0/15\n[plugins]\ncompare = kubenet\n", &b);
    assert_true(b.flags & CN_FLAG_KUBENET_NODES);
    assert_false(b.flags & CN_FLAG_POD_CIDR_FULL);
    /* The default /16 holds 256 node blocks: 255 nodes + 1 surge. */
    plan_of("[cluster]\nnodes = 300\n[plugins]\ncompare = kubenet\n", &a);
    assert_true(a.flags & CN_FLAG_POD_CIDR_FULL);
    assert_int_equal(a.max_nodes, 256);
    assert_int_equal(a.max_nodes_upgradable, 255);
    assert_int_equal(a.limiting, CN_LIMIT_POD_CIDR);
}

/* Azure NPM: 250 nodes and 20,000 pods. */
static void test_npm_limits(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 251\n[plugins]\ncompare = azure-cni+azure-npm\n", &pl);
    assert_true(pl.flags & CN_FLAG_NPM_NODES);
    assert_int_equal(pl.max_nodes, 250);
    assert_int_equal(pl.limiting, CN_LIMIT_NPM);
    plan_of("[cluster]\nnodes = 200\npods = 20001\nmax_pods_per_node = 110\n[plugins]\n"
            "compare = azure-cni+azure-npm\n",
            &pl);
    assert_true(pl.flags & CN_FLAG_NPM_PODS);
    assert_false(pl.flags & CN_FLAG_NPM_NODES);
    /* Full nodes of 250 pods: 20,000 pods is 80 nodes. */
    plan_of("[cluster]\nnodes = 10\n[plugins]\ncompare = azure-cni-overlay+azure-npm\n", &pl);
    assert_int_equal(pl.max_nodes, 80);
    assert_int_equal(pl.max_pods, 20000);
    assert_int_equal(pl.limiting, CN_LIMIT_NPM);
    /* Without NPM the same cluster grows to the pod CIDR's 256 nodes. */
    plan_of("[cluster]\nnodes = 10\n[plugins]\ncompare = azure-cni-overlay+calico\n", &pl);
    assert_int_equal(pl.max_nodes, 256);
    assert_int_equal(pl.max_nodes_upgradable, 255);
}

static void test_pools_and_cluster_limits(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 1200\npod_cidr = 10.128.0.0/12\n[plugins]\ncompare = "
            "azure-cni-overlay\n",
            &pl);
    assert_true(pl.flags & CN_FLAG_POOL_NODES);
    plan_of("[cluster]\nnodes = 1200\nnode_pools = 600, 600\npod_cidr = 10.128.0.0/12\n"
            "[plugins]\ncompare = azure-cni-overlay\n",
            &pl);
    assert_false(pl.flags & CN_FLAG_POOL_NODES);
    assert_int_equal(pl.surge_nodes, 2);
    plan_of("[cluster]\nnodes = 5001\npod_cidr = 10.128.0.0/10\nallocated_outbound_ports = 8\n"
            "[plugins]\ncompare = azure-cni-overlay\n",
            &pl);
    assert_true(pl.flags & CN_FLAG_CLUSTER_NODES);
    assert_int_equal(pl.max_nodes, 5000);
}

static void test_pods_requested(void **state)
{
    cn_ipam_plan pl;
    /* The workload's need: 2 target Services x 4 endpoints + 3 client nodes. */
    plan_of("[cluster]\nnodes = 3\n[workload]\ntarget_services = 2\n[plugins]\ncompare = "
            "kubenet\n",
            &pl);
    assert_int_equal(pl.pods_requested, 11);
    assert_int_equal(pl.pods_scheduled, 11);
    plan_of("[cluster]\nnodes = 2\npods = 100\nmax_pods_per_node = 30\nsystem_pods = none\n"
            "[plugins]\ncompare = kubenet\n",
            &pl);
    assert_int_equal(pl.pods_scheduled, 60);
    assert_true(pl.flags & CN_FLAG_PODS_UNSCHEDULABLE);
    /* The workload's need stops at what the nodes hold (targets share). */
    plan_of("[cluster]\nnodes = 3\nendpoints_per_service = 1\nsystem_pods = none\n[workload]\n"
            "target_services = 800\n[plugins]\ncompare = azure-cni\n",
            &pl);
    assert_int_equal(pl.pods_requested, 90);
    assert_int_equal(pl.flags & CN_FLAG_PODS_UNSCHEDULABLE, 0);
}

/* ---- errors AKS enforces ---- */

static void test_errors(void **state)
{
    static const struct {
        const char *ini, *want;
    } cases[] = {
        {"[cluster]\npod_cidr = 10.224.0.0/12\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] pod_cidr: 10.224.0.0/12 overlaps node_subnet 10.224.0.0/16"},
        {"[cluster]\npod_cidr = 169.254.0.0/16\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] pod_cidr: 169.254.0.0/16 overlaps 169.254.0.0/16 is link-local"},
        {"[cluster]\nnode_subnet = 172.30.0.0/16\n[plugins]\ncompare = kubenet\n",
         "172.30.0.0/16 is reserved by AKS"},
        {"[cluster]\nservice_cidr = 192.0.2.0/24\ndns_service_ip = 192.0.2.10\n[plugins]\n"
         "compare = kubenet\n",
         "192.0.2.0/24 is reserved by AKS"},
        {"[cluster]\nservice_cidr = 10.0.0.0/12\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] service_cidr: expected a range smaller than /12"},
        {"[cluster]\ndns_service_ip = 10.1.0.10\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] dns_service_ip: expected an address inside service_cidr"},
        {"[cluster]\ndns_service_ip = 10.0.0.0\n[plugins]\ncompare = kubenet\n",
         "other than its first (the first is the kubernetes.default Service"},
        {"[cluster]\npod_subnet = 10.224.128.0/17\n[plugins]\ncompare = azure-cni-dynamic\n",
         "bad.ini: [cluster] pod_subnet: 10.224.128.0/17 overlaps node_subnet"},
        {"[cluster]\nnode_subnet = 10.224.0.1/16\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] node_subnet: expected a network address with the host bits zero"},
        {"[plugins]\ncompare = kubenet+azure-npm\n",
         "kubenet supports Calico network policy only, not Azure NPM (AKS docs: "
         "use-network-policies)"},
        {"[plugins]\ncompare = cilium+calico\n",
         "Azure CNI powered by Cilium enforces network policy with Cilium only"},
        {"[plugins]\ncompare = azure-cni+azure-npm/ipvs\n",
         "IPVS mode does not support Azure Network Policy Manager (AKS docs: "
         "configure-kube-proxy)"},
        {"[cluster]\npod_subnet_allocation = static-block\n[plugins]\ncompare = "
         "cilium-podsubnet\n",
         "bad.ini: [cluster] pod_subnet_allocation: static-block is not supported with the "
         "Cilium dataplane"},
        {"[cluster]\npod_subnet_allocation = static-block\npod_subnet = 10.32.0.0/11\n"
         "[plugins]\ncompare = azure-cni-dynamic\n",
         "bad.ini: [cluster] pod_subnet: static block allocation supports pod subnets up to a /12"},
        {"[cluster]\npod_subnet = 10.225.0.0/30\n[plugins]\ncompare = azure-cni-dynamic\n",
         "bad.ini: [cluster] pod_subnet: expected a /29 or larger range"},
        {"[cluster]\nnodes = 2\nmax_pods_per_node = 10\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] max_pods_per_node: 10 pods per node needs at least 3 nodes in every "
         "node pool"},
        {"[cluster]\nnodes = 6\nnode_pools = 4, 2\nmax_pods_per_node = 10\n[plugins]\ncompare = "
         "kubenet\n",
         "a pool has 2"},
        {"[cluster]\nmax_pods_per_node = 9\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] max_pods_per_node: expected 0 (the plugin's default) or 10 to 250"},
        {"[cluster]\nmax_pods_per_node = 251\n[plugins]\ncompare = kubenet\n",
         "AKS allows 10 to 250 pods per node"},
        {"[cluster]\nmax_pods_per_node = 40\n[plugins]\ncompare = kubenet\n[costs]\n"
         "max_pods_min = 50\n",
         "bad.ini: [cluster] max_pods_per_node: expected 0 (the plugin's default) or at least 50"},
        {"[cluster]\nnodes = 5\nnode_pools = 2, 2\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] node_pools: the pools hold 4 nodes but [cluster] nodes is 5"},
        {"[cluster]\nnodes = 1001\nnode_pools = 1001\n[plugins]\ncompare = kubenet\n",
         "AKS allows 1,000 nodes per node pool"},
        {"[cluster]\nnodes = 10, 2\nmax_pods_per_node = 10\n[plugins]\ncompare = kubenet\n",
         "(at sweep point nodes=2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *e = load_error(cases[i].ini);
        assert_contains(e, cases[i].want);
        g_free(e);
    }
    /* Past-limit but supported: loads (and is flagged in the plan). */
    cn_scenario *sc = load("[cluster]\nnodes = 401\npod_cidr = 10.244.0.0/15\n[plugins]\n"
                           "compare = kubenet+calico, azure-cni+azure-npm\n");
    cn_scenario_free(sc);
    /* The same max pods is fine with room for 30 pods per pool. */
    sc = load("[cluster]\nnodes = 3\nmax_pods_per_node = 10\n[plugins]\ncompare = kubenet\n");
    cn_scenario_free(sc);
}

/* The AKS docs' capacity statements, which count no upgrade headroom
 * (issue 13): a /24 node subnet "can only support a maximum of 8 nodes ...
 * up to 240 pods" at 30 pods per node with Azure CNI, and "up to 251 nodes
 * ... 27,610 pods" at 110 with kubenet (AKS configure-kubenet, "Choose a
 * network model to use").  With the surge node an upgrade needs, 7 nodes. */
static void test_docs_capacity(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 3\nnode_subnet = 10.224.0.0/24\n[plugins]\ncompare = "
            "azure-cni\n",
            &pl);
    assert_int_equal(pl.max_pods_per_node, 30);
    assert_int_equal(pl.node_subnet_usable, 251);
    assert_int_equal(pl.max_nodes, 251 / 31);
    assert_int_equal(pl.max_nodes, 8);
    assert_int_equal(pl.max_pods, 240);
    assert_int_equal(pl.max_nodes_upgradable, 7);
    assert_int_equal(pl.limiting, CN_LIMIT_NODE_SUBNET);
    plan_of("[cluster]\nnodes = 3\nnode_subnet = 10.224.0.0/24\n[plugins]\ncompare = "
            "kubenet\n",
            &pl);
    assert_int_equal(pl.max_nodes, 251);
    assert_int_equal(pl.max_pods, 27610);
    assert_int_equal(pl.max_nodes_upgradable, 250);
    /* No surge: both counts agree. */
    plan_of("[cluster]\nnodes = 3\nmax_surge = 0\nnode_subnet = 10.224.0.0/24\n[plugins]\n"
            "compare = azure-cni\n",
            &pl);
    assert_int_equal(pl.max_nodes, 8);
    assert_int_equal(pl.max_nodes_upgradable, 8);
}

/* ---- AKS's own pods (issue 14) ---- */

/* The blog's /24: Azure reserves 5 of 256 addresses, leaving 251; node
 * subnet IPAM takes 1 + 30 per node, so 8 nodes (the AKS docs' count), 240
 * pod addresses.  AKS's own pods take slots first: 5 DaemonSets on every
 * node (kube-proxy, azure-ip-masq-agent, cloud-node-manager, the disk and
 * file CSI node plugins, all host network) and, on 8 nodes, CoreDNS x 3,
 * its autoscaler, metrics-server x 2, konnectivity-agent x 2.  8 x 25 - 8
 * = 192 user pods; 7 x 25 - 7 = 168 with room for the upgrade's surge node. */
static void test_blog_slash_24(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 8\nmax_surge = 0\nnode_subnet = 10.224.0.0/24\n[plugins]\n"
            "compare = azure-cni\n",
            &pl);
    assert_int_equal(pl.node_subnet_usable, 251);
    assert_int_equal(pl.node_subnet_needed, 248);
    assert_int_equal(pl.max_nodes, 8);
    assert_int_equal(pl.max_pods, 240);
    assert_int_equal(pl.system_pods_per_node, 5);
    assert_int_equal(pl.user_pods_per_node, 25);
    assert_int_equal(pl.system_pods, 8 * 5 + 3 + 1 + 2 + 2);
    /* Pod addresses: CoreDNS, its autoscaler and metrics-server only; the
     * DaemonSets and konnectivity-agent use the node's address. */
    assert_int_equal(pl.system_pod_addrs, 3 + 1 + 2);
    assert_int_equal(pl.user_pods_max, 192);
    plan_of("[cluster]\nnodes = 7\nnode_subnet = 10.224.0.0/24\n[plugins]\ncompare = "
            "azure-cni\n",
            &pl);
    assert_int_equal(pl.max_nodes_upgradable, 7);
    assert_int_equal(pl.pods_requested, 4 + 7); /* the workload's need fits */
    cn_scenario *sc = load("[cluster]\nnodes = 7\nnode_subnet = 10.224.0.0/24\n[plugins]\n"
                           "compare = azure-cni\n");
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    assert_int_equal(cn_ipam_user_slots(&c, &c.variants[0], 7), 7 * 25 - (2 + 1 + 2 + 2));
    cn_scenario_free(sc);
}

/* system_pods = none is the plan before issue 14; N is N pod-network pods
 * per node; the Cilium dataplane has no kube-proxy but its agent and
 * operator; add-ons add theirs. */
static void test_system_pods_modes(void **state)
{
    cn_ipam_plan pl;
    plan_of("[cluster]\nnodes = 10\nsystem_pods = none\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.system_pods, 0);
    assert_int_equal(pl.system_pod_addrs, 0);
    assert_int_equal(pl.user_pods_per_node, 30);
    assert_int_equal(pl.user_pods_max, pl.max_pods);
    plan_of("[cluster]\nnodes = 10\nsystem_pods = 4\n[plugins]\ncompare = azure-cni\n", &pl);
    assert_int_equal(pl.system_pods_per_node, 4);
    assert_int_equal(pl.system_pods, 40);
    assert_int_equal(pl.system_pod_addrs, 40);
    assert_int_equal(pl.user_pods_per_node, 26);
    cn_ipam_plan a, b;
    plan_at("[cluster]\nnodes = 40\nvcpus_per_node = 16\n[plugins]\ncompare = "
            "azure-cni-overlay, cilium\n",
            0, 0, &a);
    plan_at("[cluster]\nnodes = 40\nvcpus_per_node = 16\n[plugins]\ncompare = "
            "azure-cni-overlay, cilium\n",
            0, 1, &b);
    /* Overlay: 5 + azure-cns; Cilium: no kube-proxy, its agent instead. */
    assert_int_equal(a.system_pods_per_node, 6);
    assert_int_equal(b.system_pods_per_node, 6);
    /* 40 nodes, 640 cores: CoreDNS x 5 (nodes ladder 32 -> 5), autoscaler,
     * metrics-server x 2, konnectivity x 2; Cilium adds its operator x 2. */
    assert_int_equal(a.system_pods, 40 * 6 + 5 + 1 + 2 + 2);
    assert_int_equal(b.system_pods, 40 * 6 + 5 + 1 + 2 + 2 + 2);
    plan_of("[cluster]\nnodes = 10\naddons = monitoring, azure-policy, istio\n[plugins]\n"
            "compare = azure-cni-overlay\n",
            &pl);
    /* ama-logs on every node (pod network); ama-logs-rs, azure-policy x 2,
     * gatekeeper x 3, istiod x 2. */
    assert_int_equal(pl.system_pods_per_node, 7);
    assert_int_equal(pl.system_pods, 10 * 7 + 3 + 1 + 2 + 2 + 1 + 2 + 3 + 2);
    assert_int_equal(pl.system_pod_addrs, 10 + 3 + 1 + 2 + 1 + 2 + 3 + 2);
    /* Calico: calico-node per node, typha (3 at 10 nodes), kube-controllers,
     * the operator. */
    plan_of("[cluster]\nnodes = 10\n[plugins]\ncompare = azure-cni-overlay+calico\n", &pl);
    assert_int_equal(pl.system_pods_per_node, 7);
    assert_int_equal(pl.system_pods, 10 * 7 + 3 + 1 + 2 + 2 + 3 + 1 + 1);
    static const struct {
        const char *ini, *want;
    } bad[] = {
        {"[cluster]\nsystem_pods = some\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] system_pods: expected default (AKS's own pods, models/syspods.def), "
         "none, or a number of pods per node from 0 to 250, got 'some'"},
        {"[cluster]\nsystem_pods = 251\n[plugins]\ncompare = kubenet\n", "got '251'"},
        {"[cluster]\nsystem_pods = -1\n[plugins]\ncompare = kubenet\n", "got '-1'"},
        {"[cluster]\naddons = monitoring, mesh\n[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] addons: expected none or a comma list of monitoring, azure-policy, "
         "istio (each once), got 'mesh'"},
        {"[cluster]\naddons = istio, istio\n[plugins]\ncompare = kubenet\n", "got 'istio'"},
        {"[cluster]\nsystem_pods = 31\n[plugins]\ncompare = azure-cni\n",
         "bad.ini: [cluster] system_pods: AKS's own pods need 31 slots on the first node of the "
         "system pool (31 on every node, the system Deployments over 3 nodes) but max pods per "
         "node is 30 (variant 'azure-cni')"},
        /* 8 DaemonSets and 23 Deployment pods on a one-node system pool
         * (32 nodes: CoreDNS x 5, typha x 3). */
        {"[cluster]\nnodes = 32\nnode_pools = 1, 31\nmax_pods_per_node = 30\naddons = "
         "monitoring, azure-policy, istio\n[plugins]\ncompare = azure-cni-overlay+calico\n",
         "need 31 slots on the first node of the system pool (8 on every node, the system "
         "Deployments over 1 nodes)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *e = load_error(bad[i].ini);
        assert_contains(e, bad[i].want);
        g_free(e);
    }
}

/* Every row of the system-pod table has a source and a status, and the
 * printed table (cnisim help system-pods) shows each. */
static void test_syspods_table(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cn_syspods_print_table(f);
    fclose(f);
    for (int i = 0; i < CN_SYSPOD_COUNT; i++) {
        const cn_syspod_row *r = &cn_syspod_table[i];
        assert_true(r->status == 'R' || r->status == 'A');
        assert_true(strlen(r->source) > 20);
        assert_true(r->kind == CN_SP_DS ? r->replicas == 0 : r->replicas >= 1);
        g_autofree char *name = g_strdelimit(g_strdup(r->name), "_", '-');
        assert_non_null(strstr(buf, name));
        assert_non_null(strstr(buf, r->source));
    }
    free(buf);
}

/* A pod subnet's system pods take pod-subnet addresses: 3 nodes of 8 user
 * pods hold 16 addresses each without system pods; with CoreDNS x 2, its
 * autoscaler and metrics-server x 2 dealt over them (2, 2, 1) every node
 * passes 8 free and holds 32. */
static void test_pod_subnet_system_pods(void **state)
{
    cn_ipam_plan none, def;
    plan_of("[cluster]\nnodes = 3\npods = 24\nsystem_pods = none\n[plugins]\ncompare = "
            "azure-cni-dynamic\n",
            &none);
    plan_of("[cluster]\nnodes = 3\npods = 24\n[plugins]\ncompare = azure-cni-dynamic\n", &def);
    assert_int_equal(none.pod_range_needed, 3 * 16 + 16);
    assert_int_equal(def.pod_range_needed, 3 * 32 + 32);
    assert_int_equal(def.system_pod_addrs, 5);
    assert_int_equal(def.pods_scheduled, 24);
}

/* ---- hostile calibration (issue 9) ---- */

/* The plan and the checks are safe with any [costs] value reaching them,
 * even past the loader's ranges: no division by zero, no negative shift,
 * no signed overflow (UBSan in `make test` would abort), and the checks
 * name the entry. */
static void test_hostile_costs(void **state)
{
    static const struct {
        const char *entry;
        double value;
        const char *variant;
    } cases[] = {
        {"max_pods_default_kubenet", 0, "kubenet"},
        {"max_pods_default_overlay", 0.4, "azure-cni-overlay"},
        {"max_pods_default_node_subnet", 1e-300, "azure-cni"},
        {"max_pods_default_pod_subnet", 1e12, "azure-cni-dynamic"},
        {"subnet_min_prefix", 33, "azure-cni"},
        {"subnet_min_prefix", -1, "azure-cni"},
        {"node_pod_block_prefix", 0.4, "azure-cni-overlay"},
        {"node_pod_block_prefix", 0, "kubenet"},
        {"node_pod_block_prefix", 40, "kubenet"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *ini =
            g_strdup_printf("[cluster]\nnodes = 3\n[plugins]\ncompare = %s\n", cases[i].variant);
        cn_scenario *sc = load(ini);
        cn_config c;
        cn_scenario_config(sc, 0, &c);
        int id = cn_cal_lookup(cases[i].entry);
        assert_true(id >= 0);
        c.cost[id] = cases[i].value;
        GError *err = NULL;
        assert_false(cn_ipam_check_config(&c, "h.ini", "", &err));
        g_autofree char *want = g_strdup_printf("h.ini: [costs] %s: expected", cases[i].entry);
        assert_contains(err->message, want);
        g_error_free(err);
        /* The plan itself computes (numbers meaningless, but defined). */
        cn_ipam_plan pl;
        cn_ipam_plan_compute(&c, &c.variants[0], &pl);
        assert_true(pl.max_nodes >= 0 && pl.max_pods >= 0);
        assert_true(pl.node_subnet_needed >= 0 && pl.pod_range_needed >= 0);
        cn_scenario_free(sc);
    }
    assert_int_equal(cn_cidr_size((cn_cidr){0, 33}), 0);
    assert_int_equal(cn_cidr_size((cn_cidr){0, 32}), 1);
    /* Huge per-node shares saturate instead of wrapping. */
    cn_scenario *sc = load("[cluster]\nnodes = 3\npod_subnet_allocation = static-block\n"
                           "pod_subnet = 10.128.0.0/12\n[plugins]\ncompare = azure-cni-dynamic\n");
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    c.cost[CAL_static_block_addrs] = 1e12;
    c.cost[CAL_dynamic_batch_addrs] = 1e12;
    cn_ipam_plan pl;
    cn_ipam_plan_compute(&c, &c.variants[0], &pl);
    assert_true(pl.pod_range_needed > 0);
    assert_int_equal(pl.max_nodes, 0);
    cn_scenario_free(sc);
}

/* Layouts AKS or Kubernetes refuse (issue 9, item 14). */
static void test_layout_checks(void **state)
{
    static const struct {
        const char *ini, *want;
    } cases[] = {
        {"[cluster]\nservice_cidr = 10.0.0.0/24\ndns_service_ip = 10.0.0.10\nservices = 253\n"
         "[plugins]\ncompare = kubenet\n",
         "bad.ini: [cluster] services: 253 Services need 255 ClusterIPs with kubernetes.default "
         "and kube-dns; service_cidr 10.0.0.0/24 holds 254"},
        {"[cluster]\nservice_cidr = 10.0.0.0/28\ndns_service_ip = 10.0.0.10\n[workload]\n"
         "target_services = 13\n[plugins]\ncompare = kubenet\n",
         "[cluster] services: 13 Services need 15"},
        {"[cluster]\nnode_subnet = 224.1.0.0/16\n[plugins]\ncompare = azure-cni\n",
         "bad.ini: [cluster] node_subnet: 224.1.0.0/16 overlaps 224.0.0.0/4"},
        {"[cluster]\npod_cidr = 127.0.0.0/16\n[plugins]\ncompare = kubenet\n",
         "[cluster] pod_cidr: 127.0.0.0/16 overlaps 127.0.0.0/8"},
        {"[cluster]\npod_subnet = 240.0.0.0/16\n[plugins]\ncompare = azure-cni-dynamic\n",
         "[cluster] pod_subnet: 240.0.0.0/16 overlaps 240.0.0.0/4"},
        {"[cluster]\nservice_cidr = 0.0.0.0/16\ndns_service_ip = 0.0.0.10\n[plugins]\n"
         "compare = kubenet\n",
         "[cluster] service_cidr: 0.0.0.0/16 overlaps 0.0.0.0/8"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *e = load_error(cases[i].ini);
        assert_contains(e, cases[i].want);
        g_free(e);
    }
    /* The edges load: 252 Services fill a /24 exactly; a pod CIDR in
     * special space is fine when no variant uses it. */
    cn_scenario_free(load("[cluster]\nservice_cidr = 10.0.0.0/24\ndns_service_ip = 10.0.0.10\n"
                          "services = 252\n[plugins]\ncompare = kubenet\n"));
    cn_scenario_free(load("[cluster]\npod_cidr = 127.0.0.0/16\n[plugins]\ncompare = azure-cni\n"));
    /* 100 node pools load, 101 do not. */
    for (int n = 100; n <= 101; n++) {
        GString *g = g_string_new(NULL);
        g_string_append_printf(g, "[cluster]\nnodes = %d\nnode_pools = 1", n);
        for (int i = 1; i < n; i++)
            g_string_append(g, ", 1");
        g_string_append(g, "\n[plugins]\ncompare = azure-cni-overlay\n");
        if (n == 100) {
            cn_scenario_free(load(g->str));
        } else {
            char *e = load_error(g->str);
            assert_contains(e, "bad.ini: [cluster] node_pools: 101 node pools; AKS allows 100");
            g_free(e);
        }
        g_string_free(g, TRUE);
    }
}

/* ---- property test ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    uint32_t lo, hi;
} span;

static int cmp_span(const void *a, const void *b)
{
    return cmp_u32(&((const span *)a)->lo, &((const span *)b)->lo);
}

static const uint32_t range_base[] = {0x0a000000u, 0x0a400000u,
                                      0x64400000u}; /* 10.0, 10.64, 100.64 */

static void check_cluster(const cn_config *c, const cn_variant *v, const cn_cluster *cl)
{
    assert_int_equal(cl->n_nodes, c->nodes);
    uint64_t sum = 0;
    uint64_t sys = 0;
    for (uint32_t k = 0; k < cl->n_nodes; k++) {
        sum += cl->node_pods[k];
        sys += cl->node_sys_pods[k];
        /* Every pod on a node counts against max pods, system pods too. */
        assert_true(cl->node_pods[k] + cl->node_sys_pods[k] <= cl->max_pods_per_node);
    }
    assert_int_equal(sum, cl->n_pods);
    assert_int_equal(sys, cl->n_sys_pods);
    cn_cidr range = v->ipam == CN_IPAM_NODE_SUBNET  ? c->node_subnet
                    : v->ipam == CN_IPAM_POD_SUBNET ? c->pod_subnet
                                                    : c->pod_cidr;
    uint32_t first = range.addr, last = cn_cidr_last(range);
    if (v->ipam == CN_IPAM_NODE_SUBNET || v->ipam == CN_IPAM_POD_SUBNET)
        assert_true(cn_subnet_usable_range(c, range, &first, &last));
    /* Each node's addresses form a range; no two nodes' ranges overlap. */
    uint32_t *lo = g_new(uint32_t, cl->n_nodes), *hi = g_new0(uint32_t, cl->n_nodes);
    for (uint32_t k = 0; k < cl->n_nodes; k++)
        lo[k] = UINT32_MAX;
    /* User pods, then the pod-network system pods: all from the range. */
    uint32_t n_ips = 0;
    uint32_t *ips = g_new(uint32_t, cl->n_pods + cl->n_sys_pods + 1);
    for (uint32_t i = 0; i < cl->n_pods + cl->n_sys_pods; i++) {
        bool user = i < cl->n_pods;
        uint32_t j = i - cl->n_pods;
        if (!user && cl->sys_pod_host[j]) {
            /* Host network: the node's own address, no pod address. */
            assert_int_equal(cl->sys_pod_ip[j], cl->node_ip[cl->sys_pod_node[j]]);
            continue;
        }
        uint32_t ip = user ? cl->pod_ip[i] : cl->sys_pod_ip[j];
        uint32_t k = user ? cl->pod_node[i] : cl->sys_pod_node[j];
        ips[n_ips++] = ip;
        assert_true(ip >= first && ip <= last);
        if (v->ipam == CN_IPAM_KUBENET || v->ipam == CN_IPAM_OVERLAY) {
            cn_cidr blk;
            assert_true(cn_cidr_nth_subnet(c->pod_cidr, 24, k, &blk));
            assert_true(cn_cidr_contains_addr(blk, ip));
        }
        lo[k] = ip < lo[k] ? ip : lo[k];
        hi[k] = ip > hi[k] ? ip : hi[k];
    }
    qsort(ips, n_ips, sizeof *ips, cmp_u32);
    for (uint32_t i = 1; i < n_ips; i++)
        assert_true(ips[i] != ips[i - 1]);
    /* Node ranges, sorted by their start, do not overlap. */
    span *order = g_new(span, cl->n_nodes);
    uint32_t m = 0;
    for (uint32_t k = 0; k < cl->n_nodes; k++)
        if (lo[k] != UINT32_MAX)
            order[m++] = (span){lo[k], hi[k]};
    qsort(order, m, sizeof *order, cmp_span);
    for (uint32_t j = 1; j < m; j++)
        assert_true(order[j - 1].hi < order[j].lo);
    g_free(order);
    g_free(ips);
    g_free(lo);
    g_free(hi);
}

static void test_property_random(void **state)
{
    static const char *const presets[] = {"kubenet",           "azure-cni", "azure-cni-overlay",
                                          "azure-cni-dynamic", "cilium",    "cilium-podsubnet"};
    GRand *r = g_rand_new_with_seed(20240601);
    int built = 0, flagged = 0;
    for (int iter = 0; iter < 400; iter++) {
        cn_config c;
        cn_config_defaults(&c);
        cn_variant v;
        char *why = NULL;
        const char *preset = presets[g_rand_int_range(r, 0, 6)];
        assert_true(cn_variant_parse(preset, &v, &why));
        c.variants = &v;
        c.n_variants = 1;
        c.service_cidr = (cn_cidr){0xc0a80000u, 16};
        c.dns_service_ip = 0xc0a8000au;
        c.node_subnet = (cn_cidr){range_base[0], (uint8_t)g_rand_int_range(r, 14, 28)};
        c.pod_subnet = (cn_cidr){range_base[1], (uint8_t)g_rand_int_range(r, 12, 27)};
        c.pod_cidr = (cn_cidr){range_base[2], (uint8_t)g_rand_int_range(r, 12, 25)};
        c.nodes = g_rand_int_range(r, 1, g_rand_boolean(r) ? 40 : 700);
        c.max_pods_per_node = g_rand_boolean(r) ? 0 : g_rand_int_range(r, 30, 251);
        static const char *const sys[] = {NULL, "none", "3", "default"};
        c.system_pods = sys[g_rand_int_range(r, 0, 4)];
        c.addons = g_rand_boolean(r) ? "monitoring, istio" : NULL;
        if (g_rand_boolean(r)) {
            c.max_surge_nodes = g_rand_int_range(r, 0, 6);
        } else {
            c.max_surge_nodes = 0;
            c.max_surge_percent = g_rand_int_range(r, 1, 101);
        }
        c.pod_subnet_allocation = g_rand_boolean(r) && !v.ebpf_dataplane ? CN_PODSUBNET_STATIC_BLOCK
                                                                         : CN_PODSUBNET_DYNAMIC;
        if (c.pod_subnet_allocation == CN_PODSUBNET_STATIC_BLOCK && c.pod_subnet.prefix < 12)
            c.pod_subnet.prefix = 12;
        int64_t mp = cn_ipam_max_pods(&c, v.ipam);
        c.pods = g_rand_int_range(r, 1, (gint32)(c.nodes * mp + 1));
        if (c.pods > 60000)
            c.pods = 60000;
        c.services = g_rand_int_range(r, 1, 50);
        c.endpoints_per_service = g_rand_int_range(r, 1, 5);
        c.network_policies = g_rand_int_range(r, 0, 20);
        c.allocated_outbound_ports = g_rand_boolean(r) ? 0 : 8 * g_rand_int_range(r, 1, 200);
        g_autoptr(GError) err = NULL;
        if (!cn_ipam_check_config(&c, "p.ini", "", &err))
            continue;

        cn_ipam_plan pl;
        cn_ipam_plan_compute(&c, &v, &pl);
        /* Needed never exceeds usable unless a flag says so, and the flag
         * is never raised without cause. */
        assert_true((pl.node_subnet_needed > pl.node_subnet_usable) ==
                    !!(pl.flags & CN_FLAG_NODE_SUBNET_FULL));
        uint32_t pod_flag = CN_FLAG_POD_CIDR_FULL | CN_FLAG_POD_SUBNET_FULL;
        assert_true((pl.pod_range_needed > pl.pod_range_usable) == !!(pl.flags & pod_flag));
        assert_true((pl.snat_ports_needed > pl.snat_ports_available) ==
                    !!(pl.flags & CN_FLAG_SNAT_PORTS));
        /* Growth: a cap at or above the nodes means that range fits them. */
        if (pl.node_caps_upgradable[CN_LIMIT_NODE_SUBNET] >= pl.nodes)
            assert_false(pl.flags & CN_FLAG_NODE_SUBNET_FULL);
        else
            assert_true(pl.flags & CN_FLAG_NODE_SUBNET_FULL);
        cn_limit pod_limit = v.ipam == CN_IPAM_POD_SUBNET ? CN_LIMIT_POD_SUBNET : CN_LIMIT_POD_CIDR;
        if (pl.has_pod_range && pl.node_caps_upgradable[pod_limit] >= pl.nodes)
            assert_false(pl.flags & pod_flag);
        assert_true(pl.max_nodes <= 5000);
        assert_true(pl.max_nodes_upgradable <= pl.max_nodes);
        /* The docs' count: the steady state of max_nodes fits every range. */
        for (int f = 0; f < CN_LIMIT_COUNT; f++)
            assert_true(pl.node_caps_upgradable[f] <= pl.node_caps[f]);
        assert_true(pl.max_pods == pl.max_nodes * pl.max_pods_per_node);
        if (pl.flags)
            flagged++;

        /* The cluster builds whenever the steady state fits. */
        cn_cluster *cl = cn_cluster_build(&c, &v, (uint32_t)iter, &err);
        bool steady_fits = pl.pods_requested == pl.pods_scheduled &&
                           pl.pods_scheduled >= c.endpoints_per_service &&
                           !(pl.flags & (CN_FLAG_NODE_SUBNET_FULL | pod_flag));
        if (steady_fits && !cl)
            fail_msg("build failed: %s", err->message);
        if (!cl)
            continue;
        built++;
        check_cluster(&c, &v, cl);
        cn_cluster_free(cl);
    }
    g_rand_free(r);
    printf("property: %d built, %d flagged\n", built, flagged);
    assert_true(built > 100);
    assert_true(flagged > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_subnet_50),
        cmocka_unit_test(test_node_subnet_60),
        cmocka_unit_test(test_pod_cidr_order),
        cmocka_unit_test(test_static_block),
        cmocka_unit_test(test_lb_default_48),
        cmocka_unit_test(test_lb_table),
        cmocka_unit_test(test_snat_50_51),
        cmocka_unit_test(test_snat_manual),
        cmocka_unit_test(test_max_pods_defaults),
        cmocka_unit_test(test_dynamic),
        cmocka_unit_test(test_surge),
        cmocka_unit_test(test_slash_29),
        cmocka_unit_test(test_slash_8),
        cmocka_unit_test(test_slash_24_250),
        cmocka_unit_test(test_kubenet_400_401),
        cmocka_unit_test(test_npm_limits),
        cmocka_unit_test(test_pools_and_cluster_limits),
        cmocka_unit_test(test_pods_requested),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_docs_capacity),
        cmocka_unit_test(test_blog_slash_24),
        cmocka_unit_test(test_system_pods_modes),
        cmocka_unit_test(test_pod_subnet_system_pods),
        cmocka_unit_test(test_syspods_table),
        cmocka_unit_test(test_hostile_costs),
        cmocka_unit_test(test_layout_checks),
        cmocka_unit_test(test_property_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
