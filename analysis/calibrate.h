/* cnisim calibrate: fit free parameters to the fit figures of a validation
 * corpus by nonlinear least squares (GSL gsl_multifit_nlinear, trust region
 * with Levenberg-Marquardt steps).
 *
 * The residual of a figure is ln(simulated / published) / ln(1 + tolerance)
 * (cn_vrow_residual): a figure counts in the fit as much as its tolerance
 * allows, and |r| <= 1 is a pass.  Each parameter is bounded: the solver
 * works on u with p = min + (max - min) / (1 + exp(-u)).  Every evaluation
 * runs the same seeds (common random numbers), so the objective moves only
 * with the parameters; the Jacobian is taken by forward differences with a
 * step large enough to see past the simulation's small discontinuities.
 *
 * Free parameters come from a file (tests/validation/free.ini):
 *
 *   [param sock_msg_ns]          # a calibration entry, fitted for every case
 *   min = 1000                   # physical bounds, in the entry's unit
 *   max = 20000
 *   why = what bounds it
 *
 *   [param tke_vnet_one_way_ns]  # a property of some cases only
 *   entry = vnet_one_way_ns      # the calibration entry it sets ...
 *   keys = workload.server_time_us; workload.client_time_us   # ... or scenario keys
 *   cases = imroc-*              # glob over case names
 *
 * A parameter without `cases` is global: it is written to the [costs]
 * output and applied to every case except those whose own [costs] set that
 * entry (their set-up differs).  A scoped parameter applies to its cases
 * only; its value is printed, for the case files. */
#ifndef CN_CALIBRATE_H
#define CN_CALIBRATE_H

#include <stdio.h>
#include <glib.h>

typedef struct {
    const char *cases_dir; /* the corpus */
    const char *free_path; /* the free-parameter file */
    const char *out_path;  /* the [costs] file to write; NULL: none */
    int max_iterations;    /* 0: 40 */
    const char *stamp;     /* written in the output's header (date, commit); may be NULL */
} cn_calibrate_options;

typedef struct {
    int n_params;
    char **names;     /* the [param NAME]s */
    double *start;    /* starting values */
    double *value;    /* fitted values */
    double *sd;       /* approximate standard errors (NAN when not identified) */
    gboolean *global; /* written to [costs] */
    int n_residuals;
    double cost_before, cost_after; /* sum of squared residuals */
    int iterations;
    int evaluations;
    gboolean all_within; /* every fit figure within tolerance after the fit */
} cn_calibrate_result;

void cn_calibrate_result_clear(cn_calibrate_result *r);

/* Run the fit; print residuals before and after and the parameters to
 * report.  FALSE with error on bad input (files, a fit case that cannot
 * run, no fit figures, a bad parameter). */
gboolean cn_calibrate(const cn_calibrate_options *opt, FILE *report, cn_calibrate_result *out,
                      GError **error);

#endif
