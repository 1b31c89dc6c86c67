/* `cnisim report`: the comparison table, what stands out, the plots and the
 * errors, from summary.csv fixtures written the way batch.c writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvout.h"
#include "report.h"

#define HEADER_LEAD "scenario,point,variant,ipam,dataplane,policy"
#define HEADER_TAIL                                                                                \
    "class,replications,transactions,failed,throughput_rps,throughput_ci95,latency_mean_us,"       \
    "latency_ci95_us,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,"                \
    "cpu_util_mean,cpu_util_max,conntrack_peak,drops_conntrack,snat_failures,policy_drops,"        \
    "ct_evictions,lb_unprogrammed\n"

/* No sweep; three variants, one with a comma and quotes in its name (quoted
 * as cn_csv_string writes it).  Facts the report must find:
 *  - pod-to-service: lowest p99 is the quoted variant (95.5 us), highest
 *    kubenet (450 us); highest throughput azure-cni (16000 rps), lowest the
 *    quoted variant (14000 rps);
 *  - pod-to-external: the quoted variant completed nothing, so its zero
 *    latencies must not win: lowest p99 kubenet 700, highest azure-cni 800;
 *  - azure-cni failed 37 pod-to-external transactions of 9000 attempts and
 *    had 37 SNAT failures (cluster-wide, repeated in both class rows);
 *  - lowest CPU: the quoted variant, 23.4% mean. */
static const char flat_csv[] = HEADER_LEAD
    "," HEADER_TAIL
    "flat,1,kubenet,kubenet,iptables,none,pod-to-service,3,45000,0,15000,210,180,4.5,150,300,450,"
    "900,0.45,0.62,1200,0,0,0,0,0\n"
    "flat,1,kubenet,kubenet,iptables,none,pod-to-external,3,9000,0,3000,50,300,6,250,400,700,"
    "1500,0.45,0.62,1200,0,0,0,0,0\n"
    "flat,1,azure-cni,azure-cni,iptables,none,pod-to-service,3,48000,0,16000,190,170,4,140,280,"
    "420,850,0.4,0.55,1300,0,37,0,0,0\n"
    "flat,1,azure-cni,azure-cni,iptables,none,pod-to-external,3,8963,37,2987.67,60,320,7,260,420,"
    "800,1600,0.4,0.55,1300,0,37,0,0,0\n"
    "flat,1,\"cilium, tuned \"\"fast\"\"\",cilium,ebpf,cilium,pod-to-service,3,42000,0,14000,"
    "150,60,1.2,50,80,95.5,130,0.234,0.31,800,0,0,0,0,0\n"
    "flat,1,\"cilium, tuned \"\"fast\"\"\",cilium,ebpf,cilium,pod-to-external,3,0,0,0,0,0,0,0,0,"
    "0,0,0.234,0.31,800,0,0,0,0,0\n";

/* One numeric swept key spanning four decades (log x), one replication. */
static const char sweep_csv[] = HEADER_LEAD
    ",services," HEADER_TAIL
    "svc,1,kubenet,kubenet,iptables,none,10,pod-to-service,1,10000,0,10000,0,120,0,100,150,200,"
    "250,0.3,0.4,100,0,0,0,0,0\n"
    "svc,1,cilium,cilium,ebpf,cilium,10,pod-to-service,1,12000,0,12000,0,60,0,50,80,100,120,"
    "0.2,0.3,100,0,0,0,0,0\n"
    "svc,2,kubenet,kubenet,iptables,none,1000,pod-to-service,1,8000,0,8000,0,200,0,180,300,400,"
    "500,0.5,0.6,100,0,0,0,0,0\n"
    "svc,2,cilium,cilium,ebpf,cilium,1000,pod-to-service,1,11900,0,11900,0,62,0,52,82,105,125,"
    "0.2,0.3,100,0,0,0,0,0\n"
    "svc,3,kubenet,kubenet,iptables,none,100000,pod-to-service,1,2000,0,2000,0,900,0,800,1500,"
    "2000,2600,0.95,1,100,0,0,0,0,0\n"
    "svc,3,cilium,cilium,ebpf,cilium,100000,pod-to-service,1,11500,0,11500,0,70,0,60,100,150,"
    "180,0.22,0.33,100,0,0,0,0,0\n";

static char *make_dir(const char *csv)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("cnisim-report-XXXXXX", &err);
    assert_non_null(dir);
    g_autofree char *path = g_build_filename(dir, "summary.csv", NULL);
    assert_true(g_file_set_contents(path, csv, -1, &err));
    return dir;
}

static void rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        if (d)
            g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static char *slurp(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

/* Run cn_report, check that what it printed is report.md, return report.md. */
static char *report_ok(const char *dir)
{
    GError *err = NULL;
    FILE *out = tmpfile();
    assert_non_null(out);
    gboolean ok = cn_report(dir, out, &err);
    if (!ok)
        fail_msg("cn_report: %s", err->message);
    char *md = slurp(dir, "report.md");
    assert_non_null(md);
    long n = ftell(out);
    assert_int_equal(n, (long)strlen(md));
    rewind(out);
    g_autofree char *printed = g_malloc0((gsize)n + 1);
    assert_int_equal(fread(printed, 1, (size_t)n, out), (size_t)n);
    fclose(out);
    assert_string_equal(printed, md);
    if (g_getenv("DUMP_MD"))
        g_printerr("=====MD %s\n%s=====END\n", dir, md);
    return md;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("expected to find\n  %s\nin\n%s", (needle), (hay));                           \
    } while (0)

static void assert_png(const char *dir, const char *name)
{
    g_autofree char *png = g_strdup_printf("%s/plots/%s.png", dir, name);
    g_autofree char *gp = g_strdup_printf("%s/plots/%s.gp", dir, name);
    GStatBuf st;
    if (g_stat(png, &st) != 0)
        fail_msg("missing plot %s", png);
    assert_true(st.st_size > 0);
    assert_true(g_file_test(gp, G_FILE_TEST_IS_REGULAR));
    /* A PNG, not an error message. */
    char *bytes = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(png, &bytes, &len, NULL));
    assert_true(len > 8 && memcmp(bytes, "\x89PNG", 4) == 0);
    g_free(bytes);
}

/* The project's setup installs gnuplot-nox: its absence is a broken setup,
 * not a reason to skip the plot checks. */
static void test_gnuplot_installed(void **state)
{
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    if (!gnuplot)
        fail_msg("gnuplot is not on PATH (the project's setup installs gnuplot-nox)");
}

static void test_flat_table(void **state)
{
    g_autofree char *dir = make_dir(flat_csv);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "# cnisim report: flat\n");
    assert_contains(md, ": 3 variants, 2 traffic classes; 3 replications per row.");
    assert_contains(md, "\n## pod-to-service\n");
    assert_contains(md, "\n## pod-to-external\n");
    /* Narrow class tables: a failed column only where the class has failures. */
    assert_contains(md, "## pod-to-service\n\n| variant | throughput (/s) | mean (µs) | p50 (µs) | "
                        "p99 (µs) | p99.9 (µs) |\n");
    assert_contains(md, "## pod-to-external\n\n| variant | throughput (/s) | mean (µs) | p50 (µs) "
                        "| p99 (µs) | p99.9 (µs) | failed |\n");
    /* 3 significant digits, the interval to 2 after ±. */
    assert_contains(md, "| kubenet | 15.0k ± 210 | 180 ± 4.5 | 150 | 450 | 900 |\n");
    assert_contains(md, "| azure-cni | 2990 ± 60 | 320 ± 7.0 | 260 | 800 | 1600 | 37 (0.411%) |\n");
    /* The quoted name comes back whole; no traffic: no latency. */
    assert_contains(md, "| cilium, tuned \"fast\" | 14.0k ± 150 | 60.0 ± 1.2 | 50.0 | 95.5 |");
    assert_contains(md, "| cilium, tuned \"fast\" | 0 | – | – | – | – | 0 |");
    /* Cluster-wide figures once, utilisation in percent, failure counters
     * only where some variant has one. */
    assert_contains(md, "| variant | CPU mean | CPU busiest | conntrack peak | SNAT fail |\n");
    assert_contains(md, "| cilium, tuned \"fast\" | 23.4% | 31.0% | 800 | 0 |\n");
    rm_rf(dir);
}

static void test_flat_standouts(void **state)
{
    g_autofree char *dir = make_dir(flat_csv);
    g_autofree char *md = report_ok(dir);
    const char *so = strstr(md, "## Findings");
    assert_non_null(so);
    /* No p99 interval in this file: the ratio is given, not tested. */
    assert_contains(so, "- **p99 latency**, pod-to-service: lowest `cilium, tuned \"fast\"` 95.5 "
                        "µs; highest `kubenet` 450 µs, 4.71× (no interval for this figure: not "
                        "tested).\n");
    /* Disjoint throughput intervals: a difference. */
    assert_contains(so, "- **throughput**, pod-to-service: highest `azure-cni` 16.0k/s ± 190; "
                        "lowest `cilium, tuned \"fast\"` 14.0k/s ± 150, 1.14×.\n");
    /* Overlapping ones: none between kubenet and azure-cni. */
    assert_contains(so, "- **throughput**, pod-to-external: highest `kubenet` 3000/s ± 50 (no "
                        "significant difference from `azure-cni`)");
    assert_contains(so, "- `azure-cni`: 37 failed pod-to-external transactions (0.411% of "
                        "attempts), 37 SNAT failures.\n");
    /* Only azure-cni had problems. */
    assert_null(strstr(so, "- `kubenet`:"));
    assert_null(strstr(so, "No failed transactions"));
    rm_rf(dir);
}

static void test_flat_plots(void **state)
{
    g_autofree char *dir = make_dir(flat_csv);
    g_autofree char *md = report_ok(dir);
    assert_png(dir, "latency-pod-to-service");
    assert_png(dir, "throughput-pod-to-service");
    assert_png(dir, "latency-pod-to-external");
    assert_png(dir, "throughput-pod-to-external");
    assert_contains(
        md, "](plots/latency-pod-to-service.png) ([SVG](plots/latency-pod-to-service.svg))\n");
    g_autofree char *svg = g_build_filename(dir, "plots", "latency-pod-to-service.svg", NULL);
    assert_true(g_file_test(svg, G_FILE_TEST_IS_REGULAR));
    g_autofree char *gp = slurp(dir, "plots/latency-pod-to-service.gp");
    assert_contains(gp, "set ylabel 'latency (");
    assert_contains(gp, "\"cilium, tuned 'fast'\" 50 95.5\n");
    rm_rf(dir);
}

static void test_sweep(void **state)
{
    g_autofree char *dir = make_dir(sweep_csv);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, ": 2 variants, 1 traffic class, 3 sweep points over services (10, 1000, "
                        "100000); 1 replication per row.");
    assert_contains(md, "| variant | services | throughput (/s) |");
    assert_contains(md, "|---|---:|---:|");
    /* One row per point, no ± with one replication; ⚠ on a saturated point. */
    assert_contains(md, "| kubenet | 10 | 10.0k | 120 | 100 | 200 | 250 |\n");
    assert_contains(md, "| kubenet ⚠ | 100000 | 2000 | 900 | 800 | 2000 | 2600 |\n");
    assert_contains(md, "*One replication: no confidence intervals");
    /* Compared where they differ most, leaving out the saturated point. */
    assert_contains(md, "- **p99 latency**, pod-to-service: the variants differ most at services = "
                        "1000: lowest `cilium` 105 µs; highest `kubenet` 400 µs, 3.81× (one "
                        "replication: not tested).\n");
    assert_contains(md, "  - `kubenet`: knee at services = 100000 (busiest CPU 100%, p99 2.00 ms, "
                        "10.0× its 200 µs at services = 10)\n");
    assert_contains(md, "  - no knee up to the last point: `cilium`\n");
    assert_contains(md, "  - `kubenet`: 1 of 3 points, from services = 100000\n");
    assert_contains(md, "- No failed transactions, conntrack drops, SNAT failures or policy drops "
                        "in the simulated traffic.\n");

    assert_png(dir, "p99-vs-services-pod-to-service");
    assert_png(dir, "throughput-vs-services-pod-to-service");
    g_autofree char *gp = slurp(dir, "plots/p99-vs-services-pod-to-service.gp");
    assert_contains(gp, "set logscale x 10\n"); /* 10 .. 100000 spans four decades */
    assert_contains(gp, "set xlabel 'services'\n");
    assert_contains(gp, "title 'kubenet'");
    assert_contains(gp, " 100000 2000 0\n");
    rm_rf(dir);
}

/* Two swept keys, the first not numeric: the x axis is the second, one line
 * per variant and value of the first; failures spread over points. */
static void test_two_keys(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD ",model,nodes," HEADER_TAIL);
    const char *models[] = {"closed", "open"};
    const int nodes[] = {3, 30};
    const char *variants[] = {"kubenet", "cilium"};
    int point = 0;
    for (int m = 0; m < 2; m++)
        for (int n = 0; n < 2; n++) {
            point++;
            for (int v = 0; v < 2; v++)
                for (int c = 0; c < 2; c++) {
                    double p99 = (v ? 100 : 200) * (1 + nodes[n] / 10.0) * (m ? 1.5 : 1);
                    int failed = v == 0 && nodes[n] == 30 ? 5 * (m + 1) : 0;
                    g_string_append_printf(
                        csv,
                        "two,%d,%s,x,y,none,%s,%d,%s,2,1000,%d,500,5,%g,1,%g,%g,%g,%g,0.5,0.7,"
                        "10,%d,0,0,0,0\n",
                        point, variants[v], models[m], nodes[n],
                        c ? "pod-to-pod-cross-node" : "pod-to-pod-same-node", failed, p99 / 2,
                        p99 / 2, p99 / 1.5, p99, p99 * 1.2, failed);
                }
        }
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "4 sweep points over model (closed, open) and nodes (3, 30)");
    assert_contains(md, "| kubenet | open | 30 | 500 ± 5.0 |");
    assert_contains(md, "- `kubenet`: problems at 2 of 4 points (first at model = closed, nodes "
                        "= 30); at model = open, nodes = 30: 10 failed pod-to-pod-same-node "
                        "transactions (0.990% of attempts), 10 failed pod-to-pod-cross-node "
                        "transactions (0.990% of attempts), 10 conntrack drops.\n");
    assert_png(dir, "p99-vs-nodes-pod-to-pod-same-node");
    assert_png(dir, "throughput-vs-nodes-pod-to-pod-cross-node");
    g_autofree char *gp = slurp(dir, "plots/p99-vs-nodes-pod-to-pod-same-node.gp");
    assert_null(strstr(gp, "logscale")); /* one decade only */
    assert_contains(gp, "title 'cilium (model = open)'");
    rm_rf(dir);
}

/* Whatever cn_csv_string and cn_csv_double write, the report reads back. */
static void test_csvout_roundtrip(void **state)
{
    const char *names[] = {"plain", "comma, \"quote\"", "new\nline", "\"\"", "bar|pipe"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs(HEADER_LEAD ",services," HEADER_TAIL, f);
    for (int i = 0; i < 5; i++) {
        fputs("round,1,", f);
        cn_csv_string(f, names[i]);
        fputs(",a,b,c,1e+06,", f);
        cn_csv_string(f, "pod-to-service");
        fputs(",2", f);
        const double m[] = {1000, 0,   500 + i, 1,   100, 2, 80, 90, 150 + i,
                            200,  0.5, 0.7,     100, 0,   0, 0,  0,  0};
        for (unsigned k = 0; k < G_N_ELEMENTS(m); k++) {
            fputc(',', f);
            cn_csv_double(f, m[k]);
        }
        fputc('\n', f);
    }
    fclose(f);
    g_autofree char *dir = make_dir(buf);
    free(buf);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "| plain | 1e+06 | 500 |");
    assert_contains(md, "| comma, \"quote\" | 1e+06 | 501 |");
    /* a newline in a name is shown as an escape, never as a new line */
    assert_contains(md, "| new\\\\x0aline | 1e+06 | 502 |");
    assert_contains(md, "| \"\" | 1e+06 | 503 |");
    assert_contains(md, "| bar\\|pipe | 1e+06 | 504 |");
    assert_contains(md, "lowest `plain` 150 µs; highest `bar|pipe` 154 µs, 1.03×");
    rm_rf(dir);
}

/* Without gnuplot: one line on stderr, report.md all the same, no images. */
static void test_without_gnuplot(void **state)
{
    g_autofree char *dir = make_dir(flat_csv);
    g_autofree char *saved = g_strdup(g_getenv("PATH"));
    g_setenv("PATH", dir, TRUE);
    GError *err = NULL;
    gboolean ok = cn_report(dir, NULL, &err);
    g_setenv("PATH", saved, TRUE);
    assert_true(ok);
    g_autofree char *md = slurp(dir, "report.md");
    assert_non_null(md);
    assert_contains(md, "lowest `cilium, tuned \"fast\"` 95.5 µs");
    assert_contains(md, "gnuplot was not found");
    g_autofree char *png = g_build_filename(dir, "plots", "latency-pod-to-service.png", NULL);
    assert_false(g_file_test(png, G_FILE_TEST_EXISTS));
    rm_rf(dir);
}

/* The error for csv, which must say exactly want (with DIR/summary.csv
 * substituted for %s); nothing is written. */
static void expect_error(const char *csv, const char *want)
{
    g_autofree char *dir = make_dir(csv);
    g_autofree char *path = g_build_filename(dir, "summary.csv", NULL);
    g_autofree char *msg = g_strdup_printf(want, path);
    GError *err = NULL;
    assert_false(cn_report(dir, NULL, &err));
    assert_non_null(err);
    assert_string_equal(err->message, msg);
    g_error_free(err);
    g_autofree char *md = g_build_filename(dir, "report.md", NULL);
    assert_false(g_file_test(md, G_FILE_TEST_EXISTS));
    rm_rf(dir);
}

static void test_bad_number(void **state)
{
    g_autoptr(GString) csv = g_string_new(flat_csv);
    /* Line 3 is kubenet pod-to-external; its p99 is 700. */
    char *at = strstr(csv->str, ",250,400,700,");
    assert_non_null(at);
    g_string_erase(csv, at - csv->str, strlen(",250,400,700,"));
    g_string_insert(csv, at - csv->str, ",250,400,abc,");
    expect_error(
        csv->str,
        "%s: line 3, column latency_p99_us: expected a number or an empty field, got 'abc'");
}

static void test_bad_rows(void **state)
{
    /* A quoted newline moves the line count on: the bad row starts on line 4. */
    expect_error(
        HEADER_LEAD
        "," HEADER_TAIL
        "s,1,\"two\nlines\",a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,0\n"
        "s,1,v,a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,-1\n",
        "%s: line 4, column lb_unprogrammed: expected a number >= 0, got '-1'");
    expect_error(HEADER_LEAD "," HEADER_TAIL "s,1,v,a,b,c,pod-to-service,1,1,0\n",
                 "%s: line 2: expected 26 fields, as in the header, got 10");
    expect_error(HEADER_LEAD
                 "," HEADER_TAIL
                 "s,x,v,a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,0\n",
                 "%s: line 2, column point: expected a whole number >= 1, got 'x'");
    expect_error(HEADER_LEAD
                 "," HEADER_TAIL
                 "s,1,\"v,a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,0\n",
                 "%s: line 2: quoted field never closed");
    expect_error(HEADER_LEAD
                 "," HEADER_TAIL
                 "s,1,v,a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,0\n"
                 "s,1,v,a,b,c,pod-to-service,1,1,0,1,0,1,0,1,1,1,1,0.5,0.5,1,0,0,0,0,0\n",
                 "%s: line 3: a second row for point 1, variant 'v', class 'pod-to-service' (the "
                 "first is on line 2)");
    expect_error(HEADER_LEAD "," HEADER_TAIL, "%s: no data rows (did the run finish?)");
}

static void test_bad_header(void **state)
{
    expect_error("scenario,point,variant,ipam,dataplane,policy,class,replications,transactions\n",
                 "%s: line 1: not a cnisim summary.csv: expected column 10 to be 'failed', got "
                 "'(nothing)'");
    expect_error("name,point\n", "%s: line 1: not a cnisim summary.csv: expected column 1 to be "
                                 "'scenario', got 'name'");
    expect_error(HEADER_LEAD ",services\n",
                 "%s: line 1: not a cnisim summary.csv: no 'class' column after the swept keys");
}

static void test_missing_file(void **state)
{
    GError *err = NULL;
    g_autofree char *dir = g_dir_make_tmp("cnisim-report-XXXXXX", NULL);
    assert_false(cn_report(dir, NULL, &err));
    g_autofree char *want =
        g_strdup_printf("%s/summary.csv: cannot read: %s", dir, g_strerror(ENOENT));
    assert_string_equal(err->message, want);
    g_error_free(err);
    rm_rf(dir);
}

/* A summary.csv with every column batch.c writes, the intervals included. */
#define HEADER_TAIL_FULL                                                                           \
    "class,replications,transactions,failed,throughput_rps,throughput_ci95,latency_mean_us,"       \
    "latency_ci95_us,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,"                \
    "cpu_util_mean,cpu_util_max,conntrack_peak,drops_conntrack,snat_failures,policy_drops,"        \
    "ct_evictions,lb_unprogrammed,stale_failures,rule_syncs,sync_ms_mean,latency_p50_ci95_us,"     \
    "latency_p99_ci95_us,cpu_us_per_txn,cpu_us_per_txn_busiest,cpu_us_per_txn_ci95,goodput_gbps\n"

static void full_row(GString *csv, const char *scenario, int point, const char *variant,
                     const char *swept, const char *cls, double tput, double tput_ci, double p99,
                     double p99_ci, double cpu_max, double txns, double failed)
{
    g_string_append_printf(csv, "%s,%d,%s,x,y,none,%s%s,3,%.0f,%.0f,", scenario, point, variant,
                           swept, cls, txns, failed);
    if (txns > 0)
        g_string_append_printf(csv, "%g,%g,%g,1,%g,%g,%g,%g,", tput, tput_ci, p99 / 2, p99 / 3,
                               p99 / 2, p99, p99 * 1.2);
    else
        g_string_append_printf(csv, "0,0,,,,,,,");
    g_string_append_printf(csv, "%g,%g,10,0,0,0,0,0,0,0,,", cpu_max * 0.8, cpu_max);
    if (txns > 0)
        g_string_append_printf(csv, "1,%g,20,10,0.5,0.01\n", p99_ci);
    else
        g_string_append_printf(csv, ",,,,,\n");
}

/* A forged summary.csv cannot drive the terminal or add a line of its own:
 * control characters in its text (ESC, a quoted newline, the C1 CSI) are
 * shown as escapes, on stdout and in report.md alike. */
static void test_control_characters(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD "," HEADER_TAIL_FULL);
    full_row(csv, "esc", 1,
             "\"a\x1b[31mred\nforged line\xc2\x9b"
             "2J\"",
             "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    full_row(csv, "esc", 1, "b", "", "pod-to-service", 1200, 10, 110, 8, 0.5, 3600, 0);
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *md = report_ok(dir);
    assert_null(strchr(md, '\x1b'));
    assert_null(strstr(md, "\xc2\x9b"));
    assert_null(strstr(md, "\nforged line"));
    assert_contains(md, "\\x1b[31mred\\x0aforged line\\u009b2J");
    rm_rf(dir);
}

/* Overlapping intervals: "no significant difference", never a winner;
 * disjoint ones: a stated difference. */
static void test_significance(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD "," HEADER_TAIL_FULL);
    /* p99: 100 ± 8 against 110 ± 8 overlap; throughput 1000 ± 10 against
     * 1200 ± 10 do not. */
    full_row(csv, "sig", 1, "a", "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    full_row(csv, "sig", 1, "b", "", "pod-to-service", 1200, 10, 110, 8, 0.5, 3600, 0);
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "- **p99 latency**, pod-to-service: no significant difference between the "
                        "variants (100 µs to 110 µs, 95% intervals overlap).\n");
    assert_contains(md, "- **throughput**, pod-to-service: highest `b` 1200/s ± 10; lowest `a` "
                        "1000/s ± 10, 1.20×.\n");
    assert_null(strstr(md, "lowest `a` 100 µs"));
    rm_rf(dir);
}

/* An M/M/1 queue's p99 sojourn time is ln(100) / (mu - lambda): against a
 * rate sweep of 5% .. 95% of mu it first passes 3x its value at 5% at
 * rho > 1 - 0.95 / 3 = 0.683, so the knee is at 70% of mu. */
static void test_knee_mm1(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD ",rate_rps," HEADER_TAIL_FULL);
    const double mu = 100000;
    for (int i = 1; i <= 19; i++) {
        double rho = 0.05 * i, lambda = rho * mu;
        double p99_us = log(100) / (mu - lambda) * 1e6;
        g_autofree char *swept = g_strdup_printf("%.0f,", lambda);
        full_row(csv, "mm1", i, "q", swept, "pod-to-service", lambda, lambda * 0.01, p99_us,
                 p99_us * 0.02, rho, lambda * 3, 0);
    }
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "  - `q`: knee at rate_rps = 70000 (p99 ");
    /* The last point has the busiest CPU at 95%: flagged as saturated. */
    assert_contains(md, "| q ⚠ | 95000 |");
    assert_contains(md, "  - `q`: 1 of 19 points, from rate_rps = 95000\n");
    assert_null(strstr(md, "| q ⚠ | 90000 |"));
    /* A linear sweep gets a linear x axis; p99 spanning decades a log y. */
    g_autofree char *gp = slurp(dir, "plots/p99-vs-rate_rps-pod-to-service.gp");
    assert_null(strstr(gp, "set logscale x"));
    rm_rf(dir);
}

/* A variant whose every transaction failed is reported as such and drawn
 * nowhere; a plot with nothing to draw has no image and no link. */
static void test_all_failing_variant(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD "," HEADER_TAIL_FULL);
    full_row(csv, "fail", 1, "ok", "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    full_row(csv, "fail", 1, "broken", "", "pod-to-service", 0, 0, 0, 0, 0.5, 0, 2500);
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "- `broken`: **every transaction failed** (2500 failed, none completed)");
    assert_png(dir, "latency-pod-to-service");
    rm_rf(dir);

    g_autoptr(GString) only = g_string_new(HEADER_LEAD "," HEADER_TAIL_FULL);
    full_row(only, "fail", 1, "broken", "", "pod-to-service", 0, 0, 0, 0, 0.5, 0, 2500);
    g_autofree char *dir2 = make_dir(only->str);
    /* An image left by an earlier report must go too. */
    g_autofree char *plots = g_build_filename(dir2, "plots", NULL);
    g_mkdir(plots, 0755);
    g_autofree char *old = g_build_filename(plots, "latency-pod-to-service.png", NULL);
    assert_true(g_file_set_contents(old, "", 0, NULL));
    g_autofree char *md2 = report_ok(dir2);
    assert_contains(md2, "**every transaction failed**");
    assert_false(g_file_test(old, G_FILE_TEST_EXISTS));
    assert_null(strstr(md2, "plots/latency-pod-to-service.png"));
    assert_contains(md2, "- no plot of pod-to-service: p50 and p99 latency per variant: no "
                         "variant has a value to draw\n");
    rm_rf(dir2);
}

/* The plan's limits reach the report: a variant past its max_nodes and a
 * flag from ipam.csv (read by column name, extra columns anywhere). */
static void test_plan_in_report(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD "," HEADER_TAIL_FULL);
    full_row(csv, "big", 1, "kubenet", "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    full_row(csv, "big", 1, "cilium", "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    full_row(csv, "big", 1, "azure-cni", "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    g_autofree char *dir = make_dir(csv->str);
    g_autofree char *ipam = g_build_filename(dir, "ipam.csv", NULL);
    assert_true(g_file_set_contents(
        ipam,
        "scenario,point,variant,ipam,extra,nodes,max_nodes,limiting_factor,flags,later,"
        "max_nodes_upgradable\n"
        "big,1,kubenet,kubenet,1,5000,400,route_table,kubenet_nodes,x,399\n"
        "big,1,cilium,overlay,1,5000,5000,cluster_nodes,,x,5000\n"
        "big,1,azure-cni,node-subnet,1,5000,5000,vnet_limit,,x,4990\n",
        -1, NULL));
    g_autofree char *md = report_ok(dir);
    assert_contains(md, "**Address plan and limits** (from `ipam.csv`):");
    assert_contains(md, "- `kubenet`: **past its limits**: 5000 nodes where the plan allows 400; "
                        "first exhausted: `route_table`");
    assert_contains(md, "Flagged (simulated, past a documented limit): `kubenet_nodes`");
    assert_null(strstr(md, "- `cilium`: "));
    /* It fits, but not with an upgrade's surge nodes. */
    assert_contains(md, "- `azure-cni`: fits at 5000 nodes, but an upgrade's surge nodes do not "
                        "(at most 4990 nodes can be upgraded, `max_nodes_upgradable`).");
    assert_contains(md, "| kubenet | 5000 ⚠ | 400 | route_table | kubenet_nodes |\n");
    assert_contains(md, "(but see the plan's limits above");
    rm_rf(dir);
}

/* 100,000 rows (50,000 distinct swept values) in a few seconds: nothing
 * in the report may grow with the square of the points. */
static void test_large_summary_speed(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_LEAD ",services," HEADER_TAIL_FULL);
    for (int i = 1; i <= 50000; i++) {
        g_autofree char *swept = g_strdup_printf("%d,", i);
        full_row(csv, "speed", i, "a", swept, "pod-to-service", 1000, 10, 100 + i * 0.01, 8, 0.5,
                 3000, 0);
        full_row(csv, "speed", i, "b", swept, "pod-to-service", 1100, 10, 200 - i * 0.001, 8, 0.5,
                 3000, 0);
    }
    g_autofree char *dir = make_dir(csv->str);
    /* The report's own work: no gnuplot. */
    g_autofree char *saved = g_strdup(g_getenv("PATH"));
    g_setenv("PATH", dir, TRUE);
    /* CPU time, not wall time: the machine may be shared. */
    clock_t t0 = clock();
    GError *err = NULL;
    gboolean ok = cn_report(dir, NULL, &err);
    double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    g_setenv("PATH", saved, TRUE);
    if (!ok)
        fail_msg("cn_report: %s", err->message);
    printf("report of 100,000 rows: %.2f s of CPU\n", s);
    /* About 2 s in a release build, a few times that under sanitizers; it
     * was 22 s before (quadratic in the swept values). */
    if (s > 15)
        fail_msg("report of 100,000 rows took %.1f s", s);
    rm_rf(dir);
}

/* full_row's line with the disruption columns (disruption_s,
 * disruption_failed and their intervals; NaN: an empty field) after it. */
static void event_row(GString *csv, const char *variant, double win, double win_ci, double lost,
                      double lost_ci)
{
    full_row(csv, "ev", 1, variant, "", "pod-to-service", 1000, 10, 100, 8, 0.5, 3000, 0);
    g_string_truncate(csv, csv->len - 1); /* the newline */
    const double v[] = {win, lost, win_ci, lost_ci};
    for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
        g_string_append_c(csv, ',');
        if (!isnan(v[i]))
            g_string_append_printf(csv, "%g", v[i]);
    }
    g_string_append_c(csv, '\n');
}

#define HEADER_EVENTS                                                                              \
    HEADER_LEAD                                                                                    \
    ","                                                                                            \
    "class,replications,transactions,failed,throughput_rps,throughput_ci95,latency_mean_us,"       \
    "latency_ci95_us,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,"                \
    "cpu_util_mean,cpu_util_max,conntrack_peak,drops_conntrack,snat_failures,policy_drops,"        \
    "ct_evictions,lb_unprogrammed,stale_failures,rule_syncs,sync_ms_mean,latency_p50_ci95_us,"     \
    "latency_p99_ci95_us,cpu_us_per_txn,cpu_us_per_txn_busiest,cpu_us_per_txn_ci95,"               \
    "goodput_gbps,disruption_s,disruption_failed,disruption_ci95_s,disruption_failed_ci95\n"

static void write_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A scenario with a scheduled event leads with what it cost: the findings
 * open with the disruption window and the transactions failed in it,
 * compared with their intervals, and the first table is theirs; the plots
 * over time mark the event.  Facts: `b` 2 s ± 0.5 and 20 ± 5 failed, `a`
 * 12 s ± 1.5 and 300 ± 40: both disjoint, `a` worse, 6x and 15x. */
static void test_event_disruption(void **state)
{
    g_autoptr(GString) csv = g_string_new(HEADER_EVENTS);
    event_row(csv, "a", 12, 1.5, 300, 40);
    event_row(csv, "b", 2, 0.5, 20, 5);
    g_autofree char *dir = make_dir(csv->str);
    write_file(dir, "meta.ini",
               "[scenario]\nname=ev\nevents=roll;\nevent_at_s=5;\n"
               "[report]\nheadline=disruption_s, latency_p99_us\n");
    write_file(dir, "timeseries.csv",
               "scenario,point,variant,replication,t_s,class,throughput_rps,failed,"
               "latency_p50_us,latency_p99_us,cpu_util_mean,cpu_util_max,conntrack_max,"
               "drops_conntrack,ct_evictions,snat_ports_max,snat_failures,stale_failures,"
               "nodes_ready,events\n"
               "ev,1,a,1,0,all,1000,0,50,100,0.5,0.5,10,0,0,0,0,0,3,\n"
               "ev,1,a,1,5,all,600,30,50,400,0.5,0.5,10,0,0,0,0,0,3,roll\n"
               "ev,1,a,1,10,all,1000,0,50,100,0.5,0.5,10,0,0,0,0,0,3,\n"
               "ev,1,b,1,0,all,1000,0,50,100,0.5,0.5,10,0,0,0,0,0,3,\n"
               "ev,1,b,1,5,all,900,2,50,150,0.5,0.5,10,0,0,0,0,0,3,roll\n"
               "ev,1,b,1,10,all,1000,0,50,100,0.5,0.5,10,0,0,0,0,0,3,\n");
    g_autofree char *md = report_ok(dir);
    const char *dis = strstr(md, "**Disruption** (scheduled events: `roll` at 5 s)");
    const char *head = strstr(md, "**Headline figures**");
    assert_non_null(dis);
    assert_non_null(head);
    assert_true(dis < head);
    assert_contains(md, "- **disruption window**: lowest `b` 2.00 s ± 0.50; highest `a` 12.0 s "
                        "± 1.5, 6.00×.\n");
    assert_contains(md, "- **transactions failed in the disruption window**: lowest `b` 20 ± 5.0; "
                        "highest `a` 300 ± 40, 15.0×.\n");
    /* Told first, not again among the headline figures that name it. */
    assert_null(strstr(head, "**disruption window**"));
    const char *table = strstr(md, "\n## Disruption\n");
    const char *cls = strstr(md, "\n## pod-to-service\n");
    assert_non_null(table);
    assert_non_null(cls);
    assert_true(table < cls);
    assert_contains(table, "| variant | disruption (s) | failed in it | failed (run) |\n");
    assert_contains(table, "| a | 12.0 ± 1.5 | 300 ± 40 | 0 |\n");
    assert_contains(table, "| b | 2.00 ± 0.50 | 20 ± 5.0 | 0 |\n");
    /* The event marked over time. */
    assert_contains(md, "Events: `roll` at 5 s.\n");
    g_autofree char *gp = slurp(dir, "plots/time-p1.gp");
    assert_non_null(gp);
    assert_contains(gp, "set arrow 1 from first 5, graph 0 to first 5, graph 1 nohead");
    rm_rf(dir);

    /* The same events without intervals: no window, and the report says it
     * was not tested rather than leaving it out. */
    g_autoptr(GString) none = g_string_new(HEADER_EVENTS);
    event_row(none, "a", NAN, NAN, NAN, NAN);
    event_row(none, "b", NAN, NAN, NAN, NAN);
    g_autofree char *dir2 = make_dir(none->str);
    write_file(dir2, "meta.ini", "[scenario]\nname=ev\nevents=roll;\nevent_at_s=5;\n");
    g_autofree char *md2 = report_ok(dir2);
    assert_contains(md2, "- **disruption window**: not tested: the runs kept no intervals (no "
                         "`timeseries.csv`; `interval_s = 0` turns them off)");
    assert_contains(md2, "\n## Disruption\n");
    assert_contains(md2, "Not tested: no run measured a window");
    rm_rf(dir2);

    /* Without events: no disruption anywhere. */
    g_autoptr(GString) calm = g_string_new(HEADER_EVENTS);
    event_row(calm, "a", NAN, NAN, NAN, NAN);
    event_row(calm, "b", NAN, NAN, NAN, NAN);
    g_autofree char *dir3 = make_dir(calm->str);
    g_autofree char *md3 = report_ok(dir3);
    assert_null(strstr(md3, "isruption"));
    rm_rf(dir3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gnuplot_installed),
        cmocka_unit_test(test_flat_table),
        cmocka_unit_test(test_flat_standouts),
        cmocka_unit_test(test_flat_plots),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_two_keys),
        cmocka_unit_test(test_csvout_roundtrip),
        cmocka_unit_test(test_without_gnuplot),
        cmocka_unit_test(test_bad_number),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_significance),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_knee_mm1),
        cmocka_unit_test(test_all_failing_variant),
        cmocka_unit_test(test_plan_in_report),
        cmocka_unit_test(test_large_summary_speed),
        cmocka_unit_test(test_event_disruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
