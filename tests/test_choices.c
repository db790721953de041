/* Tests of the customers' choices: online shift, appointment bookings and
 * no-shows, peak shifting. Shares are checked against their inputs within 4
 * binomial standard errors, sqrt(p (1 - p) / N), where N pools the
 * independent customer draws of all replications. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "queueing.h"

static void share_check(const char *what, double hits, double trials, double p)
{
    double se = sqrt(p * (1 - p) / trials), got = hits / trials;
    print_message("  %-26s %.5f (N = %.0f), input %.5f, %.1f se\n", what, got, trials, p,
                  se > 0 ? fabs(got - p) / se : 0.0);
    if (p == 0 || p == 1)
        assert_true(got == p);
    else
        assert_true(fabs(got - p) < 4 * se);
}

#define DAY                                                                              \
    "day: {hours: 8}\n"                                                                  \
    "demand: {customers_per_day: 400, profile: [1, 1, 1, 2, 2, 1, 1, 1]}\n"              \
    "segments: [{name: young, share: 0.7}, {name: old, share: 0.3}]\n"                   \
    "transactions: [{name: cash, share: 0.6, service_min: {dist: exponential, mean: 3}},\n" \
    "               {name: loan, share: 0.4, service_min: {dist: exponential, mean: 6}}]\n" \
    "counters: [{count: 8}]\n"

static void online_and_booking_shares_reproduce_inputs(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "online: {probability: {young: 0.4, old: 0.1}}\n"
                    "appointments: {slot_min: 30, capacity_per_slot: 100000, booking_probability: 0.25,\n"
                    "               transactions: [loan], noshow_probability: 0.2}\n");
    double online_y = 0, intents_y = 0, online_o = 0, intents_o = 0, booked = 0, eligible = 0, noshows = 0;
    for (int r = 0; r < 400; r++) {
        assert_int_equal(harness_day(&h, 0, 21, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t i = 0; i < d->n_customers; i++) {
            int online = d->cust.state[i] == BS_CUST_ONLINE;
            if (d->cust.segment[i] == 0) {
                intents_y++;
                online_y += online;
            } else {
                intents_o++;
                online_o += online;
            }
            if (!online && d->cust.transaction[i] == 1)
                eligible++;
        }
        booked += harness_metric(&h, BS_M_BOOKED);
        noshows += harness_metric(&h, BS_M_NOSHOWS);
        /* Every intent ends one way: online, no-show, or it arrives. */
        assert_true(harness_metric(&h, BS_M_INTENTS) ==
                    harness_metric(&h, BS_M_ONLINE) + harness_metric(&h, BS_M_NOSHOWS) + harness_metric(&h, BS_M_ARRIVED));
    }
    print_message("choices against their inputs\n");
    share_check("online, young", online_y, intents_y, 0.4);
    share_check("online, old", online_o, intents_o, 0.1);
    share_check("booked of eligible", booked, eligible, 0.25);
    share_check("no-show of booked", noshows, booked, 0.2);
    harness_fini(&h);
}

static void reminders_lower_noshows_by_their_relative_effect(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "appointments: {slot_min: 30, capacity_per_slot: 100000, booking_probability: 0.5,\n"
                    "               noshow_probability: 0.2, reminders: true, reminder_effect: 0.35}\n");
    double booked = 0, noshows = 0;
    for (int r = 0; r < 400; r++) {
        assert_int_equal(harness_day(&h, 0, 22, (uint64_t)r), 0);
        booked += harness_metric(&h, BS_M_BOOKED);
        noshows += harness_metric(&h, BS_M_NOSHOWS);
    }
    share_check("no-show with reminders", noshows, booked, 0.2 * (1 - 0.35));
    harness_fini(&h);
}

static void slots_never_overflow_and_zero_capacity_books_nobody(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "appointments:\n"
                    "  slot_min: 60\n"
                    "  capacity_per_slot: [3, 0, 5, 2, 2, 0, 4, 1]\n"
                    "  window_slots: 1\n"
                    "  booking_probability: 0.3\n"
                    "  punctuality_min: {dist: normal, mean: -3, sd: 5}\n"
                    "  grace_min: 8\n");
    static const long capacity[8] = {3, 0, 5, 2, 2, 0, 4, 1};
    double kept = 0, late = 0;
    for (int r = 0; r < 300; r++) {
        assert_int_equal(harness_day(&h, 0, 23, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        long total = 0;
        for (int s = 0; s < 8; s++) {
            assert_true(d->choice.booked_in_slot[s] <= capacity[s]);
            if (capacity[s] == 0)
                assert_int_equal(d->choice.booked_in_slot[s], 0);
            total += d->choice.booked_in_slot[s];
        }
        assert_true((double)total == harness_metric(&h, BS_M_BOOKED));
        /* Appointment holders (class appointment) arrive within the grace period. */
        for (size_t k = 0; k < d->n_arrivals; k++) {
            int32_t i = d->cust.order[k];
            if (d->cust.slot[i] >= 0) {
                assert_true(d->cust.arrival_min[i] - d->cust.slot[i] * 60.0 <= 8.0 + 1e-9);
                assert_int_equal(d->cust.class_id[i], h.ld.points[0]->ch.appointment_class);
                kept++;
            }
            if (k > 0)
                assert_true(d->cust.arrival_min[d->cust.order[k - 1]] <= d->cust.arrival_min[i]); /* in time order */
        }
        late += harness_metric(&h, BS_M_LATE_LOST_APPOINTMENT);
    }
    /* Late beyond grace: P(N(-3, 5) > 8) = Q(2.2) = 0.0139034. */
    share_check("late beyond grace", late, kept + late, 0.0139034);
    harness_fini(&h);

    harness_load_ok(&h, DAY "appointments: {slot_min: 30, capacity_per_slot: 0, booking_probability: 1}\n");
    assert_int_equal(harness_day(&h, 0, 1, 0), 0);
    assert_true(harness_metric(&h, BS_M_BOOKED) == 0);
    assert_true(harness_metric(&h, BS_M_ARRIVED) == harness_metric(&h, BS_M_INTENTS));
    harness_fini(&h);
}

static void run_shift(const char *incentive, double *shifted, double *in_window, double *peak_arrivals, int reps)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             DAY "peak_shift: {windows: [{from: \"12:00\", to: \"14:00\"}], incentive: %s, s_max: 0.6, i_half: 10}\n",
             incentive);
    struct harness h;
    harness_load_ok(&h, yaml);
    *shifted = *in_window = 0;
    for (int r = 0; r < reps; r++) {
        assert_int_equal(harness_day(&h, 0, 24, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t i = 0; i < d->n_customers; i++)
            *in_window += d->cust.intent_min[i] >= 180 && d->cust.intent_min[i] < 300;
        *shifted += harness_metric(&h, BS_M_SHIFTED);
        peak_arrivals[r] = harness_metric(&h, BS_M_PEAK_WINDOW_ARRIVALS);
        for (size_t k = 0; k < d->n_arrivals; k++) { /* shifted customers land off-peak */
            int32_t i = d->cust.order[k];
            if (d->cust.arrival_min[i] != d->cust.intent_min[i])
                assert_false(d->cust.arrival_min[i] >= 180 && d->cust.arrival_min[i] < 300);
        }
    }
    harness_fini(&h);
}

static void peak_shift_follows_the_incentive_curve(void **state)
{
    (void)state;
    enum { R = 300 };
    static const double incentives[] = {0, 5, 10, 40};
    static const char *const texts[] = {"0", "5", "10", "40"};
    double peak[4][R];
    for (int k = 0; k < 4; k++) {
        double shifted, in_window;
        run_shift(texts[k], &shifted, &in_window, peak[k], R);
        double s = 0.6 * incentives[k] / (incentives[k] + 10); /* s(I) = s_max I / (I + I_half) */
        char what[64];
        snprintf(what, sizeof what, "shifted at I = %s", texts[k]);
        share_check(what, shifted, in_window, s);
    }
    /* Common random numbers: a larger incentive never adds peak arrivals. */
    for (int k = 1; k < 4; k++)
        for (int r = 0; r < R; r++)
            assert_true(peak[k][r] <= peak[k - 1][r]);
}

/* Everyone uses a kiosk and nobody needs a counter: the kiosks are an M/M/3
 * queue (lambda 2.4/min, mu 1/min), so the mean kiosk wait is Erlang C's
 * Wq = C(3, 2.4) / (3 - 2.4), checked as a pooled ratio within 4 SE. */
static void kiosk_only_day_matches_erlang_c(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 24}\n"
                "demand: {customers_per_day: 3456}\n"
                "transactions: [{name: cash, service_min: 3}]\n"
                "counters: [{count: 1}]\n"
                "self_service: {kiosks: 3, service_min: {dist: exponential, mean: 1}, adoption: 1}\n"
                "output: {warmup_min: 720}\n");
    double sum_y = 0, sum_n = 0, sum_yy = 0, sum_yn = 0, sum_nn = 0;
    enum { R = 1000 };
    for (int r = 0; r < R; r++) {
        assert_int_equal(harness_day(&h, 0, 25, (uint64_t)r), 0);
        double y = h.day->tally.kiosk_wait_sum_min, n = (double)h.day->tally.kiosk_waits;
        sum_y += y, sum_n += n, sum_yy += y * y, sum_yn += y * n, sum_nn += n * n;
        assert_true(harness_metric(&h, BS_M_KIOSK_SERVED) == harness_metric(&h, BS_M_ARRIVED));
        assert_true(harness_metric(&h, BS_M_SERVED) == harness_metric(&h, BS_M_ARRIVED));
        assert_true(isnan(harness_metric(&h, BS_M_WAIT_MEAN_MIN))); /* nobody at a counter */
    }
    double ratio = sum_y / sum_n, ss = sum_yy - 2 * ratio * sum_yn + ratio * ratio * sum_nn;
    double se = sqrt(ss / ((double)R * (R - 1))) / (sum_n / R);
    double want = erlang_c(3, 2.4) / (3 - 2.4);
    print_message("  kiosk Wq (min)             %.5f +- %.5f (se), Erlang C %.5f, %.1f se\n", ratio, se, want,
                  fabs(ratio - want) / se);
    assert_true(fabs(ratio - want) < 4 * se);
    harness_fini(&h);
}

static void kiosk_adoption_and_counter_after_reproduce_inputs(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "self_service: {kiosks: 2, service_min: 2, transactions: [cash],\n"
                    "               adoption: {young: 0.6, old: 0.2}, counter_after_probability: 0.25}\n");
    double users_y = 0, eligible_y = 0, users_o = 0, eligible_o = 0, users = 0, after = 0;
    for (int r = 0; r < 300; r++) {
        assert_int_equal(harness_day(&h, 0, 26, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        for (size_t i = 0; i < d->n_customers; i++) {
            if (d->cust.transaction[i] != 0)
                continue;
            int kiosk = d->cust.wants_kiosk[i];
            if (d->cust.segment[i] == 0)
                eligible_y++, users_y += kiosk;
            else
                eligible_o++, users_o += kiosk;
            if (kiosk) {
                users++;
                after += d->cust.needs_counter[i];
                /* A kiosk user who needs a counter is served there after the kiosk. */
                assert_true(d->cust.needs_counter[i] ? !isnan(d->cust.start_min[i]) : isnan(d->cust.start_min[i]));
            }
        }
        /* Every intent ends one way: online, no-show, served, abandoned, turned away. */
        assert_true(harness_metric(&h, BS_M_INTENTS) ==
                    harness_metric(&h, BS_M_ONLINE) + harness_metric(&h, BS_M_NOSHOWS) +
                        harness_metric(&h, BS_M_SERVED) + harness_metric(&h, BS_M_ABANDONED) +
                        harness_metric(&h, BS_M_TURNED_AWAY));
    }
    share_check("kiosk adoption, young", users_y, eligible_y, 0.6);
    share_check("kiosk adoption, old", users_o, eligible_o, 0.2);
    share_check("counter after kiosk", after, users, 0.25);
    harness_fini(&h);
}

/* Kiosks are machines (never absent, not staff); the counters_open series
 * holds staffed counters only, agreeing with counters_open_mean. */
static void kiosks_are_not_staff(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "staffing: {absence_probability: 0.5}\n"
                    "self_service: {kiosks: 4, service_min: 2, adoption: 0.5, counter_after_probability: 0.3}\n");
    for (int r = 0; r < 50; r++) {
        assert_int_equal(harness_day(&h, 0, 27, (uint64_t)r), 0);
        assert_true(harness_metric(&h, BS_M_STAFF_ABSENT) <= 8);
        const struct bs_scenario *sc = h.ld.points[0];
        const struct bs_counter_group *kiosks = &sc->counter_groups[sc->n_counter_groups - 1];
        for (long k = kiosks->first_counter; k < kiosks->first_counter + kiosks->count; k++)
            assert_true(h.day->ctr.counter_present[k]);
        double open_sum = 0;
        for (size_t b = 0; b < sc->n_bins; b++)
            open_sum += harness_series(&h, BS_TS_COUNTERS_OPEN, b) * sc->bin_min;
        assert_true(fabs(open_sum / sc->close_min - harness_metric(&h, BS_M_COUNTERS_OPEN_MEAN)) < 1e-9);
    }
    harness_fini(&h);
}

/* Appointment holders who come after closing find the doors shut at
 * closing time; the day is not stretched to their late arrival. */
static void late_appointments_after_closing_are_turned_away(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "appointments: {slot_min: 60, capacity_per_slot: 50, booking_probability: 1,\n"
                    "               punctuality_min: {dist: normal, mean: 300, sd: 10}, grace_min: 240}\n");
    assert_int_equal(harness_day(&h, 0, 28, 0), 0);
    const struct bs_day *d = h.day;
    double after = 0;
    for (size_t k = 0; k < d->n_arrivals; k++) {
        int32_t i = d->cust.order[k];
        assert_true(d->cust.arrival_min[i] <= 480);
        after += d->cust.arrival_min[i] == 480;
    }
    assert_true(after > 0);
    assert_true(harness_metric(&h, BS_M_TURNED_AWAY) >= after);
    harness_fini(&h);

    /* Zero demand with a peak shift is a valid (empty) day. */
    harness_load_ok(&h, "demand: {customers_per_day: 0}\ntransactions: [{service_min: 2}]\ncounters: [{count: 1}]\n"
                "peak_shift: {windows: [{from: \"12:00\", to: \"13:00\"}], incentive: 1, s_max: 0.5, i_half: 1}\n");
    assert_int_equal(harness_day(&h, 0, 1, 0), 0);
    assert_true(harness_metric(&h, BS_M_ARRIVED) == 0);
    harness_fini(&h);
}


/* Poisson requests, fixed capacity: with a uniform profile and everyone
 * booking, the requests for each slot are N ~ Poisson(m), m = customers_per_day
 * x slot_min / day, independent across slots. With window_slots 0 a slot of
 * capacity k refuses (N - k)+, so the mean refused per slot is
 *   E[(N - k)+] = sum_{n > k} (n - k) P(N = n),  P(N = n) = e^-m m^n / n!,
 * checked within 4 standard errors of the mean over days x slots. Per slot
 * and per day, requested = booked + refused (nobody moves with window 0). */
static void refused_per_slot_matches_poisson_overflow(void **state)
{
    (void)state;
    enum { R = 1500, SLOTS = 16, K = 5 };
    const double m = 96.0 * 30 / 480;
    struct harness h;
    harness_load_ok(&h, "day: {hours: 8}\ndemand: {customers_per_day: 96}\n"
                    "transactions: [{name: cash, service_min: 3}]\ncounters: [{count: 4}]\n"
                    "appointments: {slot_min: 30, capacity_per_slot: 5, window_slots: 0, booking_probability: 1}\n");
    double sum = 0, sum_sq = 0;
    for (int r = 0; r < R; r++) {
        assert_int_equal(harness_day(&h, 0, 31, (uint64_t)r), 0);
        double requested = 0, booked = 0, refused = 0;
        for (int s = 0; s < SLOTS; s++) {
            double q = harness_breakdown(&h, BS_BD_SLOTS, BS_SL_REQUESTED, s);
            double b = harness_breakdown(&h, BS_BD_SLOTS, BS_SL_BOOKED, s);
            double x = harness_breakdown(&h, BS_BD_SLOTS, BS_SL_REFUSED, s);
            assert_true(q == b + x);
            assert_true(harness_breakdown(&h, BS_BD_SLOTS, BS_SL_MOVED, s) == 0);
            assert_true(x == (q > K ? q - K : 0));
            requested += q, booked += b, refused += x;
            sum += x, sum_sq += x * x;
        }
        assert_true(requested == harness_metric(&h, BS_M_BOOKINGS_REQUESTED));
        assert_true(requested == harness_metric(&h, BS_M_INTENTS)); /* everyone books */
        assert_true(booked == harness_metric(&h, BS_M_BOOKED));
        assert_true(refused == harness_metric(&h, BS_M_BOOKINGS_REFUSED));
        assert_true(harness_metric(&h, BS_M_BOOKINGS_REQUESTED) ==
                    harness_metric(&h, BS_M_BOOKED) + harness_metric(&h, BS_M_BOOKINGS_REFUSED));
        assert_true(harness_metric(&h, BS_M_SLOT_DEMAND_RATIO) == requested / (SLOTS * K));
    }
    double want = 0, pmf = exp(-m);
    for (int n = 0; n < 200; n++, pmf *= m / n)
        want += n > K ? (n - K) * pmf : 0;
    double n_obs = (double)R * SLOTS, mean = sum / n_obs;
    double se = sqrt((sum_sq / n_obs - mean * mean) / (n_obs - 1));
    print_message("  refused per slot           %.5f +- %.5f (se), E[(N - %d)+] at m = %g: %.5f, %.1f se\n", mean,
                  se, K, m, want, fabs(mean - want) / se);
    assert_true(fabs(mean - want) < 4 * se);
    harness_fini(&h);
}

/* appointments.when_full: the shares of those who find their slot full.
 * Each customer's choice is its own draw, independent of whether its slot
 * is full, so leave / (moved + refused) is binomial with p = leave. Leavers
 * never come: intents = online + noshows + bookings_refused_left + arrived. */
static void when_full_shares_send_refused_customers_their_ways(void **state)
{
    (void)state;
    struct harness h;
    harness_load_ok(&h, DAY "appointments: {slot_min: 30, capacity_per_slot: 2, window_slots: 1, booking_probability: 0.5,\n"
                    "               noshow_probability: 0.1,\n"
                    "               when_full: {other_slot: 0.5, walk_in: 0.2, leave: 0.3}}\n");
    double full = 0, left = 0;
    for (int r = 0; r < 300; r++) {
        assert_int_equal(harness_day(&h, 0, 32, (uint64_t)r), 0);
        const struct bs_day *d = h.day;
        double moved = 0, refused = 0;
        for (size_t s = 0; s < h.ld.points[0]->ch.n_slots; s++) {
            moved += harness_breakdown(&h, BS_BD_SLOTS, BS_SL_MOVED, s);
            refused += harness_breakdown(&h, BS_BD_SLOTS, BS_SL_REFUSED, s);
        }
        assert_true(moved == harness_metric(&h, BS_M_BOOKINGS_MOVED));
        assert_true(refused == harness_metric(&h, BS_M_BOOKINGS_REFUSED));
        assert_true(harness_metric(&h, BS_M_BOOKINGS_REQUESTED) ==
                    harness_metric(&h, BS_M_BOOKED) + harness_metric(&h, BS_M_BOOKINGS_REFUSED));
        assert_true(harness_metric(&h, BS_M_INTENTS) ==
                    harness_metric(&h, BS_M_ONLINE) + harness_metric(&h, BS_M_NOSHOWS) +
                        harness_metric(&h, BS_M_BOOKINGS_REFUSED_LEFT) + harness_metric(&h, BS_M_ARRIVED));
        for (size_t k = 0; k < d->n_arrivals; k++)
            assert_true(d->cust.state[d->cust.order[k]] != BS_CUST_REFUSED_LEFT);
        full += moved + refused;
        left += harness_metric(&h, BS_M_BOOKINGS_REFUSED_LEFT);
    }
    share_check("left of those finding it full", left, full, 0.3);
    harness_fini(&h);

    /* walk_in: 1 never looks at the window, so nobody moves. */
    harness_load_ok(&h, DAY "appointments: {slot_min: 30, capacity_per_slot: 1, window_slots: 3, booking_probability: 0.5,\n"
                    "               when_full: {walk_in: 1}}\n");
    for (int r = 0; r < 20; r++) {
        assert_int_equal(harness_day(&h, 0, 33, (uint64_t)r), 0);
        assert_true(harness_metric(&h, BS_M_BOOKINGS_MOVED) == 0);
        assert_true(harness_metric(&h, BS_M_BOOKINGS_REFUSED) > 0);
        assert_true(harness_metric(&h, BS_M_BOOKINGS_REFUSED_LEFT) == 0);
    }
    harness_fini(&h);
}

/* Not giving when_full is all other_slot and draws nothing: the same day. */
static void when_full_default_is_the_window_search(void **state)
{
    (void)state;
    static const char *const tails[2] = {"}\n", ", when_full: {other_slot: 1}}\n"};
    double rows[2][BS_M_COUNT];
    for (int v = 0; v < 2; v++) {
        char yaml[2048];
        snprintf(yaml, sizeof yaml, DAY "appointments: {slot_min: 30, capacity_per_slot: 2, window_slots: 1, "
                 "booking_probability: 0.5%s", tails[v]);
        struct harness h;
        harness_load_ok(&h, yaml);
        assert_int_equal(harness_day(&h, 0, 34, 0), 0);
        memcpy(rows[v], h.out.row, sizeof rows[v]);
        assert_true(rows[v][BS_M_BOOKINGS_MOVED] > 0);
        harness_fini(&h);
    }
    assert_memory_equal(rows[0], rows[1], sizeof rows[0]);
}

static void bad_choice_input_names_line_column_and_key(void **state)
{
    (void)state;
    harness_expect_input_error(DAY "appointments: {slot_min: 60, capacity_per_slot: [1, 2, 3], booking_probability: 0.1}\n",
                       ":7:49: appointments.capacity_per_slot: has 3 entries; the day has 8 slots");
    harness_expect_input_error(DAY "peak_shift: {windows: [{from: \"09:00\", to: \"17:00\"}], incentive: 1, s_max: 0.5, i_half: 1}\n",
                       "peak_shift.windows: leave no off-peak time");
    harness_expect_input_error(DAY "peak_shift: {windows: [{from: \"07:00\", to: \"08:00\"}], incentive: 1, s_max: 0.5, i_half: 1}\n",
                       ":7:31: peak_shift.windows.0.from: must be within opening hours");
    harness_expect_input_error(DAY "online: {probability: {yuong: 0.3}}\n", ":7:31: online.probability.yuong: 'yuong' is not a segment");
    harness_expect_input_error(DAY "appointments: {slot_min: 45, capacity_per_slot: 2, booking_probability: 0.1}\n",
                       "appointments.slot_min: must divide the day");
    harness_expect_input_error("day: {hours: 8}\ndemand: {customers_per_day: 10}\ntransactions: [{service_min: 2}]\n"
                       "roles: [{name: g, serves: [kiosk], others: true}]\ncounters: [{role: g, count: 1}]\n"
                       "self_service: {kiosks: 1, service_min: 2, adoption: 0.5}\n",
                       ":4:28: roles.0.serves.0: kiosk users are served by the self_service kiosks");
    harness_expect_input_error(DAY "self_service: {kiosks: 1, adoption: 0.5}\n", "self_service.service_min: required");
    harness_expect_input_error(DAY "appointments: {slot_min: 30, capacity_per_slot: 2, booking_probability: 0.1,\n"
                       "  when_full: {other_slot: 0.5, walk_in: 0.4}}\n",
                       ":8:14: appointments.when_full: shares other_slot + walk_in + leave must sum to 1 (they sum to 0.9)");
    harness_expect_input_error(DAY "appointments: {slot_min: 30, capacity_per_slot: 2, booking_probability: 0.1,\n"
                       "  when_full: {other_slot: 0.5, walkin: 0.5}}\n",
                       "appointments.when_full.walkin: 'walkin' is not an option; allowed: other_slot, walk_in, leave "
                       "(did you mean walk_in?)");
    harness_expect_input_error(DAY "appointments: {slot_min: 30, capacity_per_slot: 2, booking_probability: 0.1,\n"
                       "  when_full: {stay: 1}}\n",
                       ":8:21: appointments.when_full.stay: 'stay' is not an option; allowed: other_slot, walk_in, leave");
    harness_expect_input_error(DAY "appointments: {slot_min: 30, capacity_per_slot: 2, booking_probability: 0.1,\n"
                       "  when_full: walk_in}\n",
                       ":8:14: appointments.when_full: expected a map of shares");
    harness_expect_input_error(DAY "appointments: {slot_min: 30, capacity_per_slot: 2, booking_probability: 0.1,\n"
                       "  when_full: {leave: 1.5}}\n",
                       "appointments.when_full.leave");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(online_and_booking_shares_reproduce_inputs),
        cmocka_unit_test(reminders_lower_noshows_by_their_relative_effect),
        cmocka_unit_test(slots_never_overflow_and_zero_capacity_books_nobody),
        cmocka_unit_test(peak_shift_follows_the_incentive_curve),
        cmocka_unit_test(kiosk_only_day_matches_erlang_c),
        cmocka_unit_test(kiosk_adoption_and_counter_after_reproduce_inputs),
        cmocka_unit_test(kiosks_are_not_staff),
        cmocka_unit_test(late_appointments_after_closing_are_turned_away),
        cmocka_unit_test(refused_per_slot_matches_poisson_overflow),
        cmocka_unit_test(when_full_shares_send_refused_customers_their_ways),
        cmocka_unit_test(when_full_default_is_the_window_search),
        cmocka_unit_test(bad_choice_input_names_line_column_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
