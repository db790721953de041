/* Tests of airborne exposure (Wells-Riley box model), screening and the
 * occupancy cap:
 *  - closed form: one infectious emitter in an empty hall for T hours gives
 *    mean n = E/(kV) (1 - (1 - e^{-kT})/(kT)) and a co-present susceptible's
 *    risk P = 1 - exp(-n BR T (1 - eta_in)), to 1e-9 relative;
 *  - the event-driven integral equals an independent time-stepped (RK4)
 *    integration of the same day's emissions, to 1e-6 relative;
 *  - zero prevalence gives zero risk; more ventilation or better masks never
 *    raise expected infections in the same replication; a lower cap lowers
 *    them on average (paired 95 % CI); occupancy never exceeds the cap;
 *  - screening flags at its sensitivity and false-positive rate (4 binomial SE);
 *  - reneging.patience_outside: each customer gives up exactly when the
 *    patience of the option runs out (shared: arrival + patience, so no
 *    whole wait exceeds it; separate: a second, independent draw outside;
 *    restart: the same value again inside). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sim/rng.h"
#include "harness.h"

#define EXPOSURE                                                             \
    "exposure:\n"                                                            \
    "  prevalence_customers: 0.05\n"                                         \
    "  prevalence_staff: 0.05\n"                                             \
    "  hall_volume_m3: 300\n"                                                \
    "  air_changes_per_h: 1.5\n"                                             \
    "  emission_waiting_quanta_per_h: 20\n"                                  \
    "  emission_speaking_quanta_per_h: 80\n"                                 \
    "  masks: {customers: {kind: surgical, compliance: 0.7}, staff: {kind: cloth}}\n"

#define DAY                                                                  \
    "day: {hours: 8}\n"                                                      \
    "demand: {customers_per_day: 300, profile: [1, 1, 2, 3, 2, 1, 1, 1]}\n"  \
    "transactions: [{service_min: {dist: lognormal, mean: 5, cv: 0.6}}]\n"  \
    "counters: [{count: 3}]\n"

static void one_emitter_matches_the_box_model(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY EXPOSURE);
    assert_int_equal(harness_day(&h, 0, 1, 0), 0); /* sizes the day's arrays */
    struct bs_day *d = h.day;
    const struct bs_exposure *ex = &h.ld.points[0]->ex;
    for (long k = 0; k < h.ld.points[0]->n_counters; k++)
        d->ctr.counter_present[k] = 0; /* an empty hall: no staff */
    bs_exposure_reset(d);
    d->cust.infectious[0] = 1, d->cust.infectious[1] = 0;
    d->cust.dose[0] = d->cust.dose[1] = 0;
    const double T_h = 2.5;
    d->now_min = 0;
    bs_exposure_enter(d, 0);
    bs_exposure_enter(d, 1);
    d->now_min = T_h * 60;
    bs_exposure_leave(d, 1);
    bs_exposure_leave(d, 0);
    double E = ex->emission_waiting_quanta_per_h * (1 - ex->mask_out_customer);
    double k = ex->removal_per_h, V = ex->volume_m3;
    double n_mean = E / (k * V) * (1 - (1 - exp(-k * T_h)) / (k * T_h));
    double risk = 1 - exp(-n_mean * ex->inhalation_customer_m3_per_h * T_h * (1 - ex->mask_in_customer));
    double got_mean = d->expo.conc_integral / T_h, got_risk = -expm1(-d->cust.dose[1]);
    print_message("  mean n %.12g vs %.12g; risk %.12g vs %.12g\n", got_mean, n_mean, got_risk, risk);
    assert_true(fabs(got_mean - n_mean) <= 1e-9 * n_mean);
    assert_true(fabs(got_risk - risk) <= 1e-9 * risk);
    harness_fini(&h);
}

/* The day's emission at time t, rebuilt from the customers' and staff's
 * records (independently of the event-driven bookkeeping). */
static double emission_at(const struct harness *h, double t)
{
    const struct bs_scenario *sc = h->ld.points[0];
    const struct bs_exposure *ex = &sc->ex;
    const struct bs_day *d = h->day;
    double e = 0;
    for (long k = 0; k < sc->n_counters; k++)
        if (d->ctr.counter_present[k] && d->expo.staff_infectious[k])
            e += ex->emission_speaking_quanta_per_h * (1 - ex->mask_out_staff);
    for (size_t i = 0; i < d->n_customers; i++) {
        if (!d->cust.infectious[i] || isnan(d->cust.enter_min[i]) || t < d->cust.enter_min[i] ||
            t >= d->cust.leave_min[i])
            continue;
        int speaking = !isnan(d->cust.start_min[i]) && t >= d->cust.start_min[i] && t < d->cust.start_min[i] + d->cust.service_min[i];
        e += (speaking ? ex->emission_speaking_quanta_per_h : ex->emission_waiting_quanta_per_h) *
             (1 - ex->mask_out_customer);
    }
    return e;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void event_integral_matches_time_stepping(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY EXPOSURE);
    const struct bs_exposure *ex = &h.ld.points[0]->ex;
    int checked = 0;
    for (int r = 0; r < 40 && checked < 5; r++) {
        assert_int_equal(harness_day(&h, 0, 2, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        double end = harness_metric(&h, BS_M_DAY_END_MIN);
        /* Every time the emission can change, so RK4 never steps across one. */
        size_t cap = 4 * d->n_customers + 2, n = 0;
        double *times = malloc(cap * sizeof *times);
        times[n++] = 0;
        times[n++] = end;
        for (size_t i = 0; i < d->n_customers; i++) {
            if (!d->cust.infectious[i] || isnan(d->cust.enter_min[i]))
                continue;
            times[n++] = d->cust.enter_min[i];
            times[n++] = d->cust.leave_min[i];
            if (!isnan(d->cust.start_min[i])) {
                times[n++] = d->cust.start_min[i];
                times[n++] = d->cust.start_min[i] + d->cust.service_min[i];
            }
        }
        qsort(times, n, sizeof *times, by_value);
        double conc = 0, integral = 0, k = ex->removal_per_h, V = ex->volume_m3;
        for (size_t s = 0; s + 1 < n; s++) {
            double a = times[s], b = times[s + 1] > end ? end : times[s + 1];
            if (b <= a)
                continue;
            double e = emission_at(&h, 0.5 * (a + b)) / V; /* constant on (a, b) */
            int steps = (int)ceil((b - a) / 0.5);
            double dt = (b - a) / steps / 60.0;
            for (int j = 0; j < steps; j++) { /* RK4 for n and its integral together */
                double k1 = e - k * conc, k2 = e - k * (conc + 0.5 * dt * k1);
                double k3 = e - k * (conc + 0.5 * dt * k2), k4 = e - k * (conc + dt * k3);
                double i1 = conc, i2 = conc + 0.5 * dt * k1, i3 = conc + 0.5 * dt * k2, i4 = conc + dt * k3;
                integral += dt / 6 * (i1 + 2 * i2 + 2 * i3 + i4);
                conc += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            }
        }
        free(times);
        if (d->expo.conc_integral == 0)
            continue; /* nobody infectious today */
        print_message("  replication %d: event-driven %.10g, time-stepped %.10g\n", r, d->expo.conc_integral, integral);
        assert_true(fabs(d->expo.conc_integral - integral) <= 1e-6 * integral);
        checked++;
    }
    assert_true(checked >= 3);
    harness_fini(&h);
}

static void zero_prevalence_zero_risk(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "exposure: {prevalence_customers: 0, prevalence_staff: 0, hall_volume_m3: 300}\n");
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 3, (uint64_t)r), 0);
        assert_true(harness_metric(&h, BS_M_EXPECTED_INFECTIONS_CUSTOMERS) == 0);
        assert_true(harness_metric(&h, BS_M_EXPECTED_INFECTIONS_STAFF) == 0);
        assert_true(harness_metric(&h, BS_M_CLOSE_CONTACTS) == 0);
        assert_true(harness_metric(&h, BS_M_INFECTIOUS_VISITORS) == 0);
    }
    harness_fini(&h);
}

/* Ventilation and masks change no one's movements: with common random
 * numbers, expected infections can only fall, replication by replication. */
static void ventilation_and_masks_never_raise_infections(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY EXPOSURE "sweep:\n  exposure.air_changes_per_h: [0.5, 2, 6]\n"
                             "  exposure.masks.customers.kind: [none, cloth, surgical, ffp2]\n");
    for (int r = 0; r < 40; r++) {
        double customers[3][4], staff[3][4];
        for (size_t p = 0; p < 12; p++) {
            assert_int_equal(harness_day(&h, p, 4, (uint64_t)r), 0);
            customers[p / 4][p % 4] = harness_metric(&h, BS_M_EXPECTED_INFECTIONS_CUSTOMERS);
            staff[p / 4][p % 4] = harness_metric(&h, BS_M_EXPECTED_INFECTIONS_STAFF);
        }
        for (int a = 0; a < 3; a++)
            for (int m = 0; m < 4; m++) {
                if (a > 0) {
                    assert_true(customers[a][m] <= customers[a - 1][m]);
                    assert_true(staff[a][m] <= staff[a - 1][m]);
                }
                if (m > 0) {
                    assert_true(customers[a][m] <= customers[a][m - 1]);
                    assert_true(staff[a][m] <= staff[a][m - 1]);
                }
            }
    }
    harness_fini(&h);
}

static void cap_bounds_occupancy_and_lowers_infections(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY EXPOSURE "reneging: {patience_min: {dist: lognormal, mean: 40, cv: 0.5}}\n"
                             "entrance: {occupancy_cap: 6}\nsweep: {entrance.occupancy_cap: [6, 40]}\n");
    enum { R = 300 };
    double diff_sum = 0, diff_sq = 0;
    for (int r = 0; r < R; r++) {
        assert_int_equal(harness_day(&h, 0, 5, (uint64_t)r), 0);
        assert_true(harness_metric(&h, BS_M_PEAK_OCCUPANCY) <= 6);
        double low = harness_metric(&h, BS_M_EXPECTED_INFECTIONS_CUSTOMERS);
        /* Conservation with the line outside. */
        assert_true(harness_metric(&h, BS_M_ARRIVED) ==
                    harness_metric(&h, BS_M_SERVED) + harness_metric(&h, BS_M_ABANDONED) +
                        harness_metric(&h, BS_M_TURNED_AWAY));
        assert_int_equal(harness_day(&h, 1, 5, (uint64_t)r), 0);
        double high = harness_metric(&h, BS_M_EXPECTED_INFECTIONS_CUSTOMERS);
        diff_sum += low - high;
        diff_sq += (low - high) * (low - high);
    }
    double mean = diff_sum / R, sd = sqrt((diff_sq - R * mean * mean) / (R - 1));
    double half = 1.968 * sd / sqrt((double)R); /* t(0.975, 299) */
    print_message("  cap 6 - cap 40: %.5f +- %.5f expected infections (95 %% CI)\n", mean, half);
    assert_true(mean + half < 0);
    harness_fini(&h);
}

#define PATIENCE_DAY                                                                                      \
    "day: {hours: 8}\ndemand: {customers_per_day: 960}\ntransactions: [{service_min: 1}]\n"                  \
    "counters: [{count: 1}]\nentrance: {occupancy_cap: 2}\n"

/* patience_outside: restart (the behaviour before the option): patience
 * runs outside under the cap, and again from joining the line inside:
 * every customer who gives up does so exactly when the patience of their
 * current stage runs out. */
static void patience_runs_outside_then_again_inside(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, PATIENCE_DAY "reneging: {patience_min: {dist: exponential, mean: 5}, patience_outside: restart}\n");
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 9, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        long outside = 0, inside = 0;
        for (size_t i = 0; i < d->n_customers; i++) {
            if (d->cust.state[i] != BS_CUST_RENEGED)
                continue;
            if (d->cust.leave_min[i] == d->cust.arrival_min[i] + d->cust.patience_min[i])
                outside++;
            else if (d->cust.leave_min[i] == d->cust.join_min[i] + d->cust.patience_min[i])
                inside++;
            else
                fail_msg("customer %zu gave up at %g, not when patience ran out", i, d->cust.leave_min[i]);
        }
        assert_true(outside > 0);
        assert_true(harness_metric(&h, BS_M_OUTSIDE_WAIT_MEAN_MIN) < 5);
        assert_true(harness_metric(&h, BS_M_PEAK_OCCUPANCY) <= 2);
    }
    harness_fini(&h);
}

/* patience_outside: shared (the default): one patience for the whole wait.
 * Every customer who gives up, outside or inside, does so at arrival +
 * patience, and no customer served waited longer than their patience. */
static void shared_patience_covers_the_whole_wait(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, PATIENCE_DAY "reneging: {patience_min: {dist: exponential, mean: 5}}\n");
    assert_int_equal(h.ld.points[0]->patience_outside, BS_PATIENCE_SHARED);
    long after_coming_in = 0;
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 9, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t i = 0; i < d->n_customers; i++) {
            double deadline = d->cust.arrival_min[i] + d->cust.patience_min[i];
            if (d->cust.state[i] == BS_CUST_RENEGED) {
                if (fabs(d->cust.leave_min[i] - deadline) > 1e-9 * (1 + deadline))
                    fail_msg("customer %zu gave up at %g, patience ran out at %g", i, d->cust.leave_min[i], deadline);
                after_coming_in += d->cust.outside_min[i] > 0 && d->cust.leave_min[i] > d->cust.join_min[i];
            } else if (d->cust.state[i] == BS_CUST_SERVED) {
                assert_true(d->cust.start_min[i] - d->cust.arrival_min[i] <= d->cust.patience_min[i] + 1e-9 * (1 + deadline));
            }
        }
    }
    assert_true(after_coming_in > 0); /* some gave up inside with what was left from outside */
    harness_fini(&h);
}

/* patience_outside: separate: outside, a second draw of the customer's
 * patience distribution; inside, the first draw, anew. The first draw is
 * where it was (bitwise the restart day's), and the second is independent
 * of it: mean 5 and correlation 0, within 4 standard errors. */
static void separate_patience_is_a_second_independent_draw(void **state)
{
    (void)state;
    struct harness h, ref;
    harness_load_ok(&h, PATIENCE_DAY "reneging: {patience_min: {dist: exponential, mean: 5}, patience_outside: separate}\n");
    harness_load_ok(&ref, PATIENCE_DAY "reneging: {patience_min: {dist: exponential, mean: 5}, patience_outside: restart}\n");
    double n = 0, sum = 0, sum_xy = 0, sum_x = 0, sum_xx = 0, sum_yy = 0;
    long outside = 0, inside = 0;
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&ref, 0, 9, (uint64_t)r), 0);
        assert_int_equal(harness_day(&h, 0, 9, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        assert_int_equal(d->n_customers, ref.day->n_customers);
        assert_memory_equal(d->cust.patience_min, ref.day->cust.patience_min, d->n_customers * sizeof *d->cust.patience_min);
        for (size_t i = 0; i < d->n_customers; i++) {
            double x = d->cust.patience_min[i], y = d->cust.patience_outside_min[i];
            n += 1, sum += y, sum_x += x, sum_xy += x * y, sum_xx += x * x, sum_yy += y * y;
            if (d->cust.state[i] != BS_CUST_RENEGED)
                continue;
            if (d->cust.leave_min[i] == d->cust.arrival_min[i] + y)
                outside++;
            else if (d->cust.leave_min[i] == d->cust.join_min[i] + x)
                inside++;
            else
                fail_msg("customer %zu gave up at %g, not when a patience ran out", i, d->cust.leave_min[i]);
        }
    }
    double mean = sum / n, mean_x = sum_x / n;
    double corr = (sum_xy / n - mean_x * mean) /
                  sqrt((sum_xx / n - mean_x * mean_x) * (sum_yy / n - mean * mean));
    print_message("  outside patience: mean %.4f (want 5 +- %.4f), correlation %.4f (+- %.4f)\n", mean,
                  4 * 5 / sqrt(n), corr, 4 / sqrt(n));
    assert_true(fabs(mean - 5) < 4 * 5 / sqrt(n)); /* exponential: sd = mean */
    assert_true(fabs(corr) < 4 / sqrt(n));
    assert_true(outside > 0 && inside > 0);
    harness_fini(&h);
    harness_fini(&ref);
}

/* Without a cap nobody waits outside: the option changes nothing. */
static void patience_outside_needs_a_line_outside(void **state)
{
    (void)state;
    static const char *const options[] = {"shared", "separate", "restart"};
    double first[BS_M_COUNT];
    for (int k = 0; k < 3; k++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 DAY "reneging: {patience_min: {dist: exponential, mean: 3}, patience_outside: %s}\n", options[k]);
        struct harness h;
        harness_load_ok(&h, yaml);
        assert_int_equal(harness_day(&h, 0, 4, 0), 0);
        assert_true(harness_metric(&h, BS_M_RENEGED) > 0);
        if (k == 0)
            memcpy(first, h.out.row, sizeof first);
        else
            assert_memory_equal(first, h.out.row, sizeof first);
        harness_fini(&h);
    }
}

static void screening_flags_at_its_rates(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "exposure: {prevalence_customers: 0.2, symptomatic_share: 0.6, hall_volume_m3: 300}\n"
                    "entrance: {screening: {sensitivity: 0.7, false_positive_rate: 0.03}}\n");
    double sympt = 0, sympt_flagged = 0, other = 0, other_flagged = 0;
    for (int r = 0; r < 200; r++) {
        assert_int_equal(harness_day(&h, 0, 6, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t i = 0; i < d->n_customers; i++) {
            /* Symptomatic = infectious and flagged at the sensitivity; the
             * draws are the customer's own, so recompute who is which. */
            struct bs_stream s;
            bs_stream_set(&s, 6, (uint64_t)r, BS_STREAM_HEALTH, i);
            double u_inf = bs_stream_uniform(&s), u_sym = bs_stream_uniform(&s);
            int symptomatic = u_inf < 0.2 && u_sym < 0.6;
            assert_int_equal(d->cust.infectious[i], u_inf < 0.2);
            if (symptomatic)
                sympt++, sympt_flagged += d->cust.flagged[i];
            else
                other++, other_flagged += d->cust.flagged[i];
            if (d->cust.flagged[i])
                assert_int_equal(d->cust.state[i], BS_CUST_TURNED_AWAY);
        }
    }
    double se1 = sqrt(0.7 * 0.3 / sympt), se2 = sqrt(0.03 * 0.97 / other);
    print_message("  sensitivity %.4f (N %.0f), false positives %.4f (N %.0f)\n", sympt_flagged / sympt, sympt,
                  other_flagged / other, other);
    assert_true(fabs(sympt_flagged / sympt - 0.7) < 4 * se1);
    assert_true(fabs(other_flagged / other - 0.03) < 4 * se2);
    harness_fini(&h);
}

static void bad_exposure_input_names_line_column_and_key(void **state)
{
    (void)state;
    harness_expect_input_error(DAY "exposure: {prevalence_customers: 0.1, hall_volume_m3: 300,\n"
                           "           masks: {staff: {efficiency_in: 1.2}}}\n",
                       ":6:43: exposure.masks.staff.efficiency_in: must be in [0, 1]");
    harness_expect_input_error(DAY "exposure: {prevalence_customers: 0.1, hall_volume_m3: -5}\n",
                       ":5:55: exposure.hall_volume_m3: must be in [1, 1e+06]");
    harness_expect_input_error(DAY "entrance: {occupancy_cap: 0}\n", ":5:27: entrance.occupancy_cap: must be in [1, 100000]");
    harness_expect_input_error(DAY "reneging: {patience_min: 5, patience_outside: shraed}\n",
                               ":5:47: reneging.patience_outside: 'shraed' is not one of shared, separate, restart "
                               "(did you mean shared?)");
    harness_expect_input_error(DAY "reneging: {patience_outside: restart}\n",
                               "reneging.patience_min: required: a patience distribution in minutes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_emitter_matches_the_box_model),
        cmocka_unit_test(event_integral_matches_time_stepping),
        cmocka_unit_test(zero_prevalence_zero_risk),
        cmocka_unit_test(ventilation_and_masks_never_raise_infections),
        cmocka_unit_test(cap_bounds_occupancy_and_lowers_infections),
        cmocka_unit_test(patience_runs_outside_then_again_inside),
        cmocka_unit_test(shared_patience_covers_the_whole_wait),
        cmocka_unit_test(separate_patience_is_a_second_independent_draw),
        cmocka_unit_test(patience_outside_needs_a_line_outside),
        cmocka_unit_test(screening_flags_at_its_rates),
        cmocka_unit_test(bad_exposure_input_names_line_column_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
