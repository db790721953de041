/* Service standards (models/standards.c): the share of customers within a
 * threshold against the M/M/c formulas, the customers a standard covers on a
 * day built so that every customer's figures are known, the defaults, and
 * bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "queueing.h"

#define TOLERANCE_SE 4.0

static double std_figure(const struct harness *h, enum bs_standard_metric m, size_t j)
{
    return harness_breakdown(h, BS_BD_STANDARDS, m, j);
}

/* Pooled ratio sum(y)/sum(n) over independent days and its standard error
 * sqrt(sum (y_r - R n_r)^2 / (D(D-1))) / mean(n), as in test_erlang.c. */
struct pooled {
    double sum_y, sum_n, sum_yy, sum_yn, sum_nn;
    int days;
};

static void pooled_add(struct pooled *p, double y, double n)
{
    p->sum_y += y, p->sum_n += n, p->sum_yy += y * y, p->sum_yn += y * n, p->sum_nn += n * n;
    p->days++;
}

static void pooled_check(const char *what, const struct pooled *p, double want)
{
    double r = p->sum_y / p->sum_n, d = p->days;
    double v = p->sum_yy - 2 * r * p->sum_yn + r * r * p->sum_nn;
    double se = sqrt(v / (d * (d - 1))) / (p->sum_n / d);
    print_message("  %-22s simulated %.5f +- %.5f (se)   formula %.5f   (%.1f se)\n", what, r, se, want,
                  fabs(r - want) / se);
    assert_true(se > 0);
    assert_true(fabs(r - want) < TOLERANCE_SE * se);
}

/* M/M/4, lambda 3.2/min, mu 1/min, in steady state (a 24-hour day, counted
 * after 12 hours), theta = c mu - lambda:
 *   P(W <= t) = 1 - C(c, a) exp(-theta t)                          (Erlang C)
 *   P(S <= t) = 1 - exp(-mu t)
 *   P(T <= t) = 1 - exp(-mu t) - C mu / (theta - mu) (exp(-mu t) - exp(-theta t))
 * (T = W + S with S independent of W: the convolution of the two tails).
 * Also: covered is every counted customer, and met is share_within >= share. */
static void shares_within_match_mmc_formulas(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 24}\ndemand: {customers_per_day: 4608}\n"
                        "transactions: [{service_min: {dist: exponential, mean: 1}}]\n"
                        "counters: [{count: 4}]\noutput: {warmup_min: 720}\n"
                        "standards:\n"
                        "  - {name: wait_half, quantity: wait_min, within_min: 0.5, share: 0.6}\n"
                        "  - {name: service_1, quantity: service_min, within_min: 1}\n"
                        "  - {name: stay_2, quantity: time_in_branch_min, within_min: 2, share: 0.6}\n");
    const int c = 4, days = 1000;
    const double lambda = 3.2, mu = 1, a = lambda / mu, theta = c * mu - lambda, C = erlang_c(c, a);
    const double t[3] = {0.5, 1, 2};
    const double want[3] = {1 - C * exp(-theta * t[0]), 1 - exp(-mu * t[1]),
                            1 - exp(-mu * t[2]) - C * mu / (theta - mu) * (exp(-mu * t[2]) - exp(-theta * t[2]))};
    struct pooled p[3] = {{0}};
    int met_days = 0, defined_days = 0;
    for (int r = 0; r < days; r++) {
        assert_int_equal(harness_day(&h, 0, 2026, (uint64_t)r), 0);
        for (size_t j = 0; j < 3; j++) {
            double share = std_figure(&h, BS_STM_SHARE_WITHIN, j), n = std_figure(&h, BS_STM_COVERED, j);
            double met = std_figure(&h, BS_STM_MET, j);
            assert_true(n == (double)h.day->tally.n_wait_samples);
            assert_true(met == (share >= h.ld.points[0]->standards[j].share));
            pooled_add(&p[j], share * n, n);
        }
        met_days += std_figure(&h, BS_STM_MET, 0) == 1;
        defined_days++;
    }
    print_message("M/M/4, rho 0.8, %d days; wait_half met on %d\n", days, met_days);
    pooled_check("P(W <= 0.5) (Erlang C)", &p[0], want[0]);
    pooled_check("P(S <= 1)", &p[1], want[1]);
    pooled_check("P(W + S <= 2)", &p[2], want[2]);
    /* Its share, 0.6, is P(W <= 0.5) itself: met on some days, not all. */
    assert_true(met_days > 0 && met_days < defined_days);
    harness_fini(&h);
}

/* Service times known per customer: 2 or 4 minutes by transaction, twice
 * that for the elderly; 500 counters for 400 customers, so nobody waits and
 * a stay is its service. Each standard must count exactly the customers its
 * segments and transactions name, among those arriving after the warm-up. */
static const char *const cover_yaml =
    "day: {hours: 8}\ndemand: {customers_per_day: 400}\noutput: {warmup_min: 60}\n"
    "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3, service_factor: 2}]\n"
    "transactions: [{name: short, share: 0.6, service_min: 2}, {name: long, share: 0.4, service_min: 4}]\n"
    "counters: [{count: 500}]\n"
    "standards:\n"
    "  - {name: all_service, quantity: service_min, within_min: 4.5, share: 0.9}\n"
    "  - {name: elderly_service, quantity: service_min, within_min: 5, segments: [elderly]}\n"
    "  - {name: long_stay, quantity: time_in_branch_min, within_min: 5, transactions: [long], share: 0.5}\n"
    "  - {name: general_short_wait, quantity: wait_min, within_min: 1, segments: [general],\n"
    "     transactions: [short], share: 1}\n";

static void check_cover(const struct harness *h, size_t j, double covered, double within, double share)
{
    double got = std_figure(h, BS_STM_SHARE_WITHIN, j);
    assert_true(std_figure(h, BS_STM_COVERED, j) == covered);
    assert_true(got == within / covered);
    assert_true(std_figure(h, BS_STM_MET, j) == (within / covered >= share));
}

static void restriction_picks_the_right_customers(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, cover_yaml);
    const struct bs_scenario *sc = h.ld.points[0];
    assert_int_equal(sc->standards_by_transaction, 1);
    for (uint64_t r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 7, r), 0);
        const struct bs_day *day = h.day;
        double n[2][2] = {{0}}; /* [segment][transaction], counted customers */
        for (size_t i = 0; i < day->n_customers; i++) {
            int seg = day->cust.segment[i], tr = day->cust.transaction[i];
            assert_true(day->cust.service_min[i] == (tr ? 4.0 : 2.0) * (seg ? 2.0 : 1.0)); /* the kept transaction */
            n[seg][tr] += day->cust.arrival_min[i] >= sc->warmup_min;
        }
        double all = n[0][0] + n[0][1] + n[1][0] + n[1][1], elderly = n[1][0] + n[1][1];
        assert_true(h.out.row[BS_M_WAIT_MAX_MIN] == 0);
        check_cover(&h, 0, all, all - n[1][1], 0.9);        /* only elderly long (8 min) is over 4.5 */
        check_cover(&h, 1, elderly, n[1][0], 0.95);         /* elderly: 4 min in, 8 min out */
        check_cover(&h, 2, n[0][1] + n[1][1], n[0][1], 0.5); /* long stays: 4 in, 8 out */
        check_cover(&h, 3, n[0][0], n[0][0], 1);            /* nobody waits */
        /* Per segment: every standard covering a general customer is met;
         * an elderly long one fails all_service. */
        assert_true(harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_SHARE_WITHIN_STANDARDS, 0) == 1);
        assert_true(harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_SHARE_WITHIN_STANDARDS, 1) == n[1][0] / elderly);
    }
    harness_fini(&h);
}

/* The same customers whether or not the day keeps their transactions: a
 * standard by transaction changes no draw. */
static void standards_change_no_other_figure(void **state)
{
    (void)state;
    struct harness a, b;
    harness_load_ok(&a, cover_yaml);
    harness_load_ok(&b, "day: {hours: 8}\ndemand: {customers_per_day: 400}\noutput: {warmup_min: 60}\n"
                        "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3, service_factor: 2}]\n"
                        "transactions: [{name: short, share: 0.6, service_min: 2}, {name: long, share: 0.4, "
                        "service_min: 4}]\ncounters: [{count: 500}]\n");
    for (uint64_t r = 0; r < 5; r++) {
        assert_int_equal(harness_day(&a, 0, 11, r), 0);
        assert_int_equal(harness_day(&b, 0, 11, r), 0);
        assert_memory_equal(a.out.row, b.out.row, BS_M_COUNT * sizeof(double));
    }
    harness_fini(&a);
    harness_fini(&b);
}

/* A standard that covers nobody on a day has no share and is neither met
 * nor missed (NaN); covered is 0. */
static void a_day_covering_nobody_is_undefined(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "demand: {customers_per_day: 50}\n"
                        "segments: [{name: general, share: 1}, {name: nobody, share: 0}]\n"
                        "transactions: [{service_min: 2}]\ncounters: [{count: 2}]\n"
                        "standards: [{name: none, quantity: wait_min, within_min: 5, segments: [nobody]},\n"
                        "            {name: all, quantity: wait_min, within_min: 5}]\n");
    assert_int_equal(harness_day(&h, 0, 1, 0), 0);
    assert_true(isnan(std_figure(&h, BS_STM_SHARE_WITHIN, 0)) && isnan(std_figure(&h, BS_STM_MET, 0)));
    assert_true(std_figure(&h, BS_STM_COVERED, 0) == 0);
    assert_true(std_figure(&h, BS_STM_COVERED, 1) > 0 && std_figure(&h, BS_STM_MET, 1) == 1);
    assert_true(isnan(harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_SHARE_WITHIN_STANDARDS, 1)));
    harness_fini(&h);
}

/* Under an occupancy cap the wait a standard reads is the whole wait, the
 * line outside included: start - arrival for every counted customer (no
 * kiosks here); the time in branch is start + service - arrival. */
static void wait_standard_reads_the_whole_wait_under_a_cap(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 4}\ndemand: {customers_per_day: 200}\noutput: {warmup_min: 30}\n"
                        "transactions: [{service_min: {dist: exponential, mean: 1.5}}]\ncounters: [{count: 2}]\n"
                        "entrance: {occupancy_cap: 2}\n"
                        "standards: [{name: w, quantity: wait_min, within_min: 3},\n"
                        "            {name: t, quantity: time_in_branch_min, within_min: 4}]\n");
    double outside_days = 0;
    for (uint64_t r = 0; r < 10; r++) {
        assert_int_equal(harness_day(&h, 0, 5, r), 0);
        const struct bs_day *day = h.day;
        double counted = 0, wait_within = 0, stay_within = 0;
        for (size_t i = 0; i < day->n_customers; i++) {
            double start = day->cust.start_min[i], arrival = day->cust.arrival_min[i];
            if (!(start == start) || arrival < h.ld.points[0]->warmup_min)
                continue;
            counted++;
            wait_within += start - arrival <= 3;
            stay_within += start + day->cust.service_min[i] - arrival <= 4;
        }
        assert_true(std_figure(&h, BS_STM_COVERED, 0) == counted);
        assert_true(std_figure(&h, BS_STM_SHARE_WITHIN, 0) == wait_within / counted);
        assert_true(std_figure(&h, BS_STM_SHARE_WITHIN, 1) == stay_within / counted);
        outside_days += h.out.row[BS_M_WAIT_OUTSIDE_MEAN_MIN] > 0;
    }
    assert_true(outside_days > 0); /* some waited outside: the check compared something */
    harness_fini(&h);
}

/* Without a section: wait_10min and service_10min, 10 minutes, 95 %, every
 * customer: the complements of share_wait_over_10min and
 * share_service_over_10min, day by day (on the default day, which has
 * several segments, choices off, and waits over 10 minutes). */
static void defaults_are_the_ten_minute_standards(void **state)
{
    (void)state;
    FILE *f = fopen("scenarios/default.yaml", "r");
    assert_non_null(f);
    static char text[16384];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    struct harness h;
    harness_load_ok(&h, text);
    const struct bs_scenario *sc = h.ld.points[0];
    assert_int_equal(sc->n_standards, 2);
    assert_string_equal(sc->standards[0].name, "wait_10min");
    assert_string_equal(sc->standards[1].name, "service_10min");
    assert_int_equal(sc->standards[0].quantity, BS_SQ_WAIT);
    assert_int_equal(sc->standards[1].quantity, BS_SQ_SERVICE);
    assert_int_equal(sc->standards_by_transaction, 0);
    double over_days = 0;
    for (size_t j = 0; j < 2; j++)
        assert_true(sc->standards[j].within_min == 10 && sc->standards[j].share == 0.95);
    for (uint64_t r = 0; r < 30; r++) {
        assert_int_equal(harness_day(&h, 0, 3, r), 0);
        double w = h.out.row[BS_M_SHARE_WAIT_OVER_10MIN], s = h.out.row[BS_M_SHARE_SERVICE_OVER_10MIN];
        assert_true(fabs(std_figure(&h, BS_STM_SHARE_WITHIN, 0) - (1 - w)) < 1e-12);
        assert_true(fabs(std_figure(&h, BS_STM_SHARE_WITHIN, 1) - (1 - s)) < 1e-12);
        assert_true(std_figure(&h, BS_STM_COVERED, 0) == (double)h.day->tally.n_wait_samples);
        over_days += w > 0;
    }
    assert_true(over_days > 0); /* the check compared something */
    harness_fini(&h);
}

#define BAD_BASE                                                                                                   \
    "demand: {customers_per_day: 100}\n"                                                                           \
    "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3}]\n"                                       \
    "transactions: [{name: cash, share: 0.5, service_min: 2}, {name: account, share: 0.5, service_min: 9}]\n"      \
    "counters: [{count: 2}]\n"

static void bad_standards_name_line_column_key_and_what_is_allowed(void **state)
{
    (void)state;
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wiat_min, within_min: 5}]\n",
                               ":5:33: standards.0.quantity: 'wiat_min' is not a quantity (wait_min, service_min, "
                               "time_in_branch_min); did you mean wait_min?");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, segments: [eldrly]}]\n",
                               ":5:69: standards.0.segments.0: 'eldrly' is not a segment (general, elderly); "
                               "did you mean elderly?");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, transactions: [csh]}]\n",
                               ":5:73: standards.0.transactions.0: 'csh' is not a transaction (cash, account); "
                               "did you mean cash?");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 0}]\n",
                               ":5:55: standards.0.within_min: must be in (0, 1e+06], got 0");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: -3}]\n",
                               ":5:55: standards.0.within_min: must be in (0, 1e+06], got -3");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: .nan}]\n",
                               ":5:55: standards.0.within_min: expected a number in (0, 1e+06], got '.nan'");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: .inf}]\n",
                               ":5:55: standards.0.within_min: expected a number in (0, 1e+06], got '.inf'");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, share: 0}]\n",
                               ":5:65: standards.0.share: must be in (0, 1], got 0");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, share: 1.5}]\n",
                               ":5:65: standards.0.share: must be in (0, 1], got 1.5");
    harness_expect_input_error(BAD_BASE "standards:\n  - {name: a, quantity: wait_min, within_min: 5}\n"
                                        "  - {name: a, quantity: service_min, within_min: 5}\n",
                               ":7:12: standards.1.name: standard 'a' is named twice (standards.0.name)");
    harness_expect_input_error(BAD_BASE "standards: [{name: elderly-wait, quantity: wait_min, within_min: 5}]\n",
                               ":5:20: standards.0.name: 'elderly-wait': a standard's name is letters, digits");
    harness_expect_input_error(BAD_BASE "standards: [{quantity: wait_min, within_min: 5}]\n",
                               ":5:13: standards.0.name: required: a name of letters, digits and '_'");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, within_min: 5}]\n",
                               ":5:13: standards.0.quantity: required: a quantity (wait_min, service_min, "
                               "time_in_branch_min)");
    harness_expect_input_error(BAD_BASE "standards: {name: a}\n", ":5:12: standards: expected a list");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min}]\n",
                               ":5:13: standards.0.within_min: required: a number in (0, 1e+06]");
    harness_expect_input_error(BAD_BASE "standards: []\n", ":5:12: standards: a list of at least one");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, segments: []}]\n",
                               ":5:68: standards.0.segments: an empty list covers nobody");
    harness_expect_input_error(BAD_BASE "standards: [{name: a, quantity: wait_min, within_min: 5, segmnts: [general]}]\n",
                               ":5:58: standards.0.segmnts: unknown key; did you mean segments?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_standards_name_line_column_key_and_what_is_allowed),
        cmocka_unit_test(defaults_are_the_ten_minute_standards),
        cmocka_unit_test(restriction_picks_the_right_customers),
        cmocka_unit_test(a_day_covering_nobody_is_undefined),
        cmocka_unit_test(wait_standard_reads_the_whole_wait_under_a_cap),
        cmocka_unit_test(standards_change_no_other_figure),
        cmocka_unit_test(shares_within_match_mmc_formulas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
