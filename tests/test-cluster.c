/* The cluster: node pools, pods spread over nodes with addresses from the
 * variant's IPAM, Services with endpoints and random KUBE-SERVICES
 * positions, network policies; reproducible per (seed, replication). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cluster.h"
#include "ipam.h"
#include "scenario.h"

typedef struct {
    cn_scenario *sc;
    cn_config c;
} fixture;

static void load(fixture *f, const char *ini)
{
    g_autoptr(GError) err = NULL;
    f->sc = cn_scenario_load_data(ini, strlen(ini), "t.ini", NULL, &err);
    if (!f->sc)
        fail_msg("%s", err->message);
    cn_scenario_config(f->sc, 0, &f->c);
}

static cn_cluster *build(fixture *f, int variant, uint32_t rep)
{
    g_autoptr(GError) err = NULL;
    cn_cluster *cl = cn_cluster_build(&f->c, &f->c.variants[variant], rep, &err);
    if (!cl)
        fail_msg("%s", err->message);
    return cl;
}

static char *build_error(const char *ini)
{
    fixture f;
    load(&f, ini);
    GError *err = NULL;
    cn_cluster *cl = cn_cluster_build(&f.c, &f.c.variants[0], 0, &err);
    assert_null(cl);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    cn_scenario_free(f.sc);
    return msg;
}

static void assert_permutation(const uint32_t *a, uint32_t n)
{
    uint8_t *seen = g_new0(uint8_t, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(a[i] < n);
        assert_false(seen[a[i]]);
        seen[a[i]] = 1;
    }
    g_free(seen);
}

static void test_pools_and_spread(void **state)
{
    fixture f;
    load(&f, "[cluster]\nnodes = 5\nnode_pools = 2, 3\npods = 12\nsystem_pods = none\n"
             "[plugins]\ncompare = azure-cni\n");
    cn_cluster *cl = build(&f, 0, 0);
    const uint32_t pools[] = {0, 0, 1, 1, 1}, per_node[] = {3, 3, 2, 2, 2};
    assert_int_equal(cl->n_nodes, 5);
    assert_int_equal(cl->max_pods_per_node, 30);
    assert_memory_equal(cl->node_pool, pools, sizeof pools);
    assert_memory_equal(cl->node_pods, per_node, sizeof per_node);
    for (uint32_t i = 0; i < cl->n_pods; i++)
        assert_int_equal(cl->pod_node[i], i % 5);
    /* Node subnet: node k takes 1 + 30 addresses from 10.224.0.4 on, its own
     * first. */
    for (uint32_t i = 0; i < cl->n_pods; i++)
        assert_int_equal(cl->pod_ip[i], 0x0ae00004u + (i % 5) * 31 + 1 + i / 5);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);
}

static void test_pod_subnet_addresses(void **state)
{
    fixture f;
    load(&f, "[cluster]\nnodes = 3\npods = 40\nsystem_pods = none\n[plugins]\ncompare = "
             "azure-cni-dynamic\n");
    cn_cluster *cl = build(&f, 0, 0);
    /* 14, 13, 13 pods hold 32 addresses each, nodes in order from .4. */
    for (uint32_t i = 0; i < cl->n_pods; i++)
        assert_int_equal(cl->pod_ip[i], 0x0ae10004u + (i % 3) * 32 + i / 3);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);

    load(&f, "[cluster]\nnodes = 2\npods = 4\nmax_pods_per_node = 31\npod_subnet_allocation = "
             "static-block\nsystem_pods = none\n[plugins]\ncompare = azure-cni-dynamic\n");
    cl = build(&f, 0, 0);
    /* Two /28 blocks per node from the first whole block (.16); the
     * block's first address is the node's reserved one. */
    for (uint32_t i = 0; i < cl->n_pods; i++)
        assert_int_equal(cl->pod_ip[i], 0x0ae10010u + (i % 2) * 32 + 1 + i / 2);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);
}

/* AKS's own pods in the built cluster (issue 14): they take slots on every
 * node, pod-network ones the node's first pod addresses, host-network ones
 * the node's own address; the user pods fill the slots left, a full node
 * skipped. */
static void test_system_pods(void **state)
{
    fixture f;
    /* Pod subnet, 3 nodes, 30 max pods: 6 host-network DaemonSets per node;
     * CoreDNS x 2, autoscaler, metrics-server x 2 (pod network) dealt over
     * nodes 0, 1, 2, 0, 1; konnectivity x 2 (host) over 2, 0. */
    load(&f, "[cluster]\nnodes = 3\npods = 60\nmax_pods_per_node = 30\n[plugins]\n"
             "compare = azure-cni-dynamic\n");
    cn_cluster *cl = build(&f, 0, 0);
    const uint32_t sys[] = {9, 8, 8}, sys_addrs[] = {2, 2, 1}, user[] = {20, 20, 20};
    assert_int_equal(cl->n_sys_pods, 25);
    assert_memory_equal(cl->node_sys_pods, sys, sizeof sys);
    assert_memory_equal(cl->node_sys_pod_addrs, sys_addrs, sizeof sys_addrs);
    assert_memory_equal(cl->node_pods, user, sizeof user);
    cn_cidr ps = f.c.pod_subnet;
    uint32_t pod_addrs = 0;
    for (uint32_t j = 0; j < cl->n_sys_pods; j++) {
        uint32_t k = cl->sys_pod_node[j];
        if (cl->sys_pod_host[j]) {
            assert_int_equal(cl->sys_pod_ip[j], cl->node_ip[k]);
            assert_true(cn_cidr_contains_addr(f.c.node_subnet, cl->sys_pod_ip[j]));
        } else {
            /* A pod-subnet cluster's system pods take pod-subnet addresses. */
            assert_true(cn_cidr_contains_addr(ps, cl->sys_pod_ip[j]));
            pod_addrs++;
        }
    }
    assert_int_equal(pod_addrs, 5);
    /* Node 0 holds 22 pods: 30 addresses from .4 (32, capped at max pods);
     * node 1's 2 system pods come first in its range. */
    for (uint32_t i = 0; i < cl->n_pods; i++)
        if (cl->pod_node[i] == 1)
            assert_true(cl->pod_ip[i] >= 0x0ae10004u + 30 + 2);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);

    /* Node subnet, 2 nodes: node 0 has 5 DaemonSets and 4 Deployment pods,
     * node 1 5 and 3; 43 user pods: node 0 fills at 21, node 1 takes 22. */
    load(&f, "[cluster]\nnodes = 2\npods = 43\n[plugins]\ncompare = azure-cni\n");
    cl = build(&f, 0, 0);
    assert_int_equal(cl->node_sys_pods[0] + cl->node_pods[0], 30);
    assert_int_equal(cl->node_sys_pods[1] + cl->node_pods[1], 30);
    assert_int_equal(cl->node_pods[0], 21);
    assert_int_equal(cl->node_pods[1], 22);
    /* Dealt in turn: pod 42 is the last, on node 1, the only one with room. */
    assert_int_equal(cl->pod_node[42], 1);
    for (uint32_t i = 0; i < 42; i++)
        assert_int_equal(cl->pod_node[i], i % 2);
    /* Node 1's addresses: its own at .4 + 31, then 3 pod-network system
     * pods, then its user pods. */
    assert_int_equal(cl->node_ip[1], 0x0ae00004u + 31);
    assert_int_equal(cl->pod_ip[1], 0x0ae00004u + 31 + 1 + cl->node_sys_pod_addrs[1]);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);

    /* none: no system pod, the cluster before issue 14. */
    load(&f, "[cluster]\nnodes = 2\npods = 60\nsystem_pods = none\n[plugins]\ncompare = "
             "azure-cni\n");
    cl = build(&f, 0, 0);
    assert_int_equal(cl->n_sys_pods, 0);
    assert_int_equal(cl->node_pods[0], 30);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);
}

static void test_services(void **state)
{
    fixture f;
    load(&f, "[scenario]\nseed = 7\n[cluster]\nnodes = 4\nservices = 1000\n"
             "endpoints_per_service = 3\nnetwork_policies = 2500\n[workload]\ntarget_services = "
             "2\n[plugins]\ncompare = cilium\n");
    cn_cluster *cl = build(&f, 0, 0);
    /* 2 x 3 target endpoints + 4 client pods. */
    assert_int_equal(cl->n_pods, 10);
    assert_int_equal(cl->n_services, 1000);
    assert_permutation(cl->svc_chain_pos, cl->n_services);
    for (uint32_t s = 0; s < cl->n_services; s++) {
        assert_int_equal(cl->svc_ep_start[s + 1] - cl->svc_ep_start[s], 3);
        const uint32_t *ep = cl->endpoints + cl->svc_ep_start[s];
        for (int e = 0; e < 3; e++) {
            assert_true(ep[e] < cl->n_pods);
            if (s < 2)
                assert_int_equal(ep[e], s * 3 + (uint32_t)e);
            for (int g = 0; g < e; g++)
                assert_true(ep[g] != ep[e]);
        }
    }
    /* 2,500 policies over 1,000 Services: Services 0-499 take 3, the rest 2;
     * each selects the Service's 3 pods. */
    uint64_t selections = 0;
    for (uint32_t i = 0; i < cl->n_pods; i++)
        selections += cl->pod_policies[i];
    assert_int_equal(selections, 2500 * 3);
    /* Service 0's pods are selected by policies 0, 1000 and 2000 (and by
     * those of random Services pointing at them). */
    for (uint32_t i = 0; i < 3; i++)
        assert_true(cl->pod_policies[i] >= 3);
    assert_int_equal(cl->n_policies, 2500);

    /* Same (seed, replication): same cluster; another replication: other
     * positions. */
    cn_cluster *again = build(&f, 0, 0), *other = build(&f, 0, 1);
    assert_memory_equal(cl->svc_chain_pos, again->svc_chain_pos, 1000 * sizeof(uint32_t));
    assert_memory_equal(cl->endpoints, again->endpoints, 3000 * sizeof(uint32_t));
    assert_memory_not_equal(cl->svc_chain_pos, other->svc_chain_pos, 1000 * sizeof(uint32_t));
    assert_permutation(other->svc_chain_pos, other->n_services);
    cn_cluster_free(cl);
    cn_cluster_free(again);
    cn_cluster_free(other);
    cn_scenario_free(f.sc);
}

/* More target Services than pods fit: the first ones get pods of their own,
 * the others share the existing pods. */
static void test_targets_share_pods(void **state)
{
    fixture f;
    load(&f, "[cluster]\nnodes = 3\nservices = 1000\nendpoints_per_service = 1\n"
             "system_pods = none\n[workload]\ntarget_services = 800\n[plugins]\ncompare = "
             "azure-cni\n");
    cn_cluster *cl = build(&f, 0, 0);
    assert_int_equal(cl->n_pods, 90); /* 3 nodes x 30 */
    assert_int_equal(cl->n_services, 1000);
    for (uint32_t s = 0; s < 90; s++)
        assert_int_equal(cl->endpoints[s], s);
    for (uint32_t s = 90; s < 1000; s++)
        assert_true(cl->endpoints[s] < 90);
    cn_cluster_free(cl);
    cn_scenario_free(f.sc);
}

/* The target Service sits at each position equally often over seeds. */
static void test_positions_uniform(void **state)
{
    fixture f;
    load(&f, "[cluster]\nservices = 10\nendpoints_per_service = 1\n[plugins]\ncompare = "
             "kubenet\n");
    int count[10] = {0};
    for (uint32_t rep = 0; rep < 2000; rep++) {
        cn_cluster *cl = build(&f, 0, rep);
        count[cl->svc_chain_pos[0]]++;
        cn_cluster_free(cl);
    }
    for (int i = 0; i < 10; i++)
        assert_true(count[i] > 140 && count[i] < 260);
    cn_scenario_free(f.sc);
}

static void test_build_errors(void **state)
{
    char *e = build_error("[cluster]\nnodes = 2\npods = 100\nsystem_pods = none\n[plugins]\n"
                          "compare = azure-cni\n");
    assert_string_equal(e, "t.ini: [cluster] pods: 100 pods do not fit on 2 nodes x 30 max pods "
                           "per node beside 0 system pods (variant 'azure-cni'; [cluster] "
                           "system_pods)");
    g_free(e);
    /* With AKS's pods: 2 x 5 DaemonSets + 2 CoreDNS, 1 autoscaler, 2
     * metrics-server, 2 konnectivity-agent take 17 of the 60 slots. */
    e = build_error("[cluster]\nnodes = 2\npods = 44\n[plugins]\ncompare = azure-cni\n");
    assert_string_equal(e, "t.ini: [cluster] pods: 44 pods do not fit on 2 nodes x 30 max pods "
                           "per node beside 17 system pods (variant 'azure-cni'; [cluster] "
                           "system_pods)");
    g_free(e);
    e = build_error("[cluster]\nnodes = 300\n[plugins]\ncompare = azure-cni-overlay\n");
    assert_string_equal(e, "t.ini: [cluster] pod_cidr: 10.244.0.0/16 holds 256 node /24 blocks; "
                           "the 300 nodes of variant 'azure-cni-overlay' need one each");
    g_free(e);
    e = build_error("[cluster]\nnodes = 10\nnode_subnet = 10.224.0.0/24\n[plugins]\ncompare = "
                    "azure-cni\n");
    assert_string_equal(e, "t.ini: [cluster] node_subnet: 10.224.0.0/24 leaves 251 usable "
                           "addresses (Azure reserves 5); 10 nodes of variant 'azure-cni' need "
                           "310");
    g_free(e);
    e = build_error("[cluster]\nnodes = 3\npods = 600\npod_subnet = 10.225.0.0/24\n[plugins]\n"
                    "compare = azure-cni-dynamic\n");
    assert_true(strstr(e, "t.ini: [cluster] pod_subnet: 10.225.0.0/24 leaves 251 usable") != NULL);
    g_free(e);
    e = build_error("[cluster]\nnodes = 3\npods = 3\nendpoints_per_service = 4\n[plugins]\n"
                    "compare = kubenet\n");
    assert_string_equal(e, "t.ini: [cluster] endpoints_per_service: 4 endpoints per Service need "
                           "at least that many pods, the cluster has 3 (variant 'kubenet')");
    g_free(e);
    /* Without [cluster] pods the workload's pods fill the nodes at most: 40
     * endpoints on 1 node x 30 max pods cannot be distinct; AKS's own pods
     * leave 18 of the 30 (5 DaemonSets, 7 Deployment pods). */
    e = build_error("[cluster]\nnodes = 1\nendpoints_per_service = 40\n[plugins]\ncompare = "
                    "azure-cni\n");
    assert_string_equal(e, "t.ini: [cluster] endpoints_per_service: 40 endpoints per Service need "
                           "at least that many pods, the cluster has 18 (variant 'azure-cni')");
    g_free(e);
}

/* The scale target: 5,000 nodes, 250,000 pods, 100,000 Services x 4
 * endpoints, 10,000 policies (timed in bench/bench-cluster). */
static void test_scale(void **state)
{
    fixture f;
    load(&f,
         "[cluster]\nnodes = 5000\nnode_pools = 1000, 1000, 1000, 1000, 1000\n"
         "pods = 250000\npod_cidr = 100.64.0.0/10\nservice_cidr = 10.0.0.0/13\nservices = 100000\n"
         "endpoints_per_service = 4\nnetwork_policies = 10000\n[plugins]\n"
         "compare = azure-cni-overlay, cilium\n");
    for (int v = 0; v < 2; v++) {
        cn_cluster *cl = build(&f, v, 0);
        assert_int_equal(cl->n_nodes, 5000);
        assert_int_equal(cl->n_pods, 250000);
        assert_int_equal(cl->n_services, 100000);
        assert_int_equal(cl->svc_ep_start[100000], 400000);
        assert_int_equal(cl->node_pool[4999], 4);
        assert_int_equal(cl->node_pods[0], 50);
        assert_permutation(cl->svc_chain_pos, cl->n_services);
        cn_cluster_free(cl);
    }
    cn_scenario_free(f.sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pools_and_spread),   cmocka_unit_test(test_pod_subnet_addresses),
        cmocka_unit_test(test_system_pods),        cmocka_unit_test(test_services),
        cmocka_unit_test(test_targets_share_pods), cmocka_unit_test(test_positions_uniform),
        cmocka_unit_test(test_build_errors),       cmocka_unit_test(test_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
