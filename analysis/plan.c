#include "plan.h"

#include <inttypes.h>
#include <string.h>

#include "csvout.h"
#include "ipam.h"
#include "migration.h"
#include "syspods.h"

/* ipam.csv: the contract columns (issue 3), in this order. */
static const char *const ipam_columns[] = {
    "scenario",
    "point",
    "variant",
    "ipam",
    "nodes",
    "surge_nodes",
    "max_pods_per_node",
    "node_subnet",
    "node_subnet_usable",
    "node_subnet_needed",
    "pod_range",
    "pod_range_usable",
    "pod_range_needed",
    "max_nodes",
    "max_pods",
    "pods_scheduled",
    "limiting_factor",
    "snat_ports_per_node",
    "snat_ports_needed",
    "snat_ports_available",
    "flags",
};

/* Extra columns, after one per swept key. */
static const char *const extra_columns[] = {
    "pods_requested",
    "vnet_ips",
    "snat_ports_per_node_surge",
    "node_subnet_min_prefix",
    "pod_range_min_prefix",
    "pod_subnet_allocation",
    "max_nodes_upgradable",
    "system_pods_per_node",
    "system_pods",
    "system_pod_addrs",
    "user_pods_per_node",
    "user_pods_max",
};

static bool is_contract_column(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ipam_columns); i++)
        if (strcmp(ipam_columns[i], key) == 0)
            return true;
    for (size_t i = 0; i < G_N_ELEMENTS(extra_columns); i++)
        if (strcmp(extra_columns[i], key) == 0)
            return true;
    return false;
}

static void put_int(FILE *f, int64_t v)
{
    fprintf(f, ",%" PRId64, v);
}

static void put_str(FILE *f, const char *s)
{
    fputc(',', f);
    cn_csv_string(f, s);
}

static void put_prefix(FILE *f, int p)
{
    if (p >= 0)
        fprintf(f, ",%d", p);
    else
        fputc(',', f);
}

static void write_ipam_rows(const cn_scenario *sc, FILE *f)
{
    int axes = cn_scenario_n_axes(sc);
    fputs(ipam_columns[0], f);
    for (size_t i = 1; i < G_N_ELEMENTS(ipam_columns); i++)
        fprintf(f, ",%s", ipam_columns[i]);
    for (int a = 0; a < axes; a++)
        if (!is_contract_column(cn_scenario_axis_key(sc, a)))
            put_str(f, cn_scenario_axis_key(sc, a));
    for (size_t i = 0; i < G_N_ELEMENTS(extra_columns); i++)
        fprintf(f, ",%s", extra_columns[i]);
    fputc('\n', f);

    gsize points = cn_scenario_n_points(sc);
    g_autoptr(GString) flags = g_string_new(NULL);
    for (gsize p = 0; p < points; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int i = 0; i < c.n_variants; i++) {
            const cn_variant *v = &c.variants[i];
            cn_ipam_plan pl;
            cn_ipam_plan_compute(&c, v, &pl);
            char nb[20], pb[20];
            cn_csv_string(f, c.name);
            fprintf(f, ",%" G_GSIZE_FORMAT, p + 1);
            put_str(f, v->name);
            put_str(f, cn_ipam_name(v->ipam));
            put_int(f, pl.nodes);
            put_int(f, pl.surge_nodes);
            put_int(f, pl.max_pods_per_node);
            put_str(f, cn_cidr_format(pl.node_subnet, nb));
            put_int(f, pl.node_subnet_usable);
            put_int(f, pl.node_subnet_needed);
            put_str(f, pl.has_pod_range ? cn_cidr_format(pl.pod_range, pb) : "");
            put_int(f, pl.pod_range_usable);
            put_int(f, pl.pod_range_needed);
            put_int(f, pl.max_nodes);
            put_int(f, pl.max_pods);
            put_int(f, pl.pods_scheduled);
            put_str(f, cn_limit_name(pl.limiting));
            put_int(f, pl.snat_ports_per_node);
            put_int(f, pl.snat_ports_needed);
            put_int(f, pl.snat_ports_available);
            g_string_truncate(flags, 0);
            cn_ipam_flags_append(pl.flags, flags);
            put_str(f, flags->str);
            for (int a = 0; a < axes; a++)
                if (!is_contract_column(cn_scenario_axis_key(sc, a)))
                    put_str(f, cn_scenario_axis_value(sc, a, p));
            put_int(f, pl.pods_requested);
            put_int(f, pl.vnet_ips);
            put_int(f, pl.snat_ports_per_node_surge);
            put_prefix(f, pl.node_subnet_min_prefix);
            put_prefix(f, pl.pod_range_min_prefix);
            put_str(f, v->ipam != CN_IPAM_POD_SUBNET                          ? ""
                       : c.pod_subnet_allocation == CN_PODSUBNET_STATIC_BLOCK ? "static-block"
                                                                              : "dynamic");
            put_int(f, pl.max_nodes_upgradable);
            put_int(f, pl.system_pods_per_node);
            put_int(f, pl.system_pods);
            put_int(f, pl.system_pod_addrs);
            put_int(f, pl.user_pods_per_node);
            put_int(f, pl.user_pods_max);
            fputc('\n', f);
        }
    }
}

gboolean cn_plan_write_ipam_csv(const cn_scenario *sc, const char *path, GError **error)
{
    cn_outfile *out = cn_outfile_open(path, error);
    if (!out)
        return FALSE;
    write_ipam_rows(sc, cn_outfile_stream(out));
    return cn_outfile_commit(out, error);
}

/* The scenario's variants (from any point: the variant list is not swept). */
static void scenario_variants(const cn_scenario *sc, const cn_variant **vs, int *n)
{
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    *vs = c.variants;
    *n = c.n_variants;
}

gboolean cn_plan_write_migrations_csv(const cn_scenario *sc, const char *path, GError **error)
{
    cn_outfile *out = cn_outfile_open(path, error);
    if (!out)
        return FALSE;
    FILE *f = cn_outfile_stream(out);
    fputs("from_variant,to_variant,in_place,steps,prerequisites,n_steps\n", f);
    const cn_variant *vs;
    int n, nt;
    scenario_variants(sc, &vs, &n);
    g_autofree cn_variant *targets = cn_migration_targets(vs, n, &nt);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nt; j++) {
            if (strcmp(vs[i].name, targets[j].name) == 0)
                continue;
            cn_migration m;
            cn_migration_find(&vs[i], &targets[j], &m);
            cn_csv_string(f, vs[i].name);
            put_str(f, targets[j].name);
            put_str(f, m.in_place ? "yes" : "no");
            put_str(f, m.steps);
            put_str(f, m.prerequisites);
            fprintf(f, ",%d\n", m.n_steps);
            cn_migration_clear(&m);
        }
    return cn_outfile_commit(out, error);
}

/* ---- the printed plan ---- */

static void print_point(const cn_scenario *sc, gsize p, FILE *out, uint32_t *seen_flags,
                        bool *seen_limits)
{
    int axes = cn_scenario_n_axes(sc);
    if (axes > 0) {
        fprintf(out, "point %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT ":", p + 1,
                cn_scenario_n_points(sc));
        for (int a = 0; a < axes; a++)
            fprintf(out, "%s %s=%s", a ? "," : "", cn_scenario_axis_key(sc, a),
                    cn_scenario_axis_value(sc, a, p));
        fputc('\n', out);
    }
    cn_config c;
    cn_scenario_config(sc, p, &c);
    fprintf(
        out,
        "  %-24s %-11s %6s %5s %5s %4s %5s  %-18s %17s  %-18s %19s %9s %6s %9s  %-13s %5s  %s\n",
        "variant", "ipam", "nodes", "surge", "pods", "sys", "user", "node subnet", "needed/usable",
        "pod range", "needed/usable", "max nodes", "upgr.", "user max", "limited by", "snat",
        "flags");
    g_autoptr(GString) flags = g_string_new(NULL);
    for (int i = 0; i < c.n_variants; i++) {
        const cn_variant *v = &c.variants[i];
        cn_ipam_plan pl;
        cn_ipam_plan_compute(&c, v, &pl);
        char nb[20], pb[20], nu[40], pu[40];
        g_snprintf(nu, sizeof nu, "%" PRId64 "/%" PRId64, pl.node_subnet_needed,
                   pl.node_subnet_usable);
        if (pl.has_pod_range)
            g_snprintf(pu, sizeof pu, "%" PRId64 "/%" PRId64, pl.pod_range_needed,
                       pl.pod_range_usable);
        else
            g_strlcpy(pu, "-", sizeof pu);
        g_string_truncate(flags, 0);
        cn_ipam_flags_append(pl.flags, flags);
        fprintf(out,
                "  %-24s %-11s %6" PRId64 " %5" PRId64 " %5" PRId64 " %4" PRId64 " %5" PRId64
                "  %-18s %17s  %-18s %19s %9" PRId64 " %6" PRId64 " %9" PRId64 "  %-13s %5" PRId64
                "  %s\n",
                v->name, cn_ipam_name(v->ipam), pl.nodes, pl.surge_nodes, pl.max_pods_per_node,
                pl.system_pods_per_node, pl.user_pods_per_node, cn_cidr_format(pl.node_subnet, nb),
                nu, pl.has_pod_range ? cn_cidr_format(pl.pod_range, pb) : "-", pu, pl.max_nodes,
                pl.max_nodes_upgradable, pl.user_pods_max, cn_limit_name(pl.limiting),
                pl.snat_ports_per_node, flags->len ? flags->str : "-");
        *seen_flags |= pl.flags;
        seen_limits[pl.limiting] = true;
    }
}

/* What takes the slots: AKS's own pods per variant, at the first point. */
static void print_system_pods(const cn_scenario *sc, FILE *out)
{
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    fputs("\nsystem pods (AKS's own, at point 1; [cluster] system_pods, addons; sources in "
          "models/syspods.def):\n",
          out);
    g_autoptr(GString) list = g_string_new(NULL);
    for (int i = 0; i < c.n_variants; i++) {
        const cn_variant *v = &c.variants[i];
        cn_ipam_plan pl;
        cn_ipam_plan_compute(&c, v, &pl);
        fprintf(out,
                "  %s: %" PRId64 " per node, %" PRId64 " in all on %" PRId64 " nodes, %" PRId64
                " of them with a pod address; %" PRId64 " of %" PRId64 " slots per node left\n",
                v->name, pl.system_pods_per_node, pl.system_pods, pl.nodes, pl.system_pod_addrs,
                pl.user_pods_per_node, pl.max_pods_per_node);
        g_string_truncate(list, 0);
        cn_syspods_describe(&c, v, c.nodes, list);
        fputs(list->str, out);
    }
}

static void print_migrations(const cn_scenario *sc, FILE *out)
{
    const cn_variant *vs;
    int n, nt;
    scenario_variants(sc, &vs, &n);
    g_autofree cn_variant *targets = cn_migration_targets(vs, n, &nt);
    fputs("\nmigration paths (documented in place on a running cluster, or a new cluster):\n", out);
    for (int i = 0; i < n; i++) {
        fprintf(out, "  %s\n", vs[i].name);
        for (int j = 0; j < nt; j++) {
            if (strcmp(vs[i].name, targets[j].name) == 0)
                continue;
            cn_migration m;
            cn_migration_find(&vs[i], &targets[j], &m);
            if (m.in_place)
                fprintf(out, "    -> %-24s in place, %d step%s: %s\n", targets[j].name, m.n_steps,
                        m.n_steps == 1 ? "" : "s", m.steps);
            else
                fprintf(out, "    -> %-24s new cluster: %s\n", targets[j].name, m.prerequisites);
            if (m.in_place && m.prerequisites[0])
                fprintf(out, "       %-24s needs: %s\n", "", m.prerequisites);
            cn_migration_clear(&m);
        }
    }
}

void cn_plan_print(const cn_scenario *sc, FILE *out)
{
    cn_config c;
    cn_scenario_config(sc, 0, &c);
    fprintf(out, "plan: %s (%s)\n", c.name, cn_scenario_path(sc));
    if (c.description && c.description[0])
        fprintf(out, "%s\n", c.description);
    fputs("pods: max pods per node; sys: AKS's own pods on every node (DaemonSets), which take "
          "max-pods slots; user: the slots left for your pods on a node (nodes of the system "
          "pool also run the system Deployments, listed below); needed/usable: addresses, surge "
          "nodes included, system pods' addresses included; max nodes: how far the ranges and "
          "documented limits let the cluster grow at that max pods, counted as the AKS docs "
          "count (no upgrade headroom); upgr.: the same with room for the surge nodes of an "
          "upgrade; user max: your pods that fit at max nodes, beside every system pod; snat: LB "
          "ports per node\n\n",
          out);
    uint32_t seen_flags = 0;
    bool seen_limits[CN_LIMIT_COUNT] = {false};
    gsize points = cn_scenario_n_points(sc);
    for (gsize p = 0; p < points; p++)
        print_point(sc, p, out, &seen_flags, seen_limits);
    fputs("\nlimited by:\n", out);
    for (int l = 0; l < CN_LIMIT_COUNT; l++)
        if (seen_limits[l])
            fprintf(out, "  %-18s %s\n", cn_limit_name((cn_limit)l), cn_limit_help((cn_limit)l));
    if (seen_flags) {
        fputs("flags (documented limits passed: simulated, not refused):\n", out);
        for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
            if (seen_flags & (1u << i))
                fprintf(out, "  %-18s %s\n", cn_ipam_flag_name((cn_ipam_flag)(1u << i)),
                        cn_ipam_flag_help((cn_ipam_flag)(1u << i)));
    }
    print_system_pods(sc, out);
    print_migrations(sc, out);
}
