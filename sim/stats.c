/* Replication summaries (Student t intervals), one-sided bounds (plan)
 * and selection quantiles. */
#include "stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

const char *const bs_stat_names[BS_STAT_COUNT] = {
    "mean", "sd", "ci95_low", "ci95_high", "p05", "p50", "p95", "min", "max", "n",
};

/* The finite values among x[0], x[stride], ... (n of them) by Welford's
 * recurrence (stable for large counts): their count, mean and sum of
 * squared deviations m2, and their least and largest; copied to scratch
 * when it is not NULL. */
static size_t welford(const double *x, size_t stride, size_t n, double *scratch, double *mean_out, double *m2_out,
                      double *lo_out, double *hi_out)
{
    double mean = 0, m2 = 0, lo = INFINITY, hi = -INFINITY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (!isfinite(v))
            continue;
        if (scratch)
            scratch[k] = v;
        k++;
        double d = v - mean;
        mean += d / (double)k;
        m2 += d * (v - mean);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    *mean_out = mean;
    *m2_out = m2;
    *lo_out = lo;
    *hi_out = hi;
    return k;
}

void bs_stats_summary(const double *x, size_t stride, size_t n, double *scratch, double out[BS_STAT_COUNT])
{
    double mean, m2, lo, hi;
    size_t k = welford(x, stride, n, scratch, &mean, &m2, &lo, &hi);
    for (int s = 0; s < BS_STAT_COUNT; s++)
        out[s] = NAN;
    out[BS_STAT_N] = (double)k;
    if (k == 0)
        return;
    out[BS_STAT_MEAN] = mean;
    out[BS_STAT_MIN] = lo;
    out[BS_STAT_MAX] = hi;
    static const double q[3] = {0.05, 0.5, 0.95};
    bs_stats_quantiles_inplace(scratch, k, q, 3, out + BS_STAT_P05);
    if (k < 2)
        return;
    double sd = sqrt(m2 / (double)(k - 1));
    double half = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * sd / sqrt((double)k);
    out[BS_STAT_SD] = sd;
    out[BS_STAT_CI95_LOW] = mean - half;
    out[BS_STAT_CI95_HIGH] = mean + half;
}

void bs_stats_moments(const double *x, size_t stride, size_t n, struct bs_moments *m)
{
    double mean, m2, lo, hi;
    size_t k = welford(x, stride, n, NULL, &mean, &m2, &lo, &hi);
    m->n = (double)k;
    m->mean = k > 0 ? mean : NAN;
    m->sd = k > 1 ? sqrt(m2 / (double)(k - 1)) : NAN;
}

double bs_stats_mean_bound(const struct bs_moments *m, double confidence, int upper)
{
    double t_q = m->n >= 2 ? gsl_cdf_tdist_Pinv(confidence, m->n - 1) : NAN;
    double half = t_q * m->sd / sqrt(m->n);
    return upper ? m->mean + half : m->mean - half;
}

double bs_stats_binomial_bound(double successes, double n, double confidence, int upper)
{
    if (upper)
        return successes >= n ? 1.0 : gsl_cdf_beta_Pinv(confidence, successes + 1, n - successes);
    return successes <= 0 ? 0.0 : gsl_cdf_beta_Pinv(1 - confidence, successes, n - successes + 1);
}

/* Order statistic k of x[0..n) (0-based), leaving x partitioned around
 * it: x[0..k) <= x[k] <= x(k..n). Quickselect with a branch-free Lomuto
 * partition: the comparisons of random data are what a branch predictor
 * gets wrong, half the time. Where duplicates slow it (many equal values),
 * GSL's selection finishes the job after a bounded number of rounds, so
 * the cost stays O(n); the value, an order statistic, is the same either way. */
static double select_inplace(double *x, size_t n, size_t k)
{
    if (k >= n) /* as gsl_stats_select does with it */
        return gsl_stats_select(x, 1, n, k);
    size_t lo = 0, hi = n - 1;
    for (int rounds = 0; hi > lo; rounds++) {
        if (rounds == 16)
            return gsl_stats_select(x + lo, 1, hi - lo + 1, k - lo);
        /* Median of three as the pivot, kept at hi. */
        size_t mid = lo + (hi - lo) / 2;
        double a = x[lo], b = x[mid], c = x[hi];
        size_t m = (a < b) ? (b < c ? mid : (a < c ? hi : lo)) : (a < c ? lo : (b < c ? hi : mid));
        double pivot = x[m];
        x[m] = x[hi];
        x[hi] = pivot;
        size_t store = lo;
        for (size_t j = lo; j < hi; j++) { /* [lo, store) < pivot <= [store, j) */
            double v = x[j];
            x[j] = x[store];
            x[store] = v;
            store += v < pivot;
        }
        x[hi] = x[store];
        x[store] = pivot;
        if (k == store)
            return pivot;
        if (k < store)
            hi = store - 1;
        else
            lo = store + 1;
    }
    return x[k];
}

/* The q-quantile, knowing that x[0..from) are all <= the rest. */
static double quantile_from(double *x, size_t n, size_t from, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double frac = pos - (double)i;
    if (i < from)
        from = 0; /* not ascending: search everything */
    double lower = select_inplace(x + from, n - from, i - from);
    if (frac == 0.0 || i + 1 >= n)
        return lower;
    /* After selecting i, everything from i+1 on is >= x[i]: its minimum is
     * order statistic i+1. */
    double upper = x[i + 1];
    for (size_t j = i + 2; j < n; j++)
        upper = x[j] < upper ? x[j] : upper;
    return lower + frac * (upper - lower);
}

double bs_stats_quantile_inplace(double *x, size_t n, double q)
{
    return quantile_from(x, n, 0, q);
}

double bs_stats_quantile_above(double *x, size_t n, size_t from, double q)
{
    return quantile_from(x, n, from, q);
}

void bs_stats_quantiles_inplace(double *x, size_t n, const double *q, size_t nq, double *out)
{
    size_t from = 0;
    for (size_t k = 0; k < nq; k++) {
        out[k] = quantile_from(x, n, from, q[k]);
        if (n > 0)
            from = (size_t)floor(q[k] * (double)(n - 1));
    }
}
