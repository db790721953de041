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
    struct bs_scenario **points;
    char **key_values; /* [point * n_keys + key], each value rendered as text */
};

/* Returns 0, or the error status with err set; call bs_load_fini either way. */
int bs_load(struct bs_loaded *ld, const char *file, struct bs_error *err);

/* The same, with one key varied over values given as text (the file must
 * hold no sweep of its own): `branchsim plan`. */
int bs_load_varying(struct bs_loaded *ld, const char *file, const char *key, const char *const *values, size_t n,
                    struct bs_error *err);
void bs_load_fini(struct bs_loaded *ld);

#endif
