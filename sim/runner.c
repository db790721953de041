/* OpenMP over work items; one day state per thread, allocated once. */
#include "runner.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

void bs_runner_layout(struct bs_run *run)
{
    struct bs_layout *L = &run->layout;
    L->metrics = bs_model_metrics(&L->n_metrics);
    L->breakdowns = bs_model_breakdowns(&L->n_breakdowns);
    L->series = bs_model_series(&L->n_series);
    size_t off = L->n_metrics;
    for (size_t b = 0; b < L->n_breakdowns; b++) {
        L->entities[b] = 0;
        for (size_t p = 0; p < run->n_points; p++) {
            size_t e = bs_scenario_entities(run->points[p], b);
            L->entities[b] = e > L->entities[b] ? e : L->entities[b];
        }
        L->breakdown_offset[b] = off;
        off += L->breakdowns[b].n_metrics * L->entities[b];
    }
    L->n_bins = 0;
    for (size_t p = 0; p < run->n_points; p++) {
        size_t n = bs_scenario_bins(run->points[p], &L->bin_min);
        L->n_bins = n > L->n_bins ? n : L->n_bins;
    }
    L->series_width = L->n_series * L->n_bins;
    L->width = off;
}

static long block_replications(const struct bs_run *run, long block)
{
    size_t first = ((size_t)block % run->blocks_per_point) * BS_RUNNER_BLOCK;
    return (long)((first + BS_RUNNER_BLOCK < run->n_replications ? first + BS_RUNNER_BLOCK : run->n_replications) -
                  first);
}

/* Progress on stderr, from whichever thread finished an item: counts only,
 * so it never touches results. */
static void report_progress(const struct bs_run *run, long done, long total, double started, int *last_decile,
                            double *last_print)
{
    if (total == 0)
        return;
    double now = omp_get_wtime(), elapsed = now - started;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    if (run->progress == BS_PROGRESS_TERMINAL) {
        if (now - *last_print < 0.25 && done < total)
            return;
        *last_print = now;
        fprintf(stderr, "\r  %ld/%ld replications (%zu point%s%s), %.0f/s, %.0f s left   %s", done, total,
                run->n_points, run->n_points == 1 ? "" : "s", run->n_ranks > 1 ? "; rank 0's share" : "", rate,
                left, done == total ? "\n" : "");
    } else if (run->progress == BS_PROGRESS_LOG) {
        int decile = (int)(10 * done / total);
        if (decile <= *last_decile)
            return;
        *last_decile = decile;
        fprintf(stderr, "branchsim: %d %% (%ld/%ld replications%s, %.0f/s, %.0f s left)\n", decile * 10, done, total,
                run->n_ranks > 1 ? " of rank 0's share" : "", rate, left);
    }
}

int bs_runner_alloc(struct bs_run *run, struct bs_error *err)
{
    const struct bs_layout *L = &run->layout;
    const size_t n_items = run->n_points * run->n_replications;
    run->blocks_per_point = (run->n_replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK;
    const size_t n_blocks = run->n_points * run->blocks_per_point;
    run->values = malloc(n_items * L->width * sizeof *run->values + 1);
    run->series_sum = calloc(n_blocks * L->series_width + 1, sizeof *run->series_sum);
    run->series_count = calloc(n_blocks * L->series_width + 1, sizeof *run->series_count);
    run->block_done = calloc(n_blocks + 1, 1);
    if (!run->values || !run->series_sum || !run->series_count || !run->block_done)
        return bs_error_set(err, BS_ERR_RUN, "out of memory for %zu x %zu result slabs", run->n_points,
                            run->n_replications);
    for (size_t i = 0; i < n_items * L->width; i++)
        run->values[i] = NAN;
    return 0;
}

/* Runs one block: its replications in order, their series summed in order. */
static void run_block(struct bs_run *run, struct bs_day *day, double *series, long block, long *first_failed,
                      struct bs_error *first_err)
{
    const struct bs_layout *L = &run->layout;
    size_t point = (size_t)block / run->blocks_per_point;
    size_t first = ((size_t)block % run->blocks_per_point) * BS_RUNNER_BLOCK;
    size_t last = first + BS_RUNNER_BLOCK < run->n_replications ? first + BS_RUNNER_BLOCK : run->n_replications;
    double *sum = run->series_sum + (size_t)block * L->series_width;
    double *count = run->series_count + (size_t)block * L->series_width;
    for (size_t rep = first; rep < last; rep++) {
        long item = (long)(point * run->n_replications + rep);
        double *slab = run->values + (size_t)item * L->width;
        for (size_t j = 0; j < L->series_width; j++)
            series[j] = NAN;
        struct bs_day_out out = {.row = slab, .series = series, .bin_stride = L->n_bins};
        for (size_t b = 0; b < L->n_breakdowns; b++) {
            out.breakdown[b] = slab + L->breakdown_offset[b];
            out.entity_stride[b] = L->entities[b];
        }
        struct bs_error e = {0};
        if (bs_day_run(day, run->points[point], run->seed, rep, &out, &e) != 0) {
#pragma omp critical(bs_runner_failure)
            if (item < *first_failed) {
                *first_failed = item;
                *first_err = e;
            }
        }
        for (size_t j = 0; j < L->series_width; j++) {
            if (isfinite(series[j])) {
                sum[j] += series[j];
                count[j] += 1;
            }
        }
    }
}

int bs_runner_run(struct bs_run *run, int threads, struct bs_error *err)
{
    const struct bs_layout *L = &run->layout;
    const long n_items = (long)(run->n_points * run->n_replications);
    /* Work items are blocks of a point's replications, handed out
     * dynamically: points of very different cost keep every thread busy. */
    if (!run->values && bs_runner_alloc(run, err))
        return err->status;
    const long n_blocks = (long)(run->n_points * run->blocks_per_point);
    long first_failed = n_items, done = 0;
    int last_decile = 0;
    double started = omp_get_wtime(), last_print = 0;
    struct bs_error first_err = {0};
    int alloc_failed = 0;
    if (threads <= 0)
        threads = omp_get_max_threads();
    long *pending = malloc(((size_t)n_blocks + 1) * sizeof *pending);
    if (!pending)
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    long n_pending = 0, n_own = 0;
    for (long b = 0; b < n_blocks; b++) {
        if (!bs_cluster_owns(run->rank, run->n_ranks, (size_t)b))
            continue;
        n_own += block_replications(run, b);
        if (run->block_done[b])
            done += block_replications(run, b);
        else
            pending[n_pending++] = b;
    }
    /* Waves of blocks: between them the calling thread may checkpoint and
     * stop; within one, threads take blocks dynamically. */
    const long wave = run->after_wave ? 64L * threads : n_pending;
    int interrupted = run->stop && *run->stop; /* a signal while setting up */
    for (long w0 = 0; w0 < n_pending && !interrupted && !alloc_failed; w0 += wave) {
        long w1 = w0 + wave < n_pending ? w0 + wave : n_pending;
#pragma omp parallel num_threads(threads)
        {
            struct bs_day *day = bs_day_alloc();
            double *series = malloc((L->series_width ? L->series_width : 1) * sizeof *series);
            if (!series) {
                bs_day_free(day);
                day = NULL;
            }
            if (!day) {
#pragma omp atomic write
                alloc_failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (long k = w0; k < w1; k++) {
                if (!day)
                    continue;
                long block = pending[k];
                run_block(run, day, series, block, &first_failed, &first_err);
                if (run->progress != BS_PROGRESS_NONE) {
#pragma omp critical(bs_runner_progress)
                    {
                        done += block_replications(run, block);
                        report_progress(run, done, n_own, started, &last_decile, &last_print);
                    }
                }
            }
            bs_day_free(day);
            free(series);
        }
        if (alloc_failed || first_failed < n_items)
            break;
        for (long k = w0; k < w1; k++)
            run->block_done[pending[k]] = 1;
        if (run->after_wave && run->after_wave(run, pending + w0, (size_t)(w1 - w0), run->after_wave_ctx)) {
            free(pending);
            run->after_wave_failed = 1;
            return bs_error_set(err, BS_ERR_RUN, "could not write the checkpoint (is the disk full?)");
        }
        interrupted = run->stop && *run->stop;
    }
    free(pending);
    if (interrupted && !alloc_failed && first_failed == n_items)
        return bs_error_set(err, BS_ERR_RUN, "interrupted");
    if (alloc_failed)
        return bs_error_set(err, BS_ERR_RUN, "out of memory allocating a day state");
    if (first_failed < n_items)
        return bs_error_set(err, BS_ERR_RUN, "scenario point %ld, replication %ld failed: %s",
                            first_failed / (long)run->n_replications,
                            first_failed % (long)run->n_replications, first_err.msg);
    return 0;
}

void bs_runner_free(struct bs_run *run)
{
    free(run->values);
    free(run->series_sum);
    free(run->series_count);
    free(run->block_done);
    run->values = run->series_sum = run->series_count = NULL;
    run->block_done = NULL;
}
