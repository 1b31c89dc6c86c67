#include "calibrate.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>

#include "calibration.h"
#include "csvout.h"
#include "scenario.h"
#include "validation.h"

/* A residual the simulation could not produce (no transaction completed,
 * a zero where a ratio was wanted) counts as far out of tolerance. */
#define MISSING_RESIDUAL 10.0

typedef struct {
    char *name;
    int entry;   /* calibration entry, or -1 */
    char **keys; /* scenario keys instead (NULL-terminated), or NULL */
    char *cases; /* glob over case names, or NULL: global */
    double min, max, start;
    bool start_given; /* start was in the file */
} fparam;

typedef struct {
    GPtrArray *cases; /* the fit cases (cn_vcase *, borrowed from corpus) */
    fparam *p;
    int np;
    bool **applies; /* [case][param] */
    int n_res;
    int evals;
    GError *error; /* the first evaluation error */
} fctx;

static double to_p(const fparam *q, double u)
{
    return q->min + (q->max - q->min) / (1 + exp(-u));
}

static double dp_du(const fparam *q, double u)
{
    double s = 1 / (1 + exp(-u));
    return (q->max - q->min) * s * (1 - s);
}

static double to_u(const fparam *q, double p)
{
    double s = (p - q->min) / (q->max - q->min);
    s = s < 1e-3 ? 1e-3 : s > 1 - 1e-3 ? 1 - 1e-3 : s;
    return log(s / (1 - s));
}

void cn_calibrate_result_clear(cn_calibrate_result *r)
{
    if (r->names)
        for (int i = 0; i < r->n_params; i++)
            g_free(r->names[i]);
    g_free(r->names);
    g_free(r->start);
    g_free(r->value);
    g_free(r->sd);
    g_free(r->global);
    memset(r, 0, sizeof *r);
}

static gboolean bad(GError **error, const char *path, const char *group, const char *key,
                    const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static gboolean bad(GError **error, const char *path, const char *group, const char *key,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (*key)
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE, "%s: [%s] %s: %s", path,
                    group, key, msg);
    else
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE, "%s: [%s]: %s", path, group,
                    msg);
    return FALSE;
}

static gboolean get_num(GKeyFile *kf, const char *path, const char *g, const char *key,
                        gboolean required, double *out, GError **error)
{
    g_autofree char *v = g_key_file_get_value(kf, g, key, NULL);
    if (!v)
        return required ? bad(error, path, g, key, "missing") : TRUE;
    char *end;
    double x = g_ascii_strtod(g_strstrip(v), &end);
    if (end == v || *end || !isfinite(x))
        return bad(error, path, g, key, "expected a number, got '%s'", v);
    *out = x;
    return TRUE;
}

static gboolean load_free(const char *path, fparam **out, int *n_out, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *e = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_IO, "%s: %s", path, e->message);
        g_error_free(e);
        return FALSE;
    }
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    int n = 0;
    fparam *p = g_new0(fparam, g_strv_length(groups) + 1);
    static const char *const allowed[] = {"entry", "keys",  "cases", "min",
                                          "max",   "start", "why",   NULL};
    for (int i = 0; groups[i]; i++) {
        const char *g = groups[i];
        if (!g_str_has_prefix(g, "param ") || !g[6]) {
            bad(error, path, g, "", "expected [param NAME] groups only");
            goto fail;
        }
        fparam *q = &p[n++];
        q->name = g_strdup(g + 6);
        q->entry = -1;
        g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
        for (int k = 0; keys[k]; k++) {
            if (!g_strv_contains(allowed, keys[k])) {
                bad(error, path, g, keys[k],
                    "unknown key (expected entry or keys, cases, min, max, start, why)");
                goto fail;
            }
        }
        g_autofree char *entry = g_key_file_get_value(kf, g, "entry", NULL);
        q->keys = g_key_file_get_string_list(kf, g, "keys", NULL, NULL);
        if (entry && q->keys) {
            bad(error, path, g, "keys", "give entry or keys, not both");
            goto fail;
        }
        if (q->keys) {
            for (int k = 0; q->keys[k]; k++) {
                g_strstrip(q->keys[k]);
                if (!strchr(q->keys[k], '.')) {
                    bad(error, path, g, "keys", "expected group.key names, got '%s'", q->keys[k]);
                    goto fail;
                }
            }
        } else {
            const char *name = entry ? g_strstrip(entry) : q->name;
            q->entry = cn_cal_lookup(name);
            if (q->entry < 0) {
                bad(error, path, g, entry ? "entry" : "",
                    "'%s' is not a calibration entry "
                    "(cnisim help costs)",
                    name);
                goto fail;
            }
        }
        char *cases = g_key_file_get_value(kf, g, "cases", NULL);
        q->cases = cases ? g_strstrip(cases) : NULL;
        g_autofree char *why = g_key_file_get_value(kf, g, "why", NULL);
        if (!why || !*g_strstrip(why)) {
            bad(error, path, g, "why", "missing: say what bounds the parameter");
            goto fail;
        }
        if (!get_num(kf, path, g, "min", TRUE, &q->min, error) ||
            !get_num(kf, path, g, "max", TRUE, &q->max, error))
            goto fail;
        if (!(q->min < q->max)) {
            bad(error, path, g, "max", "expected min < max");
            goto fail;
        }
        q->start = q->entry >= 0 ? cn_cal_table[q->entry].value : NAN;
        q->start_given = g_key_file_has_key(kf, g, "start", NULL);
        if (!get_num(kf, path, g, "start", q->keys != NULL, &q->start, error))
            goto fail;
        if (q->start < q->min || q->start > q->max) {
            bad(error, path, g, "start", "%g is outside [%g, %g]", q->start, q->min, q->max);
            goto fail;
        }
    }
    if (n == 0) {
        bad(error, path, "param", "", "no free parameter");
        goto fail;
    }
    *out = p;
    *n_out = n;
    return TRUE;
fail:
    for (int i = 0; i < n; i++) {
        g_free(p[i].name);
        g_strfreev(p[i].keys);
        g_free(p[i].cases);
    }
    g_free(p);
    return FALSE;
}

static bool param_applies(const fparam *q, const cn_vcase *vc)
{
    if (q->cases)
        return g_pattern_match_simple(q->cases, cn_vcase_name(vc));
    /* A case whose own [costs] set the entry has a set-up of its own. */
    return !(q->entry >= 0 && cn_vcase_sets_cost(vc, q->entry));
}

/* Evaluate the fit figures at parameters u; rows (may be NULL) receive them. */
static void evaluate(fctx *fc, const gsl_vector *u, GPtrArray *rows, gsl_vector *res)
{
    g_autoptr(GPtrArray) own = rows ? NULL : g_ptr_array_new_with_free_func(cn_vrow_free);
    GPtrArray *out = rows ? rows : own;
    g_ptr_array_set_size(out, 0);
    for (guint c = 0; c < fc->cases->len; c++) {
        cn_vcase *vc = g_ptr_array_index(fc->cases, c);
        double cost[CAL_COUNT];
        for (int i = 0; i < CAL_COUNT; i++)
            cost[i] = NAN;
        g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func(g_free);
        for (int j = 0; j < fc->np; j++) {
            if (!fc->applies[c][j])
                continue;
            const fparam *q = &fc->p[j];
            double v = to_p(q, gsl_vector_get(u, (size_t)j));
            if (q->entry >= 0) {
                cost[q->entry] = v;
            } else {
                char num[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd(num, sizeof num, "%.9g", v);
                for (int k = 0; q->keys[k]; k++)
                    g_ptr_array_add(sets, g_strdup_printf("%s=%s", q->keys[k], num));
            }
        }
        g_ptr_array_add(sets, NULL);
        cn_vcase_eval_role(vc, cost, (const char *const *)sets->pdata, CN_ROLE_FIT, out);
    }
    fc->evals++;
    for (guint i = 0; res && i < out->len && i < res->size; i++) {
        const cn_vrow *r = g_ptr_array_index(out, i);
        double x = cn_vrow_residual(r);
        if (r->error && !fc->error)
            fc->error = g_error_new(CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE, "%s: %s",
                                    r->case_name, r->error);
        gsl_vector_set(res, i, isnan(x) ? MISSING_RESIDUAL : x);
    }
}

static int f_cb(const gsl_vector *u, void *params, gsl_vector *f)
{
    evaluate(params, u, NULL, f);
    return GSL_SUCCESS;
}

/* Central differences, each parameter moved by 5% of its value (at least
 * a hundredth of its range) either way: far above the simulation's
 * discreteness (a latency quantile moves in histogram buckets of under
 * 0.8%, so a parameter of second-order effect such as a coefficient of
 * variation needs a step that moves the figures by several buckets), and
 * small against the curvature of the figures. */
static int df_cb(const gsl_vector *u, void *params, gsl_matrix *J)
{
    fctx *fc = params;
    gsl_vector *f0 = gsl_vector_alloc(J->size1), *f1 = gsl_vector_alloc(J->size1);
    gsl_vector *v = gsl_vector_alloc(u->size);
    for (int j = 0; j < fc->np; j++) {
        const fparam *q = &fc->p[j];
        double uj = gsl_vector_get(u, (size_t)j), p = to_p(q, uj);
        double dp = fmax(0.05 * fabs(p), 1e-2 * (q->max - q->min));
        double du = dp / fmax(dp_du(q, uj), 1e-300);
        gsl_vector_memcpy(v, u);
        gsl_vector_set(v, (size_t)j, uj - du);
        evaluate(fc, v, NULL, f0);
        gsl_vector_set(v, (size_t)j, uj + du);
        evaluate(fc, v, NULL, f1);
        for (size_t i = 0; i < J->size1; i++)
            gsl_matrix_set(J, i, (size_t)j,
                           (gsl_vector_get(f1, i) - gsl_vector_get(f0, i)) / (2 * du));
    }
    if (g_getenv("CNISIM_CALIBRATE_DEBUG")) {
        for (size_t i = 0; i < J->size1; i++) {
            fprintf(stderr, "J[%zu]:", i);
            for (size_t j = 0; j < J->size2; j++)
                fprintf(stderr, " %.4g", gsl_matrix_get(J, i, j));
            fputc('\n', stderr);
        }
    }
    gsl_vector_free(f0);
    gsl_vector_free(f1);
    gsl_vector_free(v);
    return GSL_SUCCESS;
}

static void print_rows(FILE *out, const GPtrArray *before, const GPtrArray *after)
{
    fprintf(out, "%-22s %-28s %11s %11s %7s %11s %7s\n", "case", "metric", "published", "before",
            "resid", "after", "resid");
    for (guint i = 0; i < before->len; i++) {
        const cn_vrow *a = g_ptr_array_index(before, i);
        const cn_vrow *b = after && i < after->len ? g_ptr_array_index(after, i) : NULL;
        fprintf(out, "%-22s %-28s %11.5g %11.5g %7.2f", a->case_name, a->metric, a->published,
                a->simulated, cn_vrow_residual(a));
        if (b)
            fprintf(out, " %11.5g %7.2f%s", b->simulated, cn_vrow_residual(b),
                    b->pass ? "" : "  out of tolerance");
        fputc('\n', out);
    }
}

static double sumsq(const GPtrArray *rows)
{
    double s = 0;
    for (guint i = 0; i < rows->len; i++) {
        double x = cn_vrow_residual(g_ptr_array_index(rows, i));
        x = isnan(x) ? MISSING_RESIDUAL : x;
        s += x * x;
    }
    return s;
}

static gboolean write_costs(const cn_calibrate_options *opt, const fctx *fc,
                            const cn_calibrate_result *r, const GPtrArray *rows, GError **error)
{
    cn_outfile *f = cn_outfile_open(opt->out_path, error);
    if (!f)
        return FALSE;
    FILE *out = cn_outfile_stream(f);
    fprintf(out, "# cnisim calibrate%s%s: corpus %s, parameters %s\n", opt->stamp ? ", " : "",
            opt->stamp ? opt->stamp : "", opt->cases_dir, opt->free_path);
    fprintf(out, "# fitted to %d figures (sum of squared residuals %.4g -> %.4g):\n",
            r->n_residuals, r->cost_before, r->cost_after);
    for (guint i = 0; i < rows->len; i++) {
        const cn_vrow *x = g_ptr_array_index(rows, i);
        fprintf(out, "#   %s %s: published %g, simulated %g\n", x->case_name, x->metric,
                x->published, x->simulated);
    }
    for (int j = 0; j < r->n_params; j++)
        if (!r->global[j])
            fprintf(out, "# scoped to cases %s (set it in those case files): %s = %.6g +- %.3g\n",
                    fc->p[j].cases ? fc->p[j].cases : "", r->names[j], r->value[j], r->sd[j]);
    fputs("[costs]\n", out);
    for (int j = 0; j < r->n_params; j++) {
        if (!r->global[j])
            continue;
        fprintf(out, "# +- %.3g (one standard error), bounds [%g, %g], start %g\n", r->sd[j],
                fc->p[j].min, fc->p[j].max, r->start[j]);
        fprintf(out, "%s = ", cn_cal_table[fc->p[j].entry].name);
        cn_csv_double(out, r->value[j]);
        fputc('\n', out);
    }
    return cn_outfile_commit(f, error);
}

gboolean cn_calibrate(const cn_calibrate_options *opt, FILE *report, cn_calibrate_result *out,
                      GError **error)
{
    memset(out, 0, sizeof *out);
    fctx fc = {0};
    gboolean ok = FALSE;
    g_autoptr(GPtrArray) corpus = NULL;
    g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func(cn_vrow_free);
    g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func(cn_vrow_free);
    gsl_multifit_nlinear_workspace *w = NULL;
    gsl_vector *u0 = NULL;
    gsl_matrix *covar = NULL;

    if (!load_free(opt->free_path, &fc.p, &fc.np, error))
        return FALSE;
    corpus = cn_vcorpus_load(opt->cases_dir, error);
    if (!corpus)
        goto done;
    fc.cases = g_ptr_array_new();
    for (guint i = 0; i < corpus->len; i++) {
        cn_vcase *vc = g_ptr_array_index(corpus, i);
        if (!cn_vcase_has_role(vc, CN_ROLE_FIT))
            continue;
        if (cn_vcase_error(vc)) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                        "fit case %s cannot be used: %s", cn_vcase_name(vc), cn_vcase_error(vc));
            goto done;
        }
        g_ptr_array_add(fc.cases, vc);
    }
    /* A scoped entry starts where its cases already stand. */
    for (int j = 0; j < fc.np; j++) {
        fparam *q = &fc.p[j];
        double v;
        for (guint c = 0; q->cases && q->entry >= 0 && !q->start_given && c < fc.cases->len; c++) {
            cn_vcase *vc = g_ptr_array_index(fc.cases, c);
            if (param_applies(q, vc) && cn_vcase_cost_value(vc, q->entry, &v) && v >= q->min &&
                v <= q->max) {
                q->start = v;
                break;
            }
        }
    }
    fc.applies = g_new0(bool *, fc.cases->len ? fc.cases->len : 1);
    for (guint c = 0; c < fc.cases->len; c++) {
        fc.applies[c] = g_new0(bool, fc.np);
        for (int j = 0; j < fc.np; j++)
            fc.applies[c][j] = param_applies(&fc.p[j], g_ptr_array_index(fc.cases, c));
    }
    for (int j = 0; j < fc.np; j++) {
        bool used = false;
        for (guint c = 0; c < fc.cases->len; c++)
            used |= fc.applies[c][j];
        if (!used) {
            bad(error, opt->free_path, fc.p[j].name, "cases", "no fit case uses this parameter");
            goto done;
        }
    }

    u0 = gsl_vector_alloc((size_t)fc.np);
    for (int j = 0; j < fc.np; j++)
        gsl_vector_set(u0, (size_t)j, to_u(&fc.p[j], fc.p[j].start));
    evaluate(&fc, u0, before, NULL);
    if (fc.error) {
        g_propagate_error(error, fc.error);
        fc.error = NULL;
        goto done;
    }
    for (guint i = 0; i < before->len; i++) {
        const cn_vrow *r = g_ptr_array_index(before, i);
        if (r->error) {
            g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE, "%s %s: %s",
                        r->case_name, r->metric, r->error);
            goto done;
        }
    }
    fc.n_res = (int)before->len;
    if (fc.n_res < fc.np) {
        g_set_error(error, CN_SCENARIO_ERROR, CN_SCENARIO_ERROR_VALUE,
                    "%d fit figures cannot fix %d free parameters (%s, %s)", fc.n_res, fc.np,
                    opt->cases_dir, opt->free_path);
        goto done;
    }

    gsl_multifit_nlinear_fdf fdf = {0};
    fdf.f = f_cb;
    fdf.df = df_cb;
    fdf.n = (size_t)fc.n_res;
    fdf.p = (size_t)fc.np;
    fdf.params = &fc;
    gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
    w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, fdf.n, fdf.p);
    gsl_multifit_nlinear_init(u0, &fdf, w);
    int info = 0;
    gsl_set_error_handler_off();
    int status =
        gsl_multifit_nlinear_driver((size_t)(opt->max_iterations > 0 ? opt->max_iterations : 40),
                                    1e-4, 1e-6, 1e-6, NULL, NULL, &info, w);
    (void)status;
    const gsl_vector *u = gsl_multifit_nlinear_position(w);
    evaluate(&fc, u, after, NULL);

    /* Covariance in u, with each figure's tolerance as one standard error
     * of its log; mapped to p through the bound transform. */
    covar = gsl_matrix_alloc(fdf.p, fdf.p);
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 1e-9, covar);

    out->n_params = fc.np;
    out->names = g_new0(char *, fc.np);
    out->start = g_new(double, fc.np);
    out->value = g_new(double, fc.np);
    out->sd = g_new(double, fc.np);
    out->global = g_new(gboolean, fc.np);
    for (int j = 0; j < fc.np; j++) {
        double uj = gsl_vector_get(u, (size_t)j);
        double var = gsl_matrix_get(covar, (size_t)j, (size_t)j);
        out->names[j] = g_strdup(fc.p[j].name);
        out->start[j] = fc.p[j].start;
        out->value[j] = to_p(&fc.p[j], uj);
        out->sd[j] = var > 0 && isfinite(var) && var < 1e6 ? sqrt(var) * dp_du(&fc.p[j], uj) : NAN;
        out->global[j] = fc.p[j].cases == NULL;
    }
    out->n_residuals = fc.n_res;
    out->cost_before = sumsq(before);
    out->cost_after = sumsq(after);
    out->iterations = (int)gsl_multifit_nlinear_niter(w);
    out->evaluations = fc.evals;
    out->all_within = TRUE;
    for (guint i = 0; i < after->len; i++)
        out->all_within &= ((const cn_vrow *)g_ptr_array_index(after, i))->pass;

    if (report) {
        fprintf(report, "%d fit figures in %u cases, %d free parameters\n\n", fc.n_res,
                fc.cases->len, fc.np);
        print_rows(report, before, after);
        fprintf(report,
                "\nsum of squared residuals: %.4g before, %.4g after (%d iterations, %d model "
                "evaluations; %s)\n\n",
                out->cost_before, out->cost_after, out->iterations, out->evaluations,
                info == 1   ? "converged: small step"
                : info == 2 ? "converged: small gradient"
                            : "stopped at the iteration limit or a failed step");
        fprintf(report, "%-28s %12s %10s %12s %12s %12s  %s\n", "parameter", "value", "+-", "min",
                "max", "start", "applies to");
        for (int j = 0; j < fc.np; j++)
            fprintf(report, "%-28s %12.5g %10.3g %12.5g %12.5g %12.5g  %s\n", out->names[j],
                    out->value[j], out->sd[j], fc.p[j].min, fc.p[j].max, out->start[j],
                    fc.p[j].cases ? fc.p[j].cases : "all cases ([costs] output)");
        fputs("\n+-: one standard error, from the Jacobian at the solution, taking each "
              "figure's tolerance as one standard error of its log; empty (nan) when the "
              "figures do not fix the parameter.\n",
              report);
    }
    if (opt->out_path && !write_costs(opt, &fc, out, after, error))
        goto done;
    if (report && opt->out_path)
        fprintf(report, "wrote %s\n", opt->out_path);
    ok = TRUE;
done:
    if (!ok)
        cn_calibrate_result_clear(out);
    if (fc.error)
        g_error_free(fc.error);
    if (w)
        gsl_multifit_nlinear_free(w);
    if (u0)
        gsl_vector_free(u0);
    if (covar)
        gsl_matrix_free(covar);
    if (fc.cases) {
        for (guint c = 0; c < fc.cases->len; c++)
            g_free(fc.applies[c]);
        g_ptr_array_unref(fc.cases);
    }
    g_free(fc.applies);
    for (int j = 0; j < fc.np; j++) {
        g_free(fc.p[j].name);
        g_strfreev(fc.p[j].keys);
        g_free(fc.p[j].cases);
    }
    g_free(fc.p);
    return ok;
}
