/* What the scenario's loaders share (scenario.c and each feature's
 * F_load.c): the class names, and the loaders bs_scenario_load calls. */
#ifndef BS_SCENARIO_H
#define BS_SCENARIO_H

#include <string.h>

#include "branch.h"

/* Index of name among the first n class names (segments, then
 * transaction classes, then those choices add), or -1. */
static inline int bs_class_find(const struct bs_scenario *sc, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sc->class_names[i], name) == 0)
            return (int)i;
    return -1;
}

/* {segment: number in [0, 1], ...} at key into out[segment] (demand_load.c;
 * segments not named keep their value): the number of names, or -1 after
 * an error in cfg->err (a name that is not a segment, a bad number). */
long bs_segment_map_read(struct bs_cfg *cfg, const char *key, const struct bs_scenario *sc, double *out);

/* The features' loaders (models/F_load.c, one per feature F), in the
 * order bs_scenario_load calls them; each reads its sections into sc,
 * checks them and returns 0 or the error status (in cfg->err).
 * Demand (demand_load.c): customers_per_day, the profile, segments and
 * transactions, whose names are the first classes. */
int bs_demand_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* Online shift, appointments, peak shifting, self-service (choices_load.c);
 * adds the appointment and kiosk classes. */
int bs_choices_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* Entrance screening, the occupancy cap, exposure (exposure_load.c). */
int bs_exposure_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* Balking and reneging, roles, counters, schedules, kiosks and absence
 * (counters_load.c); needs every class read first. */
int bs_counters_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* The service standards, or their defaults (standards_load.c). */
int bs_standards_load(struct bs_cfg *cfg, struct bs_scenario *sc);

#endif
