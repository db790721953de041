/* A scenario file fully read and validated: the run keys (name, seed,
 * replications), the sweep, and one model scenario per sweep point. Nothing
 * runs until all of it is valid. */
#ifndef BS_LOAD_H
#define BS_LOAD_H

#include <stdint.h>

#include "cfg.h"
#include "sweep.h"

struct bs_scenario;

struct bs_loaded {
    struct bs_cfg cfg;
    struct bs_sweep sweep;
    char name[96];
    uint64_t seed;
    long replications;
    size_t n_points;
    struct bs_scenario **points; /* every point held, or only point 0 (n_held) */
    size_t n_held;
    char **key_values; /* [point * n_keys + key], each value rendered as text; NULL until held */
    /* Over every point, so that a run's memory can be told before it holds them all. */
    size_t max_bins, max_day_bytes, scenario_bytes;
};

/* Returns 0, or the error status with err set; call bs_load_fini either way. */
int bs_load(struct bs_loaded *ld, const char *file, struct bs_error *err);

/* bs_load or bs_load_varying (vary_key not NULL) in two steps: every point
 * is read and checked one at a time, holding only point 0 (so a large
 * sweep is checked in one point's memory); with hold, or after a later
 * bs_load_points, every point and its key_values are held. */
int bs_load_ex(struct bs_loaded *ld, const char *file, const char *vary_key, const char *const *values,
               size_t n_values, int hold, struct bs_error *err);
int bs_load_points(struct bs_loaded *ld, struct bs_error *err);
/* The value of swept key k at point p, as text (what key_values holds). */
void bs_load_value(struct bs_loaded *ld, size_t p, size_t k, char *out, size_t cap);

/* The same, with one key varied over values given as text (the file must
 * hold no sweep of its own): `branchsim plan`. */
int bs_load_varying(struct bs_loaded *ld, const char *file, const char *key, const char *const *values, size_t n,
                    struct bs_error *err);
void bs_load_fini(struct bs_loaded *ld);

#endif
