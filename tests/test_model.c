/* Tests of the branch day against theory and conservation laws:
 *  - demand profile: counts per block are Poisson with the block's mean
 *    (dispersion test, chi-square with R degrees of freedom);
 *  - priority lines: M/M/1 with two classes matches Cobham's non-preemptive
 *    priority formula W_k = W0 / ((1 - s_{k-1})(1 - s_k)), W0 = sum l_i E[S_i^2]/2;
 *  - reneging with zero patience: everyone who must wait leaves at once, and
 *    the share lost is the Erlang loss formula B(c, a);
 *  - schedules: no service starts at a closed counter; a closing counter
 *    finishes its customer;
 *  - Little's law and conservation on the default scenario, every replication;
 *  - the whole wait under an occupancy cap: outside + inside for every
 *    customer and day, and with cap = counters = 1 the M/D/1 wait
 *    (Pollaczek-Khinchine), all of it outside;
 *  - balking at the door on the line outside the cap: the share who balk is
 *    that of a birth-death chain (M/M/1/2 when all balk);
 *  - pooled (per-customer) percentiles within one histogram bin of the
 *    exact order statistics of every customer's value, sums exact;
 *  - the memory estimate's bytes per customer (bs_customer_bytes) are what
 *    the customers part allocates.
 * Tolerances are 4 standard errors of ratio estimators over independent
 * replications (see test_erlang.c). */
#include <malloc.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "harness.h"

#define TOLERANCE_SE 4.0

struct ratio {
    double sum_y, sum_n, sum_yy, sum_yn, sum_nn;
    int reps;
};

static void ratio_add(struct ratio *r, double y, double n)
{
    r->sum_y += y;
    r->sum_n += n;
    r->sum_yy += y * y;
    r->sum_yn += y * n;
    r->sum_nn += n * n;
    r->reps++;
}

/* Pooled ratio sum(y)/sum(n) and its standard error
 * sqrt(sum (y - R n)^2 / (reps (reps - 1))) / mean(n). */
static void ratio_check(const char *what, const struct ratio *r, double want)
{
    double R = r->sum_y / r->sum_n;
    double ss = r->sum_yy - 2 * R * r->sum_yn + R * R * r->sum_nn;
    double se = sqrt(ss / ((double)r->reps * (r->reps - 1))) / (r->sum_n / r->reps);
    print_message("  %-22s simulated %.5f +- %.5f (se)   theory %.5f   (%.1f se)\n", what, R, se, want,
                  fabs(R - want) / se);
    assert_true(se > 0);
    assert_true(fabs(R - want) < TOLERANCE_SE * se);
}

static void profile_counts_are_poisson_per_block(void **state)
{
    (void)state;
    /* 32 blocks of 15 minutes; one short peak and one empty block. */
    static const double weights[32] = {1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 12, 1, 1, 0, 1,
                                       1, 1, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 1};
    char yaml[2048] = "day: {hours: 8}\ndemand:\n  customers_per_day: 640\n  profile: [";
    double sum = 0;
    for (int b = 0; b < 32; b++) {
        size_t len = strlen(yaml);
        snprintf(yaml + len, sizeof yaml - len, "%s%g", b ? ", " : "", weights[b]);
        sum += weights[b];
    }
    strcat(yaml, "]\ntransactions: [{service_min: 1}]\ncounters: [{count: 2}]\n");
    struct harness h;
    harness_load_ok(&h, yaml);
    enum { R = 2000 };
    double dispersion[32] = {0};
    for (int r = 0; r < R; r++) {
        assert_int_equal(harness_day(&h, 0, 99, (uint64_t)r), 0);
        int count[32] = {0};
        for (size_t i = 0; i < h.day->n_customers; i++) {
            double t = h.day->cust.arrival_min[i];
            assert_true(t >= 0 && t < 480);
            if (i > 0)
                assert_true(t >= h.day->cust.arrival_min[i - 1]); /* arrivals in time order */
            count[(int)(t / 15.0)]++;
        }
        for (int b = 0; b < 32; b++) {
            double mean = 640.0 * weights[b] / sum;
            if (mean == 0)
                assert_int_equal(count[b], 0);
            else
                dispersion[b] += (count[b] - mean) * (count[b] - mean) / mean;
        }
    }
    /* Poisson counts with known means: sum (n - m)^2 / m over R days is
     * approximately chi-square with R degrees of freedom. Two-sided test at
     * significance 1e-4 per block. Also the mean count within 4 SE. */
    for (int b = 0; b < 32; b++) {
        if (weights[b] == 0)
            continue;
        double p = gsl_cdf_chisq_P(dispersion[b], R);
        if (p < 0.5e-4 || p > 1 - 0.5e-4)
            print_error("block %d: dispersion %g, P = %g\n", b, dispersion[b], p);
        assert_true(p > 0.5e-4 && p < 1 - 0.5e-4);
    }
    harness_fini(&h);
}

static void priority_matches_cobham(void **state)
{
    (void)state;
    /* lambda = 0.8/min split 30/70, exponential service mean 1 min: rho = 0.8. */
    const double lambda = 0.8, share_hi = 0.3, warmup = 720;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 24}\n"
                "demand: {customers_per_day: 1152}\n"
                "segments: [{name: hi, share: 0.3}, {name: lo, share: 0.7}]\n"
                "transactions: [{service_min: {dist: exponential, mean: 1}}]\n"
                "roles: [{name: single, serves: [hi, lo]}]\n"
                "counters: [{role: single, count: 1}]\n");
    double w0 = lambda * 2.0 / 2.0; /* sum lambda_i E[S^2] / 2 with E[S^2] = 2 */
    double s_hi = lambda * share_hi, s_all = lambda;
    double want_hi = w0 / (1 - s_hi), want_lo = w0 / ((1 - s_hi) * (1 - s_all));
    struct ratio hi = {0}, lo = {0};
    for (int r = 0; r < 1500; r++) {
        assert_int_equal(harness_day(&h, 0, 7, (uint64_t)r), 0);
        double sum[2] = {0, 0}, n[2] = {0, 0};
        for (size_t i = 0; i < h.day->n_customers; i++) {
            if (h.day->cust.arrival_min[i] < warmup)
                continue;
            int s = h.day->cust.segment[i];
            sum[s] += h.day->cust.start_min[i] - h.day->cust.arrival_min[i];
            n[s] += 1;
        }
        ratio_add(&hi, sum[0], n[0]);
        ratio_add(&lo, sum[1], n[1]);
    }
    print_message("M/M/1 with two priority classes (Cobham)\n");
    ratio_check("W high priority (min)", &hi, want_hi);
    ratio_check("W low priority (min)", &lo, want_lo);
    harness_fini(&h);
}

static double erlang_b(int c, double a)
{
    double b = 1.0; /* B(0) = 1; B(k) = a B(k-1) / (k + a B(k-1)) */
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

static void zero_patience_reneges_everyone_who_must_wait(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 24}\n"
                "demand: {customers_per_day: 2880}\n" /* 2 per minute */
                "transactions: [{service_min: {dist: exponential, mean: 1}}]\n"
                "counters: [{count: 3}]\n"
                "reneging: {patience_min: 0}\n");
    struct ratio lost = {0};
    for (int r = 0; r < 1000; r++) {
        assert_int_equal(harness_day(&h, 0, 5, (uint64_t)r), 0);
        double n = 0, reneged = 0;
        for (size_t i = 0; i < h.day->n_customers; i++) {
            int st = h.day->cust.state[i];
            assert_true(st == BS_CUST_SERVED || st == BS_CUST_RENEGED);
            if (st == BS_CUST_SERVED)
                assert_true(h.day->cust.start_min[i] == h.day->cust.arrival_min[i]); /* nobody served after waiting */
            if (h.day->cust.arrival_min[i] >= 60) {
                n += 1;
                reneged += st == BS_CUST_RENEGED;
            }
        }
        assert_true(harness_metric(&h, BS_M_RENEGED) + harness_metric(&h, BS_M_SERVED) ==
                    harness_metric(&h, BS_M_ARRIVED));
        ratio_add(&lost, reneged, n);
    }
    print_message("M/M/3/3 (zero patience) against Erlang B\n");
    ratio_check("share lost", &lost, erlang_b(3, 2.0));
    harness_fini(&h);
}

static void schedule_closes_and_reopens_counters(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {open: \"09:00\", hours: 8}\n"
                "demand: {customers_per_day: 600}\n"
                "transactions: [{service_min: {dist: exponential, mean: 4}}]\n"
                "roles: [{name: a, serves: [], others: true}, {name: b, serves: [], others: true}]\n"
                "counters:\n"
                "  - {role: a, count: 2, schedule: [{from: \"11:00\", to: \"13:00\", open: 0}]}\n"
                "  - {role: b, count: 2}\n");
    int finished_after_closing = 0;
    for (int r = 0; r < 200; r++) {
        assert_int_equal(harness_day(&h, 0, 3, (uint64_t)r), 0);
        for (size_t i = 0; i < h.day->n_customers; i++) {
            int k = h.day->cust.counter_of[i];
            double start = h.day->cust.start_min[i];
            assert_true(h.day->cust.state[i] == BS_CUST_SERVED);
            if (k < 2) { /* role a: closed from 120 to 240 minutes after opening */
                assert_false(start >= 120 && start < 240);
                if (start < 120 && start + h.day->cust.service_min[i] > 120)
                    finished_after_closing++;
            }
        }
        /* Role a is closed 2 of the 8 hours: at most 6/8 of its 2 counters on
         * average, plus what closing counters spend finishing customers. */
        double open_a = harness_breakdown(&h, BS_BD_ROLES, BS_RM_COUNTERS_OPEN_MEAN, 0);
        assert_true(open_a >= 1.5 - 1e-9 && open_a < 1.6);
        assert_true(fabs(harness_breakdown(&h, BS_BD_ROLES, BS_RM_COUNTERS_OPEN_MEAN, 1) - 2.0) < 1e-9);
    }
    print_message("customers finished by a closing counter: %d\n", finished_after_closing);
    assert_true(finished_after_closing > 0);
    harness_fini(&h);
}

static double overlap(double t0, double t1, double lo, double hi)
{
    double a = t0 > lo ? t0 : lo, b = t1 < hi ? t1 : hi;
    return b > a ? b - a : 0;
}

/* The occupancy and queue series are integrated at events; recompute them
 * from each customer's arrival, service start and leaving times. */
static void check_series_against_customer_times(const struct harness *h)
{
    const struct bs_scenario *sc = h->ld.points[0];
    const struct bs_day *day = h->day;
    for (size_t b = 0; b < sc->n_bins; b++) {
        double lo = (double)b * sc->bin_min, hi = lo + sc->bin_min, inside = 0, waiting = 0;
        for (size_t i = 0; i < day->n_customers; i++) {
            double a = day->cust.arrival_min[i], start = day->cust.start_min[i], left = day->cust.leave_min[i];
            inside += overlap(a, left, lo, hi);
            waiting += overlap(a, isnan(start) ? left : start, lo, hi);
        }
        assert_true(fabs(harness_series(h, BS_TS_OCCUPANCY, b) * sc->bin_min - inside) < 1e-6);
        assert_true(fabs(harness_series(h, BS_TS_QUEUE_LENGTH, b) * sc->bin_min - waiting) < 1e-6);
    }
}

/* Blocks that meet keep the counters closed across the seam (no reopening
 * for an instant), and staff keep their identity when another group's
 * count is swept (common random numbers for absence). */
static void adjacent_blocks_and_staff_identity(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {open: \"09:00\", hours: 8}\n"
                "demand: {customers_per_day: 600}\n"
                "transactions: [{service_min: {dist: exponential, mean: 4}}]\n"
                "roles: [{name: a, serves: [], others: true}, {name: b, serves: [], others: true}]\n"
                "counters:\n"
                "  - {role: a, count: 2, schedule: [{from: \"11:00\", to: \"12:00\", open: 0},\n"
                "                                   {from: \"12:00\", to: \"13:00\", open: 0}]}\n"
                "  - {role: b, count: 3}\n"
                "staffing: {absence_probability: 0.4}\n"
                "sweep: {counters.0.count: [2, 4]}\n");
    for (int r = 0; r < 100; r++) {
        uint8_t present_b[2][3];
        for (size_t p = 0; p < 2; p++) {
            assert_int_equal(harness_day(&h, p, 8, (uint64_t)r), 0);
            long first_b = h.ld.points[p]->counter_groups[1].first_counter;
            for (int j = 0; j < 3; j++)
                present_b[p][j] = h.day->ctr.counter_present[first_b + j];
            long n_a = h.ld.points[p]->counter_groups[0].count;
            for (size_t i = 0; i < h.day->n_customers; i++) {
                double start = h.day->cust.start_min[i];
                if (h.day->cust.counter_of[i] >= 0 && h.day->cust.counter_of[i] < n_a)
                    assert_false(start >= 120 && start < 240);
            }
        }
        assert_memory_equal(present_b[0], present_b[1], 3);
    }
    harness_fini(&h);
}

/* With every staff member absent nobody is served: all are sent away at
 * closing, and Little's law still balances (they were inside until then). */
static void all_staff_absent_sends_everyone_away_at_closing(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "demand: {customers_per_day: 200}\ntransactions: [{service_min: 3}]\n"
                "counters: [{count: 3}]\nstaffing: {absence_probability: 1}\n");
    assert_int_equal(harness_day(&h, 0, 1, 0), 0);
    double arrived = harness_metric(&h, BS_M_ARRIVED);
    assert_true(arrived > 0);
    assert_true(harness_metric(&h, BS_M_TURNED_AWAY) == arrived);
    assert_true(harness_metric(&h, BS_M_STAFF_ABSENT) == 3);
    assert_true(harness_metric(&h, BS_M_DAY_END_MIN) == 480);
    double area = harness_metric(&h, BS_M_OCCUPANCY_MEAN) * 480;
    double sojourn = 0;
    for (size_t i = 0; i < h.day->n_customers; i++)
        sojourn += 480 - h.day->cust.arrival_min[i];
    assert_true(fabs(area - sojourn) < 1e-9 * sojourn);
    assert_true(fabs(harness_metric(&h, BS_M_TIME_IN_BRANCH_MEAN_MIN) * arrived - sojourn) < 1e-9 * sojourn);
    harness_fini(&h);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The wait percentiles (computed by selection among positive waits) equal
 * the interpolated quantiles of the sorted samples. */
static void check_wait_percentiles(const struct harness *h)
{
    size_t n = h->day->tally.n_wait_samples;
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    assert_non_null(sorted);
    memcpy(sorted, h->day->cust.wait_sample_min, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_value);
    static const struct { enum bs_metric m; double q; } cases[] = {
        {BS_M_WAIT_P50_MIN, 0.5}, {BS_M_WAIT_P90_MIN, 0.9}, {BS_M_WAIT_P95_MIN, 0.95}};
    for (size_t k = 0; k < 3; k++)
        assert_true(fabs(harness_metric(h, cases[k].m) - gsl_stats_quantile_from_sorted_data(sorted, 1, n, cases[k].q)) <
                    1e-12);
    free(sorted);
}

static void default_day_conserves_customers_and_obeys_little(void **state)
{
    (void)state;
    struct harness h;
    char *yaml = NULL;
    FILE *f = fopen("scenarios/default.yaml", "rb");
    assert_non_null(f);
    yaml = calloc(1, 1 << 16);
    assert_int_not_equal(fread(yaml, 1, (1 << 16) - 1, f), 0);
    fclose(f);
    harness_load_ok(&h, yaml);
    free(yaml);
    for (int r = 0; r < 300; r++) {
        assert_int_equal(harness_day(&h, 0, 11, (uint64_t)r), 0);
        double arrived = harness_metric(&h, BS_M_ARRIVED);
        double served = harness_metric(&h, BS_M_SERVED), abandoned = harness_metric(&h, BS_M_ABANDONED);
        double turned_away = harness_metric(&h, BS_M_TURNED_AWAY);
        /* Conservation: arrived = served + abandoned + turned_away. */
        assert_true(arrived == served + abandoned + turned_away);
        assert_true(abandoned == harness_metric(&h, BS_M_BALKED) + harness_metric(&h, BS_M_RENEGED));
        double seg_arrived = 0;
        for (size_t s = 0; s < h.ld.points[0]->n_segments; s++)
            seg_arrived += harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_ARRIVED, s);
        assert_true(seg_arrived == arrived);
        /* Little's law over the day, which starts and ends empty: time-average
         * occupancy x day length = sum of times in branch
         * (= arrival rate x mean time in branch x day length). */
        double area = harness_metric(&h, BS_M_OCCUPANCY_MEAN) * harness_metric(&h, BS_M_DAY_END_MIN);
        double sojourn = harness_metric(&h, BS_M_TIME_IN_BRANCH_MEAN_MIN) * arrived;
        assert_true(fabs(area - sojourn) <= 1e-9 * sojourn);
        assert_true(harness_metric(&h, BS_M_PEAK_OCCUPANCY) >= harness_metric(&h, BS_M_OCCUPANCY_MEAN));
        if (r < 50) {
            check_series_against_customer_times(&h);
            check_wait_percentiles(&h);
        }
    }
    harness_fini(&h);
}

/* With one counter and room for one customer inside, nobody waits inside:
 * the line outside is the whole queue of an M/D/1 system. The whole wait
 * must then be its mean wait (Pollaczek-Khinchine: Wq = lambda E[S^2] /
 * (2 (1 - rho)))), the inside part 0, and share_wait_over_10min the share
 * of customers whose wait outside alone was over 10 minutes. */
static void whole_wait_under_cap_is_md1_wait_outside(void **state)
{
    (void)state;
    const double lambda = 0.125, service = 4, warmup = 240; /* rho = 0.5 */
    struct harness h;
    harness_load_ok(&h, "day: {hours: 24}\ndemand: {customers_per_day: 180}\n"
                        "transactions: [{service_min: 4}]\ncounters: [{count: 1}]\n"
                        "entrance: {occupancy_cap: 1}\noutput: {warmup_min: 240}\n");
    struct ratio wait = {0};
    double over_outside_only = 0;
    for (int r = 0; r < 600; r++) {
        assert_int_equal(harness_day(&h, 0, 11, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        double sum = 0, n = 0, over = 0;
        for (size_t i = 0; i < d->n_customers; i++) {
            if (d->cust.arrival_min[i] < warmup || d->cust.state[i] != BS_CUST_SERVED)
                continue;
            double w = d->cust.start_min[i] - d->cust.arrival_min[i];
            sum += w;
            n += 1;
            over += w > 10;
        }
        assert_true(n > 0);
        assert_true(fabs(harness_metric(&h, BS_M_WAIT_MEAN_MIN) - sum / n) <= 1e-9 * (1 + sum / n));
        assert_true(harness_metric(&h, BS_M_WAIT_INSIDE_MEAN_MIN) == 0);
        assert_true(harness_metric(&h, BS_M_WAIT_INSIDE_P95_MIN) == 0);
        assert_true(fabs(harness_metric(&h, BS_M_WAIT_OUTSIDE_MEAN_MIN) - sum / n) <= 1e-9 * (1 + sum / n));
        assert_true(harness_metric(&h, BS_M_SHARE_WAIT_OVER_10MIN) == over / n);
        assert_true(harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_SHARE_WAIT_OVER_10MIN, 0) == over / n);
        over_outside_only += over;
        ratio_add(&wait, sum, n);
    }
    assert_true(over_outside_only > 0); /* waits over 10 minutes, all of them outside */
    print_message("M/D/1 behind an occupancy cap of 1 (Pollaczek-Khinchine)\n");
    ratio_check("whole wait (min)", &wait, lambda * service * service / (2 * (1 - lambda * service)));
    harness_fini(&h);
}

/* Under a cap, with kiosks, priorities, balking and reneging: every
 * customer served at a counter waited outside + inside, where the whole wait
 * is service start - arrival less any kiosk service, and each day's
 * wait_mean_min is wait_inside_mean_min + wait_outside_mean_min. */
/* The end-of-day conservation check (BS_INVARIANT in bs_day_run) holds on
 * days with every way of leaving, and fails on a tally, a line, an idle
 * stack or a choice count broken by one. */
static void a_broken_tally_breaks_conservation(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "demand: {customers_per_day: 700}\n"
                        "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3}]\n"
                        "transactions: [{name: cash, share: 0.6, service_min: {dist: exponential, mean: 4}},\n"
                        "               {name: loan, share: 0.4, service_min: {dist: exponential, mean: 6}}]\n"
                        "counters: [{role: general, count: 3}]\n"
                        "online: {probability: {general: 0.2, elderly: 0.05}}\n"
                        "self_service: {kiosks: 1, service_min: 2, transactions: [cash],\n"
                        "               adoption: {general: 0.5, elderly: 0.2}, counter_after_probability: 0.5}\n"
                        "balking: {threshold: 3, probability: 0.3}\n"
                        "reneging: {patience_min: {dist: exponential, mean: 20}}\n"
                        "entrance: {occupancy_cap: 8}\n");
    uint64_t balked = 0, reneged = 0;
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 3, (uint64_t)r), 0);
        assert_true(bs_day_conserved(h.day));
        balked += h.day->tally.balked;
        reneged += h.day->tally.reneged;
    }
    assert_true(balked > 0 && reneged > 0);
    struct bs_day *d = h.day;
    assert_true(d->choice.online > 0 && d->ctr.open[0] > 0);
    d->tally.served++;
    assert_false(bs_day_conserved(d));
    d->tally.served--;
    d->tally.seg_reneged[1]++;
    assert_false(bs_day_conserved(d));
    d->tally.seg_reneged[1]--;
    d->ctr.waiting_total++;
    assert_false(bs_day_conserved(d));
    d->ctr.waiting_total--;
    d->ctr.n_idle[0]--;
    assert_false(bs_day_conserved(d));
    d->ctr.n_idle[0]++;
    d->choice.online--;
    assert_false(bs_day_conserved(d));
    d->choice.online++;
    assert_true(bs_day_conserved(d));
    harness_fini(&h);
}

static void whole_wait_is_outside_plus_inside(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "demand: {customers_per_day: 500}\n"
                        "segments: [{name: general, share: 0.7}, {name: elderly, share: 0.3, service_factor: 1.4}]\n"
                        "transactions: [{name: cash, share: 0.6, service_min: {dist: exponential, mean: 4}},\n"
                        "               {name: loan, share: 0.4, service_min: {dist: exponential, mean: 6}}]\n"
                        "roles: [{name: old, serves: [elderly], others: true}, {name: any, serves: [], others: true}]\n"
                        "counters: [{role: old, count: 1}, {role: any, count: 3}]\n"
                        "self_service: {kiosks: 1, service_min: 2, transactions: [cash],\n"
                        "               adoption: {general: 0.5, elderly: 0.2}, counter_after_probability: 0.5}\n"
                        "balking: {threshold: 12, probability: 0.3}\n"
                        "reneging: {patience_min: {dist: exponential, mean: 40}}\n"
                        "entrance: {occupancy_cap: 8}\n");
    double outside_total = 0, kiosk_counter = 0;
    for (int r = 0; r < 100; r++) {
        assert_int_equal(harness_day(&h, 0, 21, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        double sum = 0, n = 0;
        for (size_t i = 0; i < d->n_customers; i++) {
            double start = d->cust.start_min[i];
            if (d->cust.state[i] != BS_CUST_SERVED || !(start == start))
                continue; /* not served at a counter */
            int via_kiosk = d->cust.slot[i] < 0 && d->cust.wants_kiosk[i];
            double whole = start - d->cust.arrival_min[i] - (via_kiosk ? d->cust.kiosk_service_min[i] : 0);
            double outside = d->cust.outside_min[i], inside = whole - outside;
            assert_true(outside >= 0 && inside >= -1e-9);
            assert_true(fabs(bs_day_whole_wait(d, (int32_t)i, d->cust.start_min[i]) - whole) <= 1e-9 * (1 + whole));
            sum += whole;
            n += 1;
            outside_total += outside;
            kiosk_counter += via_kiosk;
        }
        double mean = harness_metric(&h, BS_M_WAIT_MEAN_MIN);
        assert_true(fabs(mean - sum / n) <= 1e-9 * (1 + mean));
        assert_true(fabs(mean - harness_metric(&h, BS_M_WAIT_INSIDE_MEAN_MIN) -
                         harness_metric(&h, BS_M_WAIT_OUTSIDE_MEAN_MIN)) <= 1e-9 * (1 + mean));
        assert_true(harness_metric(&h, BS_M_WAIT_INSIDE_P95_MIN) <= harness_metric(&h, BS_M_WAIT_P95_MIN));
    }
    assert_true(outside_total > 0 && kiosk_counter > 0); /* both parts were exercised */
    harness_fini(&h);
}

/* Balking at the door (balking.outside_threshold) behind a cap of 1 with
 * one exponential counter (lambda 0.8, mu 1): the number of customers n
 * (1 inside, n - 1 outside) is a birth-death chain with birth rate lambda
 * below 1 + threshold and lambda (1 - p) from there, so by PASTA the share
 * who balk is p P(n >= 1 + threshold). threshold 1, p 1: M/M/1/2, share
 * rho^2 / (1 + rho + rho^2); threshold 1, p 0.5: pi_n = rho^n (n <= 2),
 * pi_2 (rho (1 - p))^(n-2) after, share p pi_{>=2} / sum pi. */
static void door_balking_matches_birth_death_chain(void **state)
{
    (void)state;
    const double rho = 0.8, warmup = 60;
    static const double probability[2] = {1, 0.5};
    for (int k = 0; k < 2; k++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "day: {hours: 24}\ndemand: {customers_per_day: 1152}\n"
                 "transactions: [{service_min: {dist: exponential, mean: 1}}]\ncounters: [{count: 1}]\n"
                 "entrance: {occupancy_cap: 1}\nbalking: {outside_threshold: 1, outside_probability: %g}\n",
                 probability[k]);
        struct harness h;
        harness_load_ok(&h, yaml);
        double p = probability[k], tail = rho * rho / (1 - rho * (1 - p));
        double want = p * tail / (1 + rho + tail);
        struct ratio balked = {0};
        for (int r = 0; r < 200; r++) {
            assert_int_equal(harness_day(&h, 0, 13, (uint64_t)r), 0);
            const struct bs_day *d = h.day;
            double n = 0, b = 0, all = 0;
            for (size_t i = 0; i < d->n_customers; i++) {
                int st = d->cust.state[i];
                all += st == BS_CUST_BALKED;
                if (st == BS_CUST_BALKED) /* never inside: left as they came */
                    assert_true(d->cust.leave_min[i] == d->cust.arrival_min[i] &&
                                !(d->cust.start_min[i] == d->cust.start_min[i]));
                if (d->cust.arrival_min[i] >= warmup)
                    n += 1, b += st == BS_CUST_BALKED;
            }
            assert_true(harness_metric(&h, BS_M_BALKED) == all);
            assert_true(harness_breakdown(&h, BS_BD_SEGMENTS, BS_SM_BALKED, 0) == all);
            assert_true(harness_metric(&h, BS_M_ARRIVED) == harness_metric(&h, BS_M_SERVED) +
                                                               harness_metric(&h, BS_M_ABANDONED) +
                                                               harness_metric(&h, BS_M_TURNED_AWAY));
            ratio_add(&balked, b, n);
        }
        print_message("cap 1, one M/M/1 counter, door balking at 1 outside with p = %g\n", p);
        ratio_check("share balked", &balked, want);
        harness_fini(&h);
    }
}

/* Exact values of pooled quantity q (of entity e, or every entity when e < 0)
 * over the days run, sorted, against the histogram's percentiles. */
struct exact {
    double *v;
    size_t n, cap;
};

static void exact_add(struct exact *x, double v)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 4096;
        x->v = realloc(x->v, x->cap * sizeof *x->v);
        assert_non_null(x->v);
    }
    x->v[x->n++] = v;
}

/* The pooled p-quantile is within one bin width (1/16 min below 64 min) of
 * the exact order statistic x_(ceil(p n)), and the sum, count and maximum
 * are those of the exact values. */
static void check_pooled(const char *what, struct exact *x, const uint32_t *hist, const double *sums)
{
    qsort(x->v, x->n, sizeof *x->v, by_value);
    uint64_t counts[BS_POOL_BINS], n = 0;
    double sum = 0;
    for (size_t b = 0; b < BS_POOL_BINS; b++)
        n += counts[b] = hist[b];
    for (size_t i = 0; i < x->n; i++)
        sum += x->v[i];
    assert_true(n == x->n && sums[BS_POOL_N] == (double)x->n);
    assert_true(fabs(sums[BS_POOL_SUM] - sum) <= 1e-9 * sum);
    assert_true(sums[BS_POOL_MAX] == x->v[x->n - 1]);
    static const double q[] = {0.5, 0.9, 0.95, 0.99};
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        double exact = x->v[(size_t)ceil(q[k] * (double)x->n - 1e-9) - 1];
        double got = bs_pool_quantile(counts, q[k], sums[BS_POOL_MAX]);
        print_message("  %-26s p%-4g pooled %8.4f exact %8.4f (n %zu)\n", what, 100 * q[k], got, exact, x->n);
        assert_true(exact < 64 && fabs(got - exact) <= 1.0 / BS_POOL_BINS_PER_MIN);
    }
}

static void pooled_percentiles_match_exact_order_statistics(void **state)
{
    (void)state;
    struct harness h;
    char *yaml = calloc(1, 1 << 16);
    FILE *f = fopen("scenarios/default.yaml", "rb");
    assert_non_null(f);
    assert_non_null(yaml);
    assert_int_not_equal(fread(yaml, 1, (1 << 16) - 1, f), 0);
    fclose(f);
    harness_load_ok(&h, yaml);
    free(yaml);
    const struct bs_layout *L = &h.run.layout;
    const size_t E = L->pool_entities;
    assert_int_equal(L->n_pooled, BS_P_COUNT);
    assert_int_equal(E, h.ld.points[0]->n_segments);
    uint32_t *hist = calloc(L->pool_hist_width, sizeof *hist);
    double *sums = malloc(L->pool_hists * BS_POOL_PER_ENTITY * sizeof *sums);
    assert_true(hist && sums);
    bs_pool_sums_clear(sums, L->pool_hists);
    h.out.pool = (struct bs_pool_out){hist, sums, E};
    struct exact all[BS_P_COUNT] = {{0}}, seg[BS_P_COUNT][8] = {{{0}}};
    for (int r = 0; r < 100; r++) {
        assert_int_equal(harness_day(&h, 0, 5, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t n = 0; n < d->tally.n_wait_samples; n++) { /* the waits reordered, their customers not */
            int32_t i = d->cust.wait_sample_customer[n];
            double service = d->cust.service_min[i], in_branch = d->cust.leave_min[i] - d->cust.arrival_min[i];
            exact_add(&all[BS_P_WAIT_MIN], d->cust.wait_sample_min[n]);
            exact_add(&all[BS_P_SERVICE_MIN], service);
            exact_add(&all[BS_P_TIME_IN_BRANCH_MIN], in_branch);
            exact_add(&seg[BS_P_SERVICE_MIN][d->cust.segment[i]], service);
            exact_add(&seg[BS_P_TIME_IN_BRANCH_MIN][d->cust.segment[i]], in_branch);
        }
    }
    for (size_t q = 0; q < BS_P_COUNT; q++) {
        /* every entity together, as /pooled/<quantity> merges them */
        uint32_t merged[BS_POOL_BINS] = {0};
        double msums[BS_POOL_PER_ENTITY] = {0, 0, -INFINITY};
        for (size_t e = 0; e < E; e++) {
            const double *s = sums + (q * E + e) * BS_POOL_PER_ENTITY;
            for (size_t b = 0; b < BS_POOL_BINS; b++)
                merged[b] += hist[(q * E + e) * BS_POOL_BINS + b];
            msums[BS_POOL_SUM] += s[BS_POOL_SUM];
            msums[BS_POOL_N] += s[BS_POOL_N];
            msums[BS_POOL_MAX] = fmax(msums[BS_POOL_MAX], s[BS_POOL_MAX]);
        }
        check_pooled(L->pooled[q].name, &all[q], merged, msums);
        for (size_t e = 0; q != BS_P_WAIT_MIN && e < E; e++)
            check_pooled(bs_scenario_entity_name(h.ld.points[0], BS_BD_SEGMENTS, e), &seg[q][e],
                         hist + (q * E + e) * BS_POOL_BINS, sums + (q * E + e) * BS_POOL_PER_ENTITY);
    }
    for (size_t q = 0; q < BS_P_COUNT; q++) {
        free(all[q].v);
        for (size_t e = 0; e < 8; e++)
            free(seg[q][e].v);
    }
    free(hist);
    free(sums);
    harness_fini(&h);
}

#define BASE "demand: {customers_per_day: 100}\ntransactions: [{service_min: 2}]\n"

static void bad_branch_input_names_line_column_and_key(void **state)
{
    (void)state;
    harness_expect_input_error(BASE "segments: [{name: a, share: 0.5}, {name: b, share: 0.4}]\ncounters: [{count: 1}]\n",
                       ":3:11: segments: shares must sum to 1");
    harness_expect_input_error(BASE "counters:\n  - count: 2\n    schedule: [{from: \"16:00\", to: \"18:00\", open: 1}]\n",
                       ":5:36: counters.0.schedule.0.to: is past closing time");
    harness_expect_input_error(BASE "roles: [{name: r, serves: [elderly]}]\ncounters: [{role: r, count: 1}]\n",
                       ":3:28: roles.0.serves.0: 'elderly' is not a customer class (segments and transaction classes: general)");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nreneging: {patience_min: -3}\n",
                       ":4:26: reneging.patience_min: must be in [0, 1e+06]");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nsegments: [{name: a, patience_min: {dist: normal, mean: -1, sd: 1}}]\n",
                       "segments.0.patience_min.mean: must be in [0, 1e+06]");
    harness_expect_input_error(BASE "counters: [{role: x, count: 1}]\nroles: [{name: y, serves: [general]}]\n",
                       "counters.0.role: role 'x' is not defined under roles");
    harness_expect_input_error(BASE "counters: [{count: 1}]\ndemand2: 1\n", ":4:1: demand2: unknown key");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nbalking: {outside_threshold: -2}\n",
                               ":4:30: balking.outside_threshold: must be in [0, 100000]");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nbalking: {outside_threshold: 2, outside_probability: 1.5}\n",
                               ":4:54: balking.outside_probability: must be in [0, 1]");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nbalking: {probability: 0.5}\n",
                               "balking.threshold: required");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nday: {hours: 8.1}\n", "output.bin_min: must divide the day (486 min)");
    harness_expect_input_error(BASE "counters: [{count: 1}]\nsegments: [{name: a.b}]\n", "segments.0.name: 'a.b': a name must");
}

/* bs_customer_bytes (the plan's memory estimate) against the allocator:
 * every array of the customers part, found by walking the struct's
 * pointers rather than through the list that defines both, holds cap
 * elements, and their sizes add up to bs_customer_bytes per customer. */
static void customer_bytes_are_what_is_allocated(void **state)
{
    (void)state;
    struct bs_customers c = {0};
    assert_int_equal(bs_customers_grow(&c), 0);
    assert_int_equal(bs_customers_grow(&c), 0); /* grown, not only allocated */
    const size_t first = offsetof(struct bs_customers, cap) + sizeof c.cap;
    const size_t n_arrays = (sizeof c - first) / sizeof(void *);
    size_t usable = 0;
    for (size_t k = 0; k < n_arrays; k++) {
        void *p;
        memcpy(&p, (const char *)&c + first + k * sizeof p, sizeof p);
        assert_non_null(p);
        usable += malloc_usable_size(p);
    }
    /* the allocator rounds each block up by less than 64 bytes here */
    assert_true(usable >= bs_customer_bytes * c.cap);
    assert_true(usable < bs_customer_bytes * c.cap + 64 * n_arrays);
    bs_customers_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(customer_bytes_are_what_is_allocated),
        cmocka_unit_test(profile_counts_are_poisson_per_block),
        cmocka_unit_test(priority_matches_cobham),
        cmocka_unit_test(zero_patience_reneges_everyone_who_must_wait),
        cmocka_unit_test(schedule_closes_and_reopens_counters),
        cmocka_unit_test(adjacent_blocks_and_staff_identity),
        cmocka_unit_test(all_staff_absent_sends_everyone_away_at_closing),
        cmocka_unit_test(default_day_conserves_customers_and_obeys_little),
        cmocka_unit_test(whole_wait_under_cap_is_md1_wait_outside),
        cmocka_unit_test(whole_wait_is_outside_plus_inside),
        cmocka_unit_test(door_balking_matches_birth_death_chain),
        cmocka_unit_test(pooled_percentiles_match_exact_order_statistics),
        cmocka_unit_test(bad_branch_input_names_line_column_and_key),
        cmocka_unit_test(a_broken_tally_breaks_conservation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
