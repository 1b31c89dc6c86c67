/* Streaming statistics: Welford mean/variance and a log-bucketed latency
 * histogram (HDR style).  Nothing stores individual samples. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t n;  /* samples */
    double mean; /* running mean */
    double m2;   /* sum of squared deviations from the mean */
    double min, max;
} sim_welford;

void sim_welford_init(sim_welford *w);
void sim_welford_add(sim_welford *w, double x);
void sim_welford_merge(sim_welford *into, const sim_welford *from);
double sim_welford_variance(const sim_welford *w); /* sample variance, 0 if n < 2 */
double sim_welford_stddev(const sim_welford *w);
/* Half-width of the 95% confidence interval of the mean (Student t, n-1
 * degrees of freedom); 0 when n < 2. */
double sim_welford_ci95(const sim_welford *w);

/* Histogram of non-negative integer values (e.g. nanoseconds).  Values below
 * 2^SIM_HIST_SUB_BITS are exact; above, each power of two is split into
 * 2^SIM_HIST_SUB_BITS buckets, so a reported quantile is within
 * SIM_HIST_REL_ERROR of a sample in the same bucket. */
#define SIM_HIST_SUB_BITS  7
#define SIM_HIST_REL_ERROR (1.0 / (1 << SIM_HIST_SUB_BITS)) /* 0.78% */

typedef struct sim_hist sim_hist;

sim_hist *sim_hist_new(void);
void sim_hist_free(sim_hist *h);
void sim_hist_reset(sim_hist *h);
void sim_hist_add(sim_hist *h, uint64_t value);
void sim_hist_merge(sim_hist *into, const sim_hist *from);
uint64_t sim_hist_count(const sim_hist *h);
/* The q-quantile (0 <= q <= 1) as the midpoint of its bucket; 0 if empty. */
double sim_hist_quantile(const sim_hist *h, double q);
double sim_hist_mean(const sim_hist *h); /* exact mean of the values added */

/* A histogram as one line of text (no newline, no comma): its count, exact
 * sum, min and max, then "bucket:count" for each non-empty bucket.  Parsing
 * the text gives back the same histogram, so histograms kept in files merge
 * exactly as in memory.  sim_hist_parse() adds to h (merging) and returns
 * false on malformed text, leaving h unspecified. */
char *sim_hist_to_text(const sim_hist *h);
bool sim_hist_parse(sim_hist *h, const char *text);

/* The same buckets for the samples of a short span (an interval of a time
 * series): adding, quantiles, merging into a sim_hist and reset touch only
 * the buckets in use (bitmaps over the groups and their buckets), so a span
 * of a few hundred samples costs a few hundred steps however wide their
 * range, where sim_hist's merge and reset cost the whole range. */
typedef struct sim_span_hist sim_span_hist;

sim_span_hist *sim_span_hist_new(void);
void sim_span_hist_free(sim_span_hist *h);
void sim_span_hist_reset(sim_span_hist *h);
void sim_span_hist_add(sim_span_hist *h, uint64_t value);
uint64_t sim_span_hist_count(const sim_span_hist *h);
/* The q-quantile of the samples of hs[0..n) together: what
 * sim_hist_quantile gives for a sim_hist holding them all. */
double sim_span_hist_quantile(const sim_span_hist *const *hs, int n, double q);
/* Add the span's samples to into: what adding each of them would give. */
void sim_hist_merge_span(sim_hist *into, const sim_span_hist *from);

#endif
