/* The one interface between the simulator (sim/) and a model (models/).
 * The runner knows a model only through these declarations: a scenario
 * read from the config, a per-thread day state, and metric registries. */
#ifndef BS_MODEL_H
#define BS_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "error.h"
#include "pooled.h"

struct bs_scenario; /* one scenario point, read-only once loaded */
struct bs_day;      /* one thread's replication state, reused */

struct bs_metric_def {
    const char *name;
    const char *unit;  /* as a planner says it: "customers", "counters", "min", "1" (a ratio or share) */
    const char *label; /* a short human label naming what is counted: "Mean wait", "Customers served" */
    const char *description;
};

/* Metrics reported per entity of a kind (e.g. per customer segment),
 * written to /<group>/<metric> (n_points, n_replications, n_entities). */
struct bs_breakdown_def {
    const char *group;
    const char *dim; /* name of the entity dimension (an HDF5 dimension scale) */
    const struct bs_metric_def *metrics;
    size_t n_metrics;
    /* Non-NULL: the entities may differ between sweep points (the slots of
     * a sweep over slot_min). Where they do, the file names them by
     * position ("slot 0", ...) and /<group>/<position->name> (n_points,
     * n_entities) holds each point's bs_scenario_entity_position. */
    const struct bs_metric_def *position;
};

#define BS_BREAKDOWNS_MAX 4

/* The registries: every metric a day reports, in row order. */
const struct bs_metric_def *bs_model_metrics(size_t *count);
const struct bs_breakdown_def *bs_model_breakdowns(size_t *count);
const struct bs_metric_def *bs_model_series(size_t *count);
/* 1 when metric def (an entry of a registry) is 0 or 1 per day by
 * definition (an event that happened or not): plan bounds its mean with
 * the exact binomial, not Student t. */
int bs_model_day_indicator(const struct bs_metric_def *def);
/* Per-customer quantities pooled over every customer of every day
 * (pooled.h), reported overall and per entity of breakdown *breakdown. */
const struct bs_metric_def *bs_model_pooled(size_t *count, size_t *breakdown);

/* Reads the model's keys for the config's current sweep point. NULL on
 * error, with cfg->err set. */
struct bs_scenario *bs_scenario_load(struct bs_cfg *cfg);
void bs_scenario_free(struct bs_scenario *sc);
/* Number of entities of breakdown b at this point, and their names. */
size_t bs_scenario_entities(const struct bs_scenario *sc, size_t b);
const char *bs_scenario_entity_name(const struct bs_scenario *sc, size_t b, size_t i);
/* Where entity i of breakdown b lies at this point (its def's position,
 * e.g. a slot's start in minutes after opening). */
double bs_scenario_entity_position(const struct bs_scenario *sc, size_t b, size_t i);
/* When the branch opens at this point, minutes after midnight. */
double bs_scenario_open_min_of_day(const struct bs_scenario *sc);
/* Time-series bins of this point; *bin_min receives their width. */
size_t bs_scenario_bins(const struct bs_scenario *sc, double *bin_min);
/* Memory, for an estimate before a run allocates: the point itself, and
 * what a thread's day state grows to for it (an upper bound). */
size_t bs_scenario_bytes(const struct bs_scenario *sc);
size_t bs_scenario_day_bytes(const struct bs_scenario *sc);

/* Where a day writes its results. Breakdown b's metric m for entity e goes
 * to breakdown[b][m * entity_stride[b] + e]; series s, bin k to
 * series[s * bin_stride + k]. Slots beyond the point's own entities and
 * bins are left as they are (the runner fills them with NaN). */
struct bs_day_out {
    double *row;
    double *breakdown[BS_BREAKDOWNS_MAX];
    size_t entity_stride[BS_BREAKDOWNS_MAX];
    double *series;
    size_t bin_stride;
    /* Pooled quantity q of a customer of entity e: bs_pool_add(&pool, q, e, value). */
    struct bs_pool_out pool;
};

/* NULL when out of memory. */
struct bs_day *bs_day_alloc(void);
void bs_day_free(struct bs_day *day);

/* Simulates replication `replication` of scenario sc with master seed
 * `seed` into out. Returns 0, or BS_ERR_RUN with err set. */
int bs_day_run(struct bs_day *day, const struct bs_scenario *sc, uint64_t seed,
               uint64_t replication, const struct bs_day_out *out, struct bs_error *err);

/* `branchsim check`: plans that run but cannot work (a role offered more
 * work than its counters can do, a swept count that a schedule caps, a
 * service time that looks like seconds). Fed every point in order, then
 * reported one warning a line to out, each naming file:line:column, the
 * key and the figure; returns how many. new gives NULL when out of memory. */
struct bs_plan_check;
struct bs_plan_check *bs_plan_check_new(void);
void bs_plan_check_point(struct bs_plan_check *pc, const struct bs_scenario *sc, size_t point);
size_t bs_plan_check_report(struct bs_plan_check *pc, struct bs_cfg *cfg, FILE *out);
void bs_plan_check_free(struct bs_plan_check *pc);

#endif
