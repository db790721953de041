/* What the scenario readers share (scenario.c, staffing.c,
 * scenario_choices.c): the class names, and the loaders scenario.c calls. */
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

/* Online shift, appointments, peak shifting; needs segments and
 * transactions, and adds the appointment class (so before staffing). */
int bs_choices_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* Roles, counters, schedules and absence; needs classes read first. */
int bs_staffing_load(struct bs_cfg *cfg, struct bs_scenario *sc);

#endif
