/* Unit tests of the simulator's parts: event calendar, random streams,
 * distributions (moments within 4 standard errors), statistics, and the
 * scenario reader's errors. Seeds are fixed, so every run is the same. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sim/pooled.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "../sim/cfg.h"
#include "../sim/dist.h"
#include "../sim/heap.h"
#include "../sim/load.h"
#include "../sim/rng.h"
#include "../sim/stats.h"
#include "../sim/sweep.h"
#include "../sim/text.h"
#include "../sim/error.h"

/* ---- text shown to a person ---- */

static void escape_makes_control_characters_visible(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(bs_text_escape(out, sizeof out, "a\nb\tc\x1b[31m\\d"), "a\\nb\\tc\\x1b[31m\\\\d");
    assert_string_equal(bs_text_escape(out, sizeof out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8f\xa6"),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8f\xa6"); /* UTF-8 kept */
    /* C1 controls (CSI is U+009B, and 0x9b alone to 8-bit terminals) and
     * bytes that are not UTF-8 (a lone continuation, an overlong '/', a
     * surrogate, a cut sequence) are written as bytes. */
    assert_string_equal(bs_text_escape(out, sizeof out, "a\xc2\x9b" "31m\x9b" "b"), "a\\xc2\\x9b31m\\x9bb");
    assert_string_equal(bs_text_escape(out, sizeof out, "\xc0\xaf\xed\xa0\x80\xe2\x82"),
                        "\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
    assert_string_equal(bs_text_escape(out, 6, "ab\x01" "cd"), "ab"); /* an escape is never cut in half */
    struct bs_error err = {0};
    bs_error_set(&err, 2, "x.yaml:1:1: %s: unknown key", "a\nbranchsim: forged");
    assert_null(strchr(err.msg, '\n'));
    assert_string_equal(err.msg, "x.yaml:1:1: a\\nbranchsim: forged: unknown key");
}

static void nearest_name_within_two_edits(void **state)
{
    (void)state;
    const char *keys[] = {"customers_per_day", "demand", "counters", "seed"};
    assert_int_equal(bs_text_distance("demnd", "demand", 5), 1);
    assert_int_equal(bs_text_distance("cuonters", "counters", 5), 1); /* a swap is one edit */
    assert_int_equal(bs_text_distance("abc", "xyz", 1), 2);             /* capped at limit + 1 */
    assert_string_equal(bs_text_nearest("demnd", keys, 4), "demand");
    assert_string_equal(bs_text_nearest("customer_per_day", keys, 4), "customers_per_day");
    assert_string_equal(bs_text_nearest("sed", keys, 4), "seed"); /* 1 edit of 3 letters */
    assert_null(bs_text_nearest("x", keys, 4));
    assert_null(bs_text_nearest("zzzzzz", keys, 4));
}

/* ---- event calendar ---- */

static void heap_pops_in_time_order(void **state)
{
    (void)state;
    struct bs_calendar cal;
    assert_int_equal(bs_cal_init(&cal, 1000), 0);
    gsl_rng *r = bs_rng_alloc();
    bs_stream_set(bs_rng_stream(r), 7, 0, 1, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(bs_cal_push(&cal, gsl_rng_uniform(r) * 100.0, 0, i), 0);
    assert_int_equal(bs_cal_push(&cal, 1.0, 0, 0), -1); /* full */
    struct bs_event ev;
    double last = -1;
    int n = 0;
    while (bs_cal_pop(&cal, &ev) == 0) {
        assert_true(ev.time_min >= last);
        last = ev.time_min;
        n++;
    }
    assert_int_equal(n, 1000);
    assert_int_equal(bs_cal_pop(&cal, &ev), -1);
    gsl_rng_free(r);
    bs_cal_fini(&cal);
}

static void heap_ties_fire_in_insertion_order(void **state)
{
    (void)state;
    struct bs_calendar cal;
    assert_int_equal(bs_cal_init(&cal, 64), 0);
    /* Interleave two times so the heap must reorder; equal times keep order. */
    for (int i = 0; i < 30; i++)
        assert_int_equal(bs_cal_push(&cal, (i % 2) ? 5.0 : 3.0, 0, i), 0);
    struct bs_event ev;
    int expect_even = 0, expect_odd = 1;
    for (int i = 0; i < 30; i++) {
        assert_int_equal(bs_cal_pop(&cal, &ev), 0);
        if (i < 15) {
            assert_true(ev.time_min == 3.0);
            assert_int_equal(ev.arg, expect_even);
            expect_even += 2;
        } else {
            assert_true(ev.time_min == 5.0);
            assert_int_equal(ev.arg, expect_odd);
            expect_odd += 2;
        }
    }
    bs_cal_reset(&cal);
    assert_int_equal(bs_cal_size(&cal), 0);
    bs_cal_fini(&cal);
}

/* Replacing the first event fires everything as a pop and a push would:
 * two calendars fed the same events, one each way. */
static void heap_replace_first_is_pop_then_push(void **state)
{
    (void)state;
    struct bs_calendar a, b;
    assert_int_equal(bs_cal_init(&a, 64), 0);
    assert_int_equal(bs_cal_init(&b, 64), 0);
    gsl_rng *r = bs_rng_alloc();
    bs_stream_set(bs_rng_stream(r), 11, 0, 1, 0);
    for (int i = 0; i < 20; i++) {
        double t = (double)(i % 5); /* ties too */
        assert_int_equal(bs_cal_push(&a, t, 0, i), 0);
        assert_int_equal(bs_cal_push(&b, t, 0, i), 0);
    }
    struct bs_event ea, eb;
    for (int i = 0; i < 200; i++) {
        eb = b.ev[0];
        assert_int_equal(bs_cal_pop(&a, &ea), 0);
        assert_true(ea.time_min == eb.time_min && ea.arg == eb.arg);
        double later = ea.time_min + (double)(int)(gsl_rng_uniform(r) * 4.0);
        if (i % 3 == 2) {
            bs_cal_drop_first(&b);
        } else {
            assert_int_equal(bs_cal_push(&a, later, 0, 100 + i), 0);
            bs_cal_replace_first(&b, later, 0, 100 + i);
        }
        if (bs_cal_size(&a) == 0)
            break;
    }
    assert_int_equal(bs_cal_size(&a), bs_cal_size(&b));
    while (bs_cal_pop(&a, &ea) == 0) {
        assert_int_equal(bs_cal_pop(&b, &eb), 0);
        assert_true(ea.time_min == eb.time_min && ea.arg == eb.arg);
    }
    gsl_rng_free(r);
    bs_cal_fini(&a);
    bs_cal_fini(&b);
}

/* ---- random streams ---- */

static void streams_same_key_same_numbers(void **state)
{
    (void)state;
    struct bs_stream a, b;
    bs_stream_set(&a, 42, 3, 1, 9);
    bs_stream_set(&b, 42, 3, 1, 9);
    for (int i = 0; i < 100; i++)
        assert_true(bs_stream_u64(&a) == bs_stream_u64(&b));
    /* Seeking back restarts the same sequence, whatever was drawn before. */
    uint64_t first[5];
    bs_stream_seek(&a, 2, 17);
    for (int i = 0; i < 5; i++)
        first[i] = bs_stream_u64(&a);
    bs_stream_seek(&a, 2, 18);
    (void)bs_stream_u64(&a);
    bs_stream_seek(&a, 2, 17);
    for (int i = 0; i < 5; i++)
        assert_true(bs_stream_u64(&a) == first[i]);
}

static int count_equal(struct bs_stream *a, struct bs_stream *b, int n)
{
    int same = 0;
    for (int i = 0; i < n; i++)
        same += bs_stream_u64(a) == bs_stream_u64(b);
    return same;
}

static void streams_differ_by_purpose_entity_replication_seed(void **state)
{
    (void)state;
    struct bs_stream a, b;
    bs_stream_set(&a, 42, 3, 1, 9);
    bs_stream_set(&b, 42, 3, 2, 9); /* purpose */
    assert_int_equal(count_equal(&a, &b, 1000), 0);
    bs_stream_set(&a, 42, 3, 1, 9);
    bs_stream_set(&b, 42, 3, 1, 10); /* entity */
    assert_int_equal(count_equal(&a, &b, 1000), 0);
    bs_stream_set(&a, 42, 3, 1, 9);
    bs_stream_set(&b, 42, 4, 1, 9); /* replication */
    assert_int_equal(count_equal(&a, &b, 1000), 0);
    bs_stream_set(&a, 42, 3, 1, 9);
    bs_stream_set(&b, 43, 3, 1, 9); /* seed */
    assert_int_equal(count_equal(&a, &b, 1000), 0);
}

static void uniforms_open_interval_and_moments(void **state)
{
    (void)state;
    gsl_rng *r = bs_rng_alloc();
    struct bs_stream check;
    bs_stream_set(bs_rng_stream(r), 5, 0, 3, 0);
    bs_stream_set(&check, 5, 0, 3, 0);
    const int n = 1000000;
    double sum = 0, sumsq = 0;
    for (int i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        assert_true(u > 0.0 && u < 1.0);
        if (i < 10) /* the GSL adapter hands out the stream's own numbers */
            assert_true(u == bs_stream_uniform(&check));
        sum += u;
        sumsq += u * u;
    }
    /* U(0,1): mean 1/2 with sd 1/sqrt(12); E[U^2] = 1/3 with sd sqrt(4/45). */
    assert_true(fabs(sum / n - 0.5) < 4 * sqrt(1.0 / 12.0 / n));
    assert_true(fabs(sumsq / n - 1.0 / 3.0) < 4 * sqrt(4.0 / 45.0 / n));
    gsl_rng_free(r);
}

/* ---- distributions ---- */

/* Checks sample mean and variance against theory within 4 standard errors;
 * the variance's standard error uses the sample's fourth central moment. */
static void check_moments(const struct bs_dist *d, double mean, double var, double min_value)
{
    gsl_rng *r = bs_rng_alloc();
    bs_stream_set(bs_rng_stream(r), 11, 0, 4, (uint64_t)d->kind);
    enum { N = 400000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    for (int i = 0; i < N; i++) {
        x[i] = bs_dist_sample(d, r);
        assert_true(x[i] >= min_value);
    }
    double m = gsl_stats_mean(x, 1, N);
    double v = gsl_stats_variance_m(x, 1, N, m);
    double m4 = 0;
    for (int i = 0; i < N; i++)
        m4 += pow(x[i] - m, 4);
    m4 /= N;
    double se_mean = sqrt(var / N), se_var = sqrt((m4 - v * v) / N);
    if (fabs(m - mean) >= 4 * se_mean || fabs(v - var) >= 4 * se_var)
        print_error("%s: mean %g (want %g, se %g) var %g (want %g, se %g)\n", bs_dist_names[d->kind], m, mean,
                    se_mean, v, var, se_var);
    assert_true(fabs(m - mean) < 4 * se_mean);
    assert_true(fabs(v - var) < 4 * se_var);
    free(x);
    gsl_rng_free(r);
}

static void distributions_match_their_moments(void **state)
{
    (void)state;
    struct bs_dist d;
    bs_dist_make(&d, BS_DIST_EXPONENTIAL, 4.0, 0, 0);
    check_moments(&d, 4.0, 16.0, 0);
    bs_dist_make(&d, BS_DIST_LOGNORMAL, 5.0, 0.6, 0); /* var = (cv*mean)^2 */
    check_moments(&d, 5.0, 9.0, 0);
    bs_dist_make(&d, BS_DIST_GAMMA, 6.0, 0.5, 0);
    check_moments(&d, 6.0, 9.0, 0);
    bs_dist_make(&d, BS_DIST_TRIANGULAR, 1.0, 2.0, 6.0);
    check_moments(&d, 3.0, (1 + 4 + 36 - 2 - 6 - 12) / 18.0, 1.0);
    bs_dist_make(&d, BS_DIST_CONSTANT, 2.5, 0, 0);
    assert_true(bs_dist_mean(&d) == 2.5);
    /* Normal far from 0: truncation is negligible. */
    bs_dist_make(&d, BS_DIST_NORMAL, 10.0, 1.0, 0);
    check_moments(&d, 10.0, 1.0, 0);
}

static void truncated_normal_matches_truncated_moments(void **state)
{
    (void)state;
    /* N(1, 2) truncated at 0: alpha = -mu/sd, lambda = phi(alpha)/Q(alpha),
     * mean = mu + sd*lambda, var = sd^2 (1 + alpha*lambda - lambda^2). */
    struct bs_dist d;
    bs_dist_make(&d, BS_DIST_NORMAL, 1.0, 2.0, 0);
    double alpha = -0.5, lambda = gsl_ran_ugaussian_pdf(alpha) / (1.0 - 0.308537538725987);
    double mean = 1.0 + 2.0 * lambda, var = 4.0 * (1 + alpha * lambda - lambda * lambda);
    assert_true(fabs(bs_dist_mean(&d) - mean) < 1e-9);
    check_moments(&d, mean, var, 0);
}

/* ---- statistics ---- */

static void quantile_by_selection_matches_sorting(void **state)
{
    (void)state;
    gsl_rng *r = bs_rng_alloc();
    bs_stream_set(bs_rng_stream(r), 3, 0, 5, 0);
    for (size_t n = 1; n < 200; n += 7) {
        double *x = malloc(n * sizeof *x), *sorted = malloc(n * sizeof *sorted);
        for (size_t i = 0; i < n; i++)
            x[i] = sorted[i] = floor(gsl_rng_uniform(r) * 20); /* ties too */
        gsl_sort(sorted, 1, n);
        for (double q = 0; q <= 1.0; q += 0.05) {
            double want = gsl_stats_quantile_from_sorted_data(sorted, 1, n, q);
            double got = bs_stats_quantile_inplace(x, n, q);
            assert_true(fabs(got - want) < 1e-12);
        }
        /* Several at once, each searching above the last. */
        const double qs[4] = {0.1, 0.5, 0.9, 0.95};
        double got[4];
        bs_stats_quantiles_inplace(x, n, qs, 4, got);
        for (int k = 0; k < 4; k++)
            assert_true(fabs(got[k] - gsl_stats_quantile_from_sorted_data(sorted, 1, n, qs[k])) < 1e-12);
        free(x);
        free(sorted);
    }
    assert_true(isnan(bs_stats_quantile_inplace(NULL, 0, 0.5)));
    /* Mostly equal values (many zero waits): the selection's partition
     * barely shrinks, and it hands over to GSL's selection after 16 rounds. */
    enum { N_EQUAL = 5000 };
    double *x = malloc(N_EQUAL * sizeof *x), *sorted = malloc(N_EQUAL * sizeof *sorted);
    for (size_t i = 0; i < N_EQUAL; i++)
        x[i] = sorted[i] = i % 1000 == 999 ? (double)i : 0.0;
    gsl_sort(sorted, 1, N_EQUAL);
    for (double q = 0; q <= 1.0; q += 0.01)
        assert_true(bs_stats_quantile_inplace(x, N_EQUAL, q) == gsl_stats_quantile_from_sorted_data(sorted, 1, N_EQUAL, q));
    free(x);
    free(sorted);
    gsl_rng_free(r);
}

static void summary_mean_sd_and_t_interval(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, NAN, 5};
    double s[BS_STAT_COUNT], scratch[6];
    bs_stats_summary(x, 1, 6, scratch, s);
    assert_true(s[BS_STAT_N] == 5);
    assert_true(fabs(s[BS_STAT_MEAN] - 3.0) < 1e-12);
    assert_true(fabs(s[BS_STAT_SD] - sqrt(2.5)) < 1e-12);
    /* t(0.975, 4) = 2.7764451051977987 */
    double half = 2.7764451051977987 * sqrt(2.5) / sqrt(5.0);
    assert_true(fabs(s[BS_STAT_CI95_LOW] - (3.0 - half)) < 1e-9);
    assert_true(fabs(s[BS_STAT_CI95_HIGH] - (3.0 + half)) < 1e-9);
    assert_true(s[BS_STAT_MIN] == 1 && s[BS_STAT_MAX] == 5);
    /* Percentiles of {1, 2, 3, 4, 5}, interpolated: p05 = 1.2, p50 = 3, p95 = 4.8. */
    assert_true(fabs(s[BS_STAT_P05] - 1.2) < 1e-12 && s[BS_STAT_P50] == 3 && fabs(s[BS_STAT_P95] - 4.8) < 1e-12);
    double one[] = {7};
    bs_stats_summary(one, 1, 1, scratch, s);
    assert_true(s[BS_STAT_MEAN] == 7 && isnan(s[BS_STAT_SD]) && isnan(s[BS_STAT_CI95_LOW]));
}

/* plan's one-sided bounds. Known values: with no success in n trials the
 * exact upper bound solves (1 - p)^n = 1 - c, so p = 1 - (1 - c)^(1/n); with
 * n of n the lower bound solves p^n = 1 - c, so p = (1 - c)^(1/n). For
 * n = 10, c = 0.95: 1 - 0.05^0.1 = 0.25886555089305230 and 0.05^0.1 =
 * 0.74113444910694770. 3 of 10 at c = 0.975 gives the textbook two-sided
 * 95 % Clopper-Pearson interval (0.0667, 0.6525); scipy 1.10 under
 * /usr/bin/python3: beta.ppf(0.975, 4, 7) = 0.6524528500599973,
 * beta.ppf(0.025, 3, 8) = 0.06673951117773447. The t bound of n = 16
 * values of mean 10, sd 2 at 0.95: t.ppf(0.95, 15) = 1.7530503556925547,
 * so 10 +- 1.7530503556925547 * 2 / 4. */
static void plan_bounds_match_known_values(void **state)
{
    (void)state;
    assert_true(fabs(bs_stats_binomial_bound(0, 10, 0.95, 1) - (1 - pow(0.05, 0.1))) < 1e-12);
    assert_true(fabs(bs_stats_binomial_bound(0, 10, 0.95, 1) - 0.2588655508930523) < 1e-12);
    assert_true(fabs(bs_stats_binomial_bound(10, 10, 0.95, 0) - pow(0.05, 0.1)) < 1e-12);
    assert_true(fabs(bs_stats_binomial_bound(10, 10, 0.95, 0) - 0.7411344491069477) < 1e-12);
    assert_true(bs_stats_binomial_bound(10, 10, 0.95, 1) == 1.0 && bs_stats_binomial_bound(0, 10, 0.95, 0) == 0.0);
    assert_true(fabs(bs_stats_binomial_bound(3, 10, 0.975, 1) - 0.6524528500599973) < 1e-10);
    assert_true(fabs(bs_stats_binomial_bound(3, 10, 0.975, 0) - 0.06673951117773447) < 1e-10);
    struct bs_moments m = {16, 10, 2};
    assert_true(fabs(bs_stats_mean_bound(&m, 0.95, 1) - (10 + 1.7530503556925547 * 2 / 4)) < 1e-10);
    assert_true(fabs(bs_stats_mean_bound(&m, 0.95, 0) - (10 - 1.7530503556925547 * 2 / 4)) < 1e-10);
    m = (struct bs_moments){1, 10, NAN};
    assert_true(isnan(bs_stats_mean_bound(&m, 0.95, 1)));
}

/* The moments are bs_stats_summary's, bitwise, NaNs left out. */
static void moments_are_the_summary_figures(void **state)
{
    (void)state;
    double x[] = {0.1, 2.7, NAN, 3.3, 1e-3, INFINITY, 5.9, 0.7}, s[BS_STAT_COUNT], scratch[8];
    struct bs_moments m;
    bs_stats_summary(x, 1, 8, scratch, s);
    bs_stats_moments(x, 1, 8, &m);
    assert_true(m.n == 6 && m.n == s[BS_STAT_N] && m.mean == s[BS_STAT_MEAN] && m.sd == s[BS_STAT_SD]);
    bs_stats_moments(x + 2, 1, 1, &m);
    assert_true(m.n == 0 && isnan(m.mean) && isnan(m.sd));
    bs_stats_moments(x, 1, 1, &m);
    assert_true(m.n == 1 && m.mean == 0.1 && isnan(m.sd));
}

/* ---- scenario reader ---- */

static char *write_temp(const char *text)
{
    static const char tmpl[] = "/tmp/bs_test_XXXXXX.yaml";
    char *path = malloc(sizeof tmpl);
    memcpy(path, tmpl, sizeof tmpl);
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Loads text as a scenario; returns the status and leaves the message in err. */
static int load_text(const char *text, struct bs_error *err, struct bs_loaded *ld, char **path_out)
{
    char *path = write_temp(text);
    memset(err, 0, sizeof *err);
    int st = bs_load(ld, path, err);
    if (path_out)
        *path_out = path;
    else {
        unlink(path);
        free(path);
    }
    return st;
}

#define MMC_BASE                                                     \
    "name: t\n"                                                      \
    "demand:\n"                                                      \
    "  customers_per_day: 100\n"                                     \
    "transactions:\n"                                                \
    "  - {name: a, share: 1, service_min: {dist: exponential, mean: 2}}\n" \
    "counters:\n"                                                    \
    "  - {role: general, count: 2}\n"

/* Text built by the tests below: free it. */
static char *repeat_text(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + n * strlen(unit) + strlen(tail) + 1;
    char *text = malloc(len);
    assert_non_null(text);
    strcpy(text, head);
    char *end = text + strlen(head);
    for (size_t i = 0; i < n; i++, end += strlen(unit))
        memcpy(end, unit, strlen(unit));
    strcpy(end, tail);
    return text;
}

static void expect_error(const char *text, const char *where_key)
{
    struct bs_error err;
    struct bs_loaded ld;
    char *path;
    int st = load_text(text, &err, &ld, &path);
    bs_load_fini(&ld);
    if (st != BS_ERR_INPUT || !strstr(err.msg, where_key))
        print_error("status %d, message: %s (wanted %s)\n", st, err.msg, where_key);
    assert_int_equal(st, BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, where_key));
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    free(path);
}

static void scenario_errors_name_line_column_and_key(void **state)
{
    (void)state;
    expect_error(MMC_BASE "demnd: {x: 1}\n", ":8:1: demnd: unknown key; did you mean demand?");
    expect_error("name: t\ndemand:\n  customers_per_day: -5\ntransactions: [{service_min: 2}]\n"
                 "counters: [{count: 1}]\n",
                 ":3:22: demand.customers_per_day: must be in");
    expect_error("name: t\ndemand: {customers_per_day: 10}\ntransactions:\n"
                 "  - {name: a, share: 0.5, service_min: 2}\n  - {name: b, share: 0.4, service_min: 3}\n"
                 "counters: [{count: 1}]\n",
                 ":4:3: transactions: shares must sum to 1");
    expect_error("name: t\ndemand: {customers_per_day: 10}\ntransactions:\n"
                 "  - {share: 1, service_min: {dist: weibull, mean: 2}}\ncounters: [{count: 1}]\n",
                 ":4:36: transactions.0.service_min.dist: 'weibull' is not one of");
    expect_error("name: t\ndemand: {customers_per_day: 10}\ntransactions:\n"
                 "  - {share: 1, service_min: {dist: lognormal, mean: 2, sd: 1}}\ncounters: [{count: 1}]\n",
                 "transactions.0.service_min.cv: required");
    expect_error("name: t\ndemand: {customers_per_day: 10}\ntransactions:\n"
                 "  - {share: 1, service_min: {dist: exponential, mean: 2, sd: 1}}\ncounters: [{count: 1}]\n",
                 ":4:58: transactions.0.service_min.sd: unknown key");
    expect_error(MMC_BASE "sweep: {demand.customer_per_day: [1, 2]}\n",
                 ":8:9: demand.customer_per_day: swept key is not a scenario key");
    expect_error("name: [unclosed\n", ":2:1: scenario: YAML syntax error");
    expect_error("just text\n", ":1:1: scenario: expected a mapping");
    expect_error(MMC_BASE "day: {open: \"25:00\"}\n", "day.open: expected a time");
    /* Lists every point reads in full are bounded. */
    char *serves = repeat_text("name: t\ndemand: {customers_per_day: 10}\ntransactions: [{service_min: 2}]\n"
                               "roles: [{name: r, serves: [general", ", general", 40,
                               "]}]\ncounters: [{role: r, count: 1}]\n");
    expect_error(serves, ":4:27: roles.0.serves: at most 32 classes");
    free(serves);
    char *booked = repeat_text(MMC_BASE "appointments: {booking_probability: 0.5, capacity_per_slot: 1, transactions: [a", ", a", 40, "]}\n");
    expect_error(booked, ":8:78: appointments.transactions: at most 32 transactions");
    free(booked);
    /* sscanf's %d overflowed on this one and wrapped it to 09:00; signs and spaces passed too. */
    expect_error(MMC_BASE "day: {open: \"4294967305:00\"}\n", ":8:13: day.open: expected a time");
    expect_error(MMC_BASE "day: {open: \"+9:-0\"}\n", ":8:13: day.open: expected a time");
    expect_error(MMC_BASE "day: {open: \" 9:00\"}\n", ":8:13: day.open: expected a time");
}

static void alias_cycles_are_refused_where_the_alias_is(void **state)
{
    (void)state;
    /* Each used to recurse until the stack overflowed. */
    expect_error(MMC_BASE "sweep: {name: [&x [*x]]}\n", ":8:20: scenario: the alias *x is inside the node it names");
    expect_error(MMC_BASE "balking: &x {threshold: 1, loop: *x}\nsweep: {balking: [*x]}\n",
                 ":8:34: scenario: the alias *x is inside");
    expect_error(MMC_BASE "sweep:\n  counters.0.count: [1, 2]\n  baseline: &b {counters.0.count: *b}\n",
                 ":10:35: scenario: the alias *b is inside");
    /* An alias of a finished node is fine. */
    struct bs_error err;
    struct bs_loaded ld;
    int st = load_text(MMC_BASE "sweep: {counters.0.count: &v [1, 2]}\nbaseline_copy: *v\n", &err, &ld, NULL);
    assert_int_equal(st, BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, ":9:1: baseline_copy: unknown key"));
    bs_load_fini(&ld);
}

static void alias_bombs_and_deep_nesting_are_refused_quickly(void **state)
{
    (void)state;
    /* Ten aliases of ten aliases ... : 10^12 values from a 700-byte file. */
    char text[4096] = MMC_BASE "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 12; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++) {
            len = strlen(text);
            snprintf(text + len, sizeof text - len, "%s*a%d", j ? ", " : "", i - 1);
        }
        strcat(text, "]\n");
    }
    strcat(text, "sweep: {name: [*a11]}\n");
    expect_error(text, ":14:10: scenario: this alias makes it more than 2000000 values");
    /* libyaml's scanner is quadratic in nesting: 300 000 levels took minutes. */
    char *deep = repeat_text(MMC_BASE "x: ", "[", 300000, "\n");
    expect_error(deep, ":8:67: scenario: nested more than 64 levels deep");
    free(deep);
    deep = repeat_text(MMC_BASE "x:\n", "- ", 100000, "1\n");
    expect_error(deep, ":9:127: scenario: nested more than 64 levels deep");
    free(deep);
    /* An alias can nest too: a 40-deep anchor used 40 deep. */
    char *anchor = repeat_text(MMC_BASE "a: &d ", "[", 40, "");
    char *both = repeat_text(anchor, "]", 40, "\nb: ");
    free(anchor);
    char *nested = repeat_text(both, "[", 40, "*d");
    char *closed = repeat_text(nested, "]", 40, "\n");
    expect_error(closed, ":9:44: scenario: this alias nests the document more than 64 levels deep");
    free(both);
    free(nested);
    free(closed);
}

static void tags_merge_keys_and_duplicates(void **state)
{
    (void)state;
    expect_error(MMC_BASE "x: !!python/object:os.system [ls]\n",
                 ":8:4: scenario: the tag tag:yaml.org,2002:python/object:os.system is not used");
    expect_error("name: !!binary aGVsbG8=\n", ":1:7: scenario: the tag tag:yaml.org,2002:binary");
    /* "\0" would end the C text: demand\0x would read as demand. */
    expect_error(MMC_BASE "\"demand\\0x\": 1\n", ":8:1: scenario: a NUL character in a value");
    expect_error(MMC_BASE "day: &b {hours: 8}\noutput:\n  <<: *b\n", ":10:3: output.<<: unknown key: YAML merge keys");
    expect_error(MMC_BASE "day:\n  hours: 8\n  open: \"08:00\"\n  hours: 9\n",
                 ":11:3: day.hours: duplicate key (first given on line 9)");
}

static void misspelt_keys_are_named_with_the_nearest_key(void **state)
{
    (void)state;
    /* A misspelt required key: reported as unknown, not as the key it left missing. */
    expect_error("name: t\ndemnd: {customers_per_day: 10}\ntransactions: [{service_min: 2}]\n"
                 "counters: [{count: 1}]\n",
                 ":2:1: demnd: unknown key; did you mean demand?");
    expect_error("name: t\ndemand: {customers_per_dya: 10}\ntransactions: [{service_min: 2}]\n"
                 "counters: [{count: 1}]\n",
                 ":2:10: demand.customers_per_dya: unknown key; did you mean customers_per_day?");
    expect_error("name: t\ndemand: {customers_per_day: 10}\ntransaktions: [{service_min: 2}]\n"
                 "counters: [{count: 1}]\n",
                 ":3:1: transaktions: unknown key; did you mean transactions?");
    /* Optional keys: found at the end, with the keys the model asked for there. */
    expect_error(MMC_BASE "balking: {threshold: 2, probablity: 0.5}\n",
                 ":8:25: balking.probablity: unknown key; did you mean probability?");
    expect_error(MMC_BASE "sweep: {balking: [{threshold: 1}, {threshold: 1, probablity: 1}]}\nbalking: {threshold: 2}\n",
                 ":8:50: sweep.balking.1.probablity: unknown key; did you mean probability?");
    /* A dotted key written in the file, where the model wants it nested. */
    expect_error("name: t\ndemand.customers_per_day: 10\ndemand: {}\ntransactions: [{service_min: 2}]\n"
                 "counters: [{count: 1}]\n",
                 ":2:1: demand.customers_per_day: unknown key; dotted keys are for sweeps: in the file, nest it "
                 "(demand: {customers_per_day: ...})");
    expect_error(MMC_BASE "balking.threshold: 3\n", ":8:1: balking.threshold: unknown key; dotted keys are for sweeps");
    expect_error(MMC_BASE "zzzz: 1\n", ":8:1: zzzz: unknown key; the keys here are name, seed, replications, sweep,");
    /* Swept keys that name nothing. */
    expect_error(MMC_BASE "sweep: {demand.customer_per_day: [1, 2]}\n",
                 ":8:9: demand.customer_per_day: swept key is not a scenario key that this scenario reads; did you "
                 "mean demand.customers_per_day?");
    expect_error(MMC_BASE "sweep: {counters.3.count: [1, 2]}\n",
                 "counters.3.count: swept key is not a scenario key that this scenario reads; counters has 1 "
                 "entries, numbered from 0");
    expect_error(MMC_BASE "sweep: {balking.threshold: [1, 2]}\n",
                 "the scenario has no balking: a sweep replaces values, it adds no sections");
    expect_error(MMC_BASE "balking: {threshold: 2}\nsweep: {balking: [{threshold: 1}], balking.threshold: [1]}\n",
                 ":9:36: balking.threshold: swept together with balking, which it is part of");
}

static void sweep_grid_points_last_key_fastest(void **state)
{
    (void)state;
    struct bs_error err;
    struct bs_loaded ld;
    int st = load_text(MMC_BASE "sweep:\n  demand.customers_per_day: [10, 20]\n  counters.0.count: [1, 2, 3]\n",
                       &err, &ld, NULL);
    if (st)
        print_error("%s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(ld.n_points, 6);
    const char *want[6][2] = {{"10", "1"}, {"10", "2"}, {"10", "3"}, {"20", "1"}, {"20", "2"}, {"20", "3"}};
    for (int p = 0; p < 6; p++)
        for (int k = 0; k < 2; k++)
            assert_string_equal(ld.key_values[p * 2 + k], want[p][k]);
    bs_load_fini(&ld);
    st = load_text(MMC_BASE "sweep:\n  mode: zip\n  demand.customers_per_day: [10, 20]\n  counters.0.count: [1, 2]\n",
                   &err, &ld, NULL);
    assert_int_equal(st, 0);
    assert_int_equal(ld.n_points, 2);
    assert_string_equal(ld.key_values[1 * 2 + 1], "2");
    bs_load_fini(&ld);
    /* Explicit points, bracket keys, a baseline by values. */
    st = load_text(MMC_BASE "sweep:\n  points:\n    - counters[0].count: 1\n      demand.customers_per_day: 50\n"
                            "    - demand.customers_per_day: 80\n      counters[0].count: 3\n"
                            "  baseline:\n    counters[0].count: 3\n",
                   &err, &ld, NULL);
    if (st)
        print_error("%s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(ld.n_points, 2);
    assert_string_equal(ld.sweep.keys[0], "counters.0.count");
    assert_string_equal(ld.key_values[1 * 2 + 0], "3");
    assert_string_equal(ld.key_values[1 * 2 + 1], "80");
    assert_int_equal(ld.sweep.baseline, 1);
    bs_load_fini(&ld);
    assert_int_equal(load_text(MMC_BASE "sweep:\n  points: [{counters.0.count: 1}, {demand.customers_per_day: 5}]\n",
                               &err, &ld, NULL), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "every point names the same keys"));
    bs_load_fini(&ld);
    assert_int_equal(load_text(MMC_BASE "sweep:\n  points: [{counters.0.count: 1}]\n  demand.customers_per_day: [1]\n",
                               &err, &ld, NULL), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "either points or lists"));
    bs_load_fini(&ld);
    /* A swept key must be a dotted name, not a list or mapping. */
    assert_int_equal(load_text(MMC_BASE "sweep:\n  ? [counters, 0]\n  : [1, 2]\n", &err, &ld, NULL), BS_ERR_INPUT);
    assert_non_null(strstr(err.msg, ":9:5: sweep: keys must be dotted scenario keys"));
    bs_load_fini(&ld);
}

/* Every value lies in its bin's [lo, hi); bins grow with the value; a bin
 * is 1/16 min wide below 64 min and at most 1/512 of its start below 1024;
 * above, one bin up to the maximum. */
static void pooled_bins_hold_their_values(void **state)
{
    (void)state;
    assert_int_equal(bs_pool_bin(0), 0);
    assert_int_equal(bs_pool_bin(-1), 0);
    assert_int_equal(bs_pool_bin(2000), BS_POOL_BINS - 1);
    size_t last = 0;
    for (double v = 1e-9; v < 1100; v = v * 1.0003 + 1e-6) {
        size_t b = bs_pool_bin(v);
        double lo, hi;
        bs_pool_bin_edges(b, 5000, &lo, &hi);
        if (!(lo <= v && v < hi))
            print_error("%.17g in bin %zu [%.17g, %.17g)\n", v, b, lo, hi);
        assert_true(lo <= v && v < hi);
        assert_true(b >= last);
        last = b;
        if (v < 64)
            assert_true(hi - lo == 1.0 / BS_POOL_BINS_PER_MIN);
        else if (v < BS_POOL_TOP_MIN)
            assert_true(hi - lo <= lo / 512);
    }
    /* bins meet: each ends where the next starts */
    for (size_t b = 1; b + 2 < BS_POOL_BINS; b++) {
        double lo, hi, lo2, hi2;
        bs_pool_bin_edges(b, 0, &lo, &hi);
        bs_pool_bin_edges(b + 1, 0, &lo2, &hi2);
        assert_true(hi == lo2);
    }
}

/* Percentiles fall in the bin of order statistic ceil(q n): 0 where it is a
 * zero wait; the maximum bounds the last. */
static void pooled_quantiles_find_the_order_statistic(void **state)
{
    (void)state;
    uint64_t counts[BS_POOL_BINS] = {0};
    counts[0] = 50;                 /* 50 zero waits */
    counts[bs_pool_bin(3.01)] = 40; /* 40 in [3, 3.0625) */
    counts[bs_pool_bin(1500)] = 10; /* 10 beyond 1024 min, the largest 1500 */
    assert_true(bs_pool_quantile(counts, 0.5, 1500) == 0);
    double q = bs_pool_quantile(counts, 0.9, 1500);
    assert_true(q >= 3 && q < 3.0625);
    q = bs_pool_quantile(counts, 0.95, 1500);
    assert_true(q > 1024 && q <= 1500);
    assert_true(bs_pool_quantile(counts, 1, 1500) <= 1500);
    uint64_t none[BS_POOL_BINS] = {0};
    assert_true(isnan(bs_pool_quantile(none, 0.5, NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pooled_bins_hold_their_values),
        cmocka_unit_test(pooled_quantiles_find_the_order_statistic),
        cmocka_unit_test(escape_makes_control_characters_visible),
        cmocka_unit_test(nearest_name_within_two_edits),
        cmocka_unit_test(heap_pops_in_time_order),
        cmocka_unit_test(heap_ties_fire_in_insertion_order),
        cmocka_unit_test(heap_replace_first_is_pop_then_push),
        cmocka_unit_test(streams_same_key_same_numbers),
        cmocka_unit_test(streams_differ_by_purpose_entity_replication_seed),
        cmocka_unit_test(uniforms_open_interval_and_moments),
        cmocka_unit_test(distributions_match_their_moments),
        cmocka_unit_test(truncated_normal_matches_truncated_moments),
        cmocka_unit_test(quantile_by_selection_matches_sorting),
        cmocka_unit_test(summary_mean_sd_and_t_interval),
        cmocka_unit_test(plan_bounds_match_known_values),
        cmocka_unit_test(moments_are_the_summary_figures),
        cmocka_unit_test(scenario_errors_name_line_column_and_key),
        cmocka_unit_test(sweep_grid_points_last_key_fastest),
        cmocka_unit_test(alias_cycles_are_refused_where_the_alias_is),
        cmocka_unit_test(alias_bombs_and_deep_nesting_are_refused_quickly),
        cmocka_unit_test(tags_merge_keys_and_duplicates),
        cmocka_unit_test(misspelt_keys_are_named_with_the_nearest_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
