/* Customer-weighted ("pooled") figures: every customer of every day of a
 * point counts once, where /summary averages a value per day. A day adds
 * each customer's value of a pooled quantity (model.h, bs_model_pooled)
 * with its entity (a segment) to
 *   - its replication's sum, count and maximum (doubles in the result slab,
 *     summed over replications in replication order at output), and
 *   - a histogram of its block of replications (integer counts, so merging
 *     them in any order gives the same counts).
 * The mean is the ratio estimator sum / customers with a delta-method CI
 * over replications; the percentiles come from the merged histogram.
 *
 * Histogram bins (minutes): bin 0 holds values <= 0 (a wait of exactly 0);
 * then 1/16-minute bins up to 64 min; then 512 bins per doubling (width
 * value/512 to value/1024) up to 1024 min; the last bin holds everything
 * above 1024 min and ends at the exact maximum. A percentile is placed
 * inside the bin that holds the order statistic, so it is within one bin
 * width of it: 1/16 min below 64 min, 0.2 % of the value below 1024 min,
 * and anywhere between 1024 min and the maximum beyond. */
#ifndef BS_POOLED_H
#define BS_POOLED_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "invariant.h"

#define BS_POOL_BINS_PER_MIN 16
#define BS_POOL_LINEAR 1024 /* 1/16-min bins: [0, 64 min) */
#define BS_POOL_PER_OCTAVE 512
#define BS_POOL_OCTAVES 4 /* 64 .. 1024 min */
#define BS_POOL_TOP_MIN 1024.0
#define BS_POOL_BINS (2 + BS_POOL_LINEAR + BS_POOL_OCTAVES * BS_POOL_PER_OCTAVE)

/* Per replication, quantity q and entity e: sum, customers, maximum. */
enum { BS_POOL_SUM, BS_POOL_N, BS_POOL_MAX, BS_POOL_PER_ENTITY };

/* The statistics of /pooled, in order. */
enum {
    BS_PSTAT_MEAN,
    BS_PSTAT_CI95_LOW,
    BS_PSTAT_CI95_HIGH,
    BS_PSTAT_P50,
    BS_PSTAT_P90,
    BS_PSTAT_P95,
    BS_PSTAT_P99,
    BS_PSTAT_MAX,
    BS_PSTAT_N,
    BS_PSTAT_COUNT
};
extern const char *const bs_pooled_stat_names[BS_PSTAT_COUNT];

static inline size_t bs_pool_bin(double v_min)
{
    if (!(v_min > 0))
        return 0;
    double u = v_min * BS_POOL_BINS_PER_MIN;
    if (u < BS_POOL_LINEAR)
        return 1 + (size_t)(int)u; /* a 32-bit conversion: cheaper than to 64 bits */
    if (!(u < BS_POOL_TOP_MIN * BS_POOL_BINS_PER_MIN))
        return BS_POOL_BINS - 1;
    uint64_t k = (uint64_t)u; /* >= 1024: 2^(10 + octave) <= k < 2^(11 + octave) */
    int octave = 63 - __builtin_clzll(k) - 10;
    return 1 + BS_POOL_LINEAR + (size_t)octave * BS_POOL_PER_OCTAVE +
           (size_t)((k >> (octave + 1)) - BS_POOL_PER_OCTAVE);
}

/* Where a day adds its customers: hist[(q * entities + e) * BS_POOL_BINS + bin],
 * sums[(q * entities + e) * BS_POOL_PER_ENTITY + BS_POOL_*]. */
struct bs_pool_out {
    uint32_t *hist;
    double *sums;
    size_t entities;
};

static inline void bs_pool_add(const struct bs_pool_out *p, size_t q, size_t e, double v_min)
{
    if (!(v_min == v_min))
        return;
    size_t h = q * p->entities + e, bin = bs_pool_bin(v_min);
    BS_INVARIANT(e < p->entities && bin < BS_POOL_BINS);
    p->hist[h * BS_POOL_BINS + bin]++;
    double *s = p->sums + h * BS_POOL_PER_ENTITY;
    s[BS_POOL_SUM] += v_min;
    s[BS_POOL_N] += 1;
    s[BS_POOL_MAX] = v_min > s[BS_POOL_MAX] ? v_min : s[BS_POOL_MAX];
}

/* Zeroes a replication's sums (maximum -inf: no customer yet). */
void bs_pool_sums_clear(double *sums, size_t n_hists);
/* Lower and upper edge of bin b (the last bin's upper edge: max_min). */
void bs_pool_bin_edges(size_t b, double max_min, double *lo, double *hi);
/* The q-quantile (0 < q <= 1) of the counts: within the bin of order
 * statistic ceil(q n), by linear interpolation; NaN without customers. */
double bs_pool_quantile(const uint64_t *counts, double q, double max_min);
/* The /pooled statistics of one histogram and its per-replication sums
 * (x_r at sums[r * stride + BS_POOL_SUM], n_r and max likewise): the ratio
 * mean with its delta-method 95 % CI, var = sum_r (x_r - m n_r)^2 /
 * (R (R - 1) nbar^2), percentiles, maximum and customers. */
void bs_pool_summary(const uint64_t *counts, const double *sums, size_t stride, size_t n_replications,
                     double out[BS_PSTAT_COUNT]);

#endif
