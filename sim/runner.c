/* OpenMP over work items; one day state per thread, allocated once per run. */
#include "runner.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "invariant.h"
#include "stats.h"

void bs_runner_layout_from(struct bs_layout *L, const struct bs_scenario *first, size_t n_bins,
                           const size_t *entities)
{
    L->metrics = bs_model_metrics(&L->n_metrics);
    L->breakdowns = bs_model_breakdowns(&L->n_breakdowns);
    L->series = bs_model_series(&L->n_series);
    size_t off = L->n_metrics;
    for (size_t b = 0; b < L->n_breakdowns; b++) {
        L->entities[b] = entities[b];
        L->breakdown_offset[b] = off;
        off += L->breakdowns[b].n_metrics * L->entities[b];
    }
    bs_scenario_bins(first, &L->bin_min);
    L->n_bins = n_bins;
    L->series_width = L->n_series * L->n_bins;
    L->pooled = bs_model_pooled(&L->n_pooled, &L->pool_breakdown);
    L->pool_entities = L->pool_breakdown < L->n_breakdowns ? L->entities[L->pool_breakdown] : 1;
    L->pool_offset = off;
    L->pool_hists = L->n_pooled * L->pool_entities;
    L->pool_hist_width = L->pool_hists * BS_POOL_BINS;
    L->width = off + L->pool_hists * BS_POOL_PER_ENTITY;
}

void bs_runner_layout(struct bs_run *run)
{
    /* Every point has the same bin width (bs_load checks); days of
     * different lengths have different numbers of bins, and a breakdown
     * whose entities vary by point (e.g. slots) its most entities. */
    size_t n_bins = 0, entities[BS_BREAKDOWNS_MAX] = {0}, n_breakdowns;
    double bin_min;
    bs_model_breakdowns(&n_breakdowns);
    for (size_t p = 0; p < run->n_points; p++) {
        size_t n = bs_scenario_bins(run->points[p], &bin_min);
        n_bins = n > n_bins ? n : n_bins;
        for (size_t b = 0; b < n_breakdowns; b++) {
            size_t e = bs_scenario_entities(run->points[p], b);
            entities[b] = e > entities[b] ? e : entities[b];
        }
    }
    if (run->n_points > 0)
        bs_runner_layout_from(&run->layout, run->points[0], n_bins, entities);
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
    run->pool_hist = calloc(run->n_points * L->pool_hist_width + 1, sizeof *run->pool_hist);
    run->pool_in = calloc(n_blocks + 1, 1);
    run->pool_gen = calloc(run->n_points + 1, sizeof *run->pool_gen);
    if (!run->values || !run->series_sum || !run->series_count || !run->block_done || !run->pool_hist ||
        !run->pool_in || !run->pool_gen)
        return bs_error_set(err, BS_ERR_RUN, "out of memory for %zu x %zu result slabs", run->n_points,
                            run->n_replications);
    for (size_t i = 0; i < n_items * L->width; i++)
        run->values[i] = NAN;
    return 0;
}

/* Adds a thread's histogram counts of point's blocks to the point's (in
 * any order: integers), one thread at a time, and zeroes them. A thread
 * counts the blocks of one point together until it takes another point's
 * or the wave ends: one merge per point and wave, not per block. */
static void merge_hist(struct bs_run *run, long point, uint32_t *restrict hist)
{
    const size_t w = run->layout.pool_hist_width;
    if (point < 0)
        return;
    uint64_t *restrict acc = run->pool_hist + (size_t)point * w;
#pragma omp critical(bs_runner_pool)
    {
        for (size_t j = 0; j < w; j++) {
            acc[j] += hist[j];
            hist[j] = 0;
        }
    }
}

/* Runs one block: its replications in order, their series summed in order,
 * their customers counted into hist (the block's histograms). */
static void run_block(struct bs_run *run, struct bs_day *day, double *series, uint32_t *hist, long block,
                      long *first_failed, struct bs_error *first_err)
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
        if (L->pool_hists > 0) {
            out.pool = (struct bs_pool_out){hist, slab + L->pool_offset, L->pool_entities};
            bs_pool_sums_clear(out.pool.sums, L->pool_hists);
        }
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

int bs_runner_threads(int requested, size_t n_blocks)
{
    long threads = requested > 0 ? requested : omp_get_max_threads();
    if (threads > BS_THREADS_MAX)
        threads = BS_THREADS_MAX;
    if ((size_t)threads > n_blocks)
        threads = n_blocks > 0 ? (long)n_blocks : 1;
    return threads > 0 ? (int)threads : 1;
}

/* A thread's day state, one replication's time series and its blocks'
 * histograms: allocated by the thread itself in the run's first wave (so
 * the memory is near it), reused for every block of every wave after. */
struct worker {
    struct bs_day *day;
    double *series;
    uint32_t *hist;
};

static void worker_free(struct worker *w)
{
    bs_day_free(w->day);
    free(w->series);
    free(w->hist);
    *w = (struct worker){NULL, NULL, NULL};
}

/* 0 when w holds what a block needs (allocating it the first time). */
static int worker_ready(struct worker *w, const struct bs_layout *L)
{
    if (w->day)
        return 0;
    w->day = bs_day_alloc();
    w->series = malloc((L->series_width ? L->series_width : 1) * sizeof *w->series);
    w->hist = calloc(L->pool_hist_width + 1, sizeof *w->hist);
    if (w->day && w->series && w->hist)
        return 0;
    worker_free(w);
    return -1;
}

/* What the threads of a run share: the first failure in (point,
 * replication) order and the progress counts. */
struct shared {
    long first_failed; /* the item, or n_items when none failed */
    struct bs_error first_err;
    int alloc_failed, interrupted;
    long done, n_own; /* replications */
    int last_decile;
    double started, last_print;
};

/* Runs blocks[0..n) on the threads, each taking the next block as it
 * finishes one: points of very different cost keep every thread busy. */
static void run_wave(struct bs_run *run, struct worker *workers, int threads, const long *blocks, long n,
                     struct shared *sh)
{
#pragma omp parallel num_threads(threads)
    {
        BS_INVARIANT(omp_get_thread_num() < threads); /* num_threads: at most, never more */
        struct worker *me = &workers[omp_get_thread_num()];
        const int ready = worker_ready(me, &run->layout) == 0;
        long hist_point = -1; /* the point whose blocks me->hist counts */
        if (!ready) {
#pragma omp atomic write
            sh->alloc_failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long k = 0; k < n; k++) {
            if (!ready)
                continue;
            long block = blocks[k], point = block / (long)run->blocks_per_point;
            if (point != hist_point)
                merge_hist(run, hist_point, me->hist);
            hist_point = point;
            run_block(run, me->day, me->series, me->hist, block, &sh->first_failed, &sh->first_err);
            if (run->progress != BS_PROGRESS_NONE) {
#pragma omp critical(bs_runner_progress)
                {
                    sh->done += block_replications(run, block);
                    report_progress(run, sh->done, sh->n_own, sh->started, &sh->last_decile, &sh->last_print);
                }
            }
        }
        merge_hist(run, hist_point, me->hist);
    }
}

/* The blocks this process owns and has not done yet, in order, into
 * pending; their count. Counts the replications owned and done. */
static long pending_blocks(const struct bs_run *run, long *pending, struct shared *sh)
{
    const long n_blocks = (long)(run->n_points * run->blocks_per_point);
    long n_pending = 0;
    for (long b = 0; b < n_blocks; b++) {
        if (!bs_cluster_owns(run->rank, run->n_ranks, (size_t)b))
            continue;
        sh->n_own += block_replications(run, b);
        if (run->block_done[b])
            sh->done += block_replications(run, b);
        else
            pending[n_pending++] = b;
    }
    return n_pending;
}

/* Waves of blocks: between them the calling thread may checkpoint and
 * stop; within one, threads take blocks dynamically. Stops at the first
 * wave with a failure; 0, or the status of a failed checkpoint write. */
static int run_waves(struct bs_run *run, struct worker *workers, int threads, const long *pending, long n_pending,
                     struct shared *sh, struct bs_error *err)
{
    const long n_items = (long)(run->n_points * run->n_replications);
    const long wave = run->after_wave ? 64L * threads : n_pending;
    sh->interrupted = run->stop && *run->stop; /* a signal while setting up */
    for (long w0 = 0; w0 < n_pending && !sh->interrupted; w0 += wave) {
        long w1 = w0 + wave < n_pending ? w0 + wave : n_pending;
        run_wave(run, workers, threads, pending + w0, w1 - w0, sh);
        if (sh->alloc_failed || sh->first_failed < n_items)
            return 0;
        for (long k = w0; k < w1; k++)
            run->block_done[pending[k]] = run->pool_in[pending[k]] = 1;
        if (run->after_wave && run->after_wave(run, pending + w0, (size_t)(w1 - w0), run->after_wave_ctx)) {
            run->after_wave_failed = 1;
            return bs_error_set(err, BS_ERR_RUN, "could not write the checkpoint (is the disk full?)");
        }
        sh->interrupted = run->stop && *run->stop;
    }
    return 0;
}

int bs_runner_run(struct bs_run *run, int threads, struct bs_error *err)
{
    const long n_items = (long)(run->n_points * run->n_replications);
    if (!run->values && bs_runner_alloc(run, err))
        return err->status;
    struct shared sh = {.first_failed = n_items, .started = omp_get_wtime()};
    long *pending = malloc((run->n_points * run->blocks_per_point + 1) * sizeof *pending);
    if (!pending)
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    const long n_pending = pending_blocks(run, pending, &sh);
    threads = bs_runner_threads(threads, (size_t)n_pending);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    int st = workers ? run_waves(run, workers, threads, pending, n_pending, &sh, err)
                     : bs_error_set(err, BS_ERR_RUN, "out of memory");
    for (int t = 0; workers && t < threads; t++)
        worker_free(&workers[t]);
    free(workers);
    free(pending);
    if (st)
        return st;
    if (sh.alloc_failed)
        return bs_error_set(err, BS_ERR_RUN, "out of memory allocating a day state");
    if (sh.first_failed < n_items)
        return bs_error_set(err, BS_ERR_RUN, "scenario point %ld, replication %ld failed: %s",
                            sh.first_failed / (long)run->n_replications,
                            sh.first_failed % (long)run->n_replications, sh.first_err.msg);
    if (sh.interrupted)
        return bs_error_set(err, BS_ERR_RUN, "interrupted");
    return 0;
}

void bs_runner_free(struct bs_run *run)
{
    free(run->values);
    free(run->series_sum);
    free(run->series_count);
    free(run->block_done);
    free(run->pool_hist);
    free(run->pool_in);
    free(run->pool_gen);
    run->values = run->series_sum = run->series_count = NULL;
    run->block_done = run->pool_in = NULL;
    run->pool_hist = run->pool_gen = NULL;
}

/* ---- memory: told before anything large is allocated ---- */

void bs_runner_need(const struct bs_layout *L, size_t n_points, size_t n_replications, int threads,
                    size_t point_bytes, size_t day_bytes, struct bs_need *need)
{
    const double P = (double)n_points, R = (double)n_replications, B = ceil(R / BS_RUNNER_BLOCK);
    double most_entities = 1;
    for (size_t b = 0; b < L->n_breakdowns; b++)
        most_entities = (double)L->entities[b] > most_entities ? (double)L->entities[b] : most_entities;
    need->results = P * R * (double)L->width * 8;
    /* Sums and counts per block, the done flags and the list of blocks to
     * do; the pooled histograms of each point. */
    need->series = P * B * ((double)L->series_width * 16 + 10) + P * ((double)L->pool_hist_width * 8 + 8);
    need->points = P * (double)point_bytes;
    /* A thread's day, series and block histograms; a checkpoint's buffers
     * for one point's histograms. */
    need->threads = (double)threads * ((double)day_bytes + (double)L->series_width * 8 +
                                       (double)L->pool_hist_width * 4) +
                    (double)L->pool_hist_width * 12;
    /* Writing the file gathers one column of every point at a time (output.c),
     * a breakdown metric's statistics per point and entity, and the pooled
     * figures' per-replication sums and tables. */
    double column = R * most_entities > (double)L->n_bins ? R * most_entities : (double)L->n_bins;
    need->output = P * column * 8 + R * 8 + (P * most_entities * BS_STAT_COUNT + 1) * 8 +
                   R * BS_POOL_PER_ENTITY * 8 + P * (double)(L->pool_entities + 1) * BS_PSTAT_COUNT * 8;
    need->total = need->results + need->series + need->points + need->threads + need->output;
}

/* The first number in a file (a cgroup's memory.max), or -1 (absent, "max"). */
static double file_number(const char *path)
{
    FILE *f = fopen(path, "r");
    double v = -1;
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The least memory.max (cgroup v2) from this process's cgroup up, or -1. */
static double cgroup_max(void)
{
    char line[1024], dir[1200];
    FILE *f = fopen("/proc/self/cgroup", "r");
    double least = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", line + 3);
        for (;;) {
            char path[1300];
            snprintf(path, sizeof path, "%s/memory.max", dir);
            double v = file_number(path);
            if (v > 0 && (least < 0 || v < least))
                least = v;
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir + strlen("/sys/fs/cgroup"))
                break;
            *slash = '\0';
        }
    }
    if (f)
        fclose(f);
    double v1 = file_number("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (v1 > 0 && v1 < 1e18 && (least < 0 || v1 < least))
        least = v1;
    return least;
}

/* A field of /proc/self/status in bytes ("VmRSS:", "VmSize:", "VmData:"), or 0. */
static double status_bytes(const char *field)
{
    char line[256];
    double kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0)
            kb = atof(line + strlen(field));
    if (f)
        fclose(f);
    return kb * 1024;
}

/* Each thread reserves address space of its own: a stack and a malloc
 * arena (64 MiB on 64-bit glibc); it counts against ulimit -v, not RAM. */
#define THREAD_ADDRESS_SPACE (72.0 * 1024 * 1024)

double bs_runner_memory_left(int threads, char *what, size_t cap)
{
    double left = -1, rss = status_bytes("VmRSS:");
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    struct {
        double left;
        const char *name;
    } limits[4] = {{pages > 0 && page > 0 ? (double)pages * (double)page - rss : -1, "physical memory"},
                   {-1, "the cgroup's memory.max"}, {-1, "ulimit -v (RLIMIT_AS)"}, {-1, "RLIMIT_DATA"}};
    double cg = cgroup_max();
    if (cg > 0)
        limits[1].left = cg - rss;
    struct rlimit rl;
    double reserve = (double)threads * THREAD_ADDRESS_SPACE;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limits[2].left = (double)rl.rlim_cur - status_bytes("VmSize:") - reserve;
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limits[3].left = (double)rl.rlim_cur - status_bytes("VmData:") - reserve;
    for (int i = 0; i < 4; i++) {
        if (limits[i].left == -1)
            continue;
        if (limits[i].left < 0)
            limits[i].left = 0;
        if (left < 0 || limits[i].left < left) {
            left = limits[i].left;
            snprintf(what, cap, "%s", limits[i].name);
        }
    }
    return left;
}

/* "1.2 GiB", "35 MiB" */
static const char *size_text(char *buf, double bytes)
{
    if (bytes >= 1024.0 * 1024 * 1024)
        snprintf(buf, 32, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    else
        snprintf(buf, 32, "%.0f MiB", ceil(bytes / (1024.0 * 1024)));
    return buf;
}

int bs_runner_check_memory(const struct bs_need *need, size_t n_points, size_t n_replications, int threads,
                           struct bs_error *err)
{
    char what[64] = "", t[6][32];
    double left = bs_runner_memory_left(threads, what, sizeof what);
    if (left < 0 || need->total <= left)
        return 0;
    return bs_error_set(err, BS_ERR_INPUT,
                        "a run of %zu point%s x %zu replications needs about %s of memory (results %s, time "
                        "series %s, the points %s, the day state of %d thread%s %s), more than %s leaves (%s): use "
                        "fewer replications (-r), sweep points or threads (-j)",
                        n_points, n_points == 1 ? "" : "s", n_replications, size_text(t[0], need->total),
                        size_text(t[1], need->results), size_text(t[2], need->series),
                        size_text(t[3], need->points), threads, threads == 1 ? "" : "s",
                        size_text(t[4], need->threads), what, size_text(t[5], left));
}

const char *bs_runner_size_text(char *buf, double bytes)
{
    return size_text(buf, bytes);
}
