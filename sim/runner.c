/* OpenMP over work items; one day state per thread, allocated once. */
#include "runner.h"

#include <omp.h>
#include <stdint.h>

#include "model.h"

int bs_runner_run(struct bs_run *run, int threads, struct bs_error *err)
{
    const long n_items = (long)(run->n_points * run->n_replications);
    long first_failed = n_items;
    struct bs_error first_err = {0};
    int alloc_failed = 0;
    if (threads <= 0)
        threads = omp_get_max_threads();

#pragma omp parallel num_threads(threads)
    {
        struct bs_day *day = bs_day_alloc();
        if (!day) {
#pragma omp atomic write
            alloc_failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long item = 0; item < n_items; item++) {
            if (!day)
                continue;
            size_t point = (size_t)item / run->n_replications;
            size_t rep = (size_t)item % run->n_replications;
            struct bs_error e = {0};
            double *row = run->values + (size_t)item * run->n_metrics;
            if (bs_day_run(day, run->points[point], run->seed, rep, row, &e) != 0) {
#pragma omp critical(bs_runner_failure)
                if (item < first_failed) {
                    first_failed = item;
                    first_err = e;
                }
            }
        }
        bs_day_free(day);
    }
    if (alloc_failed)
        return bs_error_set(err, BS_ERR_RUN, "out of memory allocating a day state");
    if (first_failed < n_items)
        return bs_error_set(err, BS_ERR_RUN, "scenario point %ld, replication %ld failed: %s",
                            first_failed / (long)run->n_replications,
                            first_failed % (long)run->n_replications, first_err.msg);
    return 0;
}
