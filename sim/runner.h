/* Runs every (scenario point, block of replications) work item with
 * OpenMP. Replication (p, r) writes only its own slab of results, and its random streams depend
 * on (seed, r) alone, so results are bitwise identical for any number of
 * threads. */
#ifndef BS_RUNNER_H
#define BS_RUNNER_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "cluster.h"
#include "error.h"
#include "model.h"

/* Replications per work item: small enough to balance two threads over a
 * few hundred replications, large enough that scheduling costs nothing. */
#define BS_RUNNER_BLOCK 8

/* Where each kind of result sits in an item's slab of doubles. */
struct bs_layout {
    const struct bs_metric_def *metrics;
    size_t n_metrics;
    const struct bs_breakdown_def *breakdowns;
    size_t n_breakdowns;
    size_t entities[BS_BREAKDOWNS_MAX]; /* largest over the points */
    size_t breakdown_offset[BS_BREAKDOWNS_MAX];
    const struct bs_metric_def *series;
    size_t n_series;
    size_t n_bins; /* largest over the points; shorter days leave NaN */
    double bin_min;
    size_t series_width; /* n_series * n_bins */
    /* Pooled quantities (pooled.h): per replication, n_pooled x
     * pool_entities x BS_POOL_PER_ENTITY doubles at pool_offset of the slab
     * (not written to the file as such); per block, pool_hists histograms. */
    const struct bs_metric_def *pooled;
    size_t n_pooled, pool_breakdown, pool_entities, pool_offset;
    size_t pool_hists;      /* n_pooled * pool_entities */
    size_t pool_hist_width; /* pool_hists * BS_POOL_BINS counts */
    size_t width;           /* per-replication slab: metrics, breakdowns, pooled sums */
};

struct bs_run {
    size_t n_points;
    size_t n_replications;
    uint64_t seed;
    struct bs_scenario *const *points;
    struct bs_layout layout;
    double *values; /* [point][replication][width], filled by bs_runner_run */
    /* Time series are only ever averaged, so they are summed per block of
     * replications (in replication order, so the sums do not depend on
     * threads) instead of kept per day: [point][block][series_width]. */
    size_t blocks_per_point;
    double *series_sum;
    double *series_count; /* finite values summed */
    /* Pooled histograms, summed over the blocks of a point as they finish
     * (integer counts: the same for any order): [point][pool_hist_width];
     * pool_in[block]: the block's counts are in this process's sums (what
     * a checkpoint of the sums says it holds); pool_gen[point]: how many
     * times the checkpoint wrote the point's sums. */
    uint64_t *pool_hist;
    uint8_t *pool_in;
    uint64_t *pool_gen;
    int progress;   /* BS_PROGRESS_*: what bs_runner_run reports on stderr */

    /* Checkpoints: blocks already done are skipped (a resumed run fills
     * values, sums and block_done before); after each wave of blocks,
     * after_wave (if set) is called from the calling thread with the blocks
     * just done, and a set *stop ends the run with BS_ERR_RUN, "interrupted". */
    uint8_t *block_done;
    int (*after_wave)(struct bs_run *run, const long *blocks, size_t n, void *ctx);
    void *after_wave_ctx;
    int after_wave_failed; /* set when after_wave failed (what it wrote before stays valid) */
    volatile sig_atomic_t *stop;

    /* Under MPI (cluster.h): this process runs only the blocks b with
     * b % n_ranks == rank. Zero-initialised: one process runs them all. */
    int rank, n_ranks;
};

enum bs_progress {
    BS_PROGRESS_NONE,
    BS_PROGRESS_TERMINAL, /* a line rewritten in place */
    BS_PROGRESS_LOG,      /* a line per 10 %, for batch logs */
};

/* Fills run->layout from the model's registries and the points. */
void bs_runner_layout(struct bs_run *run);
/* The same from the first point and the most bins and entities (per
 * breakdown) of any point: the layout before every point is held. */
void bs_runner_layout_from(struct bs_layout *L, const struct bs_scenario *first, size_t n_bins,
                           const size_t *entities);

/* Memory a run needs (an upper bound, in bytes), by what holds it. */
struct bs_need {
    double results, series, points, threads, output, total;
};
void bs_runner_need(const struct bs_layout *L, size_t n_points, size_t n_replications, int threads,
                    size_t point_bytes, size_t day_bytes, struct bs_need *need);
/* What this process can still get: the least of physical memory, the
 * cgroup's memory.max, RLIMIT_AS and RLIMIT_DATA, less what it holds; the
 * limit that decides goes to what. -1 when none is known. */
double bs_runner_memory_left(int threads, char *what, size_t cap);
/* BS_ERR_INPUT, with the figure and the limit, when need exceeds it. */
int bs_runner_check_memory(const struct bs_need *need, size_t n_points, size_t n_replications, int threads,
                           struct bs_error *err);
/* "1.2 GiB", "35 MiB" (buf: 32 bytes). */
const char *bs_runner_size_text(char *buf, double bytes);
/* The threads a run uses: requested (or, when 0, OpenMP's default, which
 * OMP_NUM_THREADS sets), at most BS_THREADS_MAX and at most one per block
 * of work (more would only cost); at least 1. */
#define BS_THREADS_MAX 4096
int bs_runner_threads(int requested, size_t n_blocks);
/* Allocates run->values (NaN-filled), the series sums and the done flags
 * unless a resume filled them, and runs every block not done yet. threads <= 0:
 * OpenMP's default. On failure err names the first failing item in
 * (point, replication) order, whatever the thread timing. */
int bs_runner_run(struct bs_run *run, int threads, struct bs_error *err);

/* Frees what bs_runner_run allocated (safe on a zeroed run). */
void bs_runner_free(struct bs_run *run);
/* Allocates the result arrays (values NaN-filled): what a resume reads into. */
int bs_runner_alloc(struct bs_run *run, struct bs_error *err);

#endif
