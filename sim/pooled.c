/* Pooled (customer-weighted) statistics: see pooled.h. */
#include "pooled.h"

#include <gsl/gsl_cdf.h>

const char *const bs_pooled_stat_names[BS_PSTAT_COUNT] = {
    "mean", "ci95_low", "ci95_high", "p50", "p90", "p95", "p99", "max", "n",
};

void bs_pool_sums_clear(double *sums, size_t n_hists)
{
    for (size_t h = 0; h < n_hists; h++) {
        sums[h * BS_POOL_PER_ENTITY + BS_POOL_SUM] = 0;
        sums[h * BS_POOL_PER_ENTITY + BS_POOL_N] = 0;
        sums[h * BS_POOL_PER_ENTITY + BS_POOL_MAX] = -INFINITY;
    }
}

void bs_pool_bin_edges(size_t b, double max_min, double *lo, double *hi)
{
    const double unit = 1.0 / BS_POOL_BINS_PER_MIN;
    if (b == 0) {
        *lo = *hi = 0;
    } else if (b <= BS_POOL_LINEAR) {
        *lo = (double)(b - 1) * unit;
        *hi = (double)b * unit;
    } else if (b < BS_POOL_BINS - 1) {
        size_t j = b - 1 - BS_POOL_LINEAR, octave = j / BS_POOL_PER_OCTAVE, sub = j % BS_POOL_PER_OCTAVE;
        double width = ldexp(unit, (int)octave + 1);
        *lo = (double)(BS_POOL_PER_OCTAVE + sub) * width;
        *hi = *lo + width;
    } else {
        *lo = BS_POOL_TOP_MIN;
        *hi = max_min > BS_POOL_TOP_MIN ? max_min : BS_POOL_TOP_MIN;
    }
}

double bs_pool_quantile(const uint64_t *counts, double q, double max_min)
{
    uint64_t n = 0;
    for (size_t b = 0; b < BS_POOL_BINS; b++)
        n += counts[b];
    if (n == 0)
        return NAN;
    /* rank k = ceil(q n), 1-based; the small slack keeps 0.95 * 20 at 19 */
    double kq = ceil(q * (double)n - 1e-9);
    uint64_t k = kq < 1 ? 1 : kq > (double)n ? n : (uint64_t)kq, below = 0;
    size_t b = 0;
    while (below + counts[b] < k)
        below += counts[b++];
    double lo, hi;
    bs_pool_bin_edges(b, max_min, &lo, &hi);
    if (hi > max_min)
        hi = max_min > lo ? max_min : lo;
    /* the k-th of the bin's c values, taken as spread evenly over it */
    double at = lo + (hi - lo) * ((double)(k - below) - 0.5) / (double)counts[b];
    return at;
}

void bs_pool_summary(const uint64_t *counts, const double *sums, size_t stride, size_t n_replications,
                     double out[BS_PSTAT_COUNT])
{
    double x = 0, n = 0, max = -INFINITY;
    for (size_t r = 0; r < n_replications; r++) { /* replication order: bitwise the same for any threads */
        x += sums[r * stride + BS_POOL_SUM];
        n += sums[r * stride + BS_POOL_N];
        max = sums[r * stride + BS_POOL_MAX] > max ? sums[r * stride + BS_POOL_MAX] : max;
    }
    const double R = (double)n_replications, m = n > 0 ? x / n : NAN;
    double ss = 0;
    for (size_t r = 0; r < n_replications; r++) {
        double d = sums[r * stride + BS_POOL_SUM] - m * sums[r * stride + BS_POOL_N];
        ss += d * d;
    }
    double nbar = n / R, half = NAN;
    if (n_replications > 1 && n > 0)
        half = gsl_cdf_tdist_Pinv(0.975, R - 1) * sqrt(ss / (R * (R - 1) * nbar * nbar));
    out[BS_PSTAT_MEAN] = m;
    out[BS_PSTAT_CI95_LOW] = m - half;
    out[BS_PSTAT_CI95_HIGH] = m + half;
    static const double q[4] = {0.5, 0.9, 0.95, 0.99};
    for (int i = 0; i < 4; i++)
        out[BS_PSTAT_P50 + i] = bs_pool_quantile(counts, q[i], max);
    out[BS_PSTAT_MAX] = n > 0 ? max : NAN;
    out[BS_PSTAT_N] = n;
}
