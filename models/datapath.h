/* Datapath paths: the ordered stages a transaction's packets pass, for a
 * variant and a traffic class.  Each stage is work on a resource (a node's
 * CPU, a node's NIC) or a pure delay (the network between nodes).  Latency
 * and throughput limits then come out of queueing at those resources.
 *
 * One transaction = [connection set-up if new] + request + response.  A
 * message's work at a stage is computed from its packet count and bytes:
 * one stage per message, not one per packet. */
#ifndef CN_DATAPATH_H
#define CN_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "sim.h"

typedef enum {
    CN_STEP_CPU,   /* work on a node's CPU (vcpus_per_node servers) */
    CN_STEP_NIC,   /* serialisation on a node's NIC transmit queue */
    CN_STEP_DELAY, /* propagation: no resource, no queueing */
    CN_STEP_END,   /* not a stage: what follows a path's last (see cn_path) */
} cn_step_kind;

/* cn_step.conn: the step takes a share of the connection's own costs
 * (cn_path_build_shared) */
#define CN_CONN_CLIENT 1u /* the service lookup and egress policy (client or ingress node) */
#define CN_CONN_SERVER 2u /* the ingress policy (server node) */

typedef struct {
    uint8_t kind;   /* cn_step_kind */
    uint8_t conn;   /* CN_CONN_* bits; 0 in paths of cn_path_build() */
    uint32_t node;  /* CPU / NIC: the node */
    sim_time_ns ns; /* service time or delay */
} cn_step;

#define CN_PATH_MAX      32
#define CN_NODE_EXTERNAL UINT32_MAX /* an endpoint outside the cluster */

typedef struct {
    int n;
    bool unshared; /* cn_path_build_shared(): the shape has no shared path */
    /* step[n] is CN_STEP_END, so a walk needs no count */
    cn_step step[CN_PATH_MAX + 1];
} cn_path;

/* Per-run constants of the path costs (ns), from the calibration table. */
typedef struct {
    double pkt_ns;        /* per packet per node crossing */
    double fwd_pkt_ns;    /* per packet at a node that only forwards (NodePort to another node) */
    double tunnel_pkt_ns; /* per packet per node, node-to-node only: encapsulation (vxlan) */
    double conn_side_ns;  /* kernel per-connection work at each end */
    double ct_new_ns;     /* conntrack entry creation per node (every table the flow enters) */
    double masq_ns;       /* masquerade binding set-up (0 if the plugin does not masquerade) */
    double sock_msg_ns;   /* socket send or receive per message */
    double copy_byte_ns;  /* per byte copied */
    double mss_bytes;
    double nic_ns_per_byte; /* 8 / nic_gbps */
    sim_time_ns vnet_ns;    /* node to node one way: VNet, kubenet's route hop, overlay routing */
    sim_time_ns ext_ns;     /* node to an external peer, one way */
    sim_time_ns lb_ns;      /* inbound load balancer */
    sim_time_ns server_ns;  /* server pod CPU per request */
    sim_time_ns client_ns;  /* client pod CPU per request */
} cn_dp_costs;

/* Does the plugin masquerade traffic to external destinations to the node
 * IP?  kubenet, overlay and node subnet do (outside the VNet); pod subnet
 * does not (AKS docs). */
bool cn_variant_masquerades(const cn_variant *v);

void cn_dp_costs_init(cn_dp_costs *k, const cn_config *c, const cn_variant *v);

/* What one transaction needs to know to lay out its path. */
typedef struct {
    cn_class cls;
    bool new_conn;            /* pays the connection set-up */
    uint32_t client_node;     /* CN_NODE_EXTERNAL for external-to-service */
    uint32_t server_node;     /* CN_NODE_EXTERNAL for pod-to-external */
    uint32_t ingress_node;    /* external-to-service: the node the LB picked */
    double lookup_ns;         /* service translation cost of a new connection */
    double egress_policy_ns;  /* new flow, at the client's node */
    double ingress_policy_ns; /* new flow, at the server's node */
    int64_t request_bytes, response_bytes;
    /* During a migration the nodes run different variants: the costs at
     * node role 0 and 1 (see cn_flow_roles), or NULL: the path's k for
     * every node.  Traffic between two variants pays each node's own
     * stack; the network hop takes the destination's routing (kubenet's
     * route table, overlay's routing); encapsulation needs both ends. */
    const cn_dp_costs *node_k[2];
} cn_flow;

void cn_path_build(const cn_dp_costs *k, const cn_flow *f, cn_path *p);

/* A new connection's path shared by every connection of its shape: built
 * with the connection's own costs (lookup_ns, egress_policy_ns,
 * ingress_policy_ns) at zero, the steps they go to marked in cn_step.conn.
 * A connection's path is this one with cn_conn_ns()'s ns[0] added to the
 * CN_CONN_CLIENT step and ns[1] to the CN_CONN_SERVER one: exactly
 * cn_path_build()'s, stage for stage (tested).  False when the shape has
 * no such path (a marked cost that rounds to nothing here would start a
 * stage of its own when it does not); then build each connection's own. */
bool cn_path_build_shared(const cn_dp_costs *k, const cn_flow *f, cn_path *p);
/* f's own costs' shares of the marked steps of its shape's shared path;
 * false if they do not fit (then build the connection's own path). */
bool cn_conn_ns(const cn_dp_costs *k, const cn_flow *f, int32_t ns[2]);

/* Paths by shape.  A path's stages and their merging depend on its nodes
 * only through which of them are equal or outside, so a path may be built
 * with node roles instead of nodes: cn_flow_roles() replaces f's client,
 * server and (for ingress) ingress node by roles 0, 1 in that order (a
 * node already seen keeps its role; CN_NODE_EXTERNAL stays), stores each
 * role's node in node[role] and returns the flow's shape, below
 * CN_PATH_SHAPES.  Two roles are enough: an ingress flow's client is
 * outside, and only ingress flows have an ingress node.  The role path with node[step.node] for
 * each CPU or NIC step is the path of the original flow; a flow that pays no set-up (new_conn
 * false) has the same path as any other of its shape. */
#define CN_PATH_SHAPES (CN_CLASS_COUNT * 4 * 4 * 4)
unsigned cn_flow_roles(cn_flow *f, uint32_t node[2]);
/* The path's latency with no queueing: the sum of its stages. */
sim_time_ns cn_path_total_ns(const cn_path *p);

#endif
