/* Random-number streams on GSL generators.
 *
 * A stream's state is filled from splitmix64 applied to a hash of (seed,
 * replication, stream id).  Seeding through gsl_rng_set() alone would give
 * only 2^32 distinct streams (taus2 and mt19937 use 32 bits of the seed), and
 * a batch of 1e5 streams would then likely contain two identical ones; the
 * 88 bits of taus2 state make that negligible.
 *
 * Generator: taus2 (L'Ecuyer 1996, maximally equidistributed combined
 * Tausworthe, period 2^88).  Measured on the development machine at 4.0 ns a
 * uniform against 9.1 ns for mt19937 (bench/README.md), with state small
 * enough (24 bytes, against 5000) that thousands of streams stay in cache. */
#include "rng.h"

#include <glib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* The layout of GSL's taus2 state (gsl/rng/taus.c, unchanged since 1996). */
typedef struct {
    unsigned long int s1, s2, s3;
} sim__taus_state;

struct sim_rng {
    gsl_rng *gen;          /* the GSL generator holding this stream's state */
    sim__taus_state *taus; /* gen's state, stepped here without GSL's indirect
                            * calls; NULL if gen is not GSL's taus2 */
};

struct sim_rng_discrete {
    gsl_ran_discrete_t *table; /* Walker alias table */
};

/* splitmix64 (Steele, Lea, Flood 2014; Vigna's constants): a bijective
 * mixer whose outputs pass BigCrush, the standard way to expand one 64-bit
 * seed into generator state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

sim_rng *sim_rng_new(uint64_t seed, uint32_t replication, uint32_t stream_id)
{
    /* Chain the three inputs through the mixer so that nearby tuples, e.g.
     * (1, 0, 5) and (1, 0, 6), give unrelated states. */
    uint64_t x = seed;
    x = splitmix64(&x) ^ replication;
    x = splitmix64(&x) ^ stream_id;
    uint64_t a = splitmix64(&x), b = splitmix64(&x);

    sim_rng *r = g_new0(sim_rng, 1);
    r->gen = gsl_rng_alloc(gsl_rng_taus2);
    if (r->gen == NULL)
        g_error("sim: cannot allocate a GSL generator");
    gsl_rng_set(r->gen, (unsigned long)(a >> 32));
    if (gsl_rng_size(r->gen) == sizeof(sim__taus_state)) {
        sim__taus_state *st = gsl_rng_state(r->gen);
        /* taus2 needs s1 >= 2, s2 >= 8, s3 >= 16 (L'Ecuyer 1996); setting the
         * low bits that matter keeps the other 29..31 random bits. */
        st->s1 = (unsigned long)(a & 0xffffffffu) | 2u;
        st->s2 = (unsigned long)(b >> 32) | 8u;
        st->s3 = (unsigned long)(b & 0xffffffffu) | 16u;
        /* Warm up as gsl_rng_set() does, so the first outputs mix all words. */
        for (int i = 0; i < 6; i++)
            gsl_rng_get(r->gen);
        if (strcmp(gsl_rng_name(r->gen), "taus2") == 0 && gsl_rng_min(r->gen) == 0 &&
            gsl_rng_max(r->gen) == 0xffffffffUL)
            r->taus = st;
    }
    return r;
}

void sim_rng_free(sim_rng *r)
{
    if (r == NULL)
        return;
    gsl_rng_free(r->gen);
    g_free(r);
}

uint32_t sim_rng_stream_id(const char *name)
{
    /* FNV-1a, 32 bits: offset basis 2166136261, prime 16777619. */
    uint32_t h = UINT32_C(2166136261);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= UINT32_C(16777619);
    }
    return h;
}

/* One taus2 step (L'Ecuyer 1996, "Maximally equidistributed combined
 * Tausworthe generators", Math. Comp. 65, the three-component generator
 * with (q, s, k) = (13, 12, 31), (2, 4, 29), (3, 17, 28)): the 32-bit
 * output gsl_rng_get() gives, computed here without its indirect call.
 * test-rng checks every draw below against GSL's on the same state. */
static inline uint32_t taus_next(sim__taus_state *st)
{
    const unsigned long m = 0xffffffffUL;
    st->s1 = (((st->s1 & 4294967294UL) << 12) & m) ^ ((((st->s1 << 13) & m) ^ st->s1) >> 19);
    st->s2 = (((st->s2 & 4294967288UL) << 4) & m) ^ ((((st->s2 << 2) & m) ^ st->s2) >> 25);
    st->s3 = (((st->s3 & 4294967280UL) << 17) & m) ^ ((((st->s3 << 3) & m) ^ st->s3) >> 11);
    return (uint32_t)(st->s1 ^ st->s2 ^ st->s3);
}

/* gsl_rng_uniform() of taus2: the output over 2^32, in [0, 1). */
static inline double taus_uniform(sim__taus_state *st)
{
    return taus_next(st) / 4294967296.0;
}

/* gsl_rng_uniform_pos(): uniform draws until one is not 0. */
static inline double taus_uniform_pos(sim__taus_state *st)
{
    double x;
    do
        x = taus_uniform(st);
    while (x == 0);
    return x;
}

double sim_rng_uniform(sim_rng *r)
{
    return G_LIKELY(r->taus) ? taus_uniform(r->taus) : gsl_rng_uniform(r->gen);
}

double sim_rng_uniform_pos(sim_rng *r)
{
    return G_LIKELY(r->taus) ? taus_uniform_pos(r->taus) : gsl_rng_uniform_pos(r->gen);
}

uint64_t sim_rng_uniform_int(sim_rng *r, uint64_t n)
{
    g_return_val_if_fail(n >= 1, 0);
    /* taus2 yields 32 random bits per call (min 0, max 2^32-1). */
    if (n <= UINT32_MAX) {
        if (G_UNLIKELY(!r->taus))
            return gsl_rng_uniform_int(r->gen, (unsigned long)n);
        /* gsl_rng_uniform_int(): the output divided by range / n, the
         * partial top copy of [0, n) rejected. */
        unsigned long scale = 0xffffffffUL / (unsigned long)n, k;
        do
            k = taus_next(r->taus) / scale;
        while (k >= n);
        return k;
    }
    /* Wider ranges: 64 bits from two draws, rejecting the top partial copy
     * of [0, n) so every outcome has the same probability. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t v = (uint64_t)gsl_rng_get(r->gen) << 32 | (uint64_t)gsl_rng_get(r->gen);
        if (v < limit)
            return v % n;
    }
}

double sim_rng_exponential(sim_rng *r, double mean)
{
    /* Inversion, as gsl_ran_exponential() does, but with log(1 - u) for its
     * log1p(-u): u is a multiple of 2^-32, so 1 - u is exact in a double and
     * the result is identical but for the last bit, while glibc's log1p
     * costs about three times log (it was 28% of the hold benchmark). */
    return -mean * log(1.0 - sim_rng_uniform(r));
}

double sim_rng_lognormal(sim_rng *r, double mu, double sigma)
{
    return gsl_ran_lognormal(r->gen, mu, sigma);
}

/* ---- gamma draws without GSL's calls, value for value ----
 *
 * gsl_ran_gamma() (a >= 1) is Marsaglia and Tsang's method (ACM TOMS 26,
 * 2000) on gsl_ran_gaussian_ziggurat(), a 128-step ziggurat (Marsaglia and
 * Tsang, J. Stat. Soft. 5, 2000) whose step test is one 32-bit draw: the low
 * 8 bits pick the step and the sign, the next 24 a point, accepted at once
 * when below the step's ratio k[i] and then worth point x w[i].  That fast
 * path is about 99% of normal draws; here it runs inline on the taus2 state
 * (a stage-time draw was a quarter of a large run's instructions, mostly
 * the indirect generator calls).  The rest of the ziggurat (wedges, tail) is
 * GSL's own: the state is put back as it was before the step's draw and
 * gsl_ran_gaussian_ziggurat() draws the same point again and goes on.
 *
 * The ratios and widths are GSL's tables, read out of GSL itself once per
 * process by running its ziggurat on a scripted generator (so they are its
 * exact values, whatever its version), then checked against GSL on real
 * streams; if anything differs the draws go to GSL as before. */

#define ZIG_STEPS 128

static struct {
    unsigned long k[ZIG_STEPS]; /* 2^24 x[i] / x[i+1]: the fast acceptance bound */
    double w[ZIG_STEPS];        /* 2^-24 x[i]: a point's width */
    bool ok;                    /* read out and checked: use the inline path */
} zig;

/* A generator that answers a script: its first output, then a point that
 * every ziggurat accepts (step 64, point 0), and 0 for every uniform. */
typedef struct {
    unsigned long first;
    int gets, doubles;
} probe_state;

static void probe_set(void *vs, unsigned long seed)
{
    (void)seed;
    *(probe_state *)vs = (probe_state){0};
}

static unsigned long probe_get(void *vs)
{
    probe_state *p = vs;
    return p->gets++ == 0 ? p->first : 64;
}

static double probe_get_double(void *vs)
{
    probe_state *p = vs;
    p->doubles++;
    return 0.0;
}

static const gsl_rng_type probe_type = {
    "cnisim-zig-probe", 0xffffffffUL,     0, sizeof(probe_state), probe_set,
    probe_get,          probe_get_double,
};

/* GSL's ziggurat on one scripted first output k. */
static double probe(unsigned long k, probe_state *p)
{
    *p = (probe_state){.first = k};
    gsl_rng g = {.type = &probe_type, .state = p};
    return gsl_ran_gaussian_ziggurat(&g, 1.0);
}

static bool zig_read_tables(void)
{
    probe_state p;
    for (unsigned long i = 0; i < ZIG_STEPS; i++) {
        /* point 1 of step i, positive sign: worth exactly w[i] */
        double x = probe(1UL << 8 | 0x80 | i, &p);
        if (p.gets != 1 || (p.doubles && i == ZIG_STEPS - 1) || !(x > 0))
            return false;
        zig.w[i] = x;
        /* k[i]: the least point that leaves the fast path (asks for a
         * uniform), found by bisection over the 2^24 points */
        unsigned long lo = 0, hi = 1UL << 24;
        while (lo < hi) {
            unsigned long mid = lo + (hi - lo) / 2;
            probe(mid << 8 | 0x80 | i, &p);
            if (p.doubles)
                hi = mid;
            else
                lo = mid + 1;
        }
        zig.k[i] = lo;
    }
    return true;
}

/* The ziggurat's fast path on the taus2 state, else GSL's from the same
 * state. */
static inline double zig_normal(sim_rng *r)
{
    sim__taus_state before = *r->taus;
    uint32_t u = taus_next(r->taus);
    uint32_t i = u & 0x7f, j = (u >> 8) & 0xffffff;
    if (G_LIKELY(j < zig.k[i])) {
        double x = j * zig.w[i];
        return (u & 0x80) ? x : -x;
    }
    *r->taus = before;
    return gsl_ran_gaussian_ziggurat(r->gen, 1.0);
}

/* gsl_ran_gamma(a, b) for a >= 1, operation for operation. */
static double mt_gamma(sim_rng *r, double a, double b)
{
    double x, v, u;
    double d = a - 1.0 / 3.0;
    double c = (1.0 / 3.0) / sqrt(d);
    for (;;) {
        do {
            x = zig_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        u = taus_uniform_pos(r->taus);
        if (u < 1 - 0.0331 * x * x * x * x)
            break;
        if (log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            break;
    }
    return b * d * v;
}

/* The inline draws against GSL's on the same streams: normals and gammas
 * at shapes around the model's (CV 0.1 to 1), identical values and state. */
static bool zig_check(void)
{
    const double shapes[] = {1.0, 1.5, 4.0, 15.4614, 25.0, 100.0};
    for (uint32_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        sim_rng *a = sim_rng_new(0x5eed, s, 1), *b = sim_rng_new(0x5eed, s, 1);
        bool same = a->taus && b->taus;
        for (int n = 0; same && n < 4000; n++) {
            double x = n % 2 ? zig_normal(a) : mt_gamma(a, shapes[s], 3.0);
            double y = n % 2 ? gsl_ran_gaussian_ziggurat(b->gen, 1.0)
                             : gsl_ran_gamma(b->gen, shapes[s], 3.0);
            same = memcmp(&x, &y, sizeof x) == 0 && memcmp(a->taus, b->taus, sizeof *a->taus) == 0;
        }
        sim_rng_free(a);
        sim_rng_free(b);
        if (!same)
            return false;
    }
    return true;
}

static gpointer zig_init(gpointer unused)
{
    (void)unused;
    /* zig.ok stays false while checking, so the reference draws are GSL's */
    bool ok = zig_read_tables();
    if (ok) {
        zig.ok = true;
        ok = zig_check();
        zig.ok = ok;
    }
    return NULL;
}

double sim_rng_gamma_mean_cv(sim_rng *r, double mean, double cv)
{
    static GOnce once = G_ONCE_INIT;
    if (cv <= 0 || mean <= 0)
        return mean;
    /* Gamma(k, theta): mean k theta, CV 1/sqrt(k). */
    double k = 1.0 / (cv * cv);
    g_once(&once, zig_init, NULL);
    if (G_LIKELY(zig.ok && r->taus && k >= 1))
        return mt_gamma(r, k, mean / k);
    return gsl_ran_gamma(r->gen, k, mean / k);
}

double sim_rng_pareto(sim_rng *r, double shape, double scale)
{
    return gsl_ran_pareto(r->gen, shape, scale);
}

void *sim__rng_gsl(sim_rng *r)
{
    return r->gen;
}

sim_rng_discrete *sim_rng_discrete_new(size_t n, const double *weights)
{
    g_return_val_if_fail(n >= 1 && weights != NULL, NULL);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        /* GSL aborts through its error handler on a negative weight; bad
         * weights come from user input, so refuse them here instead. */
        if (!(weights[i] >= 0) || !isfinite(weights[i]))
            return NULL;
        total += weights[i];
    }
    if (!(total > 0))
        return NULL;
    sim_rng_discrete *d = g_new0(sim_rng_discrete, 1);
    d->table = gsl_ran_discrete_preproc(n, weights);
    if (d->table == NULL)
        g_error("sim: cannot build a discrete distribution of %zu outcomes", n);
    return d;
}

void sim_rng_discrete_free(sim_rng_discrete *d)
{
    if (d == NULL)
        return;
    gsl_ran_discrete_free(d->table);
    g_free(d);
}

size_t sim_rng_discrete_draw(sim_rng *r, const sim_rng_discrete *d)
{
    return gsl_ran_discrete(r->gen, d->table);
}
