/* Statistical validation of the branch model against the Erlang C formula
 * for the M/M/c queue (Poisson arrivals at rate lambda, exponential service at
 * rate mu, c counters, one FIFO line), in steady state:
 *   a = lambda/mu, rho = a/c,
 *   C(c, a) = P(wait > 0) = (a^c/c!)/(1-rho) / (sum_{k<c} a^k/k! + (a^c/c!)/(1-rho)),
 *   Wq = C(c, a) / (c mu - lambda),
 *   P(wait > t) = C(c, a) exp(-(c mu - lambda) t).
 * Each replication is a 24-hour day whose waits are counted only for
 * customers arriving after a 12-hour warm-up, so they are steady-state
 * samples (under FIFO a customer's wait depends only on those ahead, so the
 * closing doors do not bias it). Replications are independent; each
 * quantity is the pooled ratio sum(y_r)/sum(n_r) over replications (a mean of
 * per-day ratios carries an O(1/n) bias), with the ratio estimator's standard
 * error sqrt(sum (y_r - R n_r)^2 / (R(R-1))) / mean(n). Tolerance: 4 SE. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/stats.h"
#include "harness.h"
#include "queueing.h"

#define REPLICATIONS 2000
#define TOLERANCE_SE 4.0

struct mean_se {
    double mean, se;
};

/* Pooled ratio of per-replication totals y over counts n, with its SE. */
static struct mean_se ratio_se(const double *y, const double *n, int reps)
{
    double sum_y = 0, sum_n = 0;
    for (int r = 0; r < reps; r++) {
        sum_y += y[r];
        sum_n += n[r];
    }
    double ratio = sum_y / sum_n, v = 0;
    for (int r = 0; r < reps; r++)
        v += (y[r] - ratio * n[r]) * (y[r] - ratio * n[r]);
    double mean_n = sum_n / reps;
    return (struct mean_se){ratio, sqrt(v / ((double)reps * (reps - 1))) / mean_n};
}

static void expect_close(const char *what, struct mean_se got, double want)
{
    print_message("  %-14s simulated %.5f +- %.5f (se)   Erlang C %.5f   (%.1f se)\n", what, got.mean, got.se, want,
                  fabs(got.mean - want) / got.se);
    assert_true(got.se > 0);
    assert_true(fabs(got.mean - want) < TOLERANCE_SE * got.se);
}

static void check_mmc(int c, double lambda_per_min, double mu_per_min)
{
    char text[1024];
    snprintf(text, sizeof text,
             "name: mmc-validation\n"
             "day: {hours: 24}\n"
             "demand: {customers_per_day: %.17g}\n"
             "transactions: [{name: any, share: 1, service_min: {dist: exponential, mean: %.17g}}]\n"
             "counters: [{role: general, count: %d}]\n"
             "output: {warmup_min: 720}\n",
             lambda_per_min * 1440.0, 1.0 / mu_per_min, c);
    struct harness h;
    int st = harness_load(&h, text);
    if (st)
        print_error("%s\n", h.err.msg);
    assert_int_equal(st, 0);
    struct bs_day *day = h.day;

    double a = lambda_per_min / mu_per_min;
    double p_wait = erlang_c(c, a);
    double wq = p_wait / (c * mu_per_min - lambda_per_min);
    double t_min = wq; /* a threshold where P(wait > t) is well estimated */
    double p_wait_over_t = p_wait * exp(-(c * mu_per_min - lambda_per_min) * t_min);

    double *wait_sum = malloc(REPLICATIONS * sizeof *wait_sum);
    double *waited = malloc(REPLICATIONS * sizeof *waited);
    double *over_t = malloc(REPLICATIONS * sizeof *over_t);
    double *counted = malloc(REPLICATIONS * sizeof *counted);
    const double *row = h.out.row;
    for (int r = 0; r < REPLICATIONS; r++) {
        assert_int_equal(harness_day(&h, 0, 2026, (uint64_t)r), 0);
        size_t over = 0;
        for (size_t i = 0; i < day->tally.n_wait_samples; i++)
            over += day->cust.wait_sample_min[i] > t_min;
        counted[r] = (double)day->tally.n_wait_samples;
        wait_sum[r] = row[BS_M_WAIT_MEAN_MIN] * counted[r];
        waited[r] = row[BS_M_SHARE_WAITED] * counted[r];
        over_t[r] = (double)over;
        assert_true(row[BS_M_ARRIVED] == row[BS_M_SERVED]);
    }
    print_message("M/M/%d, lambda %.2f/min, mu %.2f/min, rho %.2f, %d replications\n", c, lambda_per_min,
                  mu_per_min, a / c, REPLICATIONS);
    expect_close("Wq (min)", ratio_se(wait_sum, counted, REPLICATIONS), wq);
    expect_close("P(wait > 0)", ratio_se(waited, counted, REPLICATIONS), p_wait);
    expect_close("P(wait > Wq)", ratio_se(over_t, counted, REPLICATIONS), p_wait_over_t);
    free(wait_sum);
    free(waited);
    free(over_t);
    free(counted);
    harness_fini(&h);
}

static void mm1_rho_050(void **state)
{
    (void)state;
    check_mmc(1, 0.5, 1.0);
}

static void mm4_rho_080(void **state)
{
    (void)state;
    check_mmc(4, 3.2, 1.0);
}

static void mm2_rho_090(void **state)
{
    (void)state;
    check_mmc(2, 1.8, 1.0);
}

static void mm10_rho_090_slow_service(void **state)
{
    (void)state;
    check_mmc(10, 1.5, 1.0 / 6.0); /* 6-minute services, as at a teller */
}

/* The 95 % Student-t intervals of the summaries cover the true mean at
 * about their stated rate: over 1000 independent seeds, each a 10-day CI of
 * the arrivals of an M/M/4 day, whose true mean is lambda T = 1536 exactly
 * (Poisson). Coverage within 4 binomial SE of 0.95. */
static void confidence_intervals_cover_at_their_rate(void **state)
{
    (void)state;
    struct harness h;
    int st = harness_load(&h, "day: {hours: 8}\ndemand: {customers_per_day: 1536}\n"
                              "transactions: [{service_min: {dist: exponential, mean: 1}}]\ncounters: [{count: 4}]\n");
    assert_int_equal(st, 0);
    enum { SEEDS = 1000, R = 10 };
    int covered = 0;
    double arrived[R], scratch[R], summary[BS_STAT_COUNT];
    for (int seed = 0; seed < SEEDS; seed++) {
        for (int r = 0; r < R; r++) {
            assert_int_equal(harness_day(&h, 0, 1000 + (uint64_t)seed, (uint64_t)r), 0);
            arrived[r] = h.out.row[BS_M_ARRIVED];
        }
        bs_stats_summary(arrived, 1, R, scratch, summary);
        covered += summary[BS_STAT_CI95_LOW] <= 1536 && 1536 <= summary[BS_STAT_CI95_HIGH];
    }
    double coverage = (double)covered / SEEDS, se = sqrt(0.95 * 0.05 / SEEDS);
    print_message("  coverage of the 95 %% CI: %.3f over %d seeds (se %.4f)\n", coverage, SEEDS, se);
    assert_true(fabs(coverage - 0.95) < 4 * se);
    harness_fini(&h);
}

static void erlang_c_formula_reference_values(void **state)
{
    (void)state;
    /* M/M/1: C = rho. M/M/2 with a = 1: C = 1/3 (textbook value). */
    assert_true(fabs(erlang_c(1, 0.5) - 0.5) < 1e-12);
    assert_true(fabs(erlang_c(2, 1.0) - 1.0 / 3.0) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_c_formula_reference_values),
        cmocka_unit_test(confidence_intervals_cover_at_their_rate),
        cmocka_unit_test(mm1_rho_050),
        cmocka_unit_test(mm4_rho_080),
        cmocka_unit_test(mm2_rho_090),
        cmocka_unit_test(mm10_rho_090_slow_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
