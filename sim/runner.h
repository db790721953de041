/* Runs every (scenario point, replication) work item with OpenMP. Item
 * (p, r) writes only row (p, r), and its random streams depend on (seed, r)
 * alone, so results are bitwise identical for any number of threads. */
#ifndef BS_RUNNER_H
#define BS_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct bs_scenario;

struct bs_run {
    size_t n_points;
    size_t n_replications;
    size_t n_metrics;
    uint64_t seed;
    struct bs_scenario *const *points;
    double *values; /* [point][replication][metric], filled by bs_runner_run */
};

/* threads <= 0: OpenMP's default. On failure err names the first failing
 * item in (point, replication) order, whatever the thread timing. */
int bs_runner_run(struct bs_run *run, int threads, struct bs_error *err);

#endif
