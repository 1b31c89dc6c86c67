/* Internal to cnisim report (analysis/report*.c): the parsed summary and
 * the helpers its rooms share.  report-data.c reads summary.csv,
 * report-format.c formats numbers and markdown, report-findings.c writes the
 * findings, report-tables.c the tables, report-plots.c the plots, report.c
 * puts report.md together. */
#ifndef CN_REPORT_INTERNAL_H
#define CN_REPORT_INTERNAL_H

#include <stdio.h>
#include <glib.h>

/* The columns before the swept keys: scenario, point, variant, ipam,
 * dataplane, policy. */
enum { L_SCENARIO, L_POINT, L_VARIANT, L_COUNT = 6 };

/* The columns after `class` (summary-cols.def): replications and the
 * required ones in this order, then the optional ones (anywhere among the
 * extras; NaN when absent). */
enum {
    C_REPLICATIONS,
#define SUMMARY_COL(id, name, required, metric, how, q) id,
#include "summary-cols.def"
#undef SUMMARY_COL
    C_COUNT
};

/* How many come first in that order: replications and the required ones. */
enum {
    C_REQUIRED = 1
#define SUMMARY_COL(id, name, required, metric, how, q) +(required)
#include "summary-cols.def"
#undef SUMMARY_COL
};

typedef struct {
    guint line;        /* where the row starts in summary.csv */
    guint point;       /* sweep point, 1-based */
    char *variant;     /* as written in the scenario's compare list */
    char **swept;      /* one value per swept key */
    char *cls;         /* traffic class */
    double m[C_COUNT]; /* the numeric columns; NaN for an absent optional one */
    double x;          /* value of the x key (NaN without a numeric sweep) */
} row;

typedef struct {
    guint point;   /* point number */
    const row *at; /* a row of this point: its swept values */
    double x;      /* value of the x key; NaN without a numeric sweep */
} point_info;

typedef struct {
    char *path;               /* DIR/summary.csv, for messages */
    char *scenario;           /* name from the first row */
    GPtrArray *keys;          /* swept key names (char *) */
    GPtrArray *rows;          /* row *, in file order */
    GPtrArray *variants;      /* variant names, in order of first appearance */
    GPtrArray *classes;       /* class names, in order of first appearance */
    GArray *points;           /* point_info, by point number */
    GHashTable *index;        /* "point\x1fvariant\x1fclass" -> row * */
    GHashTable *by_point;     /* point -> GPtrArray of its rows */
    int x_key;                /* first numeric swept key, -1 when none */
    gboolean has[C_COUNT];    /* whether the column is in the file */
    guint reps_min, reps_max; /* replications over all rows */
    int rate_key;             /* the swept rate_rps key (open loop), -1 when none */
    char *baseline;           /* [report] baseline variant, NULL when none */
    GPtrArray *headline;      /* const metric *: what the findings lead with */
    GPtrArray *plan;          /* plan_row * from ipam.csv, NULL without one */
    GPtrArray *events;        /* char *: the scheduled events (meta.ini), in time order */
    GArray *event_at_s;       /* double: when each starts, s from the run's start */
    gboolean timeseries;      /* DIR/timeseries.csv exists: the runs kept intervals */
} summary;

typedef struct {
    const char *p, *end; /* unread input */
    guint line;          /* current line, 1-based */
    const char *path;    /* for messages */
} csv_reader;

typedef struct {
    char *label;     /* variant, plus the other swept keys' values */
    GPtrArray *rows; /* const row *, by increasing x */
} sweep_line;

typedef enum {
    U_US,    /* microseconds, shown as µs, ms or s by size */
    U_MS,    /* milliseconds, shown as ms or s */
    U_S,     /* seconds */
    U_RATE,  /* per second */
    U_GBPS,  /* Gbit/s */
    U_PCT,   /* a fraction 0..1 shown as a percentage */
    U_COUNT, /* a count */
} unit_kind;

typedef struct {
    const char *col;   /* summary.csv column, as [report] headline names it */
    int c;             /* its column index */
    int ci;            /* its interval's column, -1 when it has none */
    const char *what;  /* how sentences name it */
    unit_kind unit;    /* how it is shown */
    gboolean low_good; /* lower is better */
    gboolean per_run;  /* cluster-wide: the same in every class's row */
} metric;

/* How two values compare given their 95% intervals. */
typedef enum {
    SIG_UNKNOWN, /* an interval is missing (one replication) */
    SIG_NONE,    /* the intervals overlap: no significant difference */
    SIG_YES,     /* the intervals are disjoint */
} significance;

/* The knee of a load curve: where p99 first exceeds this multiple of its
 * value at the lowest load of the sweep, or the busiest node's CPU passes
 * SATURATED_CPU. */
#define KNEE_FACTOR 3.0

#define SATURATED_CPU 0.95

/* An open-loop point whose completed throughput falls this far short of the
 * offered rate is not in a steady state: its backlog grows with the run. */
#define OPEN_SHORTFALL 0.9

/* The variants (or sweep lines) compared at one point, by value. */
typedef struct {
    const char *name;
    double v, ci;
} entry;

typedef struct {
    guint point;
    char *variant;
    double nodes, max_nodes;
    double max_nodes_upgradable; /* with the surge nodes of an upgrade; NaN: not in the file */
    char *limiting;              /* limiting_factor */
    char *flags;                 /* ';'-separated */
} plan_row;

/* Tables show at most about TABLE_POINTS sweep points (evenly spaced, the
 * last one always): summary.csv has them all. */
#define TABLE_POINTS 40

typedef enum {
    P_LATENCY,    /* per class: p99 (sweep) or p50 and p99 (bars) */
    P_THROUGHPUT, /* per class */
    P_RUN,        /* a cluster-wide metric (metric field) */
} plot_kind;

typedef struct {
    char *name;       /* file name without extension, e.g. "latency-pod-to-service" */
    char *title;      /* for the image's alt text in report.md */
    plot_kind kind;   /* what it draws */
    const char *cls;  /* P_LATENCY, P_THROUGHPUT: the class */
    const metric *mt; /* P_RUN: the metric */
    gboolean empty;   /* nothing to draw: no image */
} plot;

typedef struct {
    const char *terminal; /* "pngcairo" or "png" */
    const char *us;       /* the microsecond unit this terminal can draw */
    gboolean svg;         /* gnuplot has the svg terminal */
} gp_term;

extern const char *const col_names[C_COUNT];
extern const metric metrics[];
extern const gsize n_metrics;

const row *find_row(const summary *s, guint point, const char *variant, const char *cls);
gboolean str_in(const GPtrArray *a, const char *v);
int csv_next(csv_reader *r, GPtrArray *fields, guint *rec_line, GError **error);
gboolean read_file(const char *path, GString *buf, GError **error);
gboolean parse_number(const char *text, double *out);
summary *summary_read(const char *dir, GError **error);
double row_x(const summary *s, const row *r);
GPtrArray *sweep_lines(const summary *s, const char *cls);
void fmt_sig_n(GString *out, double v, int n);
void fmt_sig(GString *out, double v);
void fmt_ci(GString *out, double v, double ci);
void fmt_count(GString *out, double v);
void fmt_pct(GString *out, double util);
const char *sig(GString *scratch, double v);
void md_text(GString *out, const char *t);
void md_code(GString *out, const char *t);
void point_label(GString *out, const summary *s, const row *r, int skip);
gboolean has_traffic(const row *r);
const metric *metric_named(const char *col);
const row *metric_row(const summary *s, guint point, const char *variant, const char *cls,
                      const metric *mt);
double metric_value(const row *r, const metric *mt, double *ci);
gboolean saturated(const summary *s, guint point, const char *variant);
void knees(GString *md, const summary *s, const char *cls);
gboolean saturation_findings(GString *md, const summary *s);
gboolean standout_problems(GString *md, const summary *s);
void identical_variants(GString *md, const summary *s);
GPtrArray *plan_read(const char *dir, GError **error);
gboolean plan_findings(GString *md, const summary *s, const GPtrArray *plan);
void plan_table(GString *md, const summary *s, const GPtrArray *plan);
void headline_metric(GString *md, const summary *s, const metric *mt);
gboolean has_events(const summary *s);
gboolean is_disruption_metric(const metric *mt);
void describe_events(GString *md, const summary *s);
void disruption_findings(GString *md, const summary *s);
void disruption_table(GString *md, const summary *s);
gint dbl_cmp(gconstpointer a, gconstpointer b);
void table_note(GString *md, const summary *s);
gboolean column_any(const summary *s, const char *cls, int c);
/* Whether some row has a value (not NaN) in column c. */
gboolean column_measured(const summary *s, int c);
void class_table(GString *md, const summary *s, const char *cls);
void cluster_table(GString *md, const summary *s);
GPtrArray *plan_plots(const summary *s);
gboolean draw_plots(const summary *s, GPtrArray *plots, const char *dir, const char *gnuplot,
                    GError **error);

void summary_free(summary *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(summary, summary_free)

#endif
