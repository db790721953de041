/* The coordinate variables of the result file's groups (output.c), as
 * netCDF-4 and CF readers want them: xarray takes no coordinate from a
 * parent group, so each group holding variables has its own dimension
 * scales (point, replication, stat, ...) and one auxiliary coordinate per
 * swept key on point, which its variables name in their CF `coordinates`
 * attribute. */
#ifndef BS_OUTPUT_COORDS_H
#define BS_OUTPUT_COORDS_H

#include "output.h"

/* Which coordinates a group gets. */
enum {
    BS_CO_POINT = 1u,
    BS_CO_REPLICATION = 2u,
    BS_CO_STAT = 4u,
    BS_CO_POOLED_STAT = 8u,
    BS_CO_BIN = 16u,
    BS_CO_ENTITY0 = 32u, /* BS_CO_ENTITY0 << b: breakdown b's entities */
    BS_CO_KEYS = 1024u,  /* the swept keys, on point (every group but /scenarios) */
};

#define BS_COORDINATES_MAX 4096

struct bs_coords {
    hid_t point, replication, stat, pooled_stat, bin;
    hid_t entity[BS_BREAKDOWNS_MAX];
    char coordinates[BS_COORDINATES_MAX]; /* the variables' `coordinates` attribute ("": none) */
};

/* None yet (bs_coords_close does nothing). */
void bs_coords_init(struct bs_coords *c);
/* The coordinates `which` in group; close them even on failure. */
herr_t bs_coords_make(const struct bs_output *out, const struct bs_output_data *data, hid_t group, unsigned which,
                      struct bs_coords *c);
void bs_coords_close(struct bs_coords *c);
/* Attaches up to three scales (-1: none) to d's axes in order, and names
 * the auxiliary coordinates in its `coordinates` attribute. */
herr_t bs_coords_attach(const struct bs_coords *c, hid_t d, hid_t s0, hid_t s1, hid_t s2);
/* Breakdown b's entity names as the file gives them (output.c's
 * entity_labels: by name, or by position when points differ); free(). */
const char **bs_output_entity_labels(const struct bs_run *run, size_t b);
int bs_output_entities_agree(const struct bs_run *run, size_t b);

#endif
