/* `cnisim report DIR`: read DIR/summary.csv, write DIR/report.md (a markdown
 * comparison of the variants, per traffic class, with what stands out) and,
 * through gnuplot, PNG plots in DIR/plots/.
 *
 * The plots are drawn by gnuplot scripts left in DIR/plots/NAME.gp with their
 * data inline, so a user can restyle a plot and rerun it by hand
 * (cd DIR/plots && gnuplot NAME.gp). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "csvout.h"
#include "ipam.h"

/* ---- the summary.csv columns (DESIGN.md, "Outputs") ---- */

/* The columns before the swept keys, in order. */
static const char *const lead_cols[] = {"scenario", "point",     "variant",
                                        "ipam",     "dataplane", "policy"};
enum { L_SCENARIO, L_POINT, L_VARIANT, L_COUNT = G_N_ELEMENTS(lead_cols) };

/* The columns after `class`: required ones in this order, then the optional
 * ones (anywhere among the extras; NaN when absent). */
enum {
    C_REPLICATIONS,
    C_TRANSACTIONS,
    C_FAILED,
    C_TPUT,
    C_TPUT_CI,
    C_LAT_MEAN,
    C_LAT_CI,
    C_P50,
    C_P90,
    C_P99,
    C_P999,
    C_CPU_MEAN,
    C_CPU_MAX,
    C_CT_PEAK,
    C_DROPS_CT,
    C_SNAT,
    C_POLICY,
    C_REQUIRED,
    C_CT_EVICT = C_REQUIRED,
    C_LB_UNPROG,
    C_STALE,
    C_SYNCS,
    C_SYNC_MS,
    C_P50_CI,
    C_P99_CI,
    C_CPU_TXN,
    C_CPU_TXN_MAX,
    C_GBPS,
    C_NEW_P50,
    C_NEW_P99,
    C_REUSED_P50,
    C_REUSED_P99,
    C_T_CT,
    C_T_SNAT,
    C_ADMITTED,
    C_FAIL_AFTER,
    C_CPU_TXN_CI,
    C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "replications",
    "transactions",
    "failed",
    "throughput_rps",
    "throughput_ci95",
    "latency_mean_us",
    "latency_ci95_us",
    "latency_p50_us",
    "latency_p90_us",
    "latency_p99_us",
    "latency_p999_us",
    "cpu_util_mean",
    "cpu_util_max",
    "conntrack_peak",
    "drops_conntrack",
    "snat_failures",
    "policy_drops",
    "ct_evictions",
    "lb_unprogrammed",
    "stale_failures",
    "rule_syncs",
    "sync_ms_mean",
    "latency_p50_ci95_us",
    "latency_p99_ci95_us",
    "cpu_us_per_txn",
    "cpu_us_per_txn_busiest",
    "goodput_gbps",
    "latency_new_p50_us",
    "latency_new_p99_us",
    "latency_reused_p50_us",
    "latency_reused_p99_us",
    "time_to_first_ct_drop_s",
    "time_to_first_snat_failure_s",
    "admitted_before_exhaustion",
    "failure_rate_after_exhaustion",
    "cpu_us_per_txn_ci95",
};

/* Counters that mean something went wrong, with how the report names them.
 * All but `failed` are cluster-wide for a run (batch.c repeats them in every
 * class's row). */
static const struct {
    int col;
    const char *what;
} problem_cols[] = {
    {C_DROPS_CT, "conntrack drops"},
    {C_SNAT, "SNAT failures"},
    {C_POLICY, "policy drops"},
    {C_CT_EVICT, "conntrack evictions"},
    {C_LB_UNPROG, "connections past the LB map (lb_unprogrammed)"},
    {C_STALE, "connections sent to removed endpoints (stale_failures)"},
};

/* ---- the parsed summary ---- */

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
} summary;

static void row_free(gpointer p)
{
    row *r = p;
    g_free(r->variant);
    g_strfreev(r->swept);
    g_free(r->cls);
    g_free(r);
}

static void summary_free(summary *s)
{
    if (!s)
        return;
    g_free(s->path);
    g_free(s->scenario);
    g_ptr_array_unref(s->keys);
    g_ptr_array_unref(s->rows);
    g_ptr_array_unref(s->variants);
    g_ptr_array_unref(s->classes);
    g_array_unref(s->points);
    g_hash_table_unref(s->index);
    g_hash_table_unref(s->by_point);
    g_free(s->baseline);
    if (s->headline)
        g_ptr_array_unref(s->headline);
    if (s->plan)
        g_ptr_array_unref(s->plan);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(summary, summary_free)

static char *index_key(guint point, const char *variant, const char *cls)
{
    return g_strdup_printf("%u\x1f%s\x1f%s", point, variant, cls);
}

/* The rows of a point are few (variants x classes): a scan of them is
 * cheaper than building a key per lookup.  cls NULL: the variant's first
 * row at the point, whatever its class. */
static const row *find_row(const summary *s, guint point, const char *variant, const char *cls)
{
    const GPtrArray *rows = g_hash_table_lookup(s->by_point, GUINT_TO_POINTER(point));
    for (guint i = 0; rows && i < rows->len; i++) {
        const row *r = g_ptr_array_index(rows, i);
        if (strcmp(r->variant, variant) == 0 && (!cls || strcmp(r->cls, cls) == 0))
            return r;
    }
    return NULL;
}

static gboolean str_in(const GPtrArray *a, const char *v)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), v) == 0)
            return TRUE;
    return FALSE;
}

/* ---- CSV reading (RFC 4180, as cn_csv_string writes it) ---- */

typedef struct {
    const char *p, *end; /* unread input */
    guint line;          /* current line, 1-based */
    const char *path;    /* for messages */
} csv_reader;

/* Read one record into fields.  Returns 1, 0 at the end of the input, or -1
 * with error set.  Blank lines are skipped; *rec_line is where the record
 * starts. */
static int csv_next(csv_reader *r, GPtrArray *fields, guint *rec_line, GError **error)
{
    g_ptr_array_set_size(fields, 0);
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
        if (*r->p == '\n')
            r->line++;
        r->p++;
    }
    if (r->p >= r->end)
        return 0;
    *rec_line = r->line;
    g_autoptr(GString) f = g_string_new(NULL);
    for (;;) {
        g_string_truncate(f, 0);
        if (r->p < r->end && *r->p == '"') {
            guint start = r->line;
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                                "%s: line %u: quoted field never closed", r->path, start);
                    return -1;
                }
                char c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"') {
                        g_string_append_c(f, '"');
                        r->p++;
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                g_string_append_c(f, c);
            }
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: line %u: unexpected '%c' after a closing quote (a quote "
                            "inside a field is written twice: \"\")",
                            r->path, r->line, *r->p);
                return -1;
            }
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
                g_string_append_c(f, *r->p++);
        }
        g_ptr_array_add(fields, g_strdup(f->str));
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n') {
            r->p++;
            r->line++;
        }
        return 1;
    }
}

static gboolean read_file(const char *path, GString *buf, GError **error)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot read: %s", path,
                    g_strerror(e));
        return FALSE;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        g_string_append_len(buf, chunk, (gssize)n);
    int e = ferror(fp) ? errno : 0;
    fclose(fp);
    if (e || memchr(buf->str, '\0', buf->len)) {
        g_set_error(error, G_FILE_ERROR, e ? g_file_error_from_errno(e) : G_FILE_ERROR_INVAL,
                    "%s: cannot read: %s", path, e ? g_strerror(e) : "not a text file");
        return FALSE;
    }
    return TRUE;
}

/* ---- from fields to a summary ---- */

static gboolean parse_number(const char *text, double *out)
{
    const char *s = text;
    while (g_ascii_isspace(*s))
        s++;
    if (!*s)
        return FALSE;
    char *end;
    double v = g_ascii_strtod(s, &end);
    if (end == s)
        return FALSE;
    while (g_ascii_isspace(*end))
        end++;
    if (*end)
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean bad_value(const summary *s, guint line, const char *col, const char *expected,
                          const char *got, GError **error)
{
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: line %u, column %s: expected %s, got '%s'", s->path, line, col, expected, got);
    return FALSE;
}

static gboolean bad_header(const summary *s, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean bad_header(const summary *s, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: line 1: not a cnisim summary.csv: %s",
                s->path, what);
    return FALSE;
}

/* Where each numeric column is in a record; -1 when absent. */
typedef struct {
    guint n_fields;  /* fields per record */
    guint class_at;  /* index of `class` */
    int at[C_COUNT]; /* index of each numeric column */
} layout;

static gboolean parse_header(summary *s, GPtrArray *h, layout *lay, GError **error)
{
    for (guint i = 0; i < L_COUNT; i++) {
        const char *got = i < h->len ? g_ptr_array_index(h, i) : "(nothing)";
        if (strcmp(got, lead_cols[i]) != 0)
            return bad_header(s, error, "expected column %u to be '%s', got '%s'", i + 1,
                              lead_cols[i], got);
    }
    guint ci = L_COUNT;
    while (ci < h->len && strcmp(g_ptr_array_index(h, ci), "class") != 0)
        ci++;
    if (ci == h->len)
        return bad_header(s, error, "no 'class' column after the swept keys");
    for (guint i = L_COUNT; i < ci; i++) {
        const char *k = g_ptr_array_index(h, i);
        if (!*k || str_in(s->keys, k))
            return bad_header(s, error, "swept key column %u is %s", i + 1,
                              *k ? "repeated" : "unnamed");
        g_ptr_array_add(s->keys, g_strdup(k));
    }
    lay->n_fields = h->len;
    lay->class_at = ci;
    for (int c = 0; c < C_COUNT; c++)
        lay->at[c] = -1;
    for (int c = 0; c < C_REQUIRED; c++) {
        guint i = ci + 1 + (guint)c;
        const char *got = i < h->len ? g_ptr_array_index(h, i) : "(nothing)";
        if (strcmp(got, col_names[c]) != 0)
            return bad_header(s, error, "expected column %u to be '%s', got '%s'", i + 1,
                              col_names[c], got);
        lay->at[c] = (int)i;
    }
    for (guint i = ci + 1 + C_REQUIRED; i < h->len; i++)
        for (int c = C_REQUIRED; c < C_COUNT; c++)
            if (lay->at[c] < 0 && strcmp(g_ptr_array_index(h, i), col_names[c]) == 0)
                lay->at[c] = (int)i;
    for (int c = 0; c < C_COUNT; c++)
        s->has[c] = lay->at[c] >= 0;
    return TRUE;
}

static gboolean parse_row(summary *s, const layout *lay, GPtrArray *f, guint line, GError **error)
{
    if (f->len != lay->n_fields) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: line %u: expected %u fields, as in the header, got %u", s->path, line,
                    lay->n_fields, f->len);
        return FALSE;
    }
    g_autoptr(GPtrArray) owner = g_ptr_array_new_with_free_func(row_free);
    row *r = g_new0(row, 1);
    g_ptr_array_add(owner, r);
    r->line = line;
    guint64 point;
    const char *ptext = g_ptr_array_index(f, L_POINT);
    if (!g_ascii_string_to_unsigned(ptext, 10, 1, G_MAXUINT, &point, NULL))
        return bad_value(s, line, "point", "a whole number >= 1", ptext, error);
    r->point = (guint)point;
    r->variant = g_strdup(g_ptr_array_index(f, L_VARIANT));
    if (!*r->variant)
        return bad_value(s, line, "variant", "a variant name", "", error);
    r->cls = g_strdup(g_ptr_array_index(f, lay->class_at));
    if (!*r->cls)
        return bad_value(s, line, "class", "a traffic class", "", error);
    r->swept = g_new0(char *, s->keys->len + 1);
    for (guint k = 0; k < s->keys->len; k++)
        r->swept[k] = g_strdup(g_ptr_array_index(f, L_COUNT + k));
    for (int c = 0; c < C_COUNT; c++) {
        r->m[c] = NAN;
        if (lay->at[c] < 0)
            continue;
        const char *t = g_ptr_array_index(f, (guint)lay->at[c]);
        if (c == C_REPLICATIONS) {
            guint64 n;
            if (!g_ascii_string_to_unsigned(t, 10, 1, G_MAXUINT, &n, NULL))
                return bad_value(s, line, col_names[c], "a whole number >= 1", t, error);
            r->m[c] = (double)n;
            continue;
        }
        if (!*t)
            continue; /* an undefined value: NaN */
        if (!parse_number(t, &r->m[c]))
            return bad_value(s, line, col_names[c], "a number or an empty field", t, error);
        /* NaN is what %.6g writes for an undefined interval; negative is never right. */
        if (r->m[c] < 0)
            return bad_value(s, line, col_names[c], "a number >= 0", t, error);
    }

    g_autofree char *key = index_key(r->point, r->variant, r->cls);
    const row *dup = g_hash_table_lookup(s->index, key);
    if (dup) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: line %u: a second row for point %u, variant '%s', class '%s' (the "
                    "first is on line %u)",
                    s->path, line, r->point, r->variant, r->cls, dup->line);
        return FALSE;
    }
    if (s->rows->len == 0)
        s->scenario = g_strdup(g_ptr_array_index(f, L_SCENARIO));
    g_ptr_array_steal_index(owner, 0);
    g_ptr_array_add(s->rows, r);
    g_hash_table_insert(s->index, g_steal_pointer(&key), r);
    GPtrArray *at = g_hash_table_lookup(s->by_point, GUINT_TO_POINTER(r->point));
    if (!at) {
        at = g_ptr_array_new();
        g_hash_table_insert(s->by_point, GUINT_TO_POINTER(r->point), at);
    }
    g_ptr_array_add(at, r);
    if (!str_in(s->variants, r->variant))
        g_ptr_array_add(s->variants, g_strdup(r->variant));
    if (!str_in(s->classes, r->cls))
        g_ptr_array_add(s->classes, g_strdup(r->cls));
    guint reps = (guint)r->m[C_REPLICATIONS];
    s->reps_min = s->rows->len == 1 ? reps : MIN(s->reps_min, reps);
    s->reps_max = MAX(s->reps_max, reps);
    return TRUE;
}

static gint point_cmp(gconstpointer a, gconstpointer b)
{
    guint x = ((const point_info *)a)->point, y = ((const point_info *)b)->point;
    return x < y ? -1 : x > y;
}

/* The sweep points, each with one set of swept values; the first swept key
 * whose values are all numbers becomes the x axis. */
static gboolean collect_points(summary *s, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        const row *first = g_hash_table_lookup(seen, GUINT_TO_POINTER(r->point));
        if (!first) {
            g_hash_table_insert(seen, GUINT_TO_POINTER(r->point), (gpointer)r);
            point_info pi = {r->point, r, NAN};
            g_array_append_val(s->points, pi);
            continue;
        }
        for (guint k = 0; k < s->keys->len; k++)
            if (strcmp(first->swept[k], r->swept[k]) != 0) {
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: line %u, column %s: point %u has '%s' here but '%s' on line %u",
                            s->path, r->line, (const char *)g_ptr_array_index(s->keys, k), r->point,
                            r->swept[k], first->swept[k], first->line);
                return FALSE;
            }
    }
    g_array_sort(s->points, point_cmp);
    s->x_key = -1;
    s->rate_key = -1;
    for (guint k = 0; k < s->keys->len; k++)
        if (strcmp(g_ptr_array_index(s->keys, k), "rate_rps") == 0)
            s->rate_key = (int)k;
    for (guint k = 0; k < s->keys->len && s->x_key < 0; k++) {
        gboolean numeric = TRUE;
        for (guint p = 0; p < s->points->len && numeric; p++) {
            point_info *pi = &g_array_index(s->points, point_info, p);
            numeric = parse_number(pi->at->swept[k], &pi->x) && isfinite(pi->x);
        }
        if (numeric)
            s->x_key = (int)k;
    }
    for (guint i = 0; i < s->rows->len; i++) {
        row *r = g_ptr_array_index(s->rows, i);
        r->x = NAN;
        if (s->x_key >= 0)
            parse_number(r->swept[s->x_key], &r->x);
    }
    return TRUE;
}

static summary *summary_read(const char *dir, GError **error)
{
    g_autoptr(summary) s = g_new0(summary, 1);
    s->path = g_build_filename(dir, "summary.csv", NULL);
    s->keys = g_ptr_array_new_with_free_func(g_free);
    s->rows = g_ptr_array_new_with_free_func(row_free);
    s->variants = g_ptr_array_new_with_free_func(g_free);
    s->classes = g_ptr_array_new_with_free_func(g_free);
    s->points = g_array_new(FALSE, FALSE, sizeof(point_info));
    s->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->by_point = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        (GDestroyNotify)g_ptr_array_unref);

    g_autoptr(GString) text = g_string_new(NULL);
    if (!read_file(s->path, text, error))
        return NULL;
    csv_reader rd = {text->str, text->str + text->len, 1, s->path};
    if (text->len >= 3 && memcmp(text->str, "\xEF\xBB\xBF", 3) == 0)
        rd.p += 3; /* a UTF-8 byte-order mark, as spreadsheets save it */
    g_autoptr(GPtrArray) f = g_ptr_array_new_with_free_func(g_free);
    guint line = 0;
    int got = csv_next(&rd, f, &line, error);
    if (got < 0)
        return NULL;
    if (got == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: empty file", s->path);
        return NULL;
    }
    layout lay = {0}; /* gcc -O3 cannot see parse_header sets it before parse_row reads it */
    if (!parse_header(s, f, &lay, error))
        return NULL;
    while ((got = csv_next(&rd, f, &line, error)) > 0)
        if (!parse_row(s, &lay, f, line, error))
            return NULL;
    if (got < 0)
        return NULL;
    if (s->rows->len == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: no data rows (did the run finish?)", s->path);
        return NULL;
    }
    if (!collect_points(s, error))
        return NULL;
    return g_steal_pointer(&s);
}

/* ---- number formatting ---- */

/* v to 3 significant digits, readably: 0.0123, 1.23, 12.3, 123, 1230, 12.3k,
 * 123k, 1.23M; scientific notation outside 1e-4 .. 1e15. */
/* v to n significant digits, readably (n = 3: 0.0123, 1.23, 12.3, 123,
 * 1230, 12.3k, 123k, 1.23M); scientific notation outside 1e-4 .. 1e15. */
static void fmt_sig_n(GString *out, double v, int n)
{
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    if (isinf(v)) {
        g_string_append(out, v > 0 ? "∞" : "-∞");
        return;
    }
    if (v == 0) {
        g_string_append_c(out, '0');
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[16];
    g_snprintf(fmt, sizeof fmt, "%%.%de", n - 1);
    g_ascii_formatd(buf, sizeof buf, fmt, v); /* rounds first: 999.6 -> 1.00e+03 */
    int e = atoi(strchr(buf, 'e') + 1);
    double r = g_ascii_strtod(buf, NULL);
    static const char suffix[] = "kMGT";
    if (e >= 4 && e < 15) {
        int g = e / 3;
        g_snprintf(fmt, sizeof fmt, "%%.%df", MAX(0, n - 1 - (e - 3 * g)));
        g_ascii_formatd(buf, sizeof buf, fmt, r / pow(10, 3 * g));
        g_string_append_printf(out, "%s%c", buf, suffix[g - 1]);
    } else if (e >= -4 && e < 4) {
        g_snprintf(fmt, sizeof fmt, "%%.%df", MAX(0, n - 1 - e));
        g_ascii_formatd(buf, sizeof buf, fmt, r);
        g_string_append(out, buf);
    } else {
        g_string_append(out, buf);
    }
}

static void fmt_sig(GString *out, double v)
{
    fmt_sig_n(out, v, 3);
}

/* "v ± ci": the interval to two significant digits, and none when it is
 * below half a percent of the value (digits that would only be noise). */
static void fmt_ci(GString *out, double v, double ci)
{
    fmt_sig(out, v);
    if (isfinite(ci) && ci > 0 && ci >= 0.005 * fabs(v)) {
        g_string_append(out, " ± ");
        fmt_sig_n(out, ci, 2);
    }
}

/* A count: exact below 10 000, else as fmt_sig. */
/* A count: exact, with thousands separators from 10,000 (a count is read,
 * not estimated: "312,045 drops"), 3 significant digits past 10^12. */
static void fmt_count(GString *out, double v)
{
    if (!isfinite(v) || v != floor(v) || fabs(v) >= 1e12) {
        fmt_sig(out, v);
        return;
    }
    char buf[32];
    g_snprintf(buf, sizeof buf, "%.0f", fabs(v));
    if (v < 0)
        g_string_append_c(out, '-');
    gsize n = strlen(buf);
    for (gsize i = 0; i < n; i++) {
        if (i && n >= 5 && (n - i) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, buf[i]);
    }
}

static void fmt_pct(GString *out, double util)
{
    fmt_sig(out, util * 100);
    if (!isnan(util))
        g_string_append_c(out, '%');
}

/* Scratch formatting for one-off values in sentences. */
static const char *sig(GString *scratch, double v)
{
    g_string_truncate(scratch, 0);
    fmt_sig(scratch, v);
    return scratch->str;
}

/* ---- markdown helpers ---- */

/* Text in a table cell or sentence: escape what markdown would act on. */
static void md_text(GString *out, const char *t)
{
    for (; *t; t++) {
        if (strchr("\\|*`<[]", *t))
            g_string_append_c(out, '\\');
        g_string_append_c(out, *t == '\n' || *t == '\r' ? ' ' : *t);
    }
}

/* A name as a code span (wider fences when the name holds a backtick). */
static void md_code(GString *out, const char *t)
{
    gboolean tick = strchr(t, '`') != NULL;
    g_string_append(out, tick ? "`` " : "`");
    for (; *t; t++)
        g_string_append_c(out, *t == '\n' || *t == '\r' ? ' ' : *t);
    g_string_append(out, tick ? " ``" : "`");
}

/* "services = 1000, model = open" for a point (all swept keys but skip). */
static void point_label(GString *out, const summary *s, const row *r, int skip)
{
    gboolean first = TRUE;
    for (guint k = 0; k < s->keys->len; k++) {
        if ((int)k == skip)
            continue;
        g_string_append_printf(out, "%s%s = %s", first ? "" : ", ",
                               (const char *)g_ptr_array_index(s->keys, k), r->swept[k]);
        first = FALSE;
    }
}

static gboolean has_traffic(const row *r)
{
    return r->m[C_TRANSACTIONS] > 0;
}

/* ---- lines along the numeric sweep (shared by the text and the plots) ---- */

typedef struct {
    char *label;     /* variant, plus the other swept keys' values */
    GPtrArray *rows; /* const row *, by increasing x */
} sweep_line;

static void sweep_line_free(gpointer p)
{
    sweep_line *l = p;
    g_free(l->label);
    g_ptr_array_unref(l->rows);
    g_free(l);
}

static double row_x(const summary *s, const row *r)
{
    (void)s;
    return r->x;
}

static const summary *sort_summary; /* for row_x_cmp (one report at a time) */

static gint row_x_cmp(gconstpointer a, gconstpointer b)
{
    double x = row_x(sort_summary, *(const row *const *)a);
    double y = row_x(sort_summary, *(const row *const *)b);
    return x < y ? -1 : x > y;
}

/* One line per variant (and per combination of the other swept keys) of a
 * class, in variant order, each with its points by increasing x. */
static GPtrArray *sweep_lines(const summary *s, const char *cls)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(sweep_line_free);
    g_autoptr(GHashTable) by_label = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GString) label = g_string_new(NULL);
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        for (guint p = 0; p < s->points->len; p++) {
            const row *r = find_row(s, g_array_index(s->points, point_info, p).point, variant, cls);
            if (!r)
                continue;
            g_string_assign(label, variant);
            if (s->keys->len > 1) {
                g_string_append(label, " (");
                point_label(label, s, r, s->x_key);
                g_string_append_c(label, ')');
            }
            sweep_line *l = g_hash_table_lookup(by_label, label->str);
            if (!l) {
                l = g_new0(sweep_line, 1);
                l->label = g_strdup(label->str);
                l->rows = g_ptr_array_new();
                g_ptr_array_add(lines, l);
                g_hash_table_insert(by_label, l->label, l);
            }
            g_ptr_array_add(l->rows, (gpointer)r);
        }
    }
    /* Sorted once at the end: a line can have thousands of points. */
    sort_summary = s;
    for (guint i = 0; i < lines->len; i++)
        g_ptr_array_sort(((sweep_line *)g_ptr_array_index(lines, i))->rows, row_x_cmp);
    return lines;
}

/* ---- metrics, units and intervals ---- */

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

static const metric metrics[] = {
    {"latency_p99_us", C_P99, C_P99_CI, "p99 latency", U_US, TRUE, FALSE},
    {"latency_p50_us", C_P50, C_P50_CI, "p50 latency", U_US, TRUE, FALSE},
    {"latency_mean_us", C_LAT_MEAN, C_LAT_CI, "mean latency", U_US, TRUE, FALSE},
    {"latency_p90_us", C_P90, -1, "p90 latency", U_US, TRUE, FALSE},
    {"latency_p999_us", C_P999, -1, "p99.9 latency", U_US, TRUE, FALSE},
    {"latency_new_p99_us", C_NEW_P99, -1, "p99 latency of new connections", U_US, TRUE, FALSE},
    {"latency_reused_p99_us", C_REUSED_P99, -1, "p99 latency of reused connections", U_US, TRUE,
     FALSE},
    {"throughput_rps", C_TPUT, C_TPUT_CI, "throughput", U_RATE, FALSE, FALSE},
    {"goodput_gbps", C_GBPS, -1, "goodput", U_GBPS, FALSE, FALSE},
    {"failed", C_FAILED, -1, "failed transactions", U_COUNT, TRUE, FALSE},
    {"cpu_us_per_txn", C_CPU_TXN, C_CPU_TXN_CI, "CPU per transaction", U_US, TRUE, TRUE},
    {"cpu_us_per_txn_busiest", C_CPU_TXN_MAX, -1, "busiest node's CPU per transaction", U_US, TRUE,
     TRUE},
    {"cpu_util_mean", C_CPU_MEAN, -1, "mean CPU", U_PCT, TRUE, TRUE},
    {"cpu_util_max", C_CPU_MAX, -1, "busiest node's CPU", U_PCT, TRUE, TRUE},
    {"conntrack_peak", C_CT_PEAK, -1, "conntrack peak occupancy", U_COUNT, TRUE, TRUE},
    {"drops_conntrack", C_DROPS_CT, -1, "conntrack drops", U_COUNT, TRUE, TRUE},
    {"snat_failures", C_SNAT, -1, "SNAT failures", U_COUNT, TRUE, TRUE},
    {"stale_failures", C_STALE, -1, "stale-endpoint failures", U_COUNT, TRUE, TRUE},
    {"sync_ms_mean", C_SYNC_MS, -1, "rule sync time", U_MS, TRUE, TRUE},
    {"time_to_first_snat_failure_s", C_T_SNAT, -1, "time to the first SNAT failure", U_S, FALSE,
     TRUE},
    {"time_to_first_ct_drop_s", C_T_CT, -1, "time to the first conntrack drop", U_S, FALSE, TRUE},
    {"admitted_before_exhaustion", C_ADMITTED, -1, "connections admitted before exhaustion",
     U_COUNT, FALSE, TRUE},
    {"failure_rate_after_exhaustion", C_FAIL_AFTER, -1, "failure rate after exhaustion", U_PCT,
     TRUE, TRUE},
};

static const metric *metric_named(const char *col)
{
    for (guint i = 0; i < G_N_ELEMENTS(metrics); i++)
        if (strcmp(metrics[i].col, col) == 0)
            return &metrics[i];
    return NULL;
}

/* A latency or time in the unit that suits its size; ci (NaN: none) in the
 * same unit.  "1.48 ms ± 0.12". */
static void fmt_value(GString *out, unit_kind u, double v, double ci)
{
    double scale = 1;
    const char *unit = "";
    switch (u) {
    case U_US:
        if (fabs(v) >= 1e6)
            scale = 1e-6, unit = " s";
        else if (fabs(v) >= 1e3)
            scale = 1e-3, unit = " ms";
        else
            unit = " µs";
        break;
    case U_MS:
        if (fabs(v) >= 1e3)
            scale = 1e-3, unit = " s";
        else
            unit = " ms";
        break;
    case U_S:
        if (fabs(v) < 1 && v != 0)
            scale = 1e3, unit = " ms";
        else
            unit = " s";
        break;
    case U_RATE:
        unit = "/s";
        break;
    case U_GBPS:
        unit = " Gbit/s";
        break;
    case U_PCT:
        scale = 100, unit = "%";
        break;
    case U_COUNT:
        break;
    }
    if (isnan(v)) {
        g_string_append(out, "–");
        return;
    }
    if (u == U_COUNT) {
        fmt_count(out, v);
        g_string_append(out, unit);
        return;
    }
    fmt_sig(out, v * scale);
    g_string_append(out, unit);
    if (isfinite(ci) && ci > 0 && ci >= 0.005 * fabs(v)) {
        g_string_append(out, " ± ");
        fmt_sig_n(out, ci * scale, 2);
    }
}

/* How two values compare given their 95% intervals. */
typedef enum {
    SIG_UNKNOWN, /* an interval is missing (one replication) */
    SIG_NONE,    /* the intervals overlap: no significant difference */
    SIG_YES,     /* the intervals are disjoint */
} significance;

static significance compare_ci(double a, double ca, double b, double cb)
{
    if (isnan(ca) || isnan(cb))
        return a == b ? SIG_NONE : SIG_UNKNOWN;
    return fabs(a - b) > ca + cb ? SIG_YES : SIG_NONE;
}

/* The row holding metric mt for (point, variant, class): for a cluster-wide
 * metric, the first class row that has it. */
static const row *metric_row(const summary *s, guint point, const char *variant, const char *cls,
                             const metric *mt)
{
    if (!mt->per_run)
        return find_row(s, point, variant, cls);
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
        if (r && isfinite(r->m[mt->c]))
            return r;
    }
    return NULL;
}

static double metric_value(const row *r, const metric *mt, double *ci)
{
    *ci = NAN;
    if (!r || !isfinite(r->m[mt->c]))
        return NAN;
    /* Latencies of a class that completed nothing are not results. */
    if (mt->unit == U_US && !mt->per_run && !has_traffic(r))
        return NAN;
    if (mt->ci >= 0)
        *ci = r->m[mt->ci];
    return r->m[mt->c];
}

/* ---- saturation and the knee ---- */

/* The knee of a load curve: where p99 first exceeds this multiple of its
 * value at the lowest load of the sweep, or the busiest node's CPU passes
 * SATURATED_CPU. */
#define KNEE_FACTOR   3.0
#define SATURATED_CPU 0.95
/* An open-loop point whose completed throughput falls this far short of the
 * offered rate is not in a steady state: its backlog grows with the run. */
#define OPEN_SHORTFALL 0.9

/* Whether a variant at a point is saturated: the busiest CPU past 95%, or
 * (with a swept rate_rps) completed throughput well short of the offered
 * rate. Such a point's figures grow or fall with the run's length. */
static gboolean saturated(const summary *s, guint point, const char *variant)
{
    double tput = 0, cpu = NAN;
    const row *any = NULL;
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
        if (!r)
            continue;
        any = r;
        if (isfinite(r->m[C_TPUT]))
            tput += r->m[C_TPUT];
        if (isfinite(r->m[C_CPU_MAX]))
            cpu = r->m[C_CPU_MAX];
    }
    if (!any)
        return FALSE;
    if (cpu >= SATURATED_CPU)
        return TRUE;
    double rate;
    if (s->rate_key >= 0 && parse_number(any->swept[s->rate_key], &rate) && rate > 0)
        return tput < OPEN_SHORTFALL * rate;
    return FALSE;
}

/* ---- the comparison tables ---- */

static gboolean key_numeric(const summary *s, guint k)
{
    for (guint p = 0; p < s->points->len; p++) {
        double x;
        if (!parse_number(g_array_index(s->points, point_info, p).at->swept[k], &x))
            return FALSE;
    }
    return TRUE;
}

/* The scale a whole latency column is shown in: ms when its values reach
 * 10 ms, so a column does not mix units. */
static gint dbl_cmp(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median (which = 0.5) or the largest (which = 1) of a column over a
 * class's rows (all rows when cls is NULL); 0 when it has no value. */
static double column_stat(const summary *s, const char *cls, int c, double which)
{
    g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if ((!cls || strcmp(r->cls, cls) == 0) && isfinite(r->m[c]))
            g_array_append_val(v, r->m[c]);
    }
    if (!v->len)
        return 0;
    g_array_sort(v, dbl_cmp);
    return g_array_index(v, double, (guint)(which * (v->len - 1)));
}

static void fmt_scaled(GString *md, double v, double ci, double scale)
{
    if (isnan(v)) {
        g_string_append(md, "–");
        return;
    }
    fmt_ci(md, v * scale, ci * scale);
    /* An interval wider than half the value says the run is too short or
     * the replications too few to trust the figure. */
    if (isfinite(ci) && ci > 0.5 * v)
        g_string_append(md, " (wide)");
}

static void table_head(GString *md, const summary *s, const char *const *cols, guint n)
{
    g_string_append(md, "| variant |");
    for (guint k = 0; k < s->keys->len; k++) {
        g_string_append_c(md, ' ');
        md_text(md, g_ptr_array_index(s->keys, k));
        g_string_append(md, " |");
    }
    for (guint i = 0; i < n; i++)
        g_string_append_printf(md, " %s |", cols[i]);
    g_string_append(md, "\n|---|");
    for (guint k = 0; k < s->keys->len; k++)
        g_string_append(md, key_numeric(s, k) ? "---:|" : "---|");
    for (guint i = 0; i < n; i++)
        g_string_append(md, "---:|");
    g_string_append_c(md, '\n');
}

/* Tables show at most about TABLE_POINTS sweep points (evenly spaced, the
 * last one always): summary.csv has them all. */
#define TABLE_POINTS 40

static guint table_stride(const summary *s)
{
    return (s->points->len + TABLE_POINTS - 1) / TABLE_POINTS;
}

static gboolean table_shows(const summary *s, guint p)
{
    guint k = table_stride(s);
    return p % k == 0 || p + 1 == s->points->len;
}

static void table_note(GString *md, const summary *s)
{
    if (table_stride(s) > 1)
        g_string_append_printf(md,
                               "\n(Every %u%s sweep point and the last shown; `summary.csv` "
                               "has all %u.)\n",
                               table_stride(s), table_stride(s) == 2 ? "nd" : "th", s->points->len);
}

static void row_lead(GString *md, const summary *s, const row *r)
{
    g_string_append(md, "| ");
    md_text(md, r->variant);
    if (saturated(s, r->point, r->variant))
        g_string_append(md, " ⚠");
    for (guint k = 0; k < s->keys->len; k++) {
        g_string_append(md, " | ");
        md_text(md, r->swept[k]);
    }
}

static gboolean column_any(const summary *s, const char *cls, int c)
{
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if ((!cls || strcmp(r->cls, cls) == 0) && r->m[c] > 0)
            return TRUE;
    }
    return FALSE;
}

/* Per class: throughput, latency and failures; narrow enough to read. */
static void class_table(GString *md, const summary *s, const char *cls)
{
    /* One unit per column: ms when the typical p99 is past a millisecond. */
    gboolean ms = column_stat(s, cls, C_P99, 0.5) >= 1e3;
    double lscale = ms ? 1e-3 : 1;
    const char *lu = ms ? "ms" : "µs";
    /* Gbit/s where messages are large enough for it to matter. */
    gboolean gbps = FALSE;
    for (guint i = 0; i < s->rows->len && !gbps; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        /* bytes per transaction = Gbit/s x 1e9 / 8 / rate: 16 KiB or more */
        gbps = strcmp(r->cls, cls) == 0 && r->m[C_TPUT] > 0 && r->m[C_GBPS] >= 0.1 &&
               r->m[C_GBPS] * 1e9 / 8 / r->m[C_TPUT] >= 16384;
    }
    gboolean failed = column_any(s, cls, C_FAILED);
    gboolean split =
        s->has[C_NEW_P99] && column_any(s, cls, C_NEW_P99) && column_any(s, cls, C_REUSED_P99);
    g_autofree char *c_mean = g_strdup_printf("mean (%s)", lu);
    g_autofree char *c_p50 = g_strdup_printf("p50 (%s)", lu);
    g_autofree char *c_p99 = g_strdup_printf("p99 (%s)", lu);
    g_autofree char *c_p999 = g_strdup_printf("p99.9 (%s)", lu);
    g_autofree char *c_new = g_strdup_printf("p99 new / reused conn. (%s)", lu);
    const char *cols[8];
    guint n = 0;
    cols[n++] = "throughput (/s)";
    if (gbps)
        cols[n++] = "Gbit/s";
    cols[n++] = c_mean;
    cols[n++] = c_p50;
    cols[n++] = c_p99;
    cols[n++] = c_p999;
    if (split)
        cols[n++] = c_new;
    if (failed)
        cols[n++] = "failed";
    table_head(md, s, cols, n);
    for (guint p = 0; p < s->points->len; p++) {
        if (!table_shows(s, p))
            continue;
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = find_row(s, point, g_ptr_array_index(s->variants, v), cls);
            if (!r)
                continue;
            const double *m = r->m;
            gboolean lat = has_traffic(r);
            row_lead(md, s, r);
            g_string_append(md, " | ");
            fmt_scaled(md, m[C_TPUT], m[C_TPUT_CI], 1);
            if (gbps) {
                g_string_append(md, " | ");
                fmt_sig(md, m[C_GBPS]);
            }
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_LAT_MEAN] : NAN, m[C_LAT_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P50] : NAN, m[C_P50_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P99] : NAN, m[C_P99_CI], lscale);
            g_string_append(md, " | ");
            fmt_scaled(md, lat ? m[C_P999] : NAN, NAN, lscale);
            if (split) {
                g_string_append(md, " | ");
                fmt_scaled(md, m[C_NEW_P99], NAN, lscale);
                g_string_append(md, " / ");
                fmt_scaled(md, m[C_REUSED_P99], NAN, lscale);
            }
            if (failed) {
                g_string_append(md, " | ");
                fmt_count(md, m[C_FAILED]);
                double tried = m[C_FAILED] + m[C_TRANSACTIONS];
                if (m[C_FAILED] > 0 && tried > 0)
                    g_string_append_printf(md, " (%.3g%%)", 100 * m[C_FAILED] / tried);
            }
            g_string_append(md, " |\n");
        }
    }
}

/* Cluster-wide figures, once per point and variant (not per class). */
static void cluster_table(GString *md, const summary *s)
{
    static const struct {
        int c;
        const char *head;
        unit_kind u;
        gboolean only_if_any;
    } cols[] = {
        {C_CPU_MEAN, "CPU mean", U_PCT, FALSE},
        {C_CPU_MAX, "CPU busiest", U_PCT, FALSE},
        {C_CPU_TXN, "CPU µs/txn", U_COUNT, FALSE},
        {C_CPU_TXN_MAX, "busiest µs/txn", U_COUNT, FALSE},
        {C_CT_PEAK, "conntrack peak", U_COUNT, FALSE},
        {C_DROPS_CT, "ct drops", U_COUNT, TRUE},
        {C_CT_EVICT, "ct evictions", U_COUNT, TRUE},
        {C_SNAT, "SNAT fail", U_COUNT, TRUE},
        {C_POLICY, "policy drops", U_COUNT, TRUE},
        {C_LB_UNPROG, "past LB map", U_COUNT, TRUE},
        {C_STALE, "stale fail", U_COUNT, TRUE},
        {C_SYNC_MS, "sync (ms)", U_MS, TRUE},
        {C_T_SNAT, "1st SNAT fail (s)", U_S, TRUE},
        {C_T_CT, "1st ct drop (s)", U_S, TRUE},
        {C_ADMITTED, "admitted before", U_COUNT, TRUE},
        {C_FAIL_AFTER, "fail rate after", U_PCT, TRUE},
    };
    const char *heads[G_N_ELEMENTS(cols)];
    int use[G_N_ELEMENTS(cols)];
    guint n = 0;
    for (guint i = 0; i < G_N_ELEMENTS(cols); i++)
        if (s->has[cols[i].c] && (!cols[i].only_if_any || column_any(s, NULL, cols[i].c))) {
            use[n] = (int)i;
            heads[n++] = cols[i].head;
        }
    table_head(md, s, heads, n);
    const char *cls0 = g_ptr_array_index(s->classes, 0);
    for (guint p = 0; p < s->points->len; p++) {
        if (!table_shows(s, p))
            continue;
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const char *variant = g_ptr_array_index(s->variants, v);
            const row *r = find_row(s, point, variant, cls0);
            for (guint c = 1; !r && c < s->classes->len; c++)
                r = find_row(s, point, variant, g_ptr_array_index(s->classes, c));
            if (!r)
                continue;
            row_lead(md, s, r);
            for (guint i = 0; i < n; i++) {
                double v2 = r->m[cols[use[i]].c];
                g_string_append(md, " | ");
                switch (cols[use[i]].u) {
                case U_PCT:
                    fmt_pct(md, v2);
                    break;
                case U_COUNT:
                    if (cols[use[i]].c == C_CPU_TXN || cols[use[i]].c == C_CPU_TXN_MAX)
                        fmt_sig(md, v2);
                    else
                        fmt_count(md, v2);
                    break;
                default:
                    fmt_sig(md, v2);
                    break;
                }
            }
            g_string_append(md, " |\n");
        }
    }
}

/* ---- findings ---- */

/* The variants (or sweep lines) compared at one point, by value. */
typedef struct {
    const char *name;
    double v, ci;
} entry;

static gint entry_cmp_low(gconstpointer a, gconstpointer b)
{
    double x = ((const entry *)a)->v, y = ((const entry *)b)->v;
    return x < y ? -1 : x > y;
}

/* Collect metric mt of every variant at point (NaN-free), sorted best first. */
static GArray *entries_at(const summary *s, guint point, const char *cls, const metric *mt)
{
    GArray *e = g_array_new(FALSE, FALSE, sizeof(entry));
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        entry x = {variant, NAN, NAN};
        x.v = metric_value(metric_row(s, point, variant, cls, mt), mt, &x.ci);
        if (!isnan(x.v))
            g_array_append_val(e, x);
    }
    g_array_sort(e, entry_cmp_low);
    if (!mt->low_good)
        for (guint i = 0; i < e->len / 2; i++) {
            entry t = g_array_index(e, entry, i);
            g_array_index(e, entry, i) = g_array_index(e, entry, e->len - 1 - i);
            g_array_index(e, entry, e->len - 1 - i) = t;
        }
    return e;
}

static void name_value(GString *md, const metric *mt, const entry *x)
{
    md_code(md, x->name);
    g_string_append_c(md, ' ');
    fmt_value(md, mt->unit, x->v, x->ci);
}

/* One sentence comparing the variants on mt at a point: the best, those not
 * significantly different from it, and the worst with its ratio; or "no
 * significant difference" when the intervals of best and worst overlap. */
static void compare_sentence(GString *md, const summary *s, guint point, const char *cls,
                             const metric *mt)
{
    g_autoptr(GArray) e = entries_at(s, point, cls, mt);
    if (e->len < 2) {
        g_string_append(md, "fewer than two variants have a value");
        return;
    }
    const entry *best = &g_array_index(e, entry, 0), *worst = &g_array_index(e, entry, e->len - 1);
    significance sw = compare_ci(best->v, best->ci, worst->v, worst->ci);
    if (best->v == worst->v) {
        g_string_append(md, "the same for every variant (");
        fmt_value(md, mt->unit, best->v, NAN);
        g_string_append_c(md, ')');
        return;
    }
    if (sw == SIG_NONE) {
        g_string_append(md, "no significant difference between the variants (");
        fmt_value(md, mt->unit, mt->low_good ? best->v : worst->v, NAN);
        g_string_append(md, " to ");
        fmt_value(md, mt->unit, mt->low_good ? worst->v : best->v, NAN);
        g_string_append(md, ", 95% intervals overlap)");
        return;
    }
    g_string_append(md, mt->low_good ? "lowest " : "highest ");
    name_value(md, mt, best);
    guint tied = 0;
    for (guint i = 1; i + 1 < e->len; i++) {
        const entry *x = &g_array_index(e, entry, i);
        if (compare_ci(best->v, best->ci, x->v, x->ci) != SIG_NONE)
            continue;
        g_string_append(md, tied++ ? ", " : " (no significant difference from ");
        md_code(md, x->name);
    }
    if (tied)
        g_string_append_c(md, ')');
    g_string_append(md, mt->low_good ? "; highest " : "; lowest ");
    name_value(md, mt, worst);
    double lo = MIN(best->v, worst->v), hi = MAX(best->v, worst->v);
    g_autoptr(GString) t = g_string_new(NULL);
    if (lo > 0)
        g_string_append_printf(md, ", %s×", sig(t, hi / lo));
    if (sw == SIG_UNKNOWN)
        g_string_append(md, s->reps_max > 1 ? " (no interval for this figure: not tested)"
                                            : " (one replication: not tested)");
}

/* Against the [report] baseline: each other variant's ratio, significant or not. */
static void baseline_sentence(GString *md, const summary *s, guint point, const char *cls,
                              const metric *mt)
{
    double bci;
    double b = metric_value(metric_row(s, point, s->baseline, cls, mt), mt, &bci);
    if (isnan(b)) {
        g_string_append(md, "the baseline has no value here");
        return;
    }
    g_autoptr(GString) t = g_string_new(NULL);
    md_code(md, s->baseline);
    g_string_append_c(md, ' ');
    fmt_value(md, mt->unit, b, bci);
    g_string_append(md, "; against it:");
    gboolean first = TRUE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        if (strcmp(variant, s->baseline) == 0)
            continue;
        double ci, x = metric_value(metric_row(s, point, variant, cls, mt), mt, &ci);
        if (isnan(x))
            continue;
        g_string_append(md, first ? " " : ", ");
        first = FALSE;
        md_code(md, variant);
        significance sg = compare_ci(b, bci, x, ci);
        g_string_append_c(md, ' ');
        fmt_value(md, mt->unit, x, NAN);
        if (sg == SIG_NONE)
            g_string_append(md, " (no significant difference)");
        else if (b > 0)
            g_string_append_printf(md, " (%s×%s)", sig(t, x / b),
                                   sg == SIG_UNKNOWN ? ", not tested" : "");
    }
}

/* The point where the variants differ most on mt (largest best-to-worst
 * ratio with disjoint intervals), saturated points left out when others
 * remain.  0 when no point qualifies. */
static guint divergence_point(const summary *s, const char *cls, const metric *mt,
                              double *ratio_out)
{
    guint best_point = 0;
    double best_ratio = 1;
    for (int pass = 0; pass < 2 && !best_point; pass++)
        for (guint p = 0; p < s->points->len; p++) {
            guint point = g_array_index(s->points, point_info, p).point;
            gboolean sat = FALSE;
            for (guint v = 0; v < s->variants->len && !sat; v++)
                sat = saturated(s, point, g_ptr_array_index(s->variants, v));
            if (sat && pass == 0)
                continue;
            g_autoptr(GArray) e = entries_at(s, point, cls, mt);
            if (e->len < 2)
                continue;
            const entry *a = &g_array_index(e, entry, 0), *b = &g_array_index(e, entry, e->len - 1);
            if (compare_ci(a->v, a->ci, b->v, b->ci) == SIG_NONE)
                continue;
            double lo = MIN(a->v, b->v), hi = MAX(a->v, b->v);
            double ratio = lo > 0 ? hi / lo : (hi > 0 ? INFINITY : 1);
            if (ratio > best_ratio)
                best_ratio = ratio, best_point = point;
        }
    *ratio_out = best_ratio;
    return best_point;
}

static const point_info *point_by_number(const summary *s, guint point)
{
    for (guint p = 0; p < s->points->len; p++)
        if (g_array_index(s->points, point_info, p).point == point)
            return &g_array_index(s->points, point_info, p);
    return NULL;
}

/* Whether two lines share the values of the swept keys other than x: only
 * those are compared point by point. */
static gboolean same_other_keys(const summary *s, const sweep_line *a, const sweep_line *b)
{
    const row *ra = g_ptr_array_index(a->rows, 0), *rb = g_ptr_array_index(b->rows, 0);
    for (guint k = 0; k < s->keys->len; k++)
        if ((int)k != s->x_key && strcmp(ra->swept[k], rb->swept[k]) != 0)
            return FALSE;
    return TRUE;
}

/* Crossovers along the sweep: where one line, significantly ahead of
 * another, falls significantly behind it.  At most max_out are told. */
static guint crossovers(GString *md, const summary *s, const GPtrArray *lines, const char *cls,
                        const metric *mt, guint max_out)
{
    (void)cls;
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    guint told = 0;
    for (guint i = 0; i < lines->len; i++)
        for (guint j = i + 1; j < lines->len; j++) {
            const sweep_line *a = g_ptr_array_index(lines, i), *b = g_ptr_array_index(lines, j);
            if (a->rows->len != b->rows->len || !same_other_keys(s, a, b))
                continue;
            int last_sign = 0;
            const row *last_at = NULL;
            for (guint k = 0; k < a->rows->len; k++) {
                const row *ra = g_ptr_array_index(a->rows, k), *rb = g_ptr_array_index(b->rows, k);
                double ca, cb, va = metric_value(ra, mt, &ca), vb = metric_value(rb, mt, &cb);
                if (isnan(va) || isnan(vb) || compare_ci(va, ca, vb, cb) != SIG_YES)
                    continue;
                /* +1: a is better. */
                int sign = (va < vb) == mt->low_good ? 1 : -1;
                if (last_sign && sign != last_sign) {
                    if (told < max_out) {
                        g_string_append(md, "  - ");
                        md_code(md, sign > 0 ? b->label : a->label);
                        g_string_append(md, " falls behind ");
                        md_code(md, sign > 0 ? a->label : b->label);
                        g_string_append_printf(md, " on %s between %s = %s and %s\n", mt->what, key,
                                               last_at->swept[s->x_key], ra->swept[s->x_key]);
                    }
                    told++;
                }
                last_sign = sign;
                last_at = ra;
            }
        }
    return told;
}

/* The knee of each line: the first point where p99 passes KNEE_FACTOR x its
 * value at the lowest x, or the busiest CPU passes SATURATED_CPU. */
static void knees(GString *md, const summary *s, const char *cls)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
    g_autoptr(GString) t = g_string_new(NULL);
    g_autoptr(GString) none = g_string_new(NULL);
    guint n_none = 0, n_knee = 0;
    for (guint i = 0; i < lines->len; i++) {
        const sweep_line *l = g_ptr_array_index(lines, i);
        const row *first = NULL;
        for (guint k = 0; k < l->rows->len && !first; k++) {
            const row *r = g_ptr_array_index(l->rows, k);
            if (has_traffic(r) && r->m[C_P99] > 0)
                first = r;
        }
        if (!first || l->rows->len < 3)
            continue;
        const row *knee = NULL;
        gboolean by_cpu = FALSE;
        for (guint k = 0; k < l->rows->len && !knee; k++) {
            const row *r = g_ptr_array_index(l->rows, k);
            if (r->m[C_CPU_MAX] >= SATURATED_CPU)
                knee = r, by_cpu = TRUE;
            else if (has_traffic(r) && r->m[C_P99] > KNEE_FACTOR * first->m[C_P99])
                knee = r;
        }
        if (!knee) {
            g_string_append(none, n_none++ ? ", " : "");
            md_code(none, l->label);
            continue;
        }
        n_knee++;
        g_string_append(md, "  - ");
        md_code(md, l->label);
        g_string_append_printf(md, ": knee at %s = %s (", key, knee->swept[s->x_key]);
        if (by_cpu) {
            g_string_append(md, "busiest CPU ");
            fmt_pct(md, knee->m[C_CPU_MAX]);
            g_string_append(md, ", p99 ");
        } else {
            g_string_append(md, "p99 ");
        }
        fmt_value(md, U_US, knee->m[C_P99], NAN);
        g_string_append_printf(md, ", %s× its ", sig(t, knee->m[C_P99] / first->m[C_P99]));
        fmt_value(md, U_US, first->m[C_P99], NAN);
        g_string_append_printf(md, " at %s = %s)\n", key, first->swept[s->x_key]);
    }
    if (n_none) {
        g_string_append(md, "  - no knee up to the last point: ");
        g_string_append(md, none->str);
        g_string_append_c(md, '\n');
    }
    (void)n_knee;
}

/* Saturated points, per variant: the first one, and how many. */
static gboolean saturation_findings(GString *md, const summary *s)
{
    gboolean any = FALSE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        guint n = 0;
        const point_info *first = NULL;
        for (guint p = 0; p < s->points->len; p++) {
            const point_info *pi = &g_array_index(s->points, point_info, p);
            if (saturated(s, pi->point, variant)) {
                n++;
                if (!first)
                    first = pi;
            }
        }
        if (!n)
            continue;
        if (!any)
            g_string_append_printf(
                md,
                "- **Saturated (⚠ in the tables)**: the busiest node's CPU is past %.0f%%%s, "
                "so the backlog and latency grow with the run's length and the figures "
                "there are not steady-state results:\n",
                SATURATED_CPU * 100,
                s->rate_key >= 0 ? " or completed throughput is under 90% of the offered rate"
                                 : "");
        any = TRUE;
        g_string_append(md, "  - ");
        md_code(md, variant);
        if (s->keys->len) {
            g_string_append_printf(md, ": %u of %u points, from ", n, s->points->len);
            point_label(md, s, first->at, -1);
        }
        g_string_append_c(md, '\n');
    }
    return any;
}

/* The problem counters of one variant at one point: failed per class, the
 * cluster-wide counters once (the largest over the class rows, which batch.c
 * writes equal). */
static double problems_at(const summary *s, guint v, guint point, double counters[])
{
    double total = 0;
    for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
        counters[i] = 0;
    for (guint c = 0; c < s->classes->len; c++) {
        const row *r =
            find_row(s, point, g_ptr_array_index(s->variants, v), g_ptr_array_index(s->classes, c));
        if (!r)
            continue;
        if (isfinite(r->m[C_FAILED]))
            total += r->m[C_FAILED];
        for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
            if (isfinite(r->m[problem_cols[i].col]))
                counters[i] = MAX(counters[i], r->m[problem_cols[i].col]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++)
        total += counters[i];
    return total;
}

/* Whether a variant completed no transaction at all, anywhere. */
static gboolean all_failing(const summary *s, const char *variant, double *failed)
{
    *failed = 0;
    gboolean any_row = FALSE;
    for (guint i = 0; i < s->rows->len; i++) {
        const row *r = g_ptr_array_index(s->rows, i);
        if (strcmp(r->variant, variant) != 0)
            continue;
        any_row = TRUE;
        if (has_traffic(r))
            return FALSE;
        if (isfinite(r->m[C_FAILED]))
            *failed += r->m[C_FAILED];
    }
    return any_row;
}

static gboolean standout_problems(GString *md, const summary *s)
{
    gboolean any = FALSE;
    double counters[G_N_ELEMENTS(problem_cols)];
    g_autoptr(GString) t = g_string_new(NULL);
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        double failed;
        if (all_failing(s, variant, &failed)) {
            any = TRUE;
            g_string_append(md, "- ");
            md_code(md, variant);
            g_string_append(md, ": **every transaction failed**");
            if (s->keys->len)
                g_string_append(md, " at every point");
            g_string_append(md, " (");
            fmt_count(md, failed);
            g_string_append(md, " failed, none completed): it has no latency or throughput to "
                                "compare and is left out of the comparisons and plots.\n");
            continue;
        }
        int n_bad = 0;
        const point_info *first = NULL, *worst = NULL;
        double worst_total = 0;
        for (guint p = 0; p < s->points->len; p++) {
            const point_info *pi = &g_array_index(s->points, point_info, p);
            double total = problems_at(s, v, pi->point, counters);
            if (total <= 0)
                continue;
            n_bad++;
            if (!first)
                first = pi;
            if (total > worst_total)
                worst = pi, worst_total = total;
        }
        if (!n_bad)
            continue;
        any = TRUE;
        g_string_append(md, "- ");
        md_code(md, variant);
        g_string_append(md, ": ");
        if (s->keys->len) {
            g_string_append_printf(md, "problems at %d of %u points", n_bad, s->points->len);
            if (n_bad > 1) {
                g_string_append(md, " (first at ");
                point_label(md, s, first->at, -1);
                g_string_append(md, ")");
            }
            g_string_append(md, "; at ");
            point_label(md, s, worst->at, -1);
            g_string_append(md, ": ");
        }
        problems_at(s, v, worst->point, counters);
        gboolean sep = FALSE;
        const row *any_row = NULL;
        for (guint c = 0; c < s->classes->len; c++) {
            const row *r = find_row(s, worst->point, variant, g_ptr_array_index(s->classes, c));
            if (r && !any_row)
                any_row = r;
            if (!r || !(r->m[C_FAILED] > 0))
                continue;
            double tried =
                r->m[C_FAILED] + (isfinite(r->m[C_TRANSACTIONS]) ? r->m[C_TRANSACTIONS] : 0);
            g_string_append(md, sep ? ", " : "");
            fmt_count(md, r->m[C_FAILED]);
            g_string_append(md, " failed ");
            md_text(md, r->cls);
            g_string_append_printf(md, " transactions (%s%% of attempts)",
                                   sig(t, 100 * r->m[C_FAILED] / tried));
            sep = TRUE;
        }
        for (guint i = 0; i < G_N_ELEMENTS(problem_cols); i++) {
            if (!(counters[i] > 0))
                continue;
            g_string_append(md, sep ? ", " : "");
            fmt_count(md, counters[i]);
            g_string_append_printf(md, " %s", problem_cols[i].what);
            sep = TRUE;
        }
        /* The exhaustion figures, when the run measured them: what does not
         * depend on the run's length. */
        static const int exh[] = {C_T_SNAT, C_T_CT, C_ADMITTED, C_FAIL_AFTER};
        for (guint i = 0; any_row && i < G_N_ELEMENTS(exh); i++) {
            const metric *mt = metric_named(col_names[exh[i]]);
            double ci, x = metric_value(metric_row(s, worst->point, variant, NULL, mt), mt, &ci);
            if (isnan(x))
                continue;
            g_string_append_printf(md, "; %s ", mt->what);
            fmt_value(md, mt->unit, x, ci);
        }
        g_string_append(md, ".\n");
    }
    return any;
}

/* Variants with identical rows everywhere: their plot lines coincide. */
static void identical_variants(GString *md, const summary *s)
{
    for (guint a = 0; a < s->variants->len; a++)
        for (guint b = a + 1; b < s->variants->len; b++) {
            const char *va = g_ptr_array_index(s->variants, a);
            const char *vb = g_ptr_array_index(s->variants, b);
            gboolean same = TRUE, any = FALSE;
            for (guint i = 0; i < s->rows->len && same; i++) {
                const row *r = g_ptr_array_index(s->rows, i);
                if (strcmp(r->variant, va) != 0)
                    continue;
                const row *o = find_row(s, r->point, vb, r->cls);
                if (!o) {
                    same = FALSE;
                    break;
                }
                any = TRUE;
                for (int c = C_TRANSACTIONS; c < C_COUNT && same; c++)
                    same = (isnan(r->m[c]) && isnan(o->m[c])) || r->m[c] == o->m[c];
            }
            if (same && any) {
                g_string_append(md, "- ");
                md_code(md, va);
                g_string_append(md, " and ");
                md_code(md, vb);
                g_string_append(md, " gave identical results (same datapath model for this "
                                    "workload): their lines coincide in the plots.\n");
            }
        }
}

/* ---- the plan (ipam.csv) ---- */

typedef struct {
    guint point;
    char *variant;
    double nodes, max_nodes;
    char *limiting; /* limiting_factor */
    char *flags;    /* ';'-separated */
} plan_row;

static void plan_row_free(gpointer p)
{
    plan_row *r = p;
    g_free(r->variant);
    g_free(r->limiting);
    g_free(r->flags);
    g_free(r);
}

/* Read DIR/ipam.csv by column name (columns may be added); NULL when the
 * file is absent.  A malformed file is an error. */
static GPtrArray *plan_read(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "ipam.csv", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return NULL;
    g_autoptr(GString) text = g_string_new(NULL);
    if (!read_file(path, text, error))
        return NULL;
    csv_reader rd = {text->str, text->str + text->len, 1, path};
    g_autoptr(GPtrArray) f = g_ptr_array_new_with_free_func(g_free);
    guint line;
    if (csv_next(&rd, f, &line, error) <= 0)
        return NULL;
    static const char *const want[] = {"point",     "variant",         "nodes",
                                       "max_nodes", "limiting_factor", "flags"};
    int at[G_N_ELEMENTS(want)];
    for (guint w = 0; w < G_N_ELEMENTS(want); w++) {
        at[w] = -1;
        for (guint i = 0; i < f->len; i++)
            if (strcmp(g_ptr_array_index(f, i), want[w]) == 0)
                at[w] = (int)i;
        if (at[w] < 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: line 1: no column '%s'", path,
                        want[w]);
            return NULL;
        }
    }
    guint nf = f->len;
    GPtrArray *rows = g_ptr_array_new_with_free_func(plan_row_free);
    int got;
    while ((got = csv_next(&rd, f, &line, error)) > 0) {
        if (f->len != nf) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: line %u: expected %u fields, as in the header, got %u", path, line, nf,
                        f->len);
            g_ptr_array_unref(rows);
            return NULL;
        }
        plan_row *r = g_new0(plan_row, 1);
        double pt = 0;
        parse_number(g_ptr_array_index(f, (guint)at[0]), &pt);
        r->point = (guint)pt;
        r->variant = g_strdup(g_ptr_array_index(f, (guint)at[1]));
        r->nodes = r->max_nodes = NAN;
        parse_number(g_ptr_array_index(f, (guint)at[2]), &r->nodes);
        parse_number(g_ptr_array_index(f, (guint)at[3]), &r->max_nodes);
        r->limiting = g_strdup(g_ptr_array_index(f, (guint)at[4]));
        r->flags = g_strdup(g_ptr_array_index(f, (guint)at[5]));
        g_ptr_array_add(rows, r);
    }
    if (got < 0) {
        g_ptr_array_unref(rows);
        return NULL;
    }
    return rows;
}

static const char *flag_help(const char *name)
{
    for (int i = 0; i < CN_IPAM_FLAG_COUNT; i++)
        if (strcmp(cn_ipam_flag_name((cn_ipam_flag)(1u << i)), name) == 0)
            return cn_ipam_flag_help((cn_ipam_flag)(1u << i));
    return NULL;
}

static const char *limit_help(const char *name)
{
    for (int l = 0; l < CN_LIMIT_COUNT; l++)
        if (strcmp(cn_limit_name((cn_limit)l), name) == 0)
            return cn_limit_help((cn_limit)l);
    return NULL;
}

/* Per variant: the limits passed (flags) and whether the cluster is past
 * its max_nodes, with the first resource that runs out.  Returns whether
 * any variant is flagged or past a limit. */
static gboolean plan_findings(GString *md, const summary *s, const GPtrArray *plan)
{
    gboolean any = FALSE;
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func(g_free);
        const plan_row *past = NULL;
        guint n_past = 0;
        for (guint i = 0; i < plan->len; i++) {
            const plan_row *r = g_ptr_array_index(plan, i);
            if (strcmp(r->variant, variant) != 0)
                continue;
            g_auto(GStrv) fl = g_strsplit(r->flags, ";", -1);
            for (int k = 0; fl[k]; k++)
                if (*fl[k] && !str_in(flags, fl[k]))
                    g_ptr_array_add(flags, g_strdup(fl[k]));
            if (r->nodes > r->max_nodes) {
                n_past++;
                if (!past)
                    past = r;
            }
        }
        /* SNAT surge tiers are a note, not a limit passed. */
        gboolean real_flag = FALSE;
        for (guint k = 0; k < flags->len; k++)
            real_flag |= strcmp(g_ptr_array_index(flags, k), "snat_surge_tier") != 0;
        if (!past && !real_flag)
            continue;
        any = TRUE;
        g_string_append(md, "- ");
        md_code(md, variant);
        g_string_append(md, ": ");
        if (past) {
            g_string_append_printf(md, "**past its limits**: %.0f nodes where the plan allows %.0f",
                                   past->nodes, past->max_nodes);
            if (*past->limiting) {
                g_string_append(md, "; first exhausted: ");
                md_code(md, past->limiting);
                const char *h = limit_help(past->limiting);
                if (h) {
                    g_string_append(md, " (");
                    md_text(md, h);
                    g_string_append_c(md, ')');
                }
            }
            if (s->keys->len && n_past > 1)
                g_string_append_printf(md, "; at %u points", n_past);
            g_string_append(md, real_flag ? ". " : ".");
        }
        gboolean first = TRUE;
        for (guint k = 0; k < flags->len; k++) {
            const char *fl = g_ptr_array_index(flags, k);
            if (strcmp(fl, "snat_surge_tier") == 0)
                continue;
            g_string_append(md, first ? "Flagged (simulated, past a documented limit): " : "; ");
            first = FALSE;
            md_code(md, fl);
            const char *h = flag_help(fl);
            if (h) {
                g_string_append(md, " ");
                md_text(md, h);
            }
        }
        g_string_append(md, first ? "\n" : ".\n");
    }
    return any;
}

/* The plan at the last sweep point, one row per variant. */
static void plan_table(GString *md, const summary *s, const GPtrArray *plan)
{
    guint last = 0;
    for (guint i = 0; i < plan->len; i++)
        last = MAX(last, ((const plan_row *)g_ptr_array_index(plan, i))->point);
    g_string_append(md, "| variant | nodes | max nodes | limited by | flags |\n"
                        "|---|---:|---:|---|---|\n");
    for (guint i = 0; i < plan->len; i++) {
        const plan_row *r = g_ptr_array_index(plan, i);
        if (r->point != last)
            continue;
        g_string_append(md, "| ");
        md_text(md, r->variant);
        g_string_append(md, " | ");
        fmt_count(md, r->nodes);
        g_string_append(md, r->nodes > r->max_nodes ? " ⚠ | " : " | ");
        fmt_count(md, r->max_nodes);
        g_string_append(md, " | ");
        md_text(md, *r->limiting ? r->limiting : "–");
        g_string_append(md, " | ");
        g_auto(GStrv) fl = g_strsplit(r->flags, ";", -1);
        g_string_append(md, *r->flags ? "" : "–");
        for (int k = 0; fl[k]; k++) {
            g_string_append(md, k ? ", " : "");
            md_text(md, fl[k]);
        }
        g_string_append(md, " |\n");
    }
}

/* ---- headline findings ---- */

static void point_prefix(GString *md, const summary *s, guint point)
{
    const point_info *pi = point_by_number(s, point);
    if (s->keys->len && pi) {
        g_string_append(md, " at ");
        point_label(md, s, pi->at, -1);
    }
}

/* Whether every variant has the same value of mt at each point. */
static gboolean all_equal(const summary *s, const char *cls, const metric *mt)
{
    for (guint p = 0; p < s->points->len; p++) {
        g_autoptr(GArray) e = entries_at(s, g_array_index(s->points, point_info, p).point, cls, mt);
        for (guint i = 1; i < e->len; i++)
            if (g_array_index(e, entry, i).v != g_array_index(e, entry, 0).v)
                return FALSE;
    }
    return TRUE;
}

static void headline_metric(GString *md, const summary *s, const metric *mt)
{
    guint n_cls = mt->per_run ? 1 : s->classes->len;
    for (guint c = 0; c < n_cls; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autoptr(GString) line = g_string_new(NULL);
        g_string_append(line, "- **");
        g_string_append(line, mt->what);
        g_string_append(line, "**");
        if (!mt->per_run) {
            g_string_append(line, ", ");
            md_text(line, cls);
        }
        /* A metric nobody has (e.g. no sync in this scenario) is left out. */
        gboolean defined = FALSE;
        for (guint p = 0; p < s->points->len && !defined; p++) {
            g_autoptr(GArray) e =
                entries_at(s, g_array_index(s->points, point_info, p).point, cls, mt);
            defined = e->len > 0;
        }
        if (!defined)
            continue;
        if (s->x_key < 0 || s->points->len == 1) {
            for (guint p = 0; p < s->points->len && p < 6; p++) {
                guint point = g_array_index(s->points, point_info, p).point;
                g_string_append(md, line->str);
                point_prefix(md, s, point);
                g_string_append(md, ": ");
                if (s->baseline)
                    baseline_sentence(md, s, point, cls, mt);
                else
                    compare_sentence(md, s, point, cls, mt);
                g_string_append(md, ".\n");
            }
            continue;
        }
        g_string_append(md, line->str);
        double ratio;
        guint point = divergence_point(s, cls, mt, &ratio);
        if (!point && all_equal(s, cls, mt)) {
            g_string_append(md, ": the same for every variant at every point");
            for (guint p = 0; p < s->points->len && s->points->len <= 6; p++) {
                const point_info *pi = &g_array_index(s->points, point_info, p);
                g_autoptr(GArray) e = entries_at(s, pi->point, cls, mt);
                if (!e->len)
                    continue;
                g_string_append(md, p ? "; " : " (");
                fmt_value(md, mt->unit, g_array_index(e, entry, 0).v, NAN);
                g_string_append(md, " at ");
                point_label(md, s, pi->at, -1);
                if (p + 1 == s->points->len)
                    g_string_append_c(md, ')');
            }
            g_string_append(md, ".\n");
        } else if (!point) {
            g_string_append(md, ": no significant difference between the variants at any point "
                                "(95% intervals overlap).\n");
        } else {
            const point_info *pi = point_by_number(s, point);
            g_string_append(md, ": the variants differ most at ");
            point_label(md, s, pi->at, -1);
            gboolean sat = FALSE;
            for (guint v = 0; v < s->variants->len && !sat; v++)
                sat = saturated(s, point, g_ptr_array_index(s->variants, v));
            g_string_append(md, sat ? " (a saturated point: below it they do not differ)" : "");
            g_string_append(md, ": ");
            if (s->baseline)
                baseline_sentence(md, s, point, cls, mt);
            else
                compare_sentence(md, s, point, cls, mt);
            g_string_append(md, ".\n");
        }
        g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
        guint n = crossovers(md, s, lines, cls, mt, 6);
        if (n > 6)
            g_string_append_printf(md, "  - and %u more crossovers\n", n - 6);
    }
}

static const char *const default_headline[] = {"latency_p99_us", "throughput_rps",
                                               "cpu_us_per_txn"};

/* ---- plots ---- */

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

static void plot_free(gpointer p)
{
    plot *pl = p;
    g_free(pl->name);
    g_free(pl->title);
    g_free(pl);
}

/* A class name as part of a file name. */
static char *file_part(const char *t)
{
    char *s = g_strdup(t);
    for (char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            *c = '_';
    return s;
}

static plot *plot_new(GPtrArray *plots, plot_kind kind, char *name, char *title)
{
    plot *pl = g_new0(plot, 1);
    pl->kind = kind;
    pl->name = name;
    pl->title = title;
    g_ptr_array_add(plots, pl);
    return pl;
}

/* The cluster-wide metrics plotted when the scenario has them: CPU always,
 * the failure and table figures only where some variant has a non-zero one. */
static const char *const run_plots[] = {
    "cpu_util_max",  "cpu_us_per_txn", "conntrack_peak", "drops_conntrack",
    "snat_failures", "stale_failures", "sync_ms_mean",
};

/* The plots of a summary, in the order report.md lists them. */
static GPtrArray *plan_plots(const summary *s)
{
    GPtrArray *plots = g_ptr_array_new_with_free_func(plot_free);
    const char *key = s->x_key >= 0 ? g_ptr_array_index(s->keys, (guint)s->x_key) : NULL;
    g_autofree char *kpart = key ? file_part(key) : NULL;
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autofree char *cpart = file_part(cls);
        plot *lat, *tput;
        if (key) {
            lat = plot_new(plots, P_LATENCY, g_strdup_printf("p99-vs-%s-%s", kpart, cpart),
                           g_strdup_printf("%s: p99 latency against %s", cls, key));
            tput =
                plot_new(plots, P_THROUGHPUT, g_strdup_printf("throughput-vs-%s-%s", kpart, cpart),
                         g_strdup_printf("%s: throughput against %s", cls, key));
        } else {
            lat = plot_new(plots, P_LATENCY, g_strdup_printf("latency-%s", cpart),
                           g_strdup_printf("%s: p50 and p99 latency per variant", cls));
            tput = plot_new(plots, P_THROUGHPUT, g_strdup_printf("throughput-%s", cpart),
                            g_strdup_printf("%s: throughput per variant", cls));
        }
        lat->cls = tput->cls = cls;
    }
    for (guint i = 0; i < G_N_ELEMENTS(run_plots); i++) {
        const metric *mt = metric_named(run_plots[i]);
        if (!s->has[mt->c] || !column_any(s, NULL, mt->c))
            continue;
        if (!key && mt->c != C_CPU_TXN && mt->c != C_CPU_MAX)
            continue; /* without a sweep the tables say it */
        g_autofree char *mpart = file_part(mt->col);
        plot *pl =
            plot_new(plots, P_RUN,
                     key ? g_strdup_printf("%s-vs-%s", mpart, kpart) : g_strdup_printf("%s", mpart),
                     key ? g_strdup_printf("%s against %s", mt->what, key)
                         : g_strdup_printf("%s per variant", mt->what));
        pl->mt = mt;
    }
    return plots;
}

/* A gnuplot single-quoted string ('' stands for a quote). */
static void gp_str(GString *gp, const char *t)
{
    g_string_append_c(gp, '\'');
    for (; *t; t++) {
        if (*t == '\'')
            g_string_append_c(gp, '\'');
        g_string_append_c(gp, *t == '\n' || *t == '\r' ? ' ' : *t);
    }
    g_string_append_c(gp, '\'');
}

/* A label in an inline data block: double-quoted, no quote inside. */
static void gp_label(GString *gp, const char *t)
{
    g_string_append_c(gp, '"');
    for (; *t; t++)
        g_string_append_c(gp, *t == '"' ? '\'' : (*t == '\n' || *t == '\r' ? ' ' : *t));
    g_string_append_c(gp, '"');
}

static void gp_num(GString *gp, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isfinite(v)) {
        g_string_append(gp, " NaN");
        return;
    }
    g_ascii_formatd(buf, sizeof buf, "%.6g", v);
    g_string_append_printf(gp, " %s", buf);
}

typedef struct {
    const char *terminal; /* "pngcairo" or "png" */
    const char *us;       /* the microsecond unit this terminal can draw */
    gboolean svg;         /* gnuplot has the svg terminal */
} gp_term;

/* Width of the images: the plot area stays about 800 pixels wide, the key
 * beside it gets what its longest label needs. */
static int image_width = 1100;

static void gp_preamble(GString *gp, const summary *s, const gp_term *term, const plot *pl,
                        const char *what)
{
    g_autofree char *name = g_strdup(s->scenario);
    g_strdelimit(name, "\r\n", ' '); /* a newline would end the comment */
    g_string_append_printf(gp,
                           "# cnisim report: %s, scenario %s.\n"
                           "# Generated from ../summary.csv; edit and rerun from this "
                           "directory with: gnuplot %s.gp\n",
                           what, name, pl->name);
    if (strcmp(term->terminal, "pngcairo") == 0)
        g_string_append(gp, "set encoding utf8\n");
    g_string_append_printf(gp, "set terminal %s size %d,600 noenhanced\n", term->terminal,
                           image_width);
    g_string_append_printf(gp, "set output '%s.png'\n", pl->name);
    /* The key sits right of the plot, outside the data. */
    g_string_append(gp, "set datafile missing 'NaN'\nset grid xtics ytics\n"
                        "set key outside right top vertical Left reverse noopaque\n");
    g_autofree char *title = g_strdup_printf("%s - %s", s->scenario, pl->title);
    g_string_append(gp, "set title ");
    gp_str(gp, title);
    g_string_append_c(gp, '\n');
}

/* The same figure as SVG beside the PNG. */
static void gp_svg(GString *gp, const gp_term *term, const plot *pl)
{
    if (!term->svg)
        return;
    g_string_append_printf(gp,
                           "set terminal svg size %d,600 noenhanced dynamic\n"
                           "set output '%s.svg'\nreplot\n",
                           image_width, pl->name);
}

/* Categories on the x axis of the bar charts: a row's variant, plus the
 * swept values when there are (non-numeric) swept keys. */
static void bar_label(GString *out, const summary *s, const row *r)
{
    g_string_append(out, r->variant);
    if (s->keys->len) {
        g_string_append(out, " (");
        point_label(out, s, r, -1);
        g_string_append_c(out, ')');
    }
}

/* The value a plot draws for a row, with its interval (NaN: none). */
static double plot_value(const plot *pl, const row *r, int which, double *ci)
{
    *ci = NAN;
    switch (pl->kind) {
    case P_LATENCY:
        if (!has_traffic(r))
            return NAN;
        if (which == 0 && !pl->mt) {
            *ci = r->m[C_P99_CI];
            return r->m[C_P99];
        }
        *ci = r->m[C_P50_CI];
        return r->m[C_P50];
    case P_THROUGHPUT:
        *ci = r->m[C_TPUT_CI];
        return r->m[C_TPUT];
    case P_RUN:
        return metric_value(r, pl->mt, ci);
    }
    return NAN;
}

static const row *plot_row(const summary *s, const plot *pl, guint point, const char *variant)
{
    if (pl->kind == P_RUN)
        return metric_row(s, point, variant, NULL, pl->mt);
    return find_row(s, point, variant, pl->cls);
}

static const char *plot_ylabel(const plot *pl, const gp_term *term, char **owned)
{
    switch (pl->kind) {
    case P_LATENCY:
        return *owned = g_strdup_printf("latency (%s)", term->us);
    case P_THROUGHPUT:
        return "throughput (transactions/s)";
    case P_RUN:
        break;
    }
    const char *unit = "";
    switch (pl->mt->unit) {
    case U_US:
        unit = term->us;
        break;
    case U_MS:
        unit = "ms";
        break;
    case U_S:
        unit = "s";
        break;
    case U_RATE:
        unit = "/s";
        break;
    case U_GBPS:
        unit = "Gbit/s";
        break;
    case U_PCT:
        unit = "%";
        break;
    case U_COUNT:
        unit = "count";
        break;
    }
    return *owned = g_strdup_printf("%s (%s)", pl->mt->what, unit);
}

/* A y axis on a log scale when the values span more than two decades
 * (a knee to 350 ms would flatten everything before it otherwise). */
static gboolean wants_log(double lo, double hi)
{
    return lo > 0 && isfinite(hi) && hi / lo > 100;
}

static gboolean gp_bars(GString *gp, const summary *s, const gp_term *term, const plot *pl)
{
    gp_preamble(gp, s, term, pl, pl->title);
    g_autofree char *owned = NULL;
    const char *ylabel = plot_ylabel(pl, term, &owned);
    double scale = pl->kind == P_RUN && pl->mt->unit == U_PCT ? 100 : 1;
    g_string_append(gp, "set xlabel 'variant'\nset ylabel ");
    gp_str(gp, ylabel);
    gboolean bars2 = pl->kind == P_LATENCY;
    gboolean errs = s->reps_max > 1 && pl->kind == P_THROUGHPUT;
    g_string_append(gp, "\nset yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n"
                        "set style data histograms\n"
                        "set style fill solid 0.85 border -1\nset boxwidth 0.9\n");
    g_string_append(gp, errs ? "set style histogram errorbars gap 1 lw 1\n"
                             : "set style histogram clustered gap 1\n");
    guint n = 0, finite = 0;
    gsize longest = 0;
    g_autoptr(GString) data = g_string_new("$data << EOD\n");
    g_autoptr(GString) label = g_string_new(NULL);
    for (guint p = 0; p < s->points->len; p++)
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = plot_row(s, pl, g_array_index(s->points, point_info, p).point,
                                    g_ptr_array_index(s->variants, v));
            if (!r)
                continue;
            g_string_truncate(label, 0);
            bar_label(label, s, r);
            gp_label(data, label->str);
            longest = MAX(longest, label->len);
            n++;
            double ci, y = plot_value(pl, r, bars2 ? 1 : 0, &ci);
            gp_num(data, y * scale);
            finite += isfinite(y);
            if (bars2) {
                y = plot_value(pl, r, 0, &ci);
                gp_num(data, y);
                finite += isfinite(y);
            } else if (errs) {
                gp_num(data, isfinite(ci) ? ci * scale : 0);
            }
            g_string_append_c(data, '\n');
        }
    g_string_append(data, "EOD\n");
    if (n > 4 || longest > 12)
        g_string_append(gp, "set xtics rotate by -30 nomirror\n");
    g_string_append(gp, data->str);
    if (bars2)
        g_string_append(gp, "plot $data using 2:xtic(1) title 'p50', \\\n"
                            "     $data using 3 title 'p99'\n");
    else if (errs)
        g_string_append(gp, "plot $data using 2:3:xtic(1) title 'mean, 95% CI'\n");
    else
        g_string_append(gp, "plot $data using 2:xtic(1) title 'one replication'\n");
    gp_svg(gp, term, pl);
    return finite > 0;
}

/* Whether the x values are evenly spaced (a linear sweep): then a linear
 * axis, whatever their span.  Geometric sweeps over decades get a log axis. */
static gboolean x_is_log(const summary *s)
{
    double lo = INFINITY, hi = -INFINITY;
    g_autoptr(GArray) xs = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint p = 0; p < s->points->len; p++) {
        double x = g_array_index(s->points, point_info, p).x;
        lo = MIN(lo, x), hi = MAX(hi, x);
        g_array_append_val(xs, x);
    }
    if (!(lo > 0) || hi / lo <= 100)
        return FALSE;
    g_array_sort(xs, dbl_cmp);
    /* Compare the spread of the gaps on a linear and on a log scale. */
    double lin_min = INFINITY, lin_max = 0, log_min = INFINITY, log_max = 0;
    for (guint i = 1; i < xs->len; i++) {
        double a = g_array_index(xs, double, i - 1), b = g_array_index(xs, double, i);
        if (b <= a)
            continue;
        lin_min = MIN(lin_min, b - a), lin_max = MAX(lin_max, b - a);
        log_min = MIN(log_min, log(b / a)), log_max = MAX(log_max, log(b / a));
    }
    return lin_max / lin_min > log_max / log_min;
}

static gboolean gp_lines(GString *gp, const summary *s, const gp_term *term, const plot *pl)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    g_autoptr(GPtrArray) lines =
        sweep_lines(s, pl->kind == P_RUN ? g_ptr_array_index(s->classes, 0) : pl->cls);
    gsize longest = 0;
    for (guint i = 0; i < lines->len; i++)
        longest = MAX(longest, strlen(((const sweep_line *)g_ptr_array_index(lines, i))->label));
    image_width = 900 + 8 * (int)MIN(longest, 80);
    gp_preamble(gp, s, term, pl, pl->title);
    image_width = 1100;
    g_autofree char *owned = NULL;
    const char *ylabel = plot_ylabel(pl, term, &owned);
    if (pl->kind == P_LATENCY)
        ylabel =
            owned ? (g_free(owned), owned = g_strdup_printf("p99 latency (%s)", term->us)) : ylabel;
    double scale = pl->kind == P_RUN && pl->mt->unit == U_PCT ? 100 : 1;
    g_string_append(gp, "set xlabel ");
    gp_str(gp, key);
    g_string_append(gp, "\nset ylabel ");
    gp_str(gp, ylabel);
    g_string_append_c(gp, '\n');
    double lo = INFINITY, hi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (guint p = 0; p < s->points->len; p++) {
        double x = g_array_index(s->points, point_info, p).x;
        lo = MIN(lo, x), hi = MAX(hi, x);
    }
    gboolean xlog = x_is_log(s);
    gboolean errs = s->reps_max > 1;
    g_autoptr(GString) data = g_string_new(NULL);
    g_autoptr(GString) cmd = g_string_new("plot ");
    guint drawn = 0;
    for (guint i = 0; i < lines->len; i++) {
        const sweep_line *l = g_ptr_array_index(lines, i);
        g_string_append_printf(data, "$line%u << EOD\n", i + 1);
        guint finite = 0;
        for (guint j = 0; j < l->rows->len; j++) {
            const row *r0 = g_ptr_array_index(l->rows, j);
            const row *r = pl->kind == P_RUN ? plot_row(s, pl, r0->point, r0->variant) : r0;
            double ci = NAN, y = r ? plot_value(pl, r, 0, &ci) : NAN;
            gp_num(data, row_x(s, r0));
            gp_num(data, y * scale);
            gp_num(data, isfinite(ci) ? ci * scale : 0);
            g_string_append_c(data, '\n');
            if (isfinite(y)) {
                finite++;
                if (y > 0)
                    ylo = MIN(ylo, y * scale);
                yhi = MAX(yhi, y * scale);
            }
        }
        g_string_append(data, "EOD\n");
        if (!finite)
            continue; /* an all-failing variant has no line */
        /* Distinct colour, dash and marker: coinciding lines stay visible. */
        g_string_append_printf(cmd,
                               "%s$line%u using 1:2%s with %s lw 2 lc %u dt %u pt %u ps 1.3 "
                               "title ",
                               drawn ? ", \\\n     " : "", i + 1, errs ? ":3" : "",
                               errs ? "yerrorlines" : "linespoints", i % 8 + 1, i % 5 + 1,
                               i % 7 + 1 + (i % 7 >= 3));
        gp_str(cmd, l->label);
        drawn++;
    }
    if (xlog)
        g_string_append(gp, "set logscale x 10\n");
    /* The x range is the data's, so no axis starts below a sweep's 0. */
    if (hi > lo) {
        g_string_append(gp, "set xrange [");
        gp_num(gp, lo);
        g_string_append(gp, ":");
        gp_num(gp, hi);
        g_string_append(gp, "]\n");
    }
    g_string_append(gp, "set offsets graph 0.02, graph 0.02, graph 0.05, 0\n");
    if (wants_log(ylo, yhi))
        g_string_append(gp, "set logscale y 10\n");
    else
        g_string_append(gp, "set yrange [0:*]\n");
    g_string_append(gp, data->str);
    if (!drawn)
        return FALSE;
    if (errs)
        g_string_append(gp, "# error bars: 95% interval over the replications\n");
    g_string_append(gp, cmd->str);
    g_string_append_c(gp, '\n');
    image_width = 900 + 8 * (int)MIN(longest, 80);
    gp_svg(gp, term, pl);
    image_width = 1100;
    return TRUE;
}

static void remove_images(const char *plots_dir, const char *name)
{
    static const char *const ext[] = {"png", "svg"};
    for (guint i = 0; i < G_N_ELEMENTS(ext); i++) {
        g_autofree char *p = g_strdup_printf("%s/%s.%s", plots_dir, name, ext[i]);
        g_unlink(p);
    }
}

static gboolean run_gnuplot(const char *gnuplot, const char *plots_dir, const char *name,
                            GError **error)
{
    g_autofree char *script = g_strdup_printf("%s.gp", name);
    g_autofree char *script_path = g_build_filename(plots_dir, script, NULL);
    char *argv[] = {(char *)gnuplot, script, NULL};
    g_autofree char *err_text = NULL;
    int status;
    GError *spawn_error = NULL;
    if (!g_spawn_sync(plots_dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      &err_text, &status, &spawn_error)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot run gnuplot: %s",
                    script_path, spawn_error->message);
        g_error_free(spawn_error);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_strstrip(err_text);
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: gnuplot failed: %s", script_path,
                    *err_text ? err_text : "no message");
        remove_images(plots_dir, name); /* never leave a half-drawn image */
        return FALSE;
    }
    g_autofree char *png = g_strdup_printf("%s/%s.png", plots_dir, name);
    GStatBuf st;
    if (g_stat(png, &st) != 0 || st.st_size == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: gnuplot wrote no image %s",
                    script_path, png);
        remove_images(plots_dir, name);
        return FALSE;
    }
    return TRUE;
}

static gboolean gnuplot_has(const char *gnuplot, const char *terminal)
{
    g_autofree char *cmd = g_strdup_printf("set terminal %s", terminal);
    char *argv[] = {(char *)gnuplot, "-e", cmd, NULL};
    int status;
    return g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                        NULL, NULL, NULL, NULL, &status, NULL) &&
           WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* pngcairo draws antialiased text and UTF-8; the libgd png terminal is the
 * fallback some minimal gnuplot builds have. */
static gp_term pick_terminal(const char *gnuplot)
{
    gp_term t = gnuplot_has(gnuplot, "pngcairo") ? (gp_term){"pngcairo", "µs", FALSE}
                                                 : (gp_term){"png", "us", FALSE};
    t.svg = gnuplot_has(gnuplot, "svg");
    return t;
}

/* Write every plot's script; run gnuplot on each when it is installed.  A
 * plot with nothing to draw gets no script and no image (and loses an image
 * left by an earlier report). */
static gboolean draw_plots(const summary *s, GPtrArray *plots, const char *dir, const char *gnuplot,
                           GError **error)
{
    g_autofree char *plots_dir = g_build_filename(dir, "plots", NULL);
    if (g_mkdir_with_parents(plots_dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot create: %s",
                    plots_dir, g_strerror(e));
        return FALSE;
    }
    gp_term term = gnuplot ? pick_terminal(gnuplot) : (gp_term){"pngcairo", "µs", TRUE};
    for (guint i = 0; i < plots->len; i++) {
        plot *pl = g_ptr_array_index(plots, i);
        g_autoptr(GString) gp = g_string_new(NULL);
        gboolean any = s->x_key >= 0 ? gp_lines(gp, s, &term, pl) : gp_bars(gp, s, &term, pl);
        g_autofree char *path = g_strdup_printf("%s/%s.gp", plots_dir, pl->name);
        if (!any) {
            pl->empty = TRUE;
            remove_images(plots_dir, pl->name);
            g_unlink(path);
            continue;
        }
        cn_outfile *f = cn_outfile_open(path, error);
        if (!f)
            return FALSE;
        fputs(gp->str, cn_outfile_stream(f));
        if (!cn_outfile_commit(f, error))
            return FALSE;
        if (gnuplot && !run_gnuplot(gnuplot, plots_dir, pl->name, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- the report ---- */

static void describe_keys(GString *md, const summary *s)
{
    for (guint k = 0; k < s->keys->len; k++) {
        /* Distinct values in order of first appearance (a set: a sweep
         * can have tens of thousands of them). */
        g_autoptr(GPtrArray) seen = g_ptr_array_new();
        g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint p = 0; p < s->points->len; p++) {
            const char *v = g_array_index(s->points, point_info, p).at->swept[k];
            if (g_hash_table_add(set, (gpointer)v))
                g_ptr_array_add(seen, (gpointer)v);
        }
        g_string_append(md, k == 0 ? "" : k + 1 == s->keys->len ? " and " : ", ");
        md_text(md, g_ptr_array_index(s->keys, k));
        g_string_append(md, " (");
        for (guint i = 0; i < seen->len; i++) {
            if (seen->len > 8 && i == 3) {
                g_string_append(md, ", …");
                i = seen->len - 2;
                continue;
            }
            g_string_append(md, i ? ", " : "");
            md_text(md, g_ptr_array_index(seen, i));
        }
        g_string_append(md, ")");
    }
}

static void write_markdown(GString *md, const summary *s, const GPtrArray *plots, gboolean drawn,
                           const GPtrArray *skipped)
{
    g_string_append(md, "# cnisim report: ");
    md_text(md, s->scenario);
    g_string_append(md, "\n\nScenario ");
    md_code(md, s->scenario);
    g_string_append(md, ", from ");
    md_code(md, s->path);
    g_string_append_printf(md, ": %u variant%s, %u traffic class%s", s->variants->len,
                           s->variants->len == 1 ? "" : "s", s->classes->len,
                           s->classes->len == 1 ? "" : "es");
    if (s->keys->len) {
        g_string_append_printf(md, ", %u sweep point%s over ", s->points->len,
                               s->points->len == 1 ? "" : "s");
        describe_keys(md, s);
    }
    if (s->reps_min == s->reps_max)
        g_string_append_printf(md, "; %u replication%s per row.\n", s->reps_min,
                               s->reps_min == 1 ? "" : "s");
    else
        g_string_append_printf(md, "; %u to %u replications per row.\n", s->reps_min, s->reps_max);

    g_string_append(md, "\n## Findings\n\n");
    if (s->reps_max < 2)
        g_string_append(md, "*One replication: no confidence intervals, so no difference below "
                            "is tested; run with `--set scenario.replications=3` or more before "
                            "drawing conclusions.*\n\n");
    else
        g_string_append(md, "A difference is stated only where the 95% intervals do not overlap "
                            "(±: half-width over the replications); otherwise the text says *no "
                            "significant difference*.\n\n");
    gboolean plan_flagged = FALSE;
    if (s->plan) {
        g_autoptr(GString) p = g_string_new(NULL);
        plan_flagged = plan_findings(p, s, s->plan);
        if (plan_flagged) {
            g_string_append(md, "**Address plan and limits** (from `ipam.csv`):\n\n");
            g_string_append(md, p->str);
            g_string_append_c(md, '\n');
        }
    }
    g_autoptr(GString) problems = g_string_new(NULL);
    gboolean any_problem = standout_problems(problems, s);
    if (s->variants->len > 1 || s->x_key >= 0) {
        g_string_append(md, "**Headline figures**");
        if (s->baseline) {
            g_string_append(md, " (against the baseline ");
            md_code(md, s->baseline);
            g_string_append(md, ")");
        }
        g_string_append(md, ":\n\n");
        for (guint i = 0; i < s->headline->len; i++)
            headline_metric(md, s, g_ptr_array_index(s->headline, i));
        g_string_append_c(md, '\n');
    }
    if (s->x_key >= 0) {
        g_autoptr(GString) k = g_string_new(NULL);
        for (guint c = 0; c < s->classes->len; c++) {
            g_autoptr(GString) one = g_string_new(NULL);
            knees(one, s, g_ptr_array_index(s->classes, c));
            if (!one->len)
                continue;
            g_string_append(k, "- ");
            md_text(k, g_ptr_array_index(s->classes, c));
            g_string_append_c(k, ':');
            g_string_append_c(k, '\n');
            g_string_append(k, one->str);
        }
        if (k->len) {
            g_string_append_printf(md,
                                   "**Knee** (where p99 first exceeds %.0f× its value at the "
                                   "first point of the sweep, or the busiest CPU passes %.0f%%):"
                                   "\n\n",
                                   KNEE_FACTOR, SATURATED_CPU * 100);
            g_string_append(md, k->str);
            g_string_append_c(md, '\n');
        }
    }
    g_autoptr(GString) sat = g_string_new(NULL);
    if (saturation_findings(sat, s)) {
        g_string_append(md, sat->str);
        g_string_append_c(md, '\n');
    }
    g_string_append(md, "**Failures and drops:**\n\n");
    if (any_problem)
        g_string_append(md, problems->str);
    else
        g_string_append_printf(md,
                               "- No failed transactions, conntrack drops, SNAT failures or "
                               "policy drops in the simulated traffic%s.\n",
                               plan_flagged ? " (but see the plan's limits above: the simulation "
                                              "does not refuse a cluster past them)"
                                            : "");
    identical_variants(md, s);

    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_string_append(md, "\n## ");
        md_text(md, cls);
        g_string_append(md, "\n\n");
        class_table(md, s, cls);
        table_note(md, s);
    }
    g_string_append(md, "\n## Cluster-wide, per run\n\nCPU (mean over nodes and the busiest "
                        "node), CPU time per completed transaction of any class (cluster-wide and "
                        "on the busiest node), table occupancy and the failure counters; ⚠ marks "
                        "a saturated point.\n\n");
    cluster_table(md, s);
    table_note(md, s);
    if (s->plan && s->plan->len) {
        g_string_append(md, "\n## Address plan\n\n");
        if (s->keys->len)
            g_string_append(md, "At the last sweep point (`ipam.csv` has every point); ");
        g_string_append(md, "⚠: more nodes than the plan allows.\n\n");
        plan_table(md, s, s->plan);
    }

    g_string_append(md, "\n## Plots\n\n");
    if (!drawn) {
        g_string_append(md, "gnuplot was not found, so no images were drawn; the scripts are "
                            "in `plots/` (run `gnuplot NAME.gp` there).\n");
        return;
    }
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        if (pl->empty)
            continue;
        g_string_append(md, "![");
        md_text(md, pl->title);
        g_string_append_printf(md, "](plots/%s.png) ([SVG](plots/%s.svg))\n", pl->name, pl->name);
    }
    for (guint i = 0; skipped && i < skipped->len; i++) {
        g_string_append(md, "- no plot of ");
        md_text(md, g_ptr_array_index(skipped, i));
        g_string_append(md, ": no variant has a value to draw\n");
    }
}

/* The optional [report] section of DIR/meta.ini (from the scenario's
 * [report] group): the baseline variant and the metrics to lead with. */
static gboolean read_report_options(summary *s, const char *dir, GError **error)
{
    s->headline = g_ptr_array_new();
    g_autofree char *meta = g_build_filename(dir, "meta.ini", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *baseline = NULL, *headline = NULL;
    if (g_key_file_load_from_file(kf, meta, G_KEY_FILE_NONE, NULL)) {
        baseline = g_key_file_get_string(kf, "report", "baseline", NULL);
        headline = g_key_file_get_string(kf, "report", "headline", NULL);
    }
    if (baseline && *baseline) {
        if (!str_in(s->variants, baseline)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: [report] baseline '%s' is not a variant of %s", meta, baseline,
                        s->path);
            return FALSE;
        }
        s->baseline = g_strdup(baseline);
    }
    if (headline && *headline) {
        g_auto(GStrv) names = g_strsplit(headline, ",", -1);
        for (int i = 0; names[i]; i++) {
            g_strstrip(names[i]);
            const metric *mt = metric_named(names[i]);
            if (!mt) {
                g_autoptr(GString) known = g_string_new(NULL);
                for (guint k = 0; k < G_N_ELEMENTS(metrics); k++)
                    g_string_append_printf(known, "%s%s", k ? ", " : "", metrics[k].col);
                g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                            "%s: [report] headline: unknown metric '%s' (expected some of: %s)",
                            meta, names[i], known->str);
                return FALSE;
            }
            g_ptr_array_add(s->headline, (gpointer)mt);
        }
    }
    if (s->headline->len == 0)
        for (guint i = 0; i < G_N_ELEMENTS(default_headline); i++)
            g_ptr_array_add(s->headline, (gpointer)metric_named(default_headline[i]));
    return TRUE;
}

gboolean cn_report(const char *dir, FILE *out, GError **error)
{
    g_return_val_if_fail(dir != NULL, FALSE);
    g_autoptr(summary) s = summary_read(dir, error);
    if (!s)
        return FALSE;
    if (!read_report_options(s, dir, error))
        return FALSE;
    GError *perr = NULL;
    s->plan = plan_read(dir, &perr);
    if (perr) {
        g_propagate_error(error, perr);
        return FALSE;
    }
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    g_autoptr(GPtrArray) plots = plan_plots(s);
    /* Scripts first: they say which plots have nothing to draw. */
    if (!draw_plots(s, plots, dir, NULL, error))
        return FALSE;
    g_autoptr(GString) md = g_string_new(NULL);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new();
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        if (pl->empty)
            g_ptr_array_add(skipped, pl->title);
    }
    write_markdown(md, s, plots, gnuplot != NULL, skipped);

    g_autofree char *path = g_build_filename(dir, "report.md", NULL);
    cn_outfile *f = cn_outfile_open(path, error);
    if (!f)
        return FALSE;
    fputs(md->str, cn_outfile_stream(f));
    if (!cn_outfile_commit(f, error))
        return FALSE;
    if (out) {
        fputs(md->str, out);
        fflush(out);
    }
    if (!gnuplot) {
        fprintf(stderr,
                "cnisim report: gnuplot not found on PATH: no plots drawn (scripts "
                "written to %s/plots/)\n",
                dir);
        return TRUE;
    }
    return draw_plots(s, plots, dir, gnuplot, error);
}
