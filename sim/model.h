/* The one interface between the simulator (sim/) and a model (models/).
 * The runner knows a model only through these declarations: a scenario
 * read from the config, a per-thread day state, and a metric registry. */
#ifndef BS_MODEL_H
#define BS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "error.h"

struct bs_scenario; /* one scenario point, read-only once loaded */
struct bs_day;      /* one thread's replication state, reused */

struct bs_metric_def {
    const char *name;
    const char *unit;
    const char *description;
};

/* The registry: every metric a day reports, in row order. */
const struct bs_metric_def *bs_model_metrics(size_t *count);

/* Reads the model's keys for the config's current sweep point. NULL on
 * error, with cfg->err set. */
struct bs_scenario *bs_scenario_load(struct bs_cfg *cfg);
void bs_scenario_free(struct bs_scenario *sc);

/* NULL when out of memory. */
struct bs_day *bs_day_alloc(void);
void bs_day_free(struct bs_day *day);

/* Simulates replication `replication` of scenario sc with master seed
 * `seed` into row[0..metric count). Returns 0, or BS_ERR_RUN with err set. */
int bs_day_run(struct bs_day *day, const struct bs_scenario *sc, uint64_t seed,
               uint64_t replication, double *row, struct bs_error *err);

#endif
