/* Helpers shared by the scenario readers (scenario.c, staffing.c). */
#ifndef BS_SCENARIO_H
#define BS_SCENARIO_H

#include "branch.h"

/* Reads "HH:MM" at key into minutes after midnight. */
int bs_scenario_clock(struct bs_cfg *cfg, const char *key, const char *dflt, double *min_of_day);
/* Reads a name at key (a segment, transaction or role): no dots, since
 * names appear in dotted keys. dflt NULL: required. */
int bs_scenario_name(struct bs_cfg *cfg, const char *key, const char *dflt, char *out);
/* Index of name among names[0..n), or -1. */
int bs_scenario_find(const char (*names)[BS_NAME_MAX], size_t n, const char *name);
/* Online shift, appointments, peak shifting; needs segments and
 * transactions, and adds the appointment class (so before staffing). */
int bs_choices_load(struct bs_cfg *cfg, struct bs_scenario *sc);
/* Roles, counters, schedules and absence; needs classes read first. */
int bs_staffing_load(struct bs_cfg *cfg, struct bs_scenario *sc);

#endif
