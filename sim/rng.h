/* Random-number streams.  A stream is derived from (scenario seed,
 * replication, stream id) so each random consumer has draws of its own:
 * adding a consumer never shifts another's numbers.  Backed by GSL. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng sim_rng;

sim_rng *sim_rng_new(uint64_t seed, uint32_t replication, uint32_t stream_id);
void sim_rng_free(sim_rng *r);

/* A stable stream id from a name (FNV-1a), so streams can be named in code. */
uint32_t sim_rng_stream_id(const char *name);

double sim_rng_uniform(sim_rng *r);                            /* [0, 1) */
double sim_rng_uniform_pos(sim_rng *r);                        /* (0, 1) */
uint64_t sim_rng_uniform_int(sim_rng *r, uint64_t n);          /* 0 .. n-1, n >= 1 */
double sim_rng_exponential(sim_rng *r, double mean);           /* mean > 0 */
double sim_rng_lognormal(sim_rng *r, double mu, double sigma); /* of the log */
/* Gamma-distributed with the given mean and coefficient of variation
 * (sd / mean); cv <= 0 returns mean itself and draws nothing. */
double sim_rng_gamma_mean_cv(sim_rng *r, double mean, double cv);
double sim_rng_pareto(sim_rng *r, double shape, double scale); /* x >= scale */

/* Weighted choice among n outcomes (weights >= 0, not all 0).  Returns NULL
 * when the weights break that rule (they often come from user input). */
typedef struct sim_rng_discrete sim_rng_discrete;
sim_rng_discrete *sim_rng_discrete_new(size_t n, const double *weights);
void sim_rng_discrete_free(sim_rng_discrete *d);
size_t sim_rng_discrete_draw(sim_rng *r, const sim_rng_discrete *d);

/* Internal, for tests: the stream's GSL generator (a gsl_rng *), whose
 * state the draws above advance exactly as GSL's own functions would. */
void *sim__rng_gsl(sim_rng *r);

#endif
