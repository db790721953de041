/* Sweeps: the scenario's `sweep:` section maps dotted keys (or
 * counters[0].count style) to lists of values; the points are their grid
 * (last key fastest), or, with `mode: zip`, the lists taken side by side;
 * or `points:` lists the points explicitly. `baseline:` picks the point
 * others are compared with. Point p is applied to the config as overrides
 * before the model reads it. */
#ifndef BS_SWEEP_H
#define BS_SWEEP_H

#include <stddef.h>

#include "cfg.h"

struct bs_sweep {
    int zip;
    size_t n_keys;
    char keys[BS_CFG_OVERRIDES_MAX][BS_CFG_PATH_MAX];
    int key_node[BS_CFG_OVERRIDES_MAX];   /* the key's node, for errors */
    int list_node[BS_CFG_OVERRIDES_MAX];  /* the list of values */
    size_t n_values[BS_CFG_OVERRIDES_MAX];
    size_t n_points;                      /* 1 when there is no sweep */
    size_t baseline;                      /* the point others are compared with */
    int points_node;                      /* `points:` list, 0 for grid or zip */
    int baseline_node;                    /* `baseline:` in the file, 0 when absent */
};

/* Rewrites "counters[0].count" as "counters.0.count" into out
 * (BS_CFG_PATH_MAX); 0, or -1 when too long. */
int bs_sweep_normalize_key(const char *in, char *out);
/* Reads `sweep:` (absent: one point). Returns 0 or the error status. */
int bs_sweep_parse(struct bs_cfg *cfg, struct bs_sweep *sw);
/* Sets the overrides of point p (0 <= p < n_points). */
int bs_sweep_apply(struct bs_cfg *cfg, const struct bs_sweep *sw, size_t point);
/* The value node index of key k at point p. */
int bs_sweep_value_node(const struct bs_cfg *cfg, const struct bs_sweep *sw, size_t point, size_t k);
/* Resolves `baseline:` (a point index, or {key: value, ...} naming one
 * point) once the points are known. */
int bs_sweep_resolve_baseline(struct bs_cfg *cfg, struct bs_sweep *sw);
/* After a point was loaded: an error for a swept key that it never read. */
int bs_sweep_check_used(struct bs_cfg *cfg, const struct bs_sweep *sw);

#endif
