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
    C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "replications",    "transactions",    "failed",         "throughput_rps",  "throughput_ci95",
    "latency_mean_us", "latency_ci95_us", "latency_p50_us", "latency_p90_us",  "latency_p99_us",
    "latency_p999_us", "cpu_util_mean",   "cpu_util_max",   "conntrack_peak",  "drops_conntrack",
    "snat_failures",   "policy_drops",    "ct_evictions",   "lb_unprogrammed",
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
};

/* ---- the parsed summary ---- */

typedef struct {
    guint line;        /* where the row starts in summary.csv */
    guint point;       /* sweep point, 1-based */
    char *variant;     /* as written in the scenario's compare list */
    char **swept;      /* one value per swept key */
    char *cls;         /* traffic class */
    double m[C_COUNT]; /* the numeric columns; NaN for an absent optional one */
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
    int x_key;                /* first numeric swept key, -1 when none */
    gboolean has[C_COUNT];    /* whether the column is in the file */
    guint reps_min, reps_max; /* replications over all rows */
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
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(summary, summary_free)

static char *index_key(guint point, const char *variant, const char *cls)
{
    return g_strdup_printf("%u\x1f%s\x1f%s", point, variant, cls);
}

static const row *find_row(const summary *s, guint point, const char *variant, const char *cls)
{
    g_autofree char *k = index_key(point, variant, cls);
    return g_hash_table_lookup(s->index, k);
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
    for (guint k = 0; k < s->keys->len && s->x_key < 0; k++) {
        gboolean numeric = TRUE;
        for (guint p = 0; p < s->points->len && numeric; p++) {
            point_info *pi = &g_array_index(s->points, point_info, p);
            numeric = parse_number(pi->at->swept[k], &pi->x) && isfinite(pi->x);
        }
        if (numeric)
            s->x_key = (int)k;
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
static void fmt_sig(GString *out, double v)
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
    g_ascii_formatd(buf, sizeof buf, "%.2e", v); /* rounds first: 999.6 -> 1.00e+03 */
    int e = atoi(strchr(buf, 'e') + 1);
    double r = g_ascii_strtod(buf, NULL);
    static const char suffix[] = "kMGT";
    if (e >= 4 && e < 15) {
        int g = e / 3;
        g_snprintf(fmt, sizeof fmt, "%%.%df", 2 - (e - 3 * g));
        g_ascii_formatd(buf, sizeof buf, fmt, r / pow(10, 3 * g));
        g_string_append_printf(out, "%s%c", buf, suffix[g - 1]);
    } else if (e >= -4 && e < 4) {
        g_snprintf(fmt, sizeof fmt, "%%.%df", e >= 2 ? 0 : 2 - e);
        g_ascii_formatd(buf, sizeof buf, fmt, r);
        g_string_append(out, buf);
    } else {
        g_string_append(out, buf);
    }
}

/* A count: exact below 10 000, else as fmt_sig. */
static void fmt_count(GString *out, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e4)
        g_string_append_printf(out, "%.0f", v);
    else
        fmt_sig(out, v);
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

static void class_table(GString *md, const summary *s, const char *cls)
{
    g_string_append(md, "| variant |");
    for (guint k = 0; k < s->keys->len; k++) {
        g_string_append_c(md, ' ');
        md_text(md, g_ptr_array_index(s->keys, k));
        g_string_append(md, " |");
    }
    g_string_append(md, " throughput (rps) | mean latency (µs) | p50 (µs) | p99 (µs) |"
                        " p99.9 (µs) | CPU mean | CPU max | failed | conntrack drops |"
                        " SNAT failures | policy drops |\n|---|");
    for (guint k = 0; k < s->keys->len; k++)
        g_string_append(md, key_numeric(s, k) ? "---:|" : "---|");
    g_string_append(md, "---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");

    g_autoptr(GString) ci = g_string_new(NULL);
    for (guint p = 0; p < s->points->len; p++) {
        guint point = g_array_index(s->points, point_info, p).point;
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = find_row(s, point, g_ptr_array_index(s->variants, v), cls);
            if (!r)
                continue;
            const double *m = r->m;
            /* A class with no completed transaction has no latency to show
             * (batch.c writes 0 for it). */
            gboolean lat = has_traffic(r);
            gboolean show_ci = r->m[C_REPLICATIONS] > 1;
            g_string_append(md, "| ");
            md_text(md, r->variant);
            for (guint k = 0; k < s->keys->len; k++) {
                g_string_append(md, " | ");
                md_text(md, r->swept[k]);
            }
            g_string_append(md, " | ");
            fmt_sig(md, m[C_TPUT]);
            if (show_ci && isfinite(m[C_TPUT_CI]))
                g_string_append_printf(md, " ± %s", sig(ci, m[C_TPUT_CI]));
            g_string_append(md, " | ");
            fmt_sig(md, lat ? m[C_LAT_MEAN] : NAN);
            if (lat && show_ci && isfinite(m[C_LAT_CI]))
                g_string_append_printf(md, " ± %s", sig(ci, m[C_LAT_CI]));
            const int lats[] = {C_P50, C_P99, C_P999};
            for (guint i = 0; i < G_N_ELEMENTS(lats); i++) {
                g_string_append(md, " | ");
                fmt_sig(md, lat ? m[lats[i]] : NAN);
            }
            g_string_append(md, " | ");
            fmt_pct(md, m[C_CPU_MEAN]);
            g_string_append(md, " | ");
            fmt_pct(md, m[C_CPU_MAX]);
            const int counts[] = {C_FAILED, C_DROPS_CT, C_SNAT, C_POLICY};
            for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
                g_string_append(md, " | ");
                fmt_count(md, m[counts[i]]);
            }
            g_string_append(md, " |\n");
        }
    }
}

/* ---- what stands out ---- */

static const row *focus_row(const summary *s, const point_info *at, guint v, const char *cls)
{
    return find_row(s, at->point, g_ptr_array_index(s->variants, v), cls);
}

/* Best and worst variant of a class at one point by column c (lowest first
 * when low is good).  Rows without traffic are left out. */
static int extremes(const summary *s, const point_info *at, const char *cls, int c,
                    gboolean low_is_good, const row **best, const row **worst)
{
    int n = 0;
    *best = *worst = NULL;
    for (guint v = 0; v < s->variants->len; v++) {
        const row *r = focus_row(s, at, v, cls);
        if (!r || !has_traffic(r) || !isfinite(r->m[c]))
            continue;
        n++;
        gboolean better =
            !*best || (low_is_good ? r->m[c] < (*best)->m[c] : r->m[c] > (*best)->m[c]);
        gboolean worse =
            !*worst || (low_is_good ? r->m[c] > (*worst)->m[c] : r->m[c] < (*worst)->m[c]);
        if (better)
            *best = r;
        if (worse)
            *worst = r;
    }
    return n;
}

/* "lowest p99 latency: `a` 95.5 µs (highest: `b` 450 µs, 4.71×)" */
static void compare_phrase(GString *md, const char *what, const char *best_word,
                           const char *worst_word, const row *best, const row *worst, int c,
                           const char *unit)
{
    g_autoptr(GString) t = g_string_new(NULL);
    g_string_append_printf(md, "%s %s: ", best_word, what);
    if (best->m[c] == worst->m[c]) {
        g_string_append_printf(md, "the same for every variant (%s %s)", sig(t, best->m[c]), unit);
        return;
    }
    md_code(md, best->variant);
    g_string_append_printf(md, " %s %s (%s: ", sig(t, best->m[c]), unit, worst_word);
    md_code(md, worst->variant);
    g_string_append_printf(md, " %s %s", sig(t, worst->m[c]), unit);
    double lo = MIN(best->m[c], worst->m[c]), hi = MAX(best->m[c], worst->m[c]);
    if (lo > 0)
        g_string_append_printf(md, ", %s×", sig(t, hi / lo));
    g_string_append_c(md, ')');
}

static void standout_classes(GString *md, const summary *s, const point_info *at)
{
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        const row *best, *worst;
        g_string_append(md, "- **");
        md_text(md, cls);
        g_string_append(md, "**");
        if (s->keys->len) {
            g_string_append(md, " at ");
            point_label(md, s, at->at, -1);
        }
        g_string_append(md, ": ");
        if (extremes(s, at, cls, C_P99, TRUE, &best, &worst) < 2) {
            g_string_append(md, "fewer than two variants carried traffic, nothing to compare.\n");
            continue;
        }
        compare_phrase(md, "p99 latency", "lowest", "highest", best, worst, C_P99, "µs");
        g_string_append(md, "; ");
        extremes(s, at, cls, C_TPUT, FALSE, &best, &worst);
        compare_phrase(md, "throughput", "highest", "lowest", best, worst, C_TPUT, "rps");
        g_string_append(md, ".\n");
    }
}

/* CPU is per run, the same in every class row: compare it once. */
static void standout_cpu(GString *md, const summary *s, const point_info *at)
{
    const row *best = NULL, *worst = NULL;
    for (guint v = 0; v < s->variants->len; v++) {
        const row *r = NULL;
        for (guint c = 0; c < s->classes->len && !r; c++)
            r = focus_row(s, at, v, g_ptr_array_index(s->classes, c));
        if (!r || !isfinite(r->m[C_CPU_MEAN]))
            continue;
        if (!best || r->m[C_CPU_MEAN] < best->m[C_CPU_MEAN])
            best = r;
        if (!worst || r->m[C_CPU_MEAN] > worst->m[C_CPU_MEAN])
            worst = r;
    }
    if (!best || best == worst || best->m[C_CPU_MEAN] == worst->m[C_CPU_MEAN])
        return;
    g_string_append(md, "- Lowest CPU");
    if (s->keys->len) {
        g_string_append(md, " at ");
        point_label(md, s, at->at, -1);
    }
    g_string_append(md, ": ");
    md_code(md, best->variant);
    g_string_append(md, " ");
    fmt_pct(md, best->m[C_CPU_MEAN]);
    g_string_append(md, " mean, ");
    fmt_pct(md, best->m[C_CPU_MAX]);
    g_string_append(md, " on the busiest node (highest: ");
    md_code(md, worst->variant);
    g_string_append(md, " ");
    fmt_pct(md, worst->m[C_CPU_MEAN]);
    g_string_append(md, " mean, ");
    fmt_pct(md, worst->m[C_CPU_MAX]);
    g_string_append(md, " on the busiest node).\n");
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

static gboolean standout_problems(GString *md, const summary *s)
{
    gboolean any = FALSE;
    double counters[G_N_ELEMENTS(problem_cols)];
    g_autoptr(GString) t = g_string_new(NULL);
    for (guint v = 0; v < s->variants->len; v++) {
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
        const char *variant = g_ptr_array_index(s->variants, v);
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
        for (guint c = 0; c < s->classes->len; c++) {
            const row *r = find_row(s, worst->point, variant, g_ptr_array_index(s->classes, c));
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
        g_string_append(md, ".\n");
    }
    if (!any)
        g_string_append(md, "- No failed transactions, conntrack drops, SNAT failures or policy "
                            "drops in any variant.\n");
    return any;
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
    double x = NAN;
    parse_number(r->swept[s->x_key], &x);
    return x;
}

/* One line per variant (and per combination of the other swept keys) of a
 * class, in variant order, each with its points by increasing x. */
static GPtrArray *sweep_lines(const summary *s, const char *cls)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(sweep_line_free);
    g_autoptr(GHashTable) by_label = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint v = 0; v < s->variants->len; v++) {
        const char *variant = g_ptr_array_index(s->variants, v);
        for (guint p = 0; p < s->points->len; p++) {
            const row *r = find_row(s, g_array_index(s->points, point_info, p).point, variant, cls);
            if (!r)
                continue;
            g_autoptr(GString) label = g_string_new(variant);
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
            /* Insertion sort by x: a line has a handful of points. */
            guint at = l->rows->len;
            double x = row_x(s, r);
            while (at > 0 && row_x(s, g_ptr_array_index(l->rows, at - 1)) > x)
                at--;
            g_ptr_array_insert(l->rows, (gint)at, (gpointer)r);
        }
    }
    return lines;
}

static void ratio_phrase(GString *md, const char *what, const row *a, const row *b, int c,
                         const char *unit)
{
    g_autoptr(GString) t = g_string_new(NULL);
    g_string_append_printf(md, "%s ", what);
    if (!has_traffic(a) || !has_traffic(b) || !(a->m[c] > 0) || !isfinite(b->m[c])) {
        g_string_append(md, "n/a");
        return;
    }
    g_string_append_printf(md, "×%s (", sig(t, b->m[c] / a->m[c]));
    g_string_append_printf(md, "%s → ", sig(t, a->m[c]));
    g_string_append_printf(md, "%s %s)", sig(t, b->m[c]), unit);
}

static void standout_sweep(GString *md, const summary *s)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
        g_string_append(md, "- **");
        md_text(md, cls);
        g_string_append(md, "**, ");
        md_text(md, key);
        g_string_append(md, " from first to last point:\n");
        for (guint i = 0; i < lines->len; i++) {
            const sweep_line *l = g_ptr_array_index(lines, i);
            const row *a = g_ptr_array_index(l->rows, 0);
            const row *b = g_ptr_array_index(l->rows, l->rows->len - 1);
            g_string_append(md, "  - ");
            md_code(md, l->label);
            g_string_append(md, ", ");
            md_text(md, key);
            g_string_append_printf(md, " %s → %s: ", a->swept[s->x_key], b->swept[s->x_key]);
            ratio_phrase(md, "p99 latency", a, b, C_P99, "µs");
            g_string_append(md, ", ");
            ratio_phrase(md, "throughput", a, b, C_TPUT, "rps");
            g_string_append(md, "\n");
        }
    }
}

/* ---- plots ---- */

typedef struct {
    char *name;  /* file name without extension, e.g. "latency-pod-to-service" */
    char *title; /* for the image's alt text in report.md */
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

/* The plots of a summary, in the order report.md lists them. */
static GPtrArray *plan_plots(const summary *s)
{
    GPtrArray *plots = g_ptr_array_new_with_free_func(plot_free);
    const char *key = s->x_key >= 0 ? g_ptr_array_index(s->keys, (guint)s->x_key) : NULL;
    g_autofree char *kpart = key ? file_part(key) : NULL;
    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_autofree char *cpart = file_part(cls);
        plot *lat = g_new0(plot, 1), *tput = g_new0(plot, 1);
        if (key) {
            lat->name = g_strdup_printf("p99-vs-%s-%s", kpart, cpart);
            lat->title = g_strdup_printf("%s: p99 latency against %s", cls, key);
            tput->name = g_strdup_printf("throughput-vs-%s-%s", kpart, cpart);
            tput->title = g_strdup_printf("%s: throughput against %s", cls, key);
        } else {
            lat->name = g_strdup_printf("latency-%s", cpart);
            lat->title = g_strdup_printf("%s: p50 and p99 latency per variant", cls);
            tput->name = g_strdup_printf("throughput-%s", cpart);
            tput->title = g_strdup_printf("%s: throughput per variant", cls);
        }
        g_ptr_array_add(plots, lat);
        g_ptr_array_add(plots, tput);
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
} gp_term;

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
    g_string_append_printf(gp, "set terminal %s size 960,600 noenhanced\n", term->terminal);
    g_string_append_printf(gp, "set output '%s.png'\n", pl->name);
    /* Below the plot the key never hides a bar or a line; the offsets keep the
     * highest value and the end points off the border. */
    g_string_append(gp, "set datafile missing 'NaN'\nset grid ytics\nset key below\n");
    g_autofree char *title = g_strdup_printf("%s - %s", s->scenario, pl->title);
    g_string_append(gp, "set title ");
    gp_str(gp, title);
    g_string_append_c(gp, '\n');
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

static void gp_bars(GString *gp, const summary *s, const gp_term *term, const plot *pl,
                    const char *cls, gboolean latency)
{
    gp_preamble(gp, s, term, pl,
                latency ? "p50 and p99 latency per variant" : "throughput per variant");
    g_autofree char *ylabel = latency ? g_strdup_printf("latency (%s)", term->us)
                                      : g_strdup("throughput (transactions/s)");
    g_string_append(gp, "set xlabel 'variant'\nset ylabel ");
    gp_str(gp, ylabel);
    g_string_append(gp, "\nset yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n"
                        "set style data histograms\n"
                        "set style fill solid 0.85 border -1\nset boxwidth 0.9\n");
    g_string_append(gp, latency ? "set style histogram clustered gap 1\n"
                                : "set style histogram errorbars gap 1 lw 1\n");
    guint n = 0;
    gsize longest = 0;
    g_autoptr(GString) data = g_string_new("$data << EOD\n");
    g_autoptr(GString) label = g_string_new(NULL);
    for (guint p = 0; p < s->points->len; p++)
        for (guint v = 0; v < s->variants->len; v++) {
            const row *r = find_row(s, g_array_index(s->points, point_info, p).point,
                                    g_ptr_array_index(s->variants, v), cls);
            if (!r)
                continue;
            g_string_truncate(label, 0);
            bar_label(label, s, r);
            gp_label(data, label->str);
            longest = MAX(longest, label->len);
            n++;
            if (latency) {
                gp_num(data, has_traffic(r) ? r->m[C_P50] : NAN);
                gp_num(data, has_traffic(r) ? r->m[C_P99] : NAN);
            } else {
                gp_num(data, r->m[C_TPUT]);
                gp_num(data, isfinite(r->m[C_TPUT_CI]) ? r->m[C_TPUT_CI] : 0);
            }
            g_string_append_c(data, '\n');
        }
    g_string_append(data, "EOD\n");
    if (n > 4 || longest > 12)
        g_string_append(gp, "set xtics rotate by -30 nomirror\n");
    g_string_append(gp, data->str);
    if (latency)
        g_string_append(gp, "plot $data using 2:xtic(1) title 'p50', \\\n"
                            "     $data using 3 title 'p99'\n");
    else
        g_string_append(gp, "plot $data using 2:3:xtic(1) title 'mean over replications, "
                            "95% CI'\n");
}

static void gp_lines(GString *gp, const summary *s, const gp_term *term, const plot *pl,
                     const char *cls, gboolean latency)
{
    const char *key = g_ptr_array_index(s->keys, (guint)s->x_key);
    g_autofree char *what = g_strdup_printf("%s against %s, one line per variant",
                                            latency ? "p99 latency" : "throughput", key);
    gp_preamble(gp, s, term, pl, what);
    g_autofree char *ylabel = latency ? g_strdup_printf("p99 latency (%s)", term->us)
                                      : g_strdup("throughput (transactions/s)");
    g_string_append(gp, "set xlabel ");
    gp_str(gp, key);
    g_string_append(gp, "\nset ylabel ");
    gp_str(gp, ylabel);
    g_string_append(gp, "\nset yrange [0:*]\nset offsets graph 0.03, graph 0.03, graph 0.08, 0\n");
    /* A log axis only when it helps and can hold every point. */
    double lo = INFINITY, hi = -INFINITY;
    for (guint p = 0; p < s->points->len; p++) {
        double x = g_array_index(s->points, point_info, p).x;
        lo = MIN(lo, x), hi = MAX(hi, x);
    }
    if (lo > 0 && hi / lo > 100)
        g_string_append(gp, "set logscale x 10\n");

    g_autoptr(GPtrArray) lines = sweep_lines(s, cls);
    g_autoptr(GString) cmd = g_string_new("plot ");
    for (guint i = 0; i < lines->len; i++) {
        const sweep_line *l = g_ptr_array_index(lines, i);
        g_string_append_printf(gp, "$line%u << EOD\n", i + 1);
        for (guint j = 0; j < l->rows->len; j++) {
            const row *r = g_ptr_array_index(l->rows, j);
            gp_num(gp, row_x(s, r));
            if (latency) {
                gp_num(gp, has_traffic(r) ? r->m[C_P99] : NAN);
            } else {
                gp_num(gp, r->m[C_TPUT]);
                gp_num(gp, isfinite(r->m[C_TPUT_CI]) ? r->m[C_TPUT_CI] : 0);
            }
            g_string_append_c(gp, '\n');
        }
        g_string_append(gp, "EOD\n");
        g_string_append_printf(cmd, "%s$line%u using %s with %s lw 2 title ",
                               i ? ", \\\n     " : "", i + 1, latency ? "1:2" : "1:2:3",
                               latency ? "linespoints" : "yerrorlines");
        gp_str(cmd, l->label);
    }
    g_string_append(gp, cmd->str);
    g_string_append_c(gp, '\n');
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
        return FALSE;
    }
    g_autofree char *png = g_strdup_printf("%s/%s.png", plots_dir, name);
    GStatBuf st;
    if (g_stat(png, &st) != 0 || st.st_size == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: gnuplot wrote no image %s",
                    script_path, png);
        return FALSE;
    }
    return TRUE;
}

/* pngcairo draws antialiased text and UTF-8; the libgd png terminal is the
 * fallback some minimal gnuplot builds have. */
static gp_term pick_terminal(const char *gnuplot)
{
    static const gp_term cairo = {"pngcairo", "µs"}, gd = {"png", "us"};
    char *argv[] = {(char *)gnuplot, "-e", "set terminal pngcairo", NULL};
    int status;
    if (g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL) &&
        WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return cairo;
    return gd;
}

/* Write every plot's script; run gnuplot on each when it is installed. */
static gboolean draw_plots(const summary *s, const GPtrArray *plots, const char *dir,
                           const char *gnuplot, GError **error)
{
    g_autofree char *plots_dir = g_build_filename(dir, "plots", NULL);
    if (g_mkdir_with_parents(plots_dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot create: %s",
                    plots_dir, g_strerror(e));
        return FALSE;
    }
    gp_term term = gnuplot ? pick_terminal(gnuplot) : (gp_term){"pngcairo", "µs"};
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        const char *cls = g_ptr_array_index(s->classes, i / 2);
        gboolean latency = i % 2 == 0;
        g_autoptr(GString) gp = g_string_new(NULL);
        if (s->x_key >= 0)
            gp_lines(gp, s, &term, pl, cls, latency);
        else
            gp_bars(gp, s, &term, pl, cls, latency);
        g_autofree char *path = g_strdup_printf("%s/%s.gp", plots_dir, pl->name);
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
        g_autoptr(GPtrArray) seen = g_ptr_array_new();
        for (guint p = 0; p < s->points->len; p++) {
            const char *v = g_array_index(s->points, point_info, p).at->swept[k];
            if (!str_in(seen, v))
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

static void write_markdown(GString *md, const summary *s, const GPtrArray *plots, gboolean drawn)
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
    g_string_append(md, "Throughput and mean latency are means over the replications ± the "
                        "half-width of a 95% confidence interval; percentiles are those of all the "
                        "replications' transactions together (merged histograms); CPU is a mean "
                        "over the replications; counts are totals. CPU, conntrack drops, SNAT "
                        "failures and policy drops are cluster-wide for a run (the same in each "
                        "class's table); failed transactions are per class. A dash: no "
                        "completed transaction to measure.\n");

    for (guint c = 0; c < s->classes->len; c++) {
        const char *cls = g_ptr_array_index(s->classes, c);
        g_string_append(md, "\n## ");
        md_text(md, cls);
        g_string_append(md, "\n\n");
        class_table(md, s, cls);
    }

    g_string_append(md, "\n## What stands out\n\n");
    const point_info *last = &g_array_index(s->points, point_info, s->points->len - 1);
    if (s->variants->len > 1) {
        standout_classes(md, s, last);
        standout_cpu(md, s, last);
    }
    standout_problems(md, s);
    if (s->x_key >= 0)
        standout_sweep(md, s);

    g_string_append(md, "\n## Plots\n\n");
    if (!drawn) {
        g_string_append(md, "gnuplot was not found, so no images were drawn; the scripts are "
                            "in `plots/` (run `gnuplot NAME.gp` there).\n");
        return;
    }
    for (guint i = 0; i < plots->len; i++) {
        const plot *pl = g_ptr_array_index(plots, i);
        g_string_append(md, "![");
        md_text(md, pl->title);
        g_string_append_printf(md, "](plots/%s.png)\n", pl->name);
    }
}

gboolean cn_report(const char *dir, FILE *out, GError **error)
{
    g_return_val_if_fail(dir != NULL, FALSE);
    g_autoptr(summary) s = summary_read(dir, error);
    if (!s)
        return FALSE;
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    g_autoptr(GPtrArray) plots = plan_plots(s);
    g_autoptr(GString) md = g_string_new(NULL);
    write_markdown(md, s, plots, gnuplot != NULL);

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
    if (!gnuplot)
        fprintf(stderr,
                "cnisim report: gnuplot not found on PATH: no plots drawn (scripts "
                "written to %s/plots/)\n",
                dir);
    return draw_plots(s, plots, dir, gnuplot, error);
}
