/* A scenario file fully read and validated: the run keys (name, seed,
 * replications), the sweep, and one model scenario per sweep point. Nothing
 * runs until all of it is valid. */
#ifndef BS_LOAD_H
#define BS_LOAD_H

#include <stdint.h>

#include "cfg.h"
#include "model.h"
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
    char *sets[BS_CFG_OVERRIDES_MAX]; /* --set KEY=VALUE, key in dotted form */
    size_t n_sets;
    /* What the output and checkpoint record as the scenario: the file's
     * text, then each --set as a comment line (NULL: the text alone). */
    char *recorded_text;
    /* Over every point, so that a run's memory can be told before it holds them all. */
    size_t max_bins, max_day_bytes, scenario_bytes;
    size_t max_entities[BS_BREAKDOWNS_MAX];
    /* Per breakdown whose entities may vary (its def's position): 1 when
     * some point's entities differ from point 0's. */
    unsigned char entities_differ[BS_BREAKDOWNS_MAX];
};

/* What the command line adds to the file. */
struct bs_load_how {
    const char *const *sets; /* --set KEY=VALUE, as given */
    size_t n_sets;
    /* plan: keys varied over values given as text (the file must hold no
     * sweep of its own): one key over a list (values[n_points]), or, with
     * explicit, n_vary keys over points (values[point * n_vary + key]). */
    const char *const *vary_keys;
    size_t n_vary;
    const char *const *values;
    size_t n_points;
    int explicit;
};

/* Returns 0, or the error status with err set; call bs_load_fini either way. */
int bs_load(struct bs_loaded *ld, const char *file, struct bs_error *err);

/* bs_load with how (NULL: the file alone) in two steps: every point is
 * read and checked one at a time, holding only point 0 (so a large sweep
 * is checked in one point's memory); with hold, or after a later
 * bs_load_points, every point and its key_values are held. */
int bs_load_ex(struct bs_loaded *ld, const char *file, const struct bs_load_how *how, int hold,
               struct bs_error *err);
int bs_load_points(struct bs_loaded *ld, struct bs_error *err);
/* Point p read again into a scenario of its own (free it with
 * bs_scenario_free): a pass over every point in one point's memory.
 * NULL with err set on error. */
struct bs_scenario *bs_load_point(struct bs_loaded *ld, size_t p, struct bs_error *err);
/* The value of swept key k at point p, as text (what key_values holds). */
void bs_load_value(struct bs_loaded *ld, size_t p, size_t k, char *out, size_t cap);

/* plan's next batch: the keys it varies (explicit points) over new points,
 * values[point * n_keys + key]; every point checked and held again. */
int bs_load_repoint(struct bs_loaded *ld, const char *const *values, size_t n_points, struct bs_error *err);

/* The scenario as the output records it (see recorded_text). */
const char *bs_load_text(const struct bs_loaded *ld);
void bs_load_fini(struct bs_loaded *ld);

#endif
