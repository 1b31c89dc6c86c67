/* cnisim report: the summary.csv it reads (columns, rows, sweep points,
 * the lines along a numeric sweep) and the CSV reader. */
#include "report-internal.h"

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

const char *const col_names[C_COUNT] = {
    "replications",
#define SUMMARY_COL(id, name, required, metric, how, q) name,
#include "summary-cols.def"
#undef SUMMARY_COL
};
/* parse_header takes the first C_REQUIRED in order: they must lead. */
G_STATIC_ASSERT((int)C_REQUIRED == (int)C_CT_EVICT);

/* ---- the parsed summary ---- */

static void row_free(gpointer p)
{
    row *r = p;
    g_free(r->variant);
    g_strfreev(r->swept);
    g_free(r->cls);
    g_free(r);
}

void summary_free(summary *s)
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
    if (s->events)
        g_ptr_array_unref(s->events);
    if (s->event_at_s)
        g_array_unref(s->event_at_s);
    if (s->plan)
        g_ptr_array_unref(s->plan);
    g_free(s);
}

/* A field as report will show it, on a terminal and in report.md: control
 * characters (C0, DEL, and the C1 controls U+0080-U+009F, which some
 * terminals obey) become visible escapes, so a forged summary.csv cannot
 * move the cursor, recolour the terminal or start a line of its own. */
static char *field_text(const char *raw)
{
    GString *o = g_string_sized_new(strlen(raw));
    for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf(o, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            g_string_append_printf(o, "\\u%04x", (unsigned)*++p);
        else
            g_string_append_c(o, (char)*p);
    }
    return g_string_free(o, FALSE);
}

static char *index_key(guint point, const char *variant, const char *cls)
{
    return g_strdup_printf("%u\x1f%s\x1f%s", point, variant, cls);
}

/* The rows of a point are few (variants x classes): a scan of them is
 * cheaper than building a key per lookup.  cls NULL: the variant's first
 * row at the point, whatever its class. */
const row *find_row(const summary *s, guint point, const char *variant, const char *cls)
{
    const GPtrArray *rows = g_hash_table_lookup(s->by_point, GUINT_TO_POINTER(point));
    for (guint i = 0; rows && i < rows->len; i++) {
        const row *r = g_ptr_array_index(rows, i);
        if (strcmp(r->variant, variant) == 0 && (!cls || strcmp(r->cls, cls) == 0))
            return r;
    }
    return NULL;
}

gboolean str_in(const GPtrArray *a, const char *v)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), v) == 0)
            return TRUE;
    return FALSE;
}

/* ---- CSV reading (RFC 4180, as cn_csv_string writes it) ---- */

/* Read one record into fields.  Returns 1, 0 at the end of the input, or -1
 * with error set.  Blank lines are skipped; *rec_line is where the record
 * starts. */
int csv_next(csv_reader *r, GPtrArray *fields, guint *rec_line, GError **error)
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
        g_ptr_array_add(fields, field_text(f->str));
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

gboolean read_file(const char *path, GString *buf, GError **error)
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

gboolean parse_number(const char *text, double *out)
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

summary *summary_read(const char *dir, GError **error)
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

/* ---- lines along the numeric sweep (shared by the text and the plots) ---- */

static void sweep_line_free(gpointer p)
{
    sweep_line *l = p;
    g_free(l->label);
    g_ptr_array_unref(l->rows);
    g_free(l);
}

double row_x(const summary *s, const row *r)
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
GPtrArray *sweep_lines(const summary *s, const char *cls)
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
