/* cnisim: the command.  Option parsing and dispatch only; the work is in
 * analysis/ and models/.  Exit status: 0 ok, 1 a simulation-level failure,
 * 2 bad usage or bad input, 130 interrupted (finished runs kept). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "batch.h"
#include "budget.h"
#include "calibrate.h"
#include "calibration.h"
#include "datadir.h"
#include "cnisim-config.h"
#include "plan.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "suggest.h"
#include "syspods.h"
#include "validation.h"

#define EXIT_BAD_INPUT   2
#define EXIT_INTERRUPTED 130

/* Every subcommand: its usage line, what it does, and its handler.  The
 * usage, --help, `help TOPIC` and "did you mean" all come from this table:
 * a new subcommand is one row (and its function). */
typedef struct {
    const char *name;    /* cnisim NAME */
    const char *args;    /* the rest of its usage line(s) */
    const char *params;  /* positional arguments, as --help shows them */
    const char *summary; /* what it does, one sentence */
    int (*fn)(int argc, char **argv);
} command;

static int cmd_run(int argc, char **argv);
static int cmd_plan(int argc, char **argv);
static int cmd_merge(int argc, char **argv);
static int cmd_report(int argc, char **argv);
static int cmd_validate(int argc, char **argv);
static int cmd_check_model(int argc, char **argv);
static int cmd_calibrate(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"run",
     "SCENARIO.ini [-o DIR] [-j THREADS] [--set group.key=value ...]\n"
     "             [--shard I/N] [--resume] [--force] [--quiet] [--allow-large]",
     "SCENARIO.ini", "Simulate every sweep point, variant and replication; write summary.csv.",
     cmd_run},
    {"plan", "SCENARIO.ini [-o DIR] [--set group.key=value ...]", "SCENARIO.ini",
     "Address plan and limits of every variant, no simulation; -o writes ipam.csv.", cmd_plan},
    {"merge", "DIR... -o DIR [--force]", "DIR... -o DIR",
     "Join the output directories of --shard runs into one run's output.", cmd_merge},
    {"report", "DIR", "DIR", "Write DIR/report.md and DIR/plots/ from a run's summary.csv.",
     cmd_report},
    {"validate", "SCENARIO.ini [--set group.key=value ...] [--allow-large]", "SCENARIO.ini",
     "Check a scenario file and say what a run would do; run nothing.", cmd_validate},
    {"check-model", "[--cases DIR] [-o DIR] [--strict] [--markdown]", "",
     "Compare the model with the published measurements of the validation corpus.",
     cmd_check_model},
    {"calibrate", "[--cases DIR] [--free FILE] [-o FILE]", "",
     "Fit the assumed costs to the corpus's fit figures; -o writes a [costs] file.", cmd_calibrate},
    {"help", "[COMMAND|costs|keys|scenarios|system-pods]", "[TOPIC]",
     "This text, a command's options, or the calibration entries, keys, scenarios or AKS's own "
     "pods.",
     cmd_help},
};
static const size_t n_commands = G_N_ELEMENTS(commands);
static const char *command_line; /* the whole command, for meta.ini */

/* The other help topics (besides every command). */
static const char *const topics[] = {"costs", "keys", "scenarios", "system-pods"};

static void print_usage(FILE *out)
{
    fputs("cnisim " CNISIM_VERSION " - Kubernetes pod-network datapath simulator for AKS\n"
          "\nUsage:\n",
          out);
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  cnisim %s %s\n", commands[i].name, commands[i].args);
    fputs("  cnisim --version | --help\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'cnisim COMMAND --help' or 'cnisim help COMMAND' shows a command's options;\n"
          "'cnisim help costs|keys|scenarios|system-pods' lists calibration entries, scenario\n"
          "keys, the shipped scenarios and the pods AKS runs itself.\n"
          "Exit status: 0 ok, 1 simulation failure, 2 bad usage or input, 130 interrupted.\n",
          out);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* A subcommand's option context: "Usage: cnisim NAME [OPTION…] PARAMS", its
 * summary, and where to read more. */
static GOptionContext *command_context(const char *name)
{
    const command *c = find_command(name);
    g_autofree char *prg = g_strdup_printf("cnisim %s", name);
    g_set_prgname(prg);
    GOptionContext *ctx = g_option_context_new(c ? c->params : NULL);
    if (c)
        g_option_context_set_summary(ctx, c->summary);
    g_option_context_set_description(
        ctx, "See the README (\"Reading the output\", \"Reading a report\") and 'cnisim help "
             "keys'.\nExit status: 0 ok, 1 simulation failure, 2 bad usage or input, 130 "
             "interrupted.");
    return ctx;
}

/* "-j4" as make takes it: GOption wants "-j 4". */
static void split_attached_j(int *argc, char ***argv, GPtrArray *owned, GPtrArray *view)
{
    /* owned frees the strings; view is the argv handed on, which option
     * parsing rearranges and shortens without freeing anything. */
    for (int i = 0; i < *argc; i++) {
        const char *a = (*argv)[i];
        if (a[0] == '-' && a[1] == 'j' && g_ascii_isdigit(a[2])) {
            g_ptr_array_add(owned, g_strdup("-j"));
            g_ptr_array_add(owned, g_strdup(a + 2));
        } else {
            g_ptr_array_add(owned, g_strdup(a));
        }
    }
    for (guint i = 0; i < owned->len; i++)
        g_ptr_array_add(view, g_ptr_array_index(owned, i));
    g_ptr_array_add(view, NULL);
    *argc = (int)view->len - 1;
    *argv = (char **)view->pdata;
}

/* The first Ctrl-C stops cleanly (finished runs are kept); a second one
 * ends the process at once. */
static void on_sigint(int sig)
{
    /* Said at once (write() is async-signal-safe; stdio is not): a run in
     * flight can take seconds to reach its next check. */
    static const char msg[] = "\ncnisim: stopping after the current runs... (finished runs are "
                              "kept; Ctrl-C again quits at once)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    cn_batch_request_stop();
    signal(sig, SIG_DFL);
}

static int fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cnisim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_BAD_INPUT;
}

static char *join_argv(int argc, char **argv)
{
    GString *g = g_string_new(NULL);
    for (int i = 0; i < argc; i++) {
        if (i)
            g_string_append_c(g, ' ');
        g_autofree char *q = g_shell_quote(argv[i]);
        g_string_append(g, strpbrk(argv[i], " \t'\"$\\") ? q : argv[i]);
    }
    return g_string_free(g, FALSE);
}

typedef struct {
    char *out_dir;
    int threads;
    char **sets;
    char *shard;
    gboolean resume, force, quiet, allow_large;
} cli_opts;

/* Parse a subcommand's options; returns the positional arguments left. */
static gboolean parse_opts(const char *cmd, int *argc, char ***argv, cli_opts *o, gboolean run_opts,
                           GError **error)
{
    /* --set is taken as bytes (FILENAME): a STRING would be converted from
     * the locale's charset, which in the C locale fails on any non-ASCII
     * text without naming the argument; the loader checks UTF-8 itself and
     * names the --set it refuses. */
    GOptionEntry run_entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->out_dir, "Output directory", "DIR"},
        {"threads", 'j', 0, G_OPTION_ARG_INT, &o->threads, "Worker threads (default: cores)", "N"},
        {"set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sets, "Override a scenario key",
         "group.key=value"},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &o->shard, "Run the I-th of N slices", "I/N"},
        {"resume", 0, 0, G_OPTION_ARG_NONE, &o->resume, "Skip runs already finished", NULL},
        {"force", 0, 0, G_OPTION_ARG_NONE, &o->force,
         "Replace a directory holding another scenario's output", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress bar", NULL},
        {"allow-large", 0, 0, G_OPTION_ARG_NONE, &o->allow_large,
         "Run a batch past the work budget (README 'Work budget')", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionEntry plan_entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->out_dir, "Output directory", "DIR"},
        {"set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sets, "Override a scenario key",
         "group.key=value"},
        {"allow-large", 0, 0, G_OPTION_ARG_NONE, &o->allow_large,
         "validate: accept a batch past the work budget, as run --allow-large does", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    if (strcmp(cmd, "validate") != 0) /* --allow-large is validate's, not plan's */
        plan_entries[G_N_ELEMENTS(plan_entries) - 2] = plan_entries[G_N_ELEMENTS(plan_entries) - 1];
    g_autoptr(GOptionContext) ctx = command_context(cmd);
    g_option_context_add_main_entries(ctx, run_opts ? run_entries : plan_entries, NULL);
    return g_option_context_parse(ctx, argc, argv, error);
}

static cn_scenario *load(const char *path, cli_opts *o, int *status)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *file = cn_datadir_find_scenario(path, &err);
    cn_scenario *sc = file ? cn_scenario_load(file, (const char *const *)o->sets, &err) : NULL;
    if (!sc) {
        fprintf(stderr, "cnisim: %s\n", err->message);
        *status = EXIT_BAD_INPUT;
    }
    return sc;
}

static int cmd_validate(int argc, char **argv)
{
    cli_opts o = {0};
    g_autoptr(GError) err = NULL;
    if (!parse_opts("validate", &argc, &argv, &o, FALSE, &err))
        return fail("validate: %s", err->message);
    if (argc != 2)
        return fail("validate: expected one scenario file (cnisim validate SCENARIO.ini)");
    int status = 0;
    g_autoptr(cn_scenario) sc = load(argv[1], &o, &status);
    /* The same build checks a run makes before it writes anything. */
    for (gsize p = 0; sc && status == 0 && p < cn_scenario_n_points(sc); p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        for (int v = 0; v < c.n_variants && status == 0; v++)
            if (!cn_run_check(&c, &c.variants[v], &err))
                status = fail("%s; it cannot be run (cnisim plan still shows where it runs out)",
                              err->message);
    }
    if (sc && status == 0) {
        cn_config c;
        cn_scenario_config(sc, 0, &c);
        if (!cn_report_check_headline(argv[1], c.report_headline, &err))
            status = fail("%s", err->message);
    }
    /* The work budget, as run applies it (with the machine's threads). */
    cn_budget bud = {0};
    if (sc && status == 0) {
        cn_budget_estimate(sc, (int)g_get_num_processors(), &bud);
        if (bud.over && !o.allow_large) {
            g_autofree char *d = cn_budget_describe(&bud);
            status = fail("%s: past the work budget: %s (estimate: %s); cnisim run would refuse "
                          "it without --allow-large",
                          argv[1], bud.why, d);
        }
    }
    if (sc && status == 0) {
        cn_config c;
        cn_scenario_config(sc, 0, &c);
        g_autofree char *d = cn_budget_describe(&bud);
        printf("%s: ok: scenario %s, %" G_GSIZE_FORMAT " point(s) x %d variant(s) x %" PRId64
               " replication(s); run would do %s%s\n",
               argv[1], c.name, cn_scenario_n_points(sc), c.n_variants, c.replications, d,
               bud.over ? " (past the work budget, allowed by --allow-large)" : "");
    }
    cn_budget_clear(&bud);
    g_strfreev(o.sets);
    g_free(o.out_dir);
    return status;
}

static int cmd_plan(int argc, char **argv)
{
    cli_opts o = {0};
    g_autoptr(GError) err = NULL;
    if (!parse_opts("plan", &argc, &argv, &o, FALSE, &err))
        return fail("plan: %s", err->message);
    if (argc != 2)
        return fail("plan: expected one scenario file (cnisim plan SCENARIO.ini [-o DIR])");
    int status = 0;
    g_autoptr(cn_scenario) sc = load(argv[1], &o, &status);
    if (!sc)
        goto out;
    /* The directory first: bad input prints one message and nothing else. */
    if (o.out_dir && g_mkdir_with_parents(o.out_dir, 0777) != 0) {
        status = fail("%s: cannot create the output directory: %s", o.out_dir, g_strerror(errno));
        goto out;
    }
    cn_plan_print(sc, stdout);
    if (o.out_dir) {
        g_autofree char *ipam = g_build_filename(o.out_dir, "ipam.csv", NULL);
        g_autofree char *mig = g_build_filename(o.out_dir, "migrations.csv", NULL);
        if (!cn_plan_write_ipam_csv(sc, ipam, &err) ||
            !cn_plan_write_migrations_csv(sc, mig, &err)) {
            status = fail("%s", err->message);
            goto out;
        }
        printf("wrote %s and %s\n", ipam, mig);
    }
out:
    g_strfreev(o.sets);
    g_free(o.out_dir);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    cli_opts o = {0};
    g_autoptr(GError) err = NULL;
    g_autoptr(cn_scenario) sc = NULL;
    g_autofree char *dir = NULL;
    int status = 0;
    if (!parse_opts("run", &argc, &argv, &o, TRUE, &err))
        return fail("run: %s", err->message);
    if (argc != 2) {
        status = fail("run: expected one scenario file (cnisim run SCENARIO.ini [-o DIR])");
        goto out;
    }
    cn_batch_options bo = {0};
    if (o.shard) {
        /* Not sscanf("%d"): an out-of-range number there is undefined and
         * in practice wraps into a valid-looking shard. */
        g_auto(GStrv) in = g_strsplit(o.shard, "/", 3);
        guint64 i = 0, n = 0;
        if (g_strv_length(in) != 2 ||
            !g_ascii_string_to_unsigned(in[0], 10, 1, G_MAXINT, &i, NULL) ||
            !g_ascii_string_to_unsigned(in[1], 10, 1, G_MAXINT, &n, NULL) || i > n) {
            status = fail("run: --shard '%s': expected I/N with 1 <= I <= N, e.g. 2/8", o.shard);
            goto out;
        }
        bo.shard_index = (int)i;
        bo.shard_count = (int)n;
    }
    if (o.threads < 0 || o.threads > 1024) {
        status = fail("run: -j %d: expected a thread count from 1 to 1024", o.threads);
        goto out;
    }
    sc = load(argv[1], &o, &status);
    if (!sc)
        goto out;
    dir = o.out_dir ? g_strdup(o.out_dir) : cn_batch_default_dir(sc);
    bo.out_dir = dir;
    bo.threads = o.threads > 0 ? o.threads : (int)g_get_num_processors();
    bo.resume = o.resume;
    bo.force = o.force;
    bo.quiet = o.quiet;
    bo.allow_large = o.allow_large;
    bo.command_line = command_line;
    bo.sets = (const char *const *)o.sets;
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);
    switch (cn_batch_run(sc, &bo, &err)) {
    case CN_BATCH_OK:
        if (!o.quiet && bo.shard_count == 0)
            printf("wrote %s/summary.csv, runs.csv, ipam.csv, meta.ini\n", dir);
        break;
    case CN_BATCH_BAD_INPUT:
        status = fail("%s", err->message);
        break;
    case CN_BATCH_FAILED:
        fprintf(stderr, "cnisim: %s\n", err->message);
        status = 1;
        break;
    case CN_BATCH_INTERRUPTED:
        fprintf(stderr, "cnisim: %s\n", err->message);
        status = EXIT_INTERRUPTED;
        break;
    }
out:
    g_strfreev(o.sets);
    g_free(o.out_dir);
    g_free(o.shard);
    return status;
}

static int cmd_merge(int argc, char **argv)
{
    char *out = NULL;
    gboolean force = FALSE;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output directory", "DIR"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Replace a directory holding another scenario's output", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = command_context("merge");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        return fail("merge: %s", err->message);
    g_autofree char *out_dir = out;
    if (argc < 2 || !out_dir)
        return fail("merge: expected shard directories and -o DIR (cnisim merge DIR... -o DIR)");
    switch (cn_batch_merge((const char *const *)(argv + 1), out_dir, force, &err)) {
    case CN_BATCH_OK:
        printf("wrote %s/summary.csv, runs.csv, ipam.csv, meta.ini\n", out_dir);
        return 0;
    case CN_BATCH_BAD_INPUT:
        return fail("%s", err->message);
    default:
        fprintf(stderr, "cnisim: %s\n", err->message);
        return 1;
    }
}

static int cmd_report(int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(GOptionContext) ctx = command_context("report");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        return fail("report: %s", err->message);
    if (argc != 2)
        return fail("report: expected one output directory (cnisim report DIR)");
    if (!cn_report(argv[1], stdout, &err))
        return fail("%s", err->message);
    return 0;
}

/* The model against the validation corpus (tests/validation/cases). */
static int cmd_check_model(int argc, char **argv)
{
    char *cases = NULL, *out = NULL;
    gboolean strict = FALSE, markdown = FALSE;
    GOptionEntry entries[] = {
        {"cases", 0, 0, G_OPTION_ARG_FILENAME, &cases,
         "Folder of case files (default tests/validation/cases)", "DIR"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write DIR/validation.csv", "DIR"},
        {"strict", 0, 0, G_OPTION_ARG_NONE, &strict, "A check case that cannot run also fails",
         NULL},
        {"markdown", 0, 0, G_OPTION_ARG_NONE, &markdown, "Print the table as markdown", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = command_context("check-model");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        return fail("check-model: %s", err->message);
    g_autofree char *cases_dir = cases ? cases : g_strdup("tests/validation/cases");
    g_autofree char *out_dir = out;
    if (argc != 1)
        return fail("check-model: unexpected argument '%s' (cnisim check-model [--cases DIR] "
                    "[-o DIR])",
                    argv[1]);
    int failures = cn_check_model(cases_dir, out_dir, strict, markdown, stdout, &err);
    if (failures < 0)
        return fail("%s", err->message);
    fflush(stdout);
    if (failures > 0)
        fprintf(stderr, "cnisim: check-model: %d fit figure(s) out of tolerance or not evaluated\n",
                failures);
    return failures > 0 ? 1 : 0;
}

/* Fit the free parameters to the corpus's fit figures; -o writes [costs]. */
static int cmd_calibrate(int argc, char **argv)
{
    char *cases = NULL, *free_file = NULL, *out = NULL;
    int iters = 0;
    GOptionEntry entries[] = {
        {"cases", 0, 0, G_OPTION_ARG_FILENAME, &cases,
         "Folder of case files (default tests/validation/cases)", "DIR"},
        {"free", 0, 0, G_OPTION_ARG_FILENAME, &free_file,
         "Free parameters and bounds (default DIR/../free.ini)", "FILE"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the fitted [costs] to FILE", "FILE"},
        {"max-iterations", 0, 0, G_OPTION_ARG_INT, &iters, "Solver iterations (default 40)", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = command_context("calibrate");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        return fail("calibrate: %s", err->message);
    g_autofree char *cases_dir = cases ? cases : g_strdup("tests/validation/cases");
    g_autofree char *parent = g_path_get_dirname(cases_dir);
    g_autofree char *free_path = free_file ? free_file : g_build_filename(parent, "free.ini", NULL);
    g_autofree char *out_path = out;
    if (argc != 1)
        return fail("calibrate: unexpected argument '%s'", argv[1]);
    if (iters < 0 || iters > 10000)
        return fail("calibrate: --max-iterations %d: expected 1 to 10000", iters);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M UTC");
    cn_calibrate_options opt = {cases_dir, free_path, out_path, iters, stamp};
    cn_calibrate_result res;
    if (!cn_calibrate(&opt, stdout, &res, &err))
        return fail("calibrate: %s", err->message);
    if (!res.all_within)
        printf("note: some fit figures are still out of tolerance after the fit\n");
    cn_calibrate_result_clear(&res);
    return 0;
}

static void print_costs(void)
{
    printf("%-34s %12s  %-23s %-10s %s  %s\n", "name", "default", "range", "unit", "st", "source");
    for (int i = 0; i < CAL_COUNT; i++) {
        const cn_cal_entry *e = &cn_cal_table[i];
        g_autofree char *range =
            g_strdup_printf("%.10g..%.10g%s", e->min, e->max, cn_cal_whole(i) ? " whole" : "");
        printf("%-34s %12g  %-23s %-10s %c   %s\n", e->name, e->value, range, e->unit, e->status,
               e->source);
    }
    printf("\nrange: the values a [costs] override may take, inclusive (whole: whole numbers "
           "only).\n"
           "st: R read in the source, D derived from its data, A assumed, F fitted by cnisim "
           "calibrate to published figures (tests/validation).\n"
           "Override any entry in a scenario's [costs] group by name.\n");
}

/* "; did you mean 'x'?" among the commands (and, for help, the topics). */
static char *command_suggestion(const char *word, gboolean with_topics)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (size_t i = 0; i < n_commands; i++)
        g_ptr_array_add(names, (gpointer)commands[i].name);
    for (size_t i = 0; with_topics && i < G_N_ELEMENTS(topics); i++)
        g_ptr_array_add(names, (gpointer)topics[i]);
    const char *s = cn_suggest(word, -1, (const char *const *)names->pdata, names->len);
    return s ? g_strdup_printf("; did you mean '%s'?", s) : g_strdup("");
}

static char *topic_list(void)
{
    GString *g = g_string_new(NULL);
    for (size_t i = 0; i < n_commands; i++)
        g_string_append_printf(g, "%s%s", i ? ", " : "", commands[i].name);
    for (size_t i = 0; i < G_N_ELEMENTS(topics); i++)
        g_string_append_printf(g, ", %s", topics[i]);
    return g_string_free(g, FALSE);
}

static int cmd_help(int argc, char **argv)
{
    GOptionEntry entries[] = {{NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(GOptionContext) ctx = command_context("help");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) perr = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &perr))
        return fail("help: %s", perr->message);
    if (argc > 2)
        return fail("help: expected one topic (cnisim help TOPIC)");
    if (argc == 2 && strcmp(argv[1], "costs") == 0) {
        print_costs();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "system-pods") == 0) {
        cn_syspods_print_table(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "keys") == 0) {
        cn_scenario_print_keys(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "scenarios") == 0) {
        g_autoptr(GError) err = NULL;
        return cn_datadir_print_scenarios(stdout, &err) ? 0 : fail("%s", err->message);
    }
    if (argc == 1) {
        print_usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[1]);
    if (c) {
        /* The command's own --help (GOption prints it and exits 0). */
        char *hargv[] = {(char *)c->name, "--help", NULL};
        return c->fn(2, hargv);
    }
    g_autofree char *dym = command_suggestion(argv[1], TRUE);
    g_autofree char *all = topic_list();
    return fail("help: unknown topic '%s'%s (topics: %s)", argv[1], dym, all);
}

int main(int argc, char **argv)
{
    g_autofree char *whole = join_argv(argc, argv);
    command_line = whole;
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("cnisim %s\n", CNISIM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_usage(stdout);
        return 0;
    }
    const command *c = find_command(cmd);
    if (!c) {
        g_autofree char *dym = command_suggestion(cmd, FALSE);
        return fail("unknown command '%s'%s (see cnisim --help)", cmd, dym);
    }
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) view = g_ptr_array_new();
    split_attached_j(&sub_argc, &sub_argv, owned, view);
    return c->fn(sub_argc, sub_argv);
}
