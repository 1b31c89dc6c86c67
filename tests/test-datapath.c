/* Model invariants of the datapath simulation: each test would fail if the
 * model it names were wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "datapath.h"
#include "run.h"
#include "scenario.h"
#include "svclookup.h"

/* Load a scenario from text plus --set overrides. */
static cn_scenario *load(const char *text, const char *const *sets)
{
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data(text, strlen(text), "test.ini", sets, &err);
    if (!sc)
        fail_msg("scenario: %s", err->message);
    return sc;
}

static const char base[] = "[scenario]\nname = t\nseed = 7\nduration_s = 0.2\nwarmup_s = 0.02\n"
                           "[cluster]\nnodes = 3\nvcpus_per_node = 4\nmax_pods_per_node = 100\n"
                           "[workload]\nconcurrency = 1\n"
                           "[plugins]\ncompare = kubenet\n";
/* The same for an open loop, which takes no concurrency (the loader refuses
 * a key the model ignores). */
static const char base_open[] =
    "[scenario]\nname = t\nseed = 7\nduration_s = 0.2\nwarmup_s = 0.02\n"
    "[cluster]\nnodes = 3\nvcpus_per_node = 4\nmax_pods_per_node = 100\n"
    "[plugins]\ncompare = kubenet\n";

typedef struct {
    double mean_us, p50_us, p99_us;
    uint64_t done, failed;
    cn_run_result r;
} outcome;

/* Run variant `variant` of base + sets, one replication, class cls. */
static outcome run1(const char *variant, cn_class cls, const char *const *sets_in)
{
    const char *sets[32];
    int n = 0;
    static char vbuf[128];
    g_snprintf(vbuf, sizeof vbuf, "plugins.compare=%s", variant);
    sets[n++] = vbuf;
    bool open = false;
    for (int i = 0; sets_in && sets_in[i]; i++) {
        sets[n++] = sets_in[i];
        open = open || strcmp(sets_in[i], "workload.model=open") == 0;
    }
    sets[n] = NULL;
    cn_scenario *sc = load(open ? base_open : base, sets);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    outcome o = {0};
    GError *err = NULL;
    if (!cn_run(&c, &c.variants[0], 0, &o.r, &err))
        fail_msg("run: %s", err->message);
    cn_class_result *cr = &o.r.cls[cls];
    o.done = cr->transactions;
    o.failed = cr->failed;
    if (sim_hist_count(cr->latency)) {
        o.mean_us = sim_hist_mean(cr->latency) / 1e3;
        o.p50_us = sim_hist_quantile(cr->latency, 0.5) / 1e3;
        o.p99_us = sim_hist_quantile(cr->latency, 0.99) / 1e3;
    }
    cn_scenario_free(sc);
    return o;
}

static void done(outcome *o)
{
    cn_run_result_clear(&o->r);
}

/* Stage times without their variability: every stage costs its mean. */
#define NO_CV "costs.cpu_cv=0", "costs.net_cv=0"

/* At low load (one client, a keepalive connection) and with the stage-time
 * variability off, a transaction's latency is exactly the sum of the stages
 * on its path. */
static void test_low_load_latency_is_path_sum(void **state)
{
    (void)state;
    const char *variants[] = {"kubenet", "azure-cni", "cilium", "azure-cni-overlay+calico"};
    for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
        const char *sets[] = {"workload.traffic=pod-to-pod-cross-node",
                              "workload.requests_per_connection=1000000000", NO_CV, NULL};
        outcome o = run1(variants[i], CN_CLASS_CROSS_NODE, sets);
        cn_scenario *sc =
            load(base, (const char *const[]){"workload.traffic=pod-to-pod-cross-node", NULL});
        cn_config c;
        cn_scenario_config(sc, 0, &c);
        cn_variant v;
        char *why = NULL;
        assert_true(cn_variant_parse(variants[i], &v, &why));
        cn_dp_costs k;
        cn_dp_costs_init(&k, &c, &v);
        cn_flow f = {.cls = CN_CLASS_CROSS_NODE,
                     .new_conn = false,
                     .client_node = 0,
                     .server_node = 1,
                     .request_bytes = c.request_bytes,
                     .response_bytes = c.response_bytes};
        cn_path p;
        cn_path_build(&k, &f, &p);
        double expect_us = (double)cn_path_total_ns(&p) / 1e3;
        assert_true(o.done > 100);
        /* Every transaction has the same path: the exact mean matches. */
        assert_float_equal(o.mean_us, expect_us, expect_us * 1e-6);
        /* and with the shipped variability the same mean, now with a tail */
        const char *vary[] = {"workload.traffic=pod-to-pod-cross-node",
                              "workload.requests_per_connection=1000000000",
                              "scenario.duration_s=1", NULL};
        outcome t = run1(variants[i], CN_CLASS_CROSS_NODE, vary);
        assert_float_equal(t.mean_us, expect_us, expect_us * 0.02);
        assert_true(t.p50_us > 0 && t.p99_us > t.p50_us);
        /* the fitted tail: published TCP_RR p99/p50 is about 1.2-1.3 */
        assert_true(t.p99_us / t.p50_us > 1.1 && t.p99_us / t.p50_us < 1.6);
        done(&t);
        cn_scenario_free(sc);
        done(&o);
    }
}

/* Throughput stops growing when the bottleneck CPU saturates, at the rate
 * the CPU work per transaction allows. */
static void test_throughput_caps_at_cpu_saturation(void **state)
{
    (void)state;
    double tput[3];
    const char *conc[] = {"workload.concurrency=64", "workload.concurrency=256",
                          "workload.concurrency=512"};
    outcome last = {0};
    for (int i = 0; i < 3; i++) {
        const char *sets[] = {"cluster.nodes=2",
                              "workload.traffic=pod-to-pod-same-node",
                              "workload.requests_per_connection=1000000000",
                              "workload.server_time_us=100",
                              conc[i],
                              NULL};
        outcome o = run1("azure-cni", CN_CLASS_SAME_NODE, sets);
        tput[i] = o.r.cls[CN_CLASS_SAME_NODE].throughput_rps;
        if (i == 2)
            last = o;
        else
            done(&o);
    }
    /* Same-node: per transaction 4 socket ops, 2 host crossings and 100 us
     * of server time (122 us of CPU with the costs before calibration, 147
     * us after); 2 nodes x 4 vCPUs. */
    double cpu_ns =
        4 * cn_cal_table[CAL_sock_msg_ns].value + 2 * cn_cal_table[CAL_nf_pkt_ns].value + 100e3;
    double cap = 2 * 4 / (cpu_ns * 1e-9);
    assert_true(last.r.cpu_util_max > 0.97);
    assert_float_equal(tput[1], cap, cap * 0.03);
    assert_float_equal(tput[2], tput[1], tput[1] * 0.03);
    done(&last);
}

/* eBPF new-connection cost is flat in Services; iptables grows linearly
 * (until the cache effect). */
static void test_service_scaling(void **state)
{
    (void)state;
    const char *svc[] = {"cluster.services=1", "cluster.services=10000", "cluster.services=20000"};
    double ebpf[3], ipt[3];
    for (int i = 0; i < 3; i++) {
        /* An LB map big enough for 20,000 Services x 5 entries. */
        const char *sets[] = {"workload.traffic=pod-to-service", "workload.target_services=50",
                              "cluster.bpf_lb_map_max=200000", svc[i], NULL};
        outcome a = run1("cilium", CN_CLASS_SERVICE, sets);
        outcome b = run1("azure-cni", CN_CLASS_SERVICE, sets);
        ebpf[i] = a.mean_us;
        ipt[i] = b.mean_us;
        done(&a);
        done(&b);
    }
    assert_float_equal(ebpf[2], ebpf[0], ebpf[0] * 0.02);
    assert_float_equal(ebpf[1], ebpf[0], ebpf[0] * 0.02);
    double d1 = ipt[1] - ipt[0], d2 = ipt[2] - ipt[0];
    /* Mean walk N/2 at 18-26 ns per rule: 10k Services add 90-130 us. */
    assert_true(d1 > 0.09 * 1e3 * 0.9 * 1e-0 && d1 < 0.13 * 1e3 * 1.1);
    /* Linear or a little more (cache effect): twice the Services, 2-2.6x. */
    assert_true(d2 / d1 > 1.9 && d2 / d1 < 2.8);
}

/* Keepalive removes most of the iptables penalty at 30,000 Services. */
static void test_keepalive_hides_iptables_walk(void **state)
{
    (void)state;
    const char *s1[] = {"workload.traffic=pod-to-service", "workload.target_services=50",
                        "workload.requests_per_connection=1000", "cluster.services=1", NULL};
    const char *s30[] = {"workload.traffic=pod-to-service", "workload.target_services=50",
                         "workload.requests_per_connection=1000", "cluster.services=30000", NULL};
    outcome a = run1("azure-cni", CN_CLASS_SERVICE, s1);
    outcome b = run1("azure-cni", CN_CLASS_SERVICE, s30);
    assert_true(b.mean_us < a.mean_us * 1.02);
    done(&a);
    done(&b);
}

/* kubenet's cross-node latency exceeds node subnet's by the route-table hop
 * (each way) plus its bridge per packet; overlay's by Azure's overlay
 * routing (each way). */
static void test_kubenet_route_hop(void **state)
{
    (void)state;
    const char *sets[] = {"workload.traffic=pod-to-pod-cross-node",
                          "workload.requests_per_connection=1000000000", NO_CV, NULL};
    outcome k = run1("kubenet", CN_CLASS_CROSS_NODE, sets);
    outcome n = run1("azure-cni", CN_CLASS_CROSS_NODE, sets);
    outcome o = run1("azure-cni-overlay", CN_CLASS_CROSS_NODE, sets);
    double hop_us = cn_cal_table[CAL_kubenet_udr_hop_ns].value / 1e3;
    double bridge_us = cn_cal_table[CAL_bridge_pkt_ns].value / 1e3;
    double overlay_us = cn_cal_table[CAL_overlay_route_one_way_ns].value / 1e3;
    /* request and response: 2 hops; each crosses 2 nodes' bridges */
    assert_float_equal(k.mean_us - n.mean_us, 2 * hop_us + 4 * bridge_us, 0.01);
    assert_float_equal(o.mean_us - n.mean_us, 2 * overlay_us, 0.01);
    assert_true(overlay_us > 0);
    done(&k);
    done(&n);
    done(&o);
}

/* With chain_position = middle a new connection walks N/2 KUBE-SERVICES
 * rules; first walks none before its own. */
static void test_chain_position(void **state)
{
    (void)state;
    /* one endpoint: every connection goes to the same node */
    const char *mid[] = {"workload.traffic=pod-to-service",
                         "cluster.services=10000",
                         "cluster.endpoints_per_service=1",
                         "cluster.chain_position=middle",
                         NO_CV,
                         NULL};
    const char *first[] = {"workload.traffic=pod-to-service",
                           "cluster.services=10000",
                           "cluster.endpoints_per_service=1",
                           "cluster.chain_position=first",
                           NO_CV,
                           NULL};
    outcome m = run1("azure-cni", CN_CLASS_SERVICE, mid);
    outcome f = run1("azure-cni", CN_CLASS_SERVICE, first);
    cn_scenario *sc = load(base, (const char *const[]){"cluster.services=10000", NULL});
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    double per_rule = cn_iptables_rule_cost_ns(&c, cn_iptables_total_rules(&c, 10000, 1));
    /* one target Service: first is position 0, middle 5,000 */
    assert_float_equal(m.mean_us - f.mean_us, 5000 * per_rule / 1e3, 0.01);
    assert_int_equal(cn_chain_walk_position(CN_CHAIN_MIDDLE, 0, 17, 10000, NULL), 5000);
    assert_int_equal(cn_chain_walk_position(CN_CHAIN_LAST, 0, 17, 10000, NULL), 9999);
    assert_int_equal(cn_chain_walk_position(CN_CHAIN_RANDOM, 0, 17, 10000, NULL), 17);
    cn_scenario_free(sc);
    done(&m);
    done(&f);
    /* average: one replication no longer hangs on one draw of the position:
     * three seeds give short-connection latencies within a few percent. */
    double lat[3];
    const char *seeds[] = {"scenario.seed=1", "scenario.seed=2", "scenario.seed=3"};
    for (int i = 0; i < 3; i++) {
        const char *avg[] = {"workload.traffic=pod-to-service", "cluster.services=20000",
                             "scenario.duration_s=1", seeds[i], NULL};
        outcome a = run1("azure-cni", CN_CLASS_SERVICE, avg);
        lat[i] = a.mean_us;
        done(&a);
    }
    for (int i = 1; i < 3; i++)
        assert_float_equal(lat[i], lat[0], lat[0] * 0.05);
}

/* A 2-node cluster whose 40-entry netfilter tables are held full by
 * keepalive connections that never close (their clients do 1 transaction
 * a second): 10 of the 50 clients are blocked.  Runs `duration_s` seconds
 * with the client's connect timeout `timeout_s` (NULL: the default). */
static outcome blocked_clients(const char *variant, const char *duration_s, const char *timeout_s)
{
    char dur[64], to[64];
    g_snprintf(dur, sizeof dur, "scenario.duration_s=%s", duration_s);
    g_snprintf(to, sizeof to, "workload.connect_timeout_s=%s", timeout_s ? timeout_s : "30");
    const char *sets[] = {dur,
                          to,
                          "scenario.warmup_s=0",
                          "cluster.nodes=2",
                          "cluster.nf_conntrack_max=40",
                          "workload.server_time_us=1000000",
                          "workload.concurrency=50",
                          "workload.requests_per_connection=1000000000",
                          "workload.traffic=pod-to-pod-cross-node",
                          NULL};
    return run1(variant, CN_CLASS_CROSS_NODE, sets);
}

/* A full netfilter conntrack table drops new flows.  The blocked clients
 * retransmit their SYN as Linux does, 1, 3, 7 and 15 s after the first (each
 * one another drop), and give up at the client's connect timeout, or at 127 s
 * (tcp_syn_retries = 6) when the client waits longer. */
static void test_conntrack_full_drops_and_retries(void **state)
{
    (void)state;
    /* one drop per blocked client at 0, 1, 3, 7 s */
    const char *t_s[] = {"0.9", "2.9", "6.9", "14.9"};
    for (int i = 0; i < 4; i++) {
        outcome o = blocked_clients("azure-cni", t_s[i], NULL);
        assert_int_equal(o.r.conntrack_peak, 40);
        assert_int_equal(o.failed, 0);
        assert_int_equal(o.r.drops_conntrack, 10 * (uint64_t)(i + 1));
        done(&o);
    }
    /* The connect timeout (30 s by default) ends them. */
    const char *at[] = {"29.9", "30.1"};
    for (int i = 0; i < 2; i++) {
        outcome o = blocked_clients("azure-cni", at[i], NULL);
        assert_int_equal(o.failed, i == 0 ? 0 : 10);
        done(&o);
    }
    /* Without a shorter client timeout the kernel gives up at 127 s. */
    const char *kt[] = {"126.9", "127.1"};
    for (int i = 0; i < 2; i++) {
        outcome o = blocked_clients("azure-cni", kt[i], "600");
        assert_int_equal(o.failed, i == 0 ? 0 : 10);
        /* 7 SYNs each: the first and 6 retransmissions; then (closed loop)
         * each client tries a new connection at once */
        assert_int_equal(o.r.drops_conntrack, i == 0 ? 70 : 80);
        done(&o);
    }
    /* Cilium with eBPF host routing: its LRU map evicts instead and nothing
     * fails. */
    const char *sets2[] = {"scenario.duration_s=6",
                           "scenario.warmup_s=0",
                           "cluster.bpf_ct_tcp_max=500",
                           "cluster.host_routing=ebpf",
                           "workload.concurrency=50",
                           "workload.traffic=pod-to-pod-cross-node",
                           NULL};
    outcome c = run1("cilium", CN_CLASS_CROSS_NODE, sets2);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.r.drops_conntrack, 0);
    assert_true(c.r.ct_evictions > 0);
    done(&c);
    /* Cilium on legacy host routing (AKS default) crosses the host stack:
     * netfilter's table fills and drops as well. */
    const char *sets3[] = {
        "scenario.duration_s=1",
        "scenario.warmup_s=0",
        "cluster.nodes=2",
        "cluster.nf_conntrack_max=40",
        "workload.server_time_us=1000000", /* admitted clients: 1 transaction/s */
        "workload.concurrency=50",
        "workload.requests_per_connection=1000000000",
        "workload.traffic=pod-to-pod-cross-node",
        NULL};
    outcome l = run1("cilium", CN_CLASS_CROSS_NODE, sets3);
    assert_true(l.r.conntrack_peak >= 40);
    assert_int_equal(l.r.drops_conntrack, 10);
    done(&l);
}

/* SNAT exhaustion appears exactly when concurrent connections to one
 * destination exceed a node's ports (1,024 at up to 50 nodes). */
static void test_snat_exhaustion_threshold(void **state)
{
    (void)state;
    const char *ok[] = {"cluster.nodes=1",
                        "scenario.warmup_s=0",
                        "workload.traffic=pod-to-external",
                        "workload.concurrency=1024",
                        "workload.requests_per_connection=1000000000",
                        NULL};
    const char *over[] = {"cluster.nodes=1",
                          "scenario.warmup_s=0",
                          "workload.traffic=pod-to-external",
                          "workload.concurrency=1025",
                          "workload.requests_per_connection=1000000000",
                          NULL};
    outcome a = run1("azure-cni", CN_CLASS_EXTERNAL, ok);
    outcome b = run1("azure-cni", CN_CLASS_EXTERNAL, over);
    assert_int_equal(a.r.snat_failures, 0);
    assert_int_equal(b.r.snat_failures, 1); /* one client, one SYN so far */
    done(&a);
    done(&b);
}

/* A [costs] override changes what depends on it and nothing else. */
static void test_cost_override_is_targeted(void **state)
{
    (void)state;
    const char *plain[] = {"workload.traffic=pod-to-pod-cross-node", NULL};
    const char *hop[] = {"workload.traffic=pod-to-pod-cross-node",
                         "costs.kubenet_udr_hop_ns=100000", NULL};
    outcome k0 = run1("kubenet", CN_CLASS_CROSS_NODE, plain);
    outcome k1 = run1("kubenet", CN_CLASS_CROSS_NODE, hop);
    outcome a0 = run1("azure-cni", CN_CLASS_CROSS_NODE, plain);
    outcome a1 = run1("azure-cni", CN_CLASS_CROSS_NODE, hop);
    assert_true(k1.mean_us > k0.mean_us + 150);
    /* azure-cni does not take the route-table hop: identical results. */
    assert_int_equal(a0.done, a1.done);
    assert_true(a0.mean_us == a1.mean_us);
    assert_true(a0.r.events == a1.r.events);
    done(&k0);
    done(&k1);
    done(&a0);
    done(&a1);
}

/* Services past the eBPF LB map are not programmed: their connections fail. */
static void test_lb_map_capacity(void **state)
{
    (void)state;
    /* 5 entries per Service (1 + 4 endpoints): 10 entries hold 2 of 4. */
    const char *sets[] = {"workload.traffic=pod-to-service", "cluster.services=4",
                          "workload.target_services=4",      "cluster.bpf_lb_map_max=10",
                          "scenario.duration_s=5",           "workload.concurrency=4",
                          "workload.connect_timeout_s=2",    NULL};
    outcome o = run1("cilium", CN_CLASS_SERVICE, sets);
    assert_true(o.r.lb_unprogrammed > 0);
    assert_true(o.failed > 0);
    assert_true(o.done > 0);
    done(&o);
    assert_int_equal(
        cn_bpf_lb_services_programmed(
            &(cn_config){.bpf_lb_map_max = 65536, .cost = {[CAL_bpf_lb_entries_per_service] = 1}},
            4),
        13107);
}

/* Policies past Cilium's policy map leave the endpoint unprogrammed. */
static void test_policy_map_capacity(void **state)
{
    (void)state;
    const char *sets[] = {"workload.traffic=pod-to-service", "cluster.network_policies=20",
                          "cluster.rules_per_policy=10",     "cluster.bpf_policy_map_max=50",
                          "scenario.duration_s=5",           NULL};
    outcome o = run1("cilium", CN_CLASS_SERVICE, sets);
    assert_true(o.r.policy_drops > 0);
    done(&o);
    const char *fits[] = {"workload.traffic=pod-to-service", "cluster.network_policies=20",
                          "cluster.rules_per_policy=10", NULL};
    outcome f = run1("cilium", CN_CLASS_SERVICE, fits);
    assert_int_equal(f.r.policy_drops, 0);
    done(&f);
}

/* Endpoint churn: iptables reprograms the whole table (its sync time grows
 * with the Services), so removed endpoints keep receiving connections for
 * seconds; eBPF updates the one entry. */
static void test_endpoint_churn(void **state)
{
    (void)state;
    const char *ipt[] = {"workload.traffic=pod-to-service",
                         "cluster.services=10000",
                         "workload.target_services=10",
                         "workload.endpoint_churn_per_s=2",
                         "workload.model=open",
                         "workload.rate_rps=5000",
                         "scenario.duration_s=3",
                         "scenario.warmup_s=0",
                         "cluster.sync_mode=full",
                         "cluster.sync_period_s=0",
                         NULL};
    outcome full = run1("azure-cni", CN_CLASS_SERVICE, ipt);
    /* 77 ms + 0.25 ms per rule, 10,000 Services x (2 + 4 x 4) rules */
    assert_float_equal(full.r.sync_ms_mean, 77 + 0.25 * 10000 * 18, 1);
    assert_true(full.r.stale_failures > 0);
    done(&full);
    ipt[8] = "cluster.sync_mode=partial";
    outcome part = run1("azure-cni", CN_CLASS_SERVICE, ipt);
    /* KUBE-SERVICES (one rule per Service) in full, plus 18 rules for each
     * changed Service: a few changes per sync here */
    assert_true(part.r.sync_ms_mean > 77 + 0.25 * 10000 &&
                part.r.sync_ms_mean < 77 + 0.25 * (10000 + 10 * 18));
    done(&part);
    /* kube-proxy's periodic full resync happens without any change */
    const char *resync[] = {
        "workload.traffic=pod-to-service", "cluster.services=10", "cluster.sync_period_s=1",
        "scenario.duration_s=4",           "scenario.warmup_s=0", NULL};
    outcome rs = run1("azure-cni", CN_CLASS_SERVICE, resync);
    assert_true(rs.r.rule_syncs >= 3 && rs.r.rule_syncs <= 5);
    assert_float_equal(rs.r.sync_ms_mean, 77 + 0.25 * 10 * 18, 1);
    done(&rs);
    const char *no_resync[] = {
        "workload.traffic=pod-to-service", "cluster.services=10", "cluster.sync_period_s=0",
        "scenario.duration_s=4",           "scenario.warmup_s=0", NULL};
    outcome nr = run1("azure-cni", CN_CLASS_SERVICE, no_resync);
    assert_int_equal(nr.r.rule_syncs, 0);
    done(&nr);
    outcome ebpf = run1("cilium", CN_CLASS_SERVICE, ipt);
    assert_true(ebpf.r.rule_syncs >= 3);
    assert_true(ebpf.r.sync_ms_mean >= 1.0 && ebpf.r.sync_ms_mean < 3.0);
    ipt[8] = "cluster.sync_mode=full";
    outcome full2 = run1("azure-cni", CN_CLASS_SERVICE, ipt);
    /* Open loop at 5,000 new connections/s: several of the 40 endpoints
     * are stale for most of the run under iptables, a millisecond each
     * under eBPF. */
    assert_true(full2.r.stale_failures > 300);
    assert_true(full2.r.stale_failures > 50 * (ebpf.r.stale_failures + 1));
    done(&full2);
    done(&ebpf);
}

/* Every supported preset x policy engine x service mode runs every traffic
 * class, and each class completes transactions with plausible latency. */
static void test_every_variant_runs_every_class(void **state)
{
    (void)state;
    static const char mix[] =
        "[scenario]\nname = all\nseed = 4\nduration_s = 0.02\nwarmup_s = 0.002\n"
        "[cluster]\nnodes = 3\nmax_pods_per_node = 100\nservices = 50\n"
        "network_policies = 5\n"
        "[workload]\nconcurrency = 20\nrequests_per_connection = 2\ntarget_services = 5\n"
        "traffic = pod-to-pod-same-node:1, pod-to-pod-cross-node:1, pod-to-service:1, "
        "pod-to-external:1, external-to-service:1\n"
        "[plugins]\ncompare = kubenet\n";
    int ran = 0;
    for (int p = 0; p < CN_PRESET_COUNT; p++)
        for (int pol = 0; pol < CN_POLICY_COUNT; pol++)
            for (int m = 0; m < CN_SVC_COUNT; m++) {
                char name[96], *why = NULL;
                g_snprintf(name, sizeof name, "%s+%s/%s", cn_preset_name((cn_preset)p),
                           cn_policy_name((cn_policy)pol), cn_svc_mode_name((cn_svc_mode)m));
                cn_variant v;
                if (!cn_variant_parse(name, &v, &why)) {
                    g_free(why);
                    continue;
                }
                char set[128];
                g_snprintf(set, sizeof set, "plugins.compare=%s", name);
                const char *sets[] = {set, NULL};
                cn_scenario *sc = load(mix, sets);
                cn_config c;
                cn_scenario_config(sc, 0, &c);
                cn_run_result r;
                GError *err = NULL;
                if (!cn_run(&c, &c.variants[0], 0, &r, &err))
                    fail_msg("%s: %s", name, err->message);
                for (int k = 0; k < CN_CLASS_COUNT; k++) {
                    if (r.cls[k].transactions == 0)
                        fail_msg("%s: no %s transaction", name, cn_class_name((cn_class)k));
                    double mean_us = sim_hist_mean(r.cls[k].latency) / 1e3;
                    /* Above a same-node round trip, below a saturated 10 ms. */
                    if (!(mean_us > 20 && mean_us < 10000))
                        fail_msg("%s %s: mean latency %g us", name, cn_class_name((cn_class)k),
                                 mean_us);
                    assert_int_equal(r.cls[k].failed, 0);
                }
                cn_run_result_clear(&r);
                cn_scenario_free(sc);
                ran++;
            }
    /* 4 kube-proxy presets x {none, npm, calico} x 3 modes, less kubenet+npm and
     * npm/ipvs, plus 2 Cilium presets x {none, cilium}. */
    assert_int_equal(ran, 4 * 3 * 3 - 3 - 3 + 4);
}

static char *slurp(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(p, &text, NULL, NULL))
        fail_msg("cannot read %s", p);
    return text;
}

/* Same scenario and seed: byte-identical CSV with 1 or 2 threads. */
static void test_deterministic_across_threads(void **state)
{
    (void)state;
    const char text[] =
        "[scenario]\nname = det\nseed = 11\nreplications = 2\nduration_s = 0.05\nwarmup_s = "
        "0.01\n[cluster]\nnodes = 3\nservices = 10, 3000\n[workload]\nconcurrency = 8\n"
        "traffic = pod-to-service:0.6, pod-to-external:0.2, external-to-service:0.2\n"
        "[plugins]\ncompare = kubenet, azure-cni+calico, cilium\n";
    cn_scenario *sc = load(text, NULL);
    g_autofree char *tmp = g_dir_make_tmp("cnisim-det-XXXXXX", NULL);
    g_autofree char *d1 = g_build_filename(tmp, "j1", NULL);
    g_autofree char *d2 = g_build_filename(tmp, "j2", NULL);
    cn_batch_options o1 = {.out_dir = d1, .threads = 1, .quiet = TRUE};
    cn_batch_options o2 = {.out_dir = d2, .threads = 2, .quiet = TRUE};
    GError *err = NULL;
    assert_int_equal(cn_batch_run(sc, &o1, &err), CN_BATCH_OK);
    assert_int_equal(cn_batch_run(sc, &o2, &err), CN_BATCH_OK);
    const char *files[] = {"summary.csv", "runs.csv", "ipam.csv"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *a = slurp(d1, files[i]);
        g_autofree char *b = slurp(d2, files[i]);
        assert_string_equal(a, b);
    }
    /* And the summary holds one row per point x variant x class used. */
    g_autofree char *s = slurp(d1, "summary.csv");
    int lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 2 * 3 * 3);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
    cn_scenario_free(sc);
}

/* A path built with node roles (cn_flow_roles) is the path of the real
 * nodes once each role is replaced by its node, for every class, with and
 * without set-up and for every pattern of equal and outside nodes; without
 * set-up, two flows of one shape have the same role path.  The workload
 * shares reused connections' paths on this. */
static void test_role_paths(void **state)
{
    (void)state;
    cn_scenario *sc = load(base, NULL);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    const char *variants[] = {"kubenet", "azure-cni", "cilium", "azure-cni-overlay+calico"};
    const uint32_t X = CN_NODE_EXTERNAL;
    /* node triples (client, server, ingress) with repeats and outsiders */
    const uint32_t trip[][3] = {{5, 9, 13}, {5, 5, 13}, {5, 9, 9},  {5, 9, 5}, {5, 5, 5},
                                {X, 9, 13}, {X, 9, 9},  {5, X, 13}, {X, X, 13}};
    int compared = 0;
    for (size_t vi = 0; vi < G_N_ELEMENTS(variants); vi++) {
        cn_variant v;
        char *why = NULL;
        assert_true(cn_variant_parse(variants[vi], &v, &why));
        cn_dp_costs k;
        cn_dp_costs_init(&k, &c, &v);
        for (int cls = 0; cls < CN_CLASS_COUNT; cls++)
            for (int nc = 0; nc < 2; nc++)
                for (size_t ti = 0; ti < G_N_ELEMENTS(trip); ti++) {
                    bool ext_c = trip[ti][0] == X, ext_s = trip[ti][1] == X;
                    if (ext_c != (cls == CN_CLASS_INGRESS) || ext_s != (cls == CN_CLASS_EXTERNAL))
                        continue;
                    cn_flow f = {.cls = (cn_class)cls,
                                 .new_conn = nc,
                                 .client_node = trip[ti][0],
                                 .server_node = trip[ti][1],
                                 .ingress_node = trip[ti][2],
                                 .lookup_ns = 1234.4,
                                 .egress_policy_ns = 55.5,
                                 .ingress_policy_ns = 77.7,
                                 .request_bytes = c.request_bytes,
                                 .response_bytes = 40000};
                    cn_path real, role, other;
                    cn_path_build(&k, &f, &real);
                    cn_flow rf = f;
                    uint32_t node[2] = {X, X};
                    unsigned shape = cn_flow_roles(&rf, node);
                    assert_true(shape < CN_PATH_SHAPES);
                    cn_path_build(&k, &rf, &role);
                    assert_int_equal(role.n, real.n);
                    for (int i = 0; i < real.n; i++) {
                        assert_int_equal(role.step[i].kind, real.step[i].kind);
                        assert_int_equal(role.step[i].ns, real.step[i].ns);
                        if (real.step[i].kind != CN_STEP_DELAY) {
                            assert_true(role.step[i].node < 2);
                            assert_int_equal(node[role.step[i].node], real.step[i].node);
                        }
                    }
                    /* the same shape on other nodes */
                    cn_flow g = f;
                    g.client_node = f.client_node == X ? X : f.client_node + 100;
                    g.server_node = f.server_node == X ? X : f.server_node + 100;
                    g.ingress_node = f.ingress_node + 100;
                    uint32_t node2[2];
                    assert_int_equal(cn_flow_roles(&g, node2), shape);
                    if (!nc) {
                        cn_path_build(&k, &g, &other);
                        assert_int_equal(other.n, role.n);
                        for (int i = 0; i < role.n; i++) {
                            assert_int_equal(other.step[i].kind, role.step[i].kind);
                            assert_int_equal(other.step[i].ns, role.step[i].ns);
                            assert_int_equal(other.step[i].node, role.step[i].node);
                        }
                    }
                    compared++;
                }
    }
    assert_true(compared > 100);
    cn_scenario_free(sc);
}

/* During a migration a path joins nodes on different variants: each node
 * pays its own stack and each hop its destination's routing.  A
 * pod-to-pod round trip with equal request and response sizes is then,
 * within rounding, the mean of the two pure paths; and one side's costs
 * alone (the path built with k only) would give the pure path. */
static void test_mixed_variant_path(void **state)
{
    (void)state;
    cn_scenario *sc = load(base, NULL);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    c.request_bytes = c.response_bytes = 1000;
    const char *pairs[][2] = {{"kubenet", "azure-cni-overlay"},
                              {"azure-cni-overlay", "cilium"},
                              {"azure-cni", "azure-cni-overlay"}};
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        cn_variant va, vb;
        char *why = NULL;
        assert_true(cn_variant_parse(pairs[i][0], &va, &why));
        assert_true(cn_variant_parse(pairs[i][1], &vb, &why));
        cn_dp_costs ka, kb;
        cn_dp_costs_init(&ka, &c, &va);
        cn_dp_costs_init(&kb, &c, &vb);
        for (int nc = 0; nc < 2; nc++) {
            cn_flow f = {.cls = CN_CLASS_CROSS_NODE,
                         .new_conn = nc,
                         .client_node = 0,
                         .server_node = 1,
                         .request_bytes = c.request_bytes,
                         .response_bytes = c.response_bytes};
            cn_path pa, pb, mixed, both_b;
            cn_path_build(&ka, &f, &pa);
            cn_path_build(&kb, &f, &pb);
            cn_flow g = f;
            g.node_k[0] = &ka;
            g.node_k[1] = &kb;
            cn_path_build(&ka, &g, &mixed);
            double want = ((double)cn_path_total_ns(&pa) + (double)cn_path_total_ns(&pb)) / 2;
            double got = (double)cn_path_total_ns(&mixed);
            if (fabs(got - want) > 8)
                fail_msg("%s -> %s (new %d): mixed %.0f ns, mean of the two %.0f ns", pairs[i][0],
                         pairs[i][1], nc, got, want);
            assert_true(cn_path_total_ns(&pa) != cn_path_total_ns(&pb));
            /* Both roles on b: exactly b's path, whatever k is. */
            g.node_k[0] = &kb;
            cn_path_build(&ka, &g, &both_b);
            assert_int_equal(both_b.n, pb.n);
            for (int s = 0; s < pb.n; s++)
                assert_int_equal(both_b.step[s].ns, pb.step[s].ns);
        }
    }
    cn_scenario_free(sc);
}

/* A new connection's shared path (cn_path_build_shared) with its own
 * costs' shares (cn_conn_ns) added at the marked steps is the path
 * cn_path_build() gives that connection, stage for stage, for every class
 * and node pattern, for pure and mixed-variant costs, and for own costs
 * from zero through fractions of a nanosecond to milliseconds (drawn at
 * random): the workload walks the shared path instead of building one. */
static void test_shared_new_conn_paths(void **state)
{
    (void)state;
    cn_scenario *sc = load(base, NULL);
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    const char *variants[] = {"kubenet", "azure-cni", "cilium", "azure-cni-overlay+calico"};
    cn_dp_costs kv[G_N_ELEMENTS(variants)];
    for (size_t vi = 0; vi < G_N_ELEMENTS(variants); vi++) {
        cn_variant v;
        char *why = NULL;
        assert_true(cn_variant_parse(variants[vi], &v, &why));
        cn_dp_costs_init(&kv[vi], &c, &v);
    }
    const uint32_t X = CN_NODE_EXTERNAL;
    /* role triples (client, server, ingress), as cn_flow_roles() leaves them */
    const uint32_t trip[][3] = {{0, 1, X}, {0, 0, X}, {0, X, X}, {X, 0, 1}, {X, 0, 0}};
    GRand *rand = g_rand_new_with_seed(99);
    int compared = 0, marked = 0;
    for (int round = 0; round < 400; round++) {
        size_t va = (size_t)g_rand_int_range(rand, 0, G_N_ELEMENTS(variants));
        size_t vb = (size_t)g_rand_int_range(rand, 0, G_N_ELEMENTS(variants));
        bool mixed = round % 2;
        for (int cls = 0; cls < CN_CLASS_COUNT; cls++)
            for (size_t ti = 0; ti < G_N_ELEMENTS(trip); ti++) {
                bool ext_c = trip[ti][0] == X, ext_s = trip[ti][1] == X;
                if (ext_c != (cls == CN_CLASS_INGRESS) || ext_s != (cls == CN_CLASS_EXTERNAL))
                    continue;
                /* own costs: 0, sub-nanosecond, or up to ~2 ms */
                double own[3];
                for (int i = 0; i < 3; i++) {
                    int kind = g_rand_int_range(rand, 0, 3);
                    own[i] = kind == 0   ? 0
                             : kind == 1 ? g_rand_double_range(rand, 0, 1)
                                         : g_rand_double_range(rand, 0, 2e6);
                }
                cn_flow f = {.cls = (cn_class)cls,
                             .new_conn = true,
                             .client_node = trip[ti][0],
                             .server_node = trip[ti][1],
                             .ingress_node = trip[ti][2],
                             .lookup_ns = own[0],
                             .egress_policy_ns = own[1],
                             .ingress_policy_ns = own[2],
                             .request_bytes = c.request_bytes,
                             .response_bytes = g_rand_int_range(rand, 1, 100000)};
                if (mixed) {
                    f.node_k[0] = &kv[va];
                    f.node_k[1] = &kv[vb];
                }
                cn_path want, shared;
                cn_path_build(&kv[va], &f, &want);
                assert_true(cn_path_build_shared(&kv[va], &f, &shared));
                int32_t ns[2];
                assert_true(cn_conn_ns(&kv[va], &f, ns));
                assert_int_equal(shared.n, want.n);
                for (int i = 0; i <= want.n; i++) {
                    const cn_step *a = &want.step[i], *b = &shared.step[i];
                    assert_int_equal(a->conn, 0);
                    assert_int_equal(b->kind, a->kind);
                    assert_int_equal(b->node, a->node);
                    sim_time_ns got = b->ns + ((b->conn & CN_CONN_CLIENT) ? ns[0] : 0) +
                                      ((b->conn & CN_CONN_SERVER) ? ns[1] : 0);
                    assert_int_equal(got, a->ns);
                    marked += b->conn != 0 && (ns[0] != 0 || ns[1] != 0);
                }
                compared++;
            }
    }
    /* a shape's shared path does not depend on the connection's own costs */
    cn_flow f = {.cls = CN_CLASS_CROSS_NODE,
                 .new_conn = true,
                 .client_node = 0,
                 .server_node = 1,
                 .lookup_ns = 5000,
                 .request_bytes = 100,
                 .response_bytes = 100};
    cn_flow g = f;
    g.lookup_ns = 0;
    g.ingress_policy_ns = 777;
    cn_path pf, pg;
    assert_true(cn_path_build_shared(&kv[1], &f, &pf));
    assert_true(cn_path_build_shared(&kv[1], &g, &pg));
    assert_int_equal(pf.n, pg.n);
    for (int i = 0; i < pf.n; i++) {
        assert_int_equal(pf.step[i].ns, pg.step[i].ns);
        assert_int_equal(pf.step[i].conn, pg.step[i].conn);
    }
    g_rand_free(rand);
    assert_true(compared > 1000);
    assert_true(marked > compared / 2);
    cn_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_load_latency_is_path_sum),
        cmocka_unit_test(test_throughput_caps_at_cpu_saturation),
        cmocka_unit_test(test_service_scaling),
        cmocka_unit_test(test_keepalive_hides_iptables_walk),
        cmocka_unit_test(test_kubenet_route_hop),
        cmocka_unit_test(test_conntrack_full_drops_and_retries),
        cmocka_unit_test(test_snat_exhaustion_threshold),
        cmocka_unit_test(test_cost_override_is_targeted),
        cmocka_unit_test(test_chain_position),
        cmocka_unit_test(test_lb_map_capacity),
        cmocka_unit_test(test_policy_map_capacity),
        cmocka_unit_test(test_endpoint_churn),
        cmocka_unit_test(test_every_variant_runs_every_class),
        cmocka_unit_test(test_deterministic_across_threads),
        cmocka_unit_test(test_role_paths),
        cmocka_unit_test(test_mixed_variant_path),
        cmocka_unit_test(test_shared_new_conn_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
