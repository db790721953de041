/* Probability distributions read from scenario specs and sampled with GSL.
 * Spec forms (all times in minutes where used as durations):
 *   {dist: exponential, mean}            {dist: lognormal, mean, cv}
 *   {dist: gamma, mean, cv}              {dist: normal, mean, sd}
 *   {dist: triangular, min, mode, max}   {dist: constant, mean}
 * A bare number is a constant. Normal is truncated at 0 when the spec is a
 * duration (bs_dist_parse), not when it is an offset (bs_dist_parse_offset). */
#ifndef BS_DIST_H
#define BS_DIST_H

#include <math.h>

#include <gsl/gsl_rng.h>

#include "rng.h"

enum bs_dist_kind {
    BS_DIST_CONSTANT,
    BS_DIST_EXPONENTIAL,
    BS_DIST_LOGNORMAL,
    BS_DIST_GAMMA,
    BS_DIST_NORMAL,
    BS_DIST_TRIANGULAR,
    BS_DIST_COUNT
};

struct bs_dist {
    enum bs_dist_kind kind;
    double mean;  /* of the spec as written (before truncation) */
    double p1;    /* kind-specific: lognormal mu, gamma shape, normal sd, triangular min */
    double p2;    /* lognormal sigma, gamma scale, triangular mode */
    double p3;    /* triangular max */
    int truncated; /* normal: truncated at 0 (durations) */
};

extern const char *const bs_dist_names[BS_DIST_COUNT];

struct bs_cfg;
/* Reads the distribution at dotted path `key`; durations must be >= 0 and a
 * normal is then truncated at 0. Returns 0 or the error status. */
int bs_dist_parse(struct bs_cfg *cfg, const char *key, struct bs_dist *d);
/* The same for a signed quantity (an offset such as arrival minus slot
 * start): constant, normal and triangular may be negative, normal untruncated. */
int bs_dist_parse_offset(struct bs_cfg *cfg, const char *key, struct bs_dist *d);
/* Builds a spec from parameters (for tests and code-built scenarios). */
void bs_dist_make(struct bs_dist *d, enum bs_dist_kind kind, double a, double b, double c);

double bs_dist_sample(const struct bs_dist *d, gsl_rng *r);

/* The same draw and arithmetic as bs_dist_sample, with exponentials from a
 * Philox stream inline (service times: the hot path of a day). */
static inline double bs_dist_sample_fast(const struct bs_dist *d, gsl_rng *r)
{
    if (d->kind == BS_DIST_EXPONENTIAL && r->type == bs_rng_philox4x64)
        return -d->mean * log(bs_stream_uniform(bs_rng_stream(r)));
    return bs_dist_sample(d, r);
}

/* The mean of what bs_dist_sample returns (truncation included). */
double bs_dist_mean(const struct bs_dist *d);

#endif
