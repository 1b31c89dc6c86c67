/* The workload of a run: closed-loop clients (each a pod that sends its next
 * request when the last one is answered) or open-loop Poisson arrivals, the
 * connections they use and the transactions walking their datapath paths. */
#ifndef CN_WORKLOAD_H
#define CN_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "datapath.h"
#include "keymap.h"
#include "resource.h"
#include "rng.h"
#include "sim.h"
#include "snat.h"

typedef struct run run;

typedef struct conn conn;
struct conn {
    /* first: what every transaction's finish reads (see txn) */
    uint8_t cls;
    bool open; /* set up and not yet closed */
    bool lb_programmed, policy_programmed;
    bool stale;            /* its endpoint is gone but still programmed */
    int64_t remaining;     /* transactions left on this connection */
    uint32_t client_node;  /* CN_NODE_EXTERNAL for ingress */
    uint32_t server_node;  /* CN_NODE_EXTERNAL for egress */
    uint32_t ingress_node; /* ingress: the node the LB chose */
    uint32_t target;       /* Service index or external destination */
    double lookup_ns, egress_ns, ingress_ns;
    cn_snat_pool *snat; /* egress: the port pool used */
    conn *next_idle;    /* open loop: idle list link */
};

typedef struct txn txn;
struct txn {
    /* Hot: what every step reads or writes, one cache line. */
    sim_job job;         /* first: its request at a CPU or NIC (one at a time) */
    run *r;              /* the run it belongs to */
    const cn_step *step; /* the step being executed, in a shared path or `owned` */
    uint32_t node[2];    /* the path's node roles -> nodes (cn_flow_roles) */
    /* Issue and finish: the second line, with own's first fields. */
    conn *cn;
    sim_time_ns start;  /* when the transaction was issued */
    int32_t conn_ns[2]; /* a new connection on its shape's shared path: its own costs' shares
                           (cn_conn_ns) */
    bool new_conn;
    bool closed_loop; /* a closed-loop client: starts again when done */
    uint8_t attempts; /* SYNs of this connection dropped so far */
    uint32_t home;    /* closed loop: the node the client pod runs on */
    conn own;         /* closed loop: the client's connection */
    /* Cold: connection set-up. */
    cn_path
        *owned; /* a new connection's own path, from the pool, when its shape has no shared one */
    sim_time_ns syn_start; /* when its first SYN was sent */
    txn *next;             /* free list */
} __attribute__((aligned(64)));

typedef struct {
    uint32_t n_client_nodes;
    uint32_t *node_pod_start; /* CSR: pods of each node */
    uint32_t *node_pods;
    cn_keymap idle; /* open loop: connection key -> idle_list (workload.c) */
    sim_rng *rng_class, *rng_target, *rng_arrival, *rng_start;
    sim_rng *rng_jitter;   /* stage-time variability */
    double cpu_cv, net_cv; /* coefficients of variation: CPU stages, network delays */
    sim_rng_discrete *class_pick;
    txn *free_txn;
    conn *free_conn;
    /* A reused connection's path depends only on its shape: built once per
     * shape, with node roles for nodes, and shared.  A new connection's
     * path has its own costs (lookup, policies): built in a pooled one. */
    cn_path *reuse_path[CN_PATH_SHAPES];
    cn_path **reuse_mixed; /* during a migration: by shape and the roles' variants */
    /* A new connection's path: shared by shape too, with its own costs
     * added at the marked steps (cn_path_build_shared), where the shape
     * allows; else built in a pooled one. */
    cn_path *new_path[CN_PATH_SHAPES];
    cn_path **new_mixed;
    GPtrArray *free_paths;     /* pooled paths not in use (a stack: the last freed is warm) */
    uint64_t open_in_flight;   /* open loop: arrivals not yet finished */
    sim_event_id next_arrival; /* open loop: the pending arrival; 0 when the rate is 0 */
    int64_t clients_target;    /* closed loop: clients wanted (concurrency, events change it) */
    int64_t clients_alive;     /* closed loop: clients running; those over target retire */
} cn_workload;

/* Set up r->wl (needs r->cl, r->c, r->n_nodes). */
void workload_init(run *r, uint32_t replication);
/* Schedule the first requests: the closed-loop clients or the first arrival. */
void workload_start(run *r);
void workload_free(run *r);

/* Events: the open-loop rate (r->cm->rate_rps), the number of closed-loop
 * clients or the traffic mix (r->cm->traffic_weight) changed. */
void workload_rate_changed(run *r);
void workload_set_concurrency(run *r, int64_t clients);
void workload_traffic_changed(run *r);

#endif
