/* Distribution specs: parsing with validation, and sampling through GSL.
 * Parameters are precomputed at parse time so sampling does no setup work. */
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "cfg.h"
#include "rng.h"
#include "error.h"

const char *const bs_dist_names[BS_DIST_COUNT] = {
    "constant", "exponential", "lognormal", "gamma", "normal", "triangular",
};

void bs_dist_make(struct bs_dist *d, enum bs_dist_kind kind, double a, double b, double c)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->mean = a;
    switch (kind) {
    case BS_DIST_CONSTANT:
    case BS_DIST_EXPONENTIAL:
        break;
    case BS_DIST_LOGNORMAL: { /* a = mean, b = cv */
        double sigma2 = log1p(b * b);
        d->p1 = log(a) - 0.5 * sigma2;
        d->p2 = sqrt(sigma2);
        break;
    }
    case BS_DIST_GAMMA: /* a = mean, b = cv: shape 1/cv^2, scale mean*cv^2 */
        d->p1 = 1.0 / (b * b);
        d->p2 = a * b * b;
        break;
    case BS_DIST_NORMAL: /* a = mean, b = sd */
        d->p1 = b;
        d->truncated = 1;
        break;
    case BS_DIST_TRIANGULAR: /* a = min, b = mode, c = max */
        d->p1 = a;
        d->p2 = b;
        d->p3 = c;
        d->mean = (a + b + c) / 3.0;
        break;
    case BS_DIST_COUNT:
        break;
    }
}

double bs_dist_sample(const struct bs_dist *d, gsl_rng *r)
{
    switch (d->kind) {
    case BS_DIST_CONSTANT:
        return d->mean;
    case BS_DIST_EXPONENTIAL:
        /* gsl_ran_exponential computes log1p(-u), three times slower than
         * log(u); our uniforms are never 0, and u and 1-u are alike. A
         * Philox stream is read directly, skipping two indirect calls. */
        if (r->type == bs_rng_philox4x64)
            return -d->mean * log(bs_stream_uniform(bs_rng_stream(r)));
        return -d->mean * log(gsl_rng_uniform_pos(r));
    case BS_DIST_LOGNORMAL:
        return gsl_ran_lognormal(r, d->p1, d->p2);
    case BS_DIST_GAMMA:
        return gsl_ran_gamma(r, d->p1, d->p2);
    case BS_DIST_NORMAL:
        if (!d->truncated)
            return d->mean + gsl_ran_gaussian(r, d->p1);
        /* Truncated at 0: the upper tail of N(0, sd) beyond -mean, shifted. */
        return d->mean + gsl_ran_gaussian_tail(r, -d->mean, d->p1);
    case BS_DIST_TRIANGULAR: {
        double lo = d->p1, mode = d->p2, hi = d->p3;
        double u = gsl_rng_uniform(r);
        double f = (mode - lo) / (hi - lo);
        if (u < f)
            return lo + sqrt(u * (hi - lo) * (mode - lo));
        return hi - sqrt((1.0 - u) * (hi - lo) * (hi - mode));
    }
    case BS_DIST_COUNT:
        break;
    }
    return NAN;
}

double bs_dist_mean(const struct bs_dist *d)
{
    if (d->kind == BS_DIST_NORMAL && d->truncated) {
        double alpha = -d->mean / d->p1;
        return d->mean + d->p1 * gsl_ran_ugaussian_pdf(alpha) / gsl_cdf_ugaussian_Q(alpha);
    }
    return d->mean;
}

static int parse(struct bs_cfg *cfg, const char *key, struct bs_dist *d, int offset);

int bs_dist_parse(struct bs_cfg *cfg, const char *key, struct bs_dist *d)
{
    return parse(cfg, key, d, 0);
}

int bs_dist_parse_offset(struct bs_cfg *cfg, const char *key, struct bs_dist *d)
{
    return parse(cfg, key, d, 1);
}

/* Minutes no branch process comes near: larger inputs are typos. */
#define DIST_PARAM_MAX 1e6

/* offset: a signed quantity (normal not truncated, constant, triangular and
 * normal may be negative); else a duration, >= 0. */
static int parse(struct bs_cfg *cfg, const char *key, struct bs_dist *d, int offset)
{
    struct bs_error *err = cfg->err;
    const double lowest = offset ? -DIST_PARAM_MAX : 0;
    char sub[BS_CFG_PATH_MAX];
    double a = 0, b = 0, c = 0;
    if (bs_cfg_is_scalar(cfg, key)) {
        if (bs_cfg_number(cfg, key, lowest, DIST_PARAM_MAX, 0, 1, &a))
            return err->status;
        bs_dist_make(d, BS_DIST_CONSTANT, a, 0, 0);
        return 0;
    }
    snprintf(sub, sizeof sub, "%s.dist", key);
    int kind;
    if (bs_cfg_enum(cfg, sub, bs_dist_names, BS_DIST_COUNT, -1, &kind))
        return err->status;
#define NUM(name, lo, hi, out)                                          \
    do {                                                                \
        snprintf(sub, sizeof sub, "%s.%s", key, name);                  \
        if (bs_cfg_number(cfg, sub, lo, hi, 0, 1, out))          \
            return err->status;                                         \
    } while (0)
    switch ((enum bs_dist_kind)kind) {
    case BS_DIST_CONSTANT:
        NUM("mean", lowest, DIST_PARAM_MAX, &a);
        break;
    case BS_DIST_EXPONENTIAL:
        NUM("mean", 1e-12, DIST_PARAM_MAX, &a);
        break;
    case BS_DIST_LOGNORMAL:
    case BS_DIST_GAMMA:
        NUM("mean", 1e-12, DIST_PARAM_MAX, &a);
        NUM("cv", 1e-6, 100, &b);
        break;
    case BS_DIST_NORMAL:
        NUM("mean", lowest, DIST_PARAM_MAX, &a);
        NUM("sd", 1e-12, DIST_PARAM_MAX, &b);
        break;
    case BS_DIST_TRIANGULAR:
        NUM("min", lowest, DIST_PARAM_MAX, &a);
        NUM("mode", a, DIST_PARAM_MAX, &b);
        NUM("max", b, DIST_PARAM_MAX, &c);
        if (!(c > a)) {
            snprintf(sub, sizeof sub, "%s.max", key);
            return bs_cfg_fail(cfg, sub, "must be greater than min");
        }
        break;
    case BS_DIST_COUNT:
        break;
    }
#undef NUM
    bs_dist_make(d, (enum bs_dist_kind)kind, a, b, c);
    if (offset)
        d->truncated = 0;
    return 0;
}
