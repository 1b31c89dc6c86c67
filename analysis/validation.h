/* The validation corpus: published measurements as case files, and the
 * model check that compares cnisim with them (cnisim check-model).
 *
 * A case file is a normal scenario reproducing a published set-up, plus a
 * [case] group (source title, address, date, revision, set-up, default
 * role) and one [metric NAME] group per published figure:
 *
 *   [metric rr_p50_iptables]
 *   measure = latency_p50_us        # a summary.csv column, failed_fraction or goodput_gbps
 *   variant = azure-cni             # as written in [plugins] compare (default: the first)
 *   class = pod-to-pod-cross-node   # default: the scenario's only class
 *   point = 1                       # sweep point, 1-based as in summary.csv (default 1)
 *   set = costs.nf_ct_new_ns=0      # overrides for this run, ';'-separated (optional)
 *   over_variant = ...              # any over_* key makes the metric a ratio: the
 *   over_measure, over_class,       # same figure with these fields replaced is the
 *   over_point, over_set            # denominator
 *   minus_measure, minus_variant,   # any minus_* key subtracts that figure from the
 *   minus_class, ...                # numerator first: (a - b) / c
 *   published = 84
 *   tolerance = 0.15                # passes when 1/(1+t) <= simulated/published <= 1+t
 *   tolerance_abs = 0               # instead: |simulated - published| <= this (for 0 figures)
 *   why = the justification of the tolerance
 *   role = fit | check              # default: [case] role
 *
 * A case that cannot be loaded or run is kept, and reported as an error
 * (every one of its metrics), never skipped. */
#ifndef CN_VALIDATION_H
#define CN_VALIDATION_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

#include "calibration.h"

typedef enum { CN_ROLE_FIT, CN_ROLE_CHECK } cn_vrole;

/* One line of validation.csv. */
typedef struct {
    char *case_name;  /* the case file's name without .ini */
    char *metric;     /* the [metric NAME] */
    char *definition; /* what is compared, e.g. throughput_rps[cilium]/throughput_rps[azure-cni] */
    cn_vrole role;
    double published;
    double simulated; /* NAN when the case failed or the figure is undefined */
    double ratio;     /* simulated / published; NAN when published is 0 */
    double tolerance; /* relative (log-symmetric) or absolute */
    bool tolerance_abs;
    bool pass;
    char *error; /* non-NULL: why the case could not be evaluated */
} cn_vrow;

void cn_vrow_free(gpointer row);

typedef struct cn_vcase cn_vcase;

/* Load every *.ini of dir, in name order.  Fails only when dir cannot be
 * read or holds no case; a case with a bad file is returned with its error
 * set (cn_vcase_error) and evaluates to error rows. */
GPtrArray *cn_vcorpus_load(const char *dir, GError **error);

const char *cn_vcase_name(const cn_vcase *vc);
const char *cn_vcase_path(const cn_vcase *vc);
const char *cn_vcase_error(const cn_vcase *vc); /* NULL if it loaded */
int cn_vcase_n_metrics(const cn_vcase *vc);
cn_vrole cn_vcase_metric_role(const cn_vcase *vc, int m);
bool cn_vcase_has_role(const cn_vcase *vc, cn_vrole role);
/* Does the case file set this calibration entry in its own [costs]? */
bool cn_vcase_sets_cost(const cn_vcase *vc, int cal);
/* That value (FALSE if the case does not set it, or not as one number). */
bool cn_vcase_cost_value(const cn_vcase *vc, int cal, double *out);
void cn_vcase_free(gpointer vc);

/* Evaluate a case: run the runs its metrics need (each replication of the
 * scenario, common random numbers: the same seeds every time) and append
 * one row per metric to rows.  cost: CAL_COUNT values applied over the
 * scenario's configuration, NAN to keep the scenario's; may be NULL.
 * sets: "group.key=value" overrides applied to every run after the
 * metric's own (NULL-terminated, may be NULL). */
void cn_vcase_eval(cn_vcase *vc, const double *cost, const char *const *sets, GPtrArray *rows);
/* The same for the metrics of one role only (calibrate: the fit figures). */
void cn_vcase_eval_role(cn_vcase *vc, const double *cost, const char *const *sets, cn_vrole role,
                        GPtrArray *rows);

/* A row's normalised residual: ln(ratio) / ln(1 + tolerance), so |r| <= 1
 * is a pass (absolute tolerance: difference / tolerance).  NAN if the row
 * has no simulated value. */
double cn_vrow_residual(const cn_vrow *r);

/* The table, aligned for a terminal, and validation.csv: case, metric,
 * published, simulated, ratio, tolerance, pass, role, definition, error. */
void cn_validation_print(const GPtrArray *rows, FILE *out);
gboolean cn_validation_write_csv(const GPtrArray *rows, const char *path, GError **error);
/* Markdown, for the README. */
void cn_validation_print_markdown(const GPtrArray *rows, FILE *out);

/* cnisim check-model: evaluate every case of cases_dir, print the table
 * (markdown: the README's form) to out and, with out_dir, write
 * out_dir/validation.csv.  Returns the number of failures that count: fit
 * figures out of tolerance, cases with fit figures that could not be
 * evaluated, and with strict any case that could not be; -1 with error set
 * for bad input (no corpus, unwritable output). */
int cn_check_model(const char *cases_dir, const char *out_dir, bool strict, bool markdown,
                   FILE *out, GError **error);

#endif
