/* Reads one scenario point of the branch model, and answers what sim/ asks
 * of it (sim/model.h).
 *
 * Where a loader lives: each feature F (demand, choices, exposure, counters,
 * standards) runs in models/F.c and is read -- its sections parsed, checked
 * and derived into struct bs_scenario -- by bs_F_load in models/F_load.c
 * beside it, so a section's keys are in one file and the files of the event
 * loop hold no config reading. This file reads the name, the day and the
 * output, then calls the loaders in order; every check happens here,
 * before any replication runs. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "branch.h"
#include "scenario.h"

struct scalar_key {
    const char *key;
    double lo, hi, dflt;
    int required;
    size_t offset; /* of a double in struct bs_scenario */
};

static const struct scalar_key scalar_keys[] = {
    {"day.hours", 0.25, 24, 8, 0, offsetof(struct bs_scenario, hours)},
    {"output.warmup_min", 0, 1440, 0, 0, offsetof(struct bs_scenario, warmup_min)},
    {"output.bin_min", 1, 1440, 15, 0, offsetof(struct bs_scenario, bin_min)},
};

/* The name, the day and the output: what the features' loaders build on. */
static int read_day(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    if (bs_cfg_string(cfg, "name", "unnamed", sc->name, sizeof sc->name))
        return cfg->err->status;
    for (size_t i = 0; i < sizeof scalar_keys / sizeof scalar_keys[0]; i++) {
        const struct scalar_key *k = &scalar_keys[i];
        if (bs_cfg_number(cfg, k->key, k->lo, k->hi, k->dflt, k->required, (double *)((char *)sc + k->offset)))
            return cfg->err->status;
    }
    sc->close_min = sc->hours * 60.0;
    if (bs_cfg_clock(cfg, "day.open", "09:00", &sc->open_min_of_day))
        return cfg->err->status;
    if (sc->warmup_min >= sc->close_min)
        return bs_cfg_fail(cfg, "output.warmup_min", "must be shorter than the day (%s min)",
                           bs_cfg_num((char[32]){0}, sc->close_min));
    double bins = sc->close_min / sc->bin_min;
    if (fabs(bins - round(bins)) > 1e-9 || round(bins) < 1)
        return bs_cfg_fail(cfg, "output.bin_min", "must divide the day (%s min) into whole bins",
                           bs_cfg_num((char[32]){0}, sc->close_min));
    sc->n_bins = (size_t)round(bins);
    sc->bins_per_min = 1.0 / sc->bin_min;
    return 0;
}

struct bs_scenario *bs_scenario_load(struct bs_cfg *cfg)
{
    struct bs_scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        bs_error_set(cfg->err, BS_ERR_RUN, "out of memory");
        return NULL;
    }
    /* Each loader may use what those before it read. */
    if (read_day(cfg, sc) ||
        bs_demand_load(cfg, sc) ||   /* the profile, segments and transactions: the first classes */
        bs_choices_load(cfg, sc) ||  /* online, appointments, peak_shift, self_service: adds classes */
        bs_exposure_load(cfg, sc) || /* entrance, exposure */
        bs_counters_load(cfg, sc) || /* balking, reneging, roles, counters: every class served */
        bs_standards_load(cfg, sc)) { /* over segments and transactions */
        free(sc);
        return NULL;
    }
    return sc;
}

void bs_scenario_free(struct bs_scenario *sc)
{
    free(sc);
}

size_t bs_scenario_entities(const struct bs_scenario *sc, size_t b)
{
    switch (b) {
    case BS_BD_SEGMENTS: return sc->n_segments;
    case BS_BD_ROLES: return sc->n_roles;
    case BS_BD_SLOTS: return sc->ch.appointments ? sc->ch.n_slots : 0; /* none: an empty breakdown */
    case BS_BD_STANDARDS: return sc->n_standards;
    default: return 0;
    }
}

const char *bs_scenario_entity_name(const struct bs_scenario *sc, size_t b, size_t i)
{
    switch (b) {
    case BS_BD_SEGMENTS: return sc->segments[i].name;
    case BS_BD_ROLES: return sc->roles[i].name;
    case BS_BD_SLOTS: return sc->ch.slot_names[i];
    default: return sc->standards[i].name;
    }
}

double bs_scenario_entity_position(const struct bs_scenario *sc, size_t b, size_t i)
{
    return b == BS_BD_SLOTS ? (double)i * sc->ch.slot_min : NAN;
}

double bs_scenario_open_min_of_day(const struct bs_scenario *sc)
{
    return sc->open_min_of_day;
}

size_t bs_scenario_bins(const struct bs_scenario *sc, double *bin_min)
{
    *bin_min = sc->bin_min;
    return sc->n_bins;
}

size_t bs_scenario_bytes(const struct bs_scenario *sc)
{
    return sizeof *sc;
}

/* What a thread's day state grows to: the per-customer arrays of the
 * customers part (BS_CUSTOMER_ARRAYS), doubled from 1024 to the day's
 * customers (at most the mean plus 8 standard deviations of Poisson
 * arrivals), and the calendar, 1.5 x two timers per customer (day.c). */
size_t bs_scenario_day_bytes(const struct bs_scenario *sc)
{
    const size_t per_customer = bs_customer_bytes;
    double customers = sc->customers_per_day + 8 * sqrt(sc->customers_per_day) + 64, cap = 1024;
    while (cap < customers)
        cap *= 2;
    double calendar = 1.5 * (2 * customers + (double)sc->n_counters + (double)sc->n_changes + 8) *
                      sizeof(struct bs_event);
    /* A realloc holds an array's old and new blocks at once: one more array of the largest kind. */
    return (size_t)(cap * (double)(per_customer + 16) + calendar) + (size_t)sc->n_counters * 256 +
           (BS_TS_COUNT + 1) * sc->n_bins * sizeof(double);
}
