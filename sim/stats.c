/* Welford accumulators and the log-bucketed histogram. */
#include "stats.h"

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <errno.h>
#include <math.h>
#include <string.h>

void sim_welford_init(sim_welford *w)
{
    memset(w, 0, sizeof(*w));
}

void sim_welford_add(sim_welford *w, double x)
{
    /* Welford 1962: updating the mean and the sum of squared deviations
     * avoids the cancellation of sum(x^2) - n mean^2. */
    w->n++;
    double d = x - w->mean;
    w->mean += d / (double)w->n;
    w->m2 += d * (x - w->mean);
    if (w->n == 1 || x < w->min)
        w->min = x;
    if (w->n == 1 || x > w->max)
        w->max = x;
}

void sim_welford_merge(sim_welford *into, const sim_welford *from)
{
    if (from->n == 0)
        return;
    if (into->n == 0) {
        *into = *from;
        return;
    }
    /* Chan, Golub, LeVeque 1979: pairwise combination of (n, mean, m2). */
    double na = (double)into->n, nb = (double)from->n, n = na + nb;
    double d = from->mean - into->mean;
    into->mean += d * nb / n;
    into->m2 += from->m2 + d * d * na * nb / n;
    into->n += from->n;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

double sim_welford_variance(const sim_welford *w)
{
    return w->n < 2 ? 0.0 : w->m2 / (double)(w->n - 1);
}

double sim_welford_stddev(const sim_welford *w)
{
    return sqrt(sim_welford_variance(w));
}

double sim_welford_ci95(const sim_welford *w)
{
    if (w->n < 2)
        return 0.0;
    double t = gsl_cdf_tdist_Pinv(0.975, (double)(w->n - 1));
    return t * sim_welford_stddev(w) / sqrt((double)w->n);
}

/* Bucket layout (HDR histogram with 2^B sub-buckets, B = SIM_HIST_SUB_BITS):
 * values below 2^B have a bucket each; a value v >= 2^B whose highest set bit
 * is e falls in group e - B + 1, split into 2^B buckets of width 2^(e-B).
 * A bucket's width is at most v / 2^B, so its midpoint is within half that,
 * 2^-(B+1) = 0.39% of any value in it: half of SIM_HIST_REL_ERROR. */
#define SIM__HIST_SUB     (1u << SIM_HIST_SUB_BITS)
#define SIM__HIST_BUCKETS ((64 - SIM_HIST_SUB_BITS + 1) * SIM__HIST_SUB)

__extension__ typedef unsigned __int128 sim__u128;

struct sim_hist {
    uint64_t *counts; /* samples per bucket, grown to the highest bucket used */
    size_t nbuckets;  /* length of counts */
    uint64_t n;       /* samples */
    sim__u128 sum;    /* exact sum of the values (2^64 samples of 2^64 fit) */
    uint64_t min;     /* least value added, exact */
    uint64_t max;     /* greatest value added, exact */
};

static inline size_t hist_bucket(uint64_t v)
{
    if (v < SIM__HIST_SUB)
        return (size_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = e - SIM_HIST_SUB_BITS;
    return (size_t)(shift + 1) * SIM__HIST_SUB + (size_t)((v >> shift) - SIM__HIST_SUB);
}

/* Midpoint of bucket b: the centre of the integers it holds. */
static double hist_midpoint(size_t b)
{
    if (b < SIM__HIST_SUB)
        return (double)b;
    unsigned shift = (unsigned)(b / SIM__HIST_SUB) - 1;
    uint64_t low = ((uint64_t)(b % SIM__HIST_SUB) + SIM__HIST_SUB) << shift;
    double width = ldexp(1.0, (int)shift);
    return (double)low + (width - 1.0) / 2.0;
}

sim_hist *sim_hist_new(void)
{
    return g_new0(sim_hist, 1);
}

void sim_hist_free(sim_hist *h)
{
    if (h == NULL)
        return;
    g_free(h->counts);
    g_free(h);
}

/* Every non-zero count lies in [hist_bucket(min), hist_bucket(max)] (parse
 * refuses text that breaks this), so reset, merge and quantiles touch only
 * that range: cheap for the short-lived histograms of intervals. */
void sim_hist_reset(sim_hist *h)
{
    if (h->n > 0) {
        size_t lo = hist_bucket(h->min), hi = hist_bucket(h->max);
        memset(h->counts + lo, 0, (hi - lo + 1) * sizeof(uint64_t));
    }
    h->n = 0;
    h->sum = 0;
    h->min = h->max = 0;
}

static void hist_grow(sim_hist *h, size_t need)
{
    /* Grow by whole power-of-two groups: a handful of reallocations over a
     * run, never per sample. */
    size_t nb = need + SIM__HIST_SUB;
    if (nb > SIM__HIST_BUCKETS)
        nb = SIM__HIST_BUCKETS;
    h->counts = g_renew(uint64_t, h->counts, nb);
    memset(h->counts + h->nbuckets, 0, (nb - h->nbuckets) * sizeof(uint64_t));
    h->nbuckets = nb;
}

/* A histogram's count, exact sum and extremes, after adding value or
 * merging another's (both kinds of histogram keep these four). */
static inline void tally_add(uint64_t *n, sim__u128 *sum, uint64_t *min, uint64_t *max,
                             uint64_t value)
{
    if (*n == 0 || value < *min)
        *min = value;
    if (*n == 0 || value > *max)
        *max = value;
    (*n)++;
    *sum += value;
}

static inline void tally_merge(uint64_t *n, sim__u128 *sum, uint64_t *min, uint64_t *max,
                               uint64_t from_n, sim__u128 from_sum, uint64_t from_min,
                               uint64_t from_max)
{
    if (*n == 0 || from_min < *min)
        *min = from_min;
    if (*n == 0 || from_max > *max)
        *max = from_max;
    *n += from_n;
    *sum += from_sum;
}

void sim_hist_add(sim_hist *h, uint64_t value)
{
    size_t b = hist_bucket(value);
    if (G_UNLIKELY(b >= h->nbuckets))
        hist_grow(h, b + 1);
    h->counts[b]++;
    tally_add(&h->n, &h->sum, &h->min, &h->max, value);
}

void sim_hist_merge(sim_hist *into, const sim_hist *from)
{
    if (from->n == 0)
        return;
    if (from->nbuckets > into->nbuckets)
        hist_grow(into, from->nbuckets);
    for (size_t b = hist_bucket(from->min), hi = hist_bucket(from->max); b <= hi; b++)
        into->counts[b] += from->counts[b];
    tally_merge(&into->n, &into->sum, &into->min, &into->max, from->n, from->sum, from->min,
                from->max);
}

uint64_t sim_hist_count(const sim_hist *h)
{
    return h->n;
}

/* The rank (1-based) of the q-quantile of n > 0 samples: ceil(q n), at
 * least 1, the usual "inverse of the empirical distribution" definition. */
static uint64_t quantile_rank(uint64_t n, double q)
{
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return rank;
}

/* Bucket b's midpoint, clamped to the samples' range: a narrow sample's
 * quantiles stay inside it. */
static double bucket_value(size_t b, uint64_t min, uint64_t max)
{
    double v = hist_midpoint(b);
    if (v < (double)min)
        v = (double)min;
    if (v > (double)max)
        v = (double)max;
    return v;
}

double sim_hist_quantile(const sim_hist *h, double q)
{
    if (h->n == 0)
        return 0.0;
    uint64_t rank = quantile_rank(h->n, q);
    /* The extremes are kept exactly: p0 and p100 need no bucket. */
    if (rank == 1)
        return (double)h->min;
    if (rank == h->n)
        return (double)h->max;
    uint64_t seen = 0;
    size_t b = hist_bucket(h->min);
    for (; b < h->nbuckets; b++) {
        seen += h->counts[b];
        if (seen >= rank)
            break;
    }
    return bucket_value(b, h->min, h->max);
}

double sim_hist_mean(const sim_hist *h)
{
    return h->n == 0 ? 0.0 : (double)h->sum / (double)h->n;
}

char *sim_hist_to_text(const sim_hist *h)
{
    GString *g = g_string_new(NULL);
    g_string_append_printf(g,
                           "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                           " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           h->n, (uint64_t)(h->sum >> 64), (uint64_t)h->sum, h->min, h->max);
    for (size_t b = 0; b < h->nbuckets; b++)
        if (h->counts[b])
            g_string_append_printf(g, " %zu:%" G_GUINT64_FORMAT, b, h->counts[b]);
    return g_string_free(g, FALSE);
}

static bool parse_u64(const char **p, uint64_t *out)
{
    char *end;
    if (!g_ascii_isdigit(**p))
        return false;
    errno = 0;
    *out = g_ascii_strtoull(*p, &end, 10);
    if (errno != 0)
        return false;
    *p = end;
    return true;
}

bool sim_hist_parse(sim_hist *h, const char *text)
{
    const char *p = text;
    uint64_t head[5];
    for (int i = 0; i < 5; i++) {
        if (i && *p++ != ' ')
            return false;
        if (!parse_u64(&p, &head[i]))
            return false;
    }
    g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    uint64_t total = 0;
    while (*p == ' ') {
        p++;
        uint64_t bc[2];
        if (!parse_u64(&p, &bc[0]) || *p++ != ':' || !parse_u64(&p, &bc[1]) ||
            bc[0] >= SIM__HIST_BUCKETS || bc[1] == 0)
            return false;
        total += bc[1];
        g_array_append_vals(pairs, bc, 2);
    }
    if (*p || total != head[0] || (head[0] > 0 && head[3] > head[4]))
        return false;
    if (head[0] == 0)
        return true;
    const uint64_t *bv = (const uint64_t *)(void *)pairs->data;
    for (guint i = 0; i < pairs->len / 2; i++)
        if (bv[2 * i] < hist_bucket(head[3]) || bv[2 * i] > hist_bucket(head[4]))
            return false; /* a count outside [min, max] */
    sim_hist one = {0};
    one.n = head[0];
    one.sum = ((sim__u128)head[1] << 64) | head[2];
    one.min = head[3];
    one.max = head[4];
    const uint64_t *v = (const uint64_t *)(void *)pairs->data;
    size_t need = 0;
    for (guint i = 0; i < pairs->len / 2; i++)
        need = MAX(need, (size_t)v[2 * i] + 1);
    one.counts = g_new0(uint64_t, need);
    one.nbuckets = need;
    for (guint i = 0; i < pairs->len / 2; i++)
        one.counts[v[2 * i]] += v[2 * i + 1];
    sim_hist_merge(h, &one);
    g_free(one.counts);
    return true;
}

/* ---- the histogram of a span ---- */

#define SIM__SPAN_GROUPS (64 - SIM_HIST_SUB_BITS + 1) /* bucket b is in group b / SUB */
#define SIM__SPAN_WORDS  ((int)SIM__HIST_SUB / 64)    /* bitmap words per group */

struct sim_span_hist {
    uint64_t n;                                       /* samples */
    sim__u128 sum;                                    /* exact sum of the values */
    uint64_t min, max;                                /* least and greatest, exact */
    uint64_t groups;                                  /* bit g: group g holds samples */
    uint64_t group_n[SIM__SPAN_GROUPS];               /* samples per group */
    uint64_t used[SIM__SPAN_GROUPS][SIM__SPAN_WORDS]; /* bit per non-empty bucket */
    uint64_t *counts[SIM__SPAN_GROUPS];               /* SUB per group, allocated on first use */
};

G_STATIC_ASSERT(SIM__SPAN_GROUPS <= 64);
G_STATIC_ASSERT(SIM__HIST_SUB % 64 == 0);

sim_span_hist *sim_span_hist_new(void)
{
    return g_new0(sim_span_hist, 1);
}

void sim_span_hist_free(sim_span_hist *h)
{
    if (h == NULL)
        return;
    for (int g = 0; g < SIM__SPAN_GROUPS; g++)
        g_free(h->counts[g]);
    g_free(h);
}

void sim_span_hist_reset(sim_span_hist *h)
{
    for (uint64_t gs = h->groups; gs; gs &= gs - 1) {
        int g = __builtin_ctzll(gs);
        for (int w = 0; w < SIM__SPAN_WORDS; w++) {
            for (uint64_t bs = h->used[g][w]; bs; bs &= bs - 1)
                h->counts[g][w * 64 + __builtin_ctzll(bs)] = 0;
            h->used[g][w] = 0;
        }
        h->group_n[g] = 0;
    }
    h->groups = 0;
    h->n = h->min = h->max = 0;
    h->sum = 0;
}

void sim_span_hist_add(sim_span_hist *h, uint64_t value)
{
    size_t b = hist_bucket(value);
    size_t g = b / SIM__HIST_SUB, i = b % SIM__HIST_SUB;
    if (G_UNLIKELY(!h->counts[g]))
        h->counts[g] = g_new0(uint64_t, SIM__HIST_SUB);
    h->counts[g][i]++;
    h->used[g][i / 64] |= UINT64_C(1) << (i % 64);
    h->group_n[g]++;
    h->groups |= UINT64_C(1) << g;
    tally_add(&h->n, &h->sum, &h->min, &h->max, value);
}

void sim_hist_merge_span(sim_hist *into, const sim_span_hist *from)
{
    if (from->n == 0)
        return;
    size_t need = hist_bucket(from->max) + 1;
    if (need > into->nbuckets)
        hist_grow(into, need);
    for (uint64_t gs = from->groups; gs; gs &= gs - 1) {
        int g = __builtin_ctzll(gs);
        for (int w = 0; w < SIM__SPAN_WORDS; w++)
            for (uint64_t bs = from->used[g][w]; bs; bs &= bs - 1) {
                size_t i = (size_t)w * 64 + (size_t)__builtin_ctzll(bs);
                into->counts[(size_t)g * SIM__HIST_SUB + i] += from->counts[g][i];
            }
    }
    tally_merge(&into->n, &into->sum, &into->min, &into->max, from->n, from->sum, from->min,
                from->max);
}

uint64_t sim_span_hist_count(const sim_span_hist *h)
{
    return h->n;
}

double sim_span_hist_quantile(const sim_span_hist *const *hs, int n, double q)
{
    uint64_t total = 0, min = 0, max = 0, groups = 0;
    for (int k = 0; k < n; k++) {
        const sim_span_hist *h = hs[k];
        if (h->n == 0)
            continue;
        min = total == 0 || h->min < min ? h->min : min;
        max = total == 0 || h->max > max ? h->max : max;
        total += h->n;
        groups |= h->groups;
    }
    if (total == 0)
        return 0.0;
    uint64_t rank = quantile_rank(total, q);
    if (rank == 1)
        return (double)min;
    if (rank == total)
        return (double)max;
    /* Whole groups first, then the buckets of the group the rank is in. */
    uint64_t seen = 0;
    for (; groups; groups &= groups - 1) {
        int g = __builtin_ctzll(groups);
        uint64_t in = 0;
        for (int k = 0; k < n; k++)
            in += hs[k]->group_n[g];
        if (seen + in < rank) {
            seen += in;
            continue;
        }
        for (int w = 0; w < SIM__SPAN_WORDS; w++) {
            uint64_t bs = 0;
            for (int k = 0; k < n; k++)
                bs |= hs[k]->used[g][w];
            for (; bs; bs &= bs - 1) {
                size_t i = (size_t)w * 64 + (size_t)__builtin_ctzll(bs);
                for (int k = 0; k < n; k++)
                    if (hs[k]->counts[g])
                        seen += hs[k]->counts[g][i];
                if (seen >= rank)
                    return bucket_value((size_t)g * SIM__HIST_SUB + i, min, max);
            }
        }
    }
    g_assert_not_reached(); /* the counts add up to total */
    return (double)max;
}
