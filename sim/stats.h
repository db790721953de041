/* Summaries over replications, one-sided bounds and quantiles of samples. */
#ifndef BS_STATS_H
#define BS_STATS_H

#include <stddef.h>

enum bs_stat {
    BS_STAT_MEAN,
    BS_STAT_SD,
    BS_STAT_CI95_LOW,
    BS_STAT_CI95_HIGH,
    BS_STAT_P05,
    BS_STAT_P50,
    BS_STAT_P95,
    BS_STAT_MIN,
    BS_STAT_MAX,
    BS_STAT_N, /* replications with a finite value (e.g. a wait needs a customer) */
    BS_STAT_COUNT
};

extern const char *const bs_stat_names[BS_STAT_COUNT];

/* Summary of the finite values among x[0], x[stride], ... (n of them):
 * mean, sample sd, 95 % Student-t confidence interval of the mean, the 5th,
 * 50th and 95th percentiles over replications, min, max. Fields that need
 * more values than there are are NaN. scratch holds n doubles. */
void bs_stats_summary(const double *x, size_t stride, size_t n, double *scratch, double out[BS_STAT_COUNT]);

/* The count, mean and sample sd of the finite values among x[0],
 * x[stride], ... (n of them): bs_stats_summary's figures, bitwise, without
 * its scratch. mean is NaN without a value, sd with fewer than 2. */
struct bs_moments {
    double n, mean, sd;
};
void bs_stats_moments(const double *x, size_t stride, size_t n, struct bs_moments *m);

/* One-sided Student-t bound on the mean at `confidence` (e.g. 0.95):
 * mean + t_{n-1}(confidence) sd / sqrt(n) when upper, mean - ... when not.
 * NaN with fewer than 2 values. */
double bs_stats_mean_bound(const struct bs_moments *m, double confidence, int upper);

/* One-sided exact (Clopper-Pearson) bound at `confidence` on the chance
 * of success after `successes` in n trials: upper, the confidence-quantile
 * of Beta(successes + 1, n - successes) (1 when every trial succeeded);
 * lower, the (1 - confidence)-quantile of Beta(successes, n - successes +
 * 1) (0 when none did). */
double bs_stats_binomial_bound(double successes, double n, double confidence, int upper);

/* The q-quantile (0 <= q <= 1) of x[0..n), interpolated between order
 * statistics as gsl_stats_quantile_from_sorted_data does, in O(n) by
 * selection; reorders x. NaN when n = 0. */
double bs_stats_quantile_inplace(double *x, size_t n, double q);

/* The same, knowing that x[0..from) are all <= the rest (as after a
 * selection of order statistic `from`): only x[from..n) is searched. The
 * value is the same as bs_stats_quantile_inplace's. Reorders x. */
double bs_stats_quantile_above(double *x, size_t n, size_t from, double q);

/* Several ascending quantiles q[0] <= q[1] <= ... of x[0..n) at once: each
 * selection searches only the part above the previous one. Reorders x. */
void bs_stats_quantiles_inplace(double *x, size_t n, const double *q, size_t nq, double *out);

#endif
