/* One business day: reset the state, draw the customers, run the event loop
 * (counters.c), and fold the day into its metric row, breakdowns and time
 * series. Nothing here allocates once the state has grown to the scenario's
 * size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/invariant.h"
#include "../sim/rng.h"
#include "../sim/stats.h"
#include "branch.h"

int bs_timeline_fit(struct bs_timeline *tl, size_t n_bins)
{
    size_t needed = (BS_TS_COUNT + 1) * n_bins;
    if (needed <= tl->series_cap)
        return 0;
    int failed = 0;
    tl->series = bs_resize(tl->series, needed, sizeof *tl->series, &failed);
    if (failed)
        return -1;
    tl->series_cap = needed;
    return 0;
}

void bs_timeline_free(struct bs_timeline *tl)
{
    free(tl->series);
    *tl = (struct bs_timeline){0};
}

/* Every bin empty, the integrals at 0 and in the first bin. */
void bs_timeline_reset(struct bs_timeline *tl, const struct bs_scenario *sc)
{
    memset(tl->series, 0, (BS_TS_COUNT + 1) * sc->n_bins * sizeof *tl->series);
    tl->last_min = tl->inside_min = tl->waiting_min = 0;
    tl->bin = 0;
    tl->bin_end_min = sc->bin_min;
    tl->bin_inside_min = tl->bin_waiting_min = 0;
}

struct bs_day *bs_day_alloc(void)
{
    struct bs_day *day = calloc(1, sizeof *day);
    if (!day)
        return NULL;
    day->customer_rng = bs_rng_alloc();
    day->staff_rng = bs_rng_alloc();
    if (!day->customer_rng || !day->staff_rng || bs_cal_init(&day->cal, 64)) {
        bs_day_free(day);
        return NULL;
    }
    return day;
}

void bs_day_free(struct bs_day *day)
{
    if (!day)
        return;
    gsl_rng *rngs[] = {day->customer_rng, day->staff_rng};
    for (size_t i = 0; i < sizeof rngs / sizeof rngs[0]; i++)
        if (rngs[i])
            gsl_rng_free(rngs[i]);
    bs_cal_fini(&day->cal);
    bs_customers_free(&day->cust);
    bs_counters_free(&day->ctr);
    bs_timeline_free(&day->tl);
    bs_exposure_free(&day->expo);
    free(day);
}

/* Sizes the parts for sc; allocates only when sc needs more. */
static int fit(struct bs_day *day, const struct bs_scenario *sc)
{
    if (bs_counters_fit(&day->ctr, sc->n_counters) || bs_exposure_fit(&day->expo, sc->n_counters) ||
        bs_timeline_fit(&day->tl, sc->n_bins))
        return -1;
    return day->cust.cap == 0 ? bs_customers_grow(&day->cust) : 0;
}

/* Pending events: a departure per counter, a renege per waiting customer,
 * and the schedule changes (arrivals do not pass through the calendar). */
static int fit_calendar(struct bs_day *day, const struct bs_scenario *sc)
{
    size_t timers = sc->ex.occupancy_cap > 0 ? 2 : 1; /* patience outside, then again in line */
    size_t needed = timers * day->n_arrivals + (size_t)sc->n_counters + sc->n_changes + 8;
    if (needed <= day->cal.cap)
        return 0;
    bs_cal_fini(&day->cal);
    return bs_cal_init(&day->cal, needed + needed / 2);
}

/* Arrivals and waits per bin of arrival, from the customers' times, in
 * arrival order. */
static void fold_customer_series(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    const size_t nb = sc->n_bins;
    double *arrivals = day->tl.series + BS_TS_ARRIVALS * nb, *wait_sum = day->tl.series + BS_TS_WAIT_MEAN_MIN * nb;
    double *wait_count = day->tl.series + BS_TS_COUNT * nb;
    for (size_t k = 0; k < day->n_arrivals; k++) {
        int32_t i = bs_day_arrival(day, k);
        double a = day->cust.arrival_min[i], start = day->cust.start_min[i];
        size_t b = bs_day_arrival_bin(sc, a);
        arrivals[b] += 1;
        if (start == start) { /* served at a counter; the whole wait, as sampled */
            wait_sum[b] += day->ctr.wait_parts ? bs_day_whole_wait(day, i, start) : start - day->cust.join_min[i];
            wait_count[b] += 1;
        }
    }
}

/* The parts drawn before this (customers, choices) are reset by demand.c. */
static void reset(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    bs_cal_reset(&day->cal);
    day->now_min = 0;
    day->events = 0;
    bs_timeline_reset(&day->tl, sc);
    memset(&day->tally, 0, sizeof day->tally);
    bs_counters_reset(day);
    if (sc->ex.on) /* after the counters: their staff's health */
        bs_exposure_reset(day);
}

static double ratio(double num, double den)
{
    return den > 0 ? num / den : NAN;
}

/* Wait statistics of samples x[0..n): mean, p50, p90, p95, max, share
 * over 10 min (the service standard), share over 0. Many waits are exactly
 * 0 (an idle counter): those go to the front, and the percentiles are
 * selected among the positive waits only. Reorders x. */
static void wait_stats(double *x, size_t n, double out[7])
{
    double sum = 0, max = n ? x[0] : NAN;
    size_t over = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        sum += v;
        max = v > max ? v : max;
        over += v > 10.0;
        if (v <= 0) { /* swap the zero into the front block */
            x[i] = x[zeros];
            x[zeros++] = v;
        }
    }
    out[0] = ratio(sum, (double)n);
    out[4] = max;
    out[5] = ratio((double)over, (double)n);
    out[6] = ratio((double)(n - zeros), (double)n);
    static const double q[3] = {0.5, 0.9, 0.95};
    size_t above = 0; /* positive waits x[zeros..zeros+above) are <= the rest: selected before */
    for (int k = 0; k < 3; k++) {
        if (n == 0) {
            out[1 + k] = NAN;
            continue;
        }
        double pos = q[k] * (double)(n - 1);
        size_t i = (size_t)pos;
        double frac = pos - (double)i;
        if (i + 1 < zeros || (i + 1 == zeros && frac == 0)) {
            out[1 + k] = 0; /* both neighbours are zero waits */
            continue;
        }
        if (i < zeros) { /* between the last zero and the smallest positive wait */
            double least = x[zeros];
            for (size_t j = zeros + 1; j < n; j++)
                least = x[j] < least ? x[j] : least;
            out[1 + k] = frac * least;
            continue;
        }
        size_t m = n - zeros;
        double q_pos = (pos - (double)zeros) / (double)(m - 1); /* NaN when m = 1: as before, no hint */
        out[1 + k] = bs_stats_quantile_above(x + zeros, m, above, q_pos);
        if (m > 1) /* the quantiles ascend: the next selection searches above this one */
            above = (size_t)floor(q_pos * (double)(m - 1));
    }
}

/* The whole wait's parts: inside (the lines inside) and outside (the line
 * under the occupancy cap), over the same customers as the whole wait.
 * Without a cap nobody waits outside: the inside part is the whole wait,
 * whose statistics are then copied, not recomputed. Before the whole
 * wait's own statistics: those reorder its samples. */
static void fold_wait_parts(struct bs_day *day, double *row, double *seg_out, size_t es)
{
    const struct bs_scenario *sc = day->sc;
    const size_t n = day->tally.n_wait_samples;
    row[BS_M_WAIT_OUTSIDE_MEAN_MIN] = ratio(day->tally.wait_outside_sum_min, (double)n);
    if (sc->ex.occupancy_cap == 0) {
        row[BS_M_WAIT_INSIDE_MEAN_MIN] = NAN; /* set from the whole wait's statistics */
        for (size_t s = 0; s < sc->n_segments; s++)
            seg_out[BS_SM_WAIT_INSIDE_MEAN_MIN * es + s] = seg_out[BS_SM_WAIT_MEAN_MIN * es + s];
        return;
    }
    double sum[BS_SEGMENTS_MAX] = {0}, count[BS_SEGMENTS_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        sum[day->cust.wait_sample_segment[i]] += day->cust.wait_inside_sample_min[i];
        count[day->cust.wait_sample_segment[i]] += 1;
    }
    for (size_t s = 0; s < sc->n_segments; s++)
        seg_out[BS_SM_WAIT_INSIDE_MEAN_MIN * es + s] = ratio(sum[s], count[s]);
    double w[7];
    wait_stats(day->cust.wait_inside_sample_min, n, w);
    row[BS_M_WAIT_INSIDE_MEAN_MIN] = w[0];
    row[BS_M_WAIT_INSIDE_P90_MIN] = w[2];
    row[BS_M_WAIT_INSIDE_P95_MIN] = w[3];
}

/* Service times of the customers counted in the wait statistics, summed in
 * the order they started service (as the event loop once did). The
 * 10 minutes are in the metric's name: the standards section sets others. */
static void fold_service(const struct bs_day *day, double *row)
{
    double sum_min = 0;
    size_t over = 0, n = day->tally.n_wait_samples;
    for (size_t k = 0; k < n; k++) {
        double service_min = day->cust.service_min[day->cust.wait_sample_customer[k]];
        sum_min += service_min;
        over += service_min > 10.0;
    }
    row[BS_M_SERVICE_MEAN_MIN] = ratio(sum_min, (double)n);
    row[BS_M_SHARE_SERVICE_OVER_10MIN] = ratio((double)over, (double)n);
}

/* Doses to risks, and close contacts from the stays' overlaps. */
static void fold_exposure(struct bs_day *day, double *row, double day_end_min)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_exposure *ex = &sc->ex;
    row[BS_M_PERSON_MINUTES_INSIDE] = day->tally.sojourn_sum_min;
    row[BS_M_SCREENED_OUT] = (double)day->tally.flagged_count;
    row[BS_M_OUTSIDE_WAIT_MEAN_MIN] = ratio(day->tally.outside_wait_sum_min, (double)day->tally.outside_admitted);
    if (!ex->on) {
        for (int m = BS_M_INFECTIOUS_VISITORS; m <= BS_M_COUNTER_CONTACTS; m++)
            row[m] = NAN;
        return;
    }
    double risk_sum = 0, risk_max = 0, susceptible = 0, infectious_in = 0;
    size_t n_inside = 0;
    for (size_t i = 0; i < day->n_customers; i++) {
        if (!(day->cust.enter_min[i] == day->cust.enter_min[i]))
            continue; /* never inside */
        n_inside++;
        if (day->cust.infectious[i]) {
            infectious_in++;
            continue;
        }
        double risk = -expm1(-day->cust.dose[i]);
        risk_sum += risk;
        risk_max = risk > risk_max ? risk : risk_max;
        susceptible++;
    }
    double staff_risk_sum = 0, staff_susceptible = 0, staff_infectious = 0;
    for (long k = 0; k < sc->n_counters; k++) {
        if (!day->ctr.counter_present[k] || (sc->ch.self_service && day->ctr.counter_role[k] == sc->ch.kiosk_role))
            continue;
        if (day->expo.staff_infectious[k]) {
            staff_infectious++;
            continue;
        }
        double dose = ex->inhalation_staff_m3_per_h * (1 - ex->mask_in_staff) * day->expo.conc_integral +
                      day->expo.staff_near_dose[k];
        staff_risk_sum += -expm1(-dose);
        staff_susceptible++;
    }
    /* Close contacts: every stay overlaps the staff's day; customers pairwise. */
    double contacts = staff_infectious * staff_susceptible * (day_end_min >= ex->contact_min);
    for (size_t a = 0; a < day->n_customers; a++) {
        if (!(day->cust.enter_min[a] == day->cust.enter_min[a]))
            continue;
        double a0 = day->cust.enter_min[a], a1 = day->cust.leave_min[a];
        int a_inf = day->cust.infectious[a];
        if (a1 - a0 >= ex->contact_min)
            contacts += a_inf ? staff_susceptible : staff_infectious;
        if (!a_inf)
            continue;
        for (size_t b = 0; b < day->n_customers; b++) {
            if (day->cust.infectious[b] || !(day->cust.enter_min[b] == day->cust.enter_min[b]))
                continue;
            double lo = a0 > day->cust.enter_min[b] ? a0 : day->cust.enter_min[b];
            double hi = a1 < day->cust.leave_min[b] ? a1 : day->cust.leave_min[b];
            contacts += hi - lo >= ex->contact_min;
        }
    }
    (void)n_inside;
    row[BS_M_INFECTIOUS_VISITORS] = infectious_in;
    row[BS_M_EXPECTED_INFECTIONS_CUSTOMERS] = risk_sum;
    row[BS_M_EXPECTED_INFECTIONS_STAFF] = staff_risk_sum;
    row[BS_M_RISK_MEAN_CUSTOMER] = ratio(risk_sum, susceptible);
    row[BS_M_RISK_MAX_CUSTOMER] = susceptible > 0 ? risk_max : NAN;
    row[BS_M_RISK_MEAN_STAFF] = ratio(staff_risk_sum, staff_susceptible);
    row[BS_M_CLOSE_CONTACTS] = contacts;
    row[BS_M_COUNTER_CONTACTS] = (double)day->tally.counter_contacts;
}

static void fold_slots(const struct bs_day *day, const struct bs_day_out *out)
{
    const struct bs_choices *ch = &day->sc->ch;
    double *slot_out = out->breakdown[BS_BD_SLOTS];
    size_t ss = out->entity_stride[BS_BD_SLOTS];
    for (size_t k = 0; ch->appointments && k < ch->n_slots; k++) {
        slot_out[BS_SL_REQUESTED * ss + k] = (double)day->choice.requested_in_slot[k];
        slot_out[BS_SL_BOOKED * ss + k] = (double)day->choice.booked_in_slot[k];
        slot_out[BS_SL_MOVED * ss + k] = (double)day->choice.moved_from_slot[k];
        slot_out[BS_SL_REFUSED * ss + k] = (double)day->choice.refused_in_slot[k];
        slot_out[BS_SL_DEMAND_RATIO * ss + k] =
            ratio((double)day->choice.requested_in_slot[k], (double)ch->capacity[k]);
    }
}

/* Quantity q of sample k: its wait, or customer i's service or stay. */
static inline __attribute__((always_inline)) double pooled_value(const struct bs_day *day, int q, size_t k,
                                                                   int32_t i)
{
    if (q == BS_P_WAIT_MIN)
        return day->cust.wait_sample_min[k];
    return q == BS_P_SERVICE_MIN ? day->cust.service_min[i] : day->cust.leave_min[i] - day->cust.arrival_min[i];
}

/* bs_pool_add of quantity q (a constant) for every sample of a day with one
 * entity, the sums kept in registers: the same additions in the same order,
 * so the same sums. One quantity a loop: three in one loop spill. */
static inline __attribute__((always_inline)) void pool_one_entity(const struct bs_day *day,
                                                                    const struct bs_pool_out *p, int q)
{
    uint32_t *hist = p->hist + (size_t)q * BS_POOL_BINS;
    double *s = p->sums + (size_t)q * BS_POOL_PER_ENTITY;
    double sum = s[BS_POOL_SUM], max = s[BS_POOL_MAX];
    size_t counted = 0;
    for (size_t k = 0; k < day->tally.n_wait_samples; k++) {
        double v_min = pooled_value(day, q, k, q == BS_P_WAIT_MIN ? 0 : day->cust.wait_sample_customer[k]);
        if (!(v_min == v_min))
            continue;
        hist[bs_pool_bin(v_min)]++;
        sum += v_min;
        counted++;
        max = v_min > max ? v_min : max;
    }
    s[BS_POOL_SUM] = sum;
    s[BS_POOL_N] += (double)counted; /* exact: the same as adding 1 counted times */
    s[BS_POOL_MAX] = max;
}

/* Every counted customer's wait, service and time in the branch into the
 * pooled sums and histograms, in the order the waits were taken. */
static void fold_pooled(const struct bs_day *day, const struct bs_pool_out *pool)
{
    if (!pool->hist)
        return;
    if (pool->entities == 1) {
        pool_one_entity(day, pool, BS_P_WAIT_MIN);
        pool_one_entity(day, pool, BS_P_SERVICE_MIN);
        pool_one_entity(day, pool, BS_P_TIME_IN_BRANCH_MIN);
        return;
    }
    for (size_t n = 0; n < day->tally.n_wait_samples; n++) {
        int32_t i = day->cust.wait_sample_customer[n];
        size_t seg = day->cust.segment[i];
        bs_pool_add(pool, BS_P_WAIT_MIN, seg, day->cust.wait_sample_min[n]);
        bs_pool_add(pool, BS_P_SERVICE_MIN, seg, day->cust.service_min[i]);
        bs_pool_add(pool, BS_P_TIME_IN_BRANCH_MIN, seg, day->cust.leave_min[i] - day->cust.arrival_min[i]);
    }
}

/* What the customers chose: online, bookings, no-shows, shifts, kiosks. */
static void fold_choices(const struct bs_day *day, double *row)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_choices *ch = &sc->ch;
    const struct bs_choice_state *cs = &day->choice;
    double capacity = 0;
    for (size_t k = 0; ch->appointments && k < ch->n_slots; k++)
        capacity += (double)ch->capacity[k];
    row[BS_M_INTENTS] = (double)day->n_customers;
    row[BS_M_ONLINE] = (double)cs->online;
    row[BS_M_SHARE_ONLINE] = ratio((double)cs->online, (double)day->n_customers);
    row[BS_M_BOOKINGS_REQUESTED] = (double)cs->bookings_requested;
    row[BS_M_BOOKINGS_REFUSED] = (double)cs->bookings_refused;
    row[BS_M_BOOKINGS_REFUSED_LEFT] = (double)cs->bookings_refused_left;
    row[BS_M_BOOKINGS_MOVED] = (double)cs->bookings_moved;
    row[BS_M_SLOT_DEMAND_RATIO] = ratio((double)cs->bookings_requested, capacity);
    row[BS_M_BOOKED] = (double)cs->booked;
    row[BS_M_NOSHOWS] = (double)cs->noshows;
    row[BS_M_LATE_LOST_APPOINTMENT] = (double)cs->late_lost;
    row[BS_M_SLOT_UTILIZATION] = ratio((double)(cs->booked - cs->noshows), capacity);
    row[BS_M_APPOINTMENT_WAIT_MEAN_MIN] =
        ratio(day->tally.appointment_wait_sum_min, (double)day->tally.appointment_waits);
    row[BS_M_SHIFTED] = (double)cs->shifted;
    row[BS_M_PEAK_WINDOW_ARRIVALS] = ch->peak_shift ? (double)cs->peak_window_arrivals : NAN;
    int kr = ch->kiosk_role;
    row[BS_M_KIOSK_USERS] = (double)cs->kiosk_users;
    row[BS_M_KIOSK_SERVED] = (double)day->tally.kiosk_served;
    row[BS_M_KIOSK_WAIT_MEAN_MIN] = ratio(day->tally.kiosk_wait_sum_min, (double)day->tally.kiosk_waits);
    row[BS_M_KIOSK_UTILIZATION] =
        ch->self_service ? ratio(day->tally.busy_counter_min[kr], day->ctr.open_counter_min[kr]) : NAN;
}

/* What became of those who came, and the counters' and the hall's day. */
static void fold_counts(const struct bs_day *day, double *row, double day_end_min)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_tallies *t = &day->tally;
    double open_sum = 0, busy_sum = 0, open_close_sum = 0; /* staffed counters: kiosks left out */
    for (size_t r = 0; r < sc->n_roles; r++) {
        if (sc->ch.self_service && (int)r == sc->ch.kiosk_role)
            continue;
        open_sum += day->ctr.open_counter_min[r];
        busy_sum += t->busy_counter_min[r];
        open_close_sum += day->ctr.open_until_close_min[r];
    }
    row[BS_M_ARRIVED] = (double)day->n_arrivals;
    row[BS_M_SERVED] = (double)t->served;
    row[BS_M_BALKED] = (double)t->balked;
    row[BS_M_RENEGED] = (double)t->reneged;
    row[BS_M_ABANDONED] = (double)(t->balked + t->reneged);
    row[BS_M_TURNED_AWAY] = (double)t->turned_away;
    fold_service(day, row);
    row[BS_M_TIME_IN_BRANCH_MEAN_MIN] = ratio(t->sojourn_sum_min, (double)day->n_arrivals);
    row[BS_M_COUNTER_UTILIZATION] = ratio(busy_sum, open_sum);
    row[BS_M_COUNTERS_OPEN_MEAN] = open_close_sum / sc->close_min;
    row[BS_M_STAFF_ABSENT] = (double)day->ctr.staff_absent;
    row[BS_M_PEAK_OCCUPANCY] = (double)t->peak_inside;
    row[BS_M_OCCUPANCY_MEAN] = day->tl.inside_min / day_end_min;
    row[BS_M_DAY_END_MIN] = day_end_min;
    row[BS_M_EVENTS] = (double)day->events;
}

/* Per segment: the counts and the wait statistics. Gathering a segment's
 * samples into scratch keeps their order; with one segment the samples
 * are everyone's, and w keeps their statistics for fold_waits. */
static void fold_segments(struct bs_day *day, const struct bs_day_out *out, double w[7])
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_tallies *t = &day->tally;
    double *seg_out = out->breakdown[BS_BD_SEGMENTS];
    size_t es = out->entity_stride[BS_BD_SEGMENTS];
    for (size_t s = 0; s < sc->n_segments; s++) {
        if (sc->n_segments == 1) { /* the segment is everyone: no copy needed */
            wait_stats(day->cust.wait_sample_min, t->n_wait_samples, w);
        } else {
            size_t n = 0;
            for (size_t i = 0; i < t->n_wait_samples; i++)
                if (day->cust.wait_sample_segment[i] == s)
                    day->cust.scratch[n++] = day->cust.wait_sample_min[i];
            wait_stats(day->cust.scratch, n, w);
        }
        seg_out[BS_SM_ARRIVED * es + s] = (double)t->seg_arrived[s];
        seg_out[BS_SM_SERVED * es + s] = (double)t->seg_served[s];
        seg_out[BS_SM_BALKED * es + s] = (double)t->seg_balked[s];
        seg_out[BS_SM_RENEGED * es + s] = (double)t->seg_reneged[s];
        seg_out[BS_SM_TURNED_AWAY * es + s] = (double)t->seg_turned_away[s];
        seg_out[BS_SM_ONLINE * es + s] = (double)day->choice.seg_online[s];
        seg_out[BS_SM_BOOKED * es + s] = (double)day->choice.seg_booked[s];
        seg_out[BS_SM_NOSHOWS * es + s] = (double)day->choice.seg_noshows[s];
        seg_out[BS_SM_WAIT_MEAN_MIN * es + s] = w[0];
        seg_out[BS_SM_WAIT_P90_MIN * es + s] = w[2];
        seg_out[BS_SM_SHARE_WAIT_OVER_10MIN * es + s] = w[5];
    }
}

static void fold_roles(const struct bs_day *day, const struct bs_day_out *out)
{
    const struct bs_scenario *sc = day->sc;
    double *role_out = out->breakdown[BS_BD_ROLES];
    size_t rs = out->entity_stride[BS_BD_ROLES];
    for (size_t r = 0; r < sc->n_roles; r++) {
        role_out[BS_RM_COUNTER_UTILIZATION * rs + r] =
            ratio(day->tally.busy_counter_min[r], day->ctr.open_counter_min[r]);
        role_out[BS_RM_COUNTERS_OPEN_MEAN * rs + r] = day->ctr.open_until_close_min[r] / sc->close_min;
    }
}

/* The whole wait's statistics over everyone: w from fold_segments with
 * one segment, else computed here. It reorders the samples: last. */
static void fold_waits(struct bs_day *day, double *row, double w[7])
{
    const struct bs_scenario *sc = day->sc;
    if (sc->n_segments > 1)
        wait_stats(day->cust.wait_sample_min, day->tally.n_wait_samples, w);
    row[BS_M_WAIT_MEAN_MIN] = w[0];
    row[BS_M_WAIT_P50_MIN] = w[1];
    row[BS_M_WAIT_P90_MIN] = w[2];
    row[BS_M_WAIT_P95_MIN] = w[3];
    row[BS_M_WAIT_MAX_MIN] = w[4];
    row[BS_M_SHARE_WAIT_OVER_10MIN] = w[5];
    row[BS_M_SHARE_WAITED] = w[6];
    if (sc->ex.occupancy_cap == 0) { /* nobody waited outside: the whole wait is inside */
        row[BS_M_WAIT_INSIDE_MEAN_MIN] = w[0];
        row[BS_M_WAIT_INSIDE_P90_MIN] = w[2];
        row[BS_M_WAIT_INSIDE_P95_MIN] = w[3];
    }
}

/* The time series: per-bin integrals to means over the bin. */
static void fold_series(const struct bs_day *day, const struct bs_day_out *out)
{
    const struct bs_scenario *sc = day->sc;
    const size_t nb = sc->n_bins, bs = out->bin_stride;
    const double *series = day->tl.series, *wait_count = day->tl.series + BS_TS_COUNT * nb;
    for (size_t b = 0; b < nb; b++) {
        out->series[BS_TS_ARRIVALS * bs + b] = series[BS_TS_ARRIVALS * nb + b];
        out->series[BS_TS_OCCUPANCY * bs + b] = series[BS_TS_OCCUPANCY * nb + b] / sc->bin_min;
        out->series[BS_TS_QUEUE_LENGTH * bs + b] = series[BS_TS_QUEUE_LENGTH * nb + b] / sc->bin_min;
        out->series[BS_TS_COUNTERS_OPEN * bs + b] = series[BS_TS_COUNTERS_OPEN * nb + b] / sc->bin_min;
        out->series[BS_TS_WAIT_MEAN_MIN * bs + b] = ratio(series[BS_TS_WAIT_MEAN_MIN * nb + b], wait_count[b]);
        out->series[BS_TS_CONCENTRATION * bs + b] = sc->ex.on ? series[BS_TS_CONCENTRATION * nb + b] : NAN;
    }
}

/* The day into its metric row, breakdowns and series. The order matters
 * where samples are read in order and then reordered (see each part). */
static void fold(struct bs_day *day, const struct bs_day_out *out)
{
    const struct bs_scenario *sc = day->sc;
    double day_end_min = day->now_min > sc->close_min ? day->now_min : sc->close_min;
    fold_pooled(day, &out->pool); /* before wait_stats reorders the samples */
    fold_choices(day, out->row);
    fold_counts(day, out->row, day_end_min);
    bs_standards_fold(day, out); /* reads the samples in their order */
    double w[7];
    fold_segments(day, out, w);
    fold_roles(day, out);
    fold_wait_parts(day, out->row, out->breakdown[BS_BD_SEGMENTS], out->entity_stride[BS_BD_SEGMENTS]);
    fold_slots(day, out);
    fold_waits(day, out->row, w);
    fold_exposure(day, out->row, day_end_min);
    fold_customer_series(day);
    fold_series(day, out);
}

/* The counters of group g at the end of the day: every open one idle on
 * its stack, none closing or busy, no more open than staff present. */
static int counters_at_rest(const struct bs_day *day, size_t g)
{
    const struct bs_counter_group *grp = &day->sc->counter_groups[g];
    const struct bs_counters *ct = &day->ctr;
    long idle = 0;
    for (long k = grp->first_counter; k < grp->first_counter + grp->count; k++) {
        if (ct->counter_state[k] == BS_COUNTER_BUSY || ct->counter_closing[k])
            return 0;
        idle += ct->counter_state[k] == BS_COUNTER_IDLE;
    }
    return ct->n_closing[g] == 0 && ct->n_idle[g] == idle && ct->open[g] == idle && ct->open[g] <= ct->present[g];
}

int bs_day_conserved(const struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_tallies *t = &day->tally;
    const struct bs_choice_state *cs = &day->choice;
    uint64_t arrived = 0, served = 0, left = 0;
    for (size_t s = 0; s < sc->n_segments; s++) {
        arrived += t->seg_arrived[s];
        served += t->seg_served[s];
        left += t->seg_balked[s] + t->seg_reneged[s] + t->seg_turned_away[s];
    }
    long open_total = 0;
    for (size_t g = 0; g < sc->n_counter_groups; g++) {
        if (!counters_at_rest(day, g))
            return 0;
        int kiosks = sc->ch.self_service && sc->counter_groups[g].role == sc->ch.kiosk_role;
        open_total += kiosks ? 0 : day->ctr.open[g];
    }
    uint64_t stayed_away = cs->online + cs->noshows + cs->bookings_refused_left;
    return t->served + t->balked + t->reneged + t->turned_away == day->n_arrivals && arrived == day->n_arrivals &&
           served == t->served && left == t->balked + t->reneged + t->turned_away &&
           day->n_arrivals + stayed_away == day->n_customers && day->ctr.inside == 0 &&
           day->ctr.waiting_total == 0 && day->ctr.outside == 0 && open_total == day->ctr.open_total &&
           t->n_wait_samples <= t->served;
}

int bs_day_run(struct bs_day *day, const struct bs_scenario *sc, uint64_t seed,
               uint64_t replication, const struct bs_day_out *out, struct bs_error *err)
{
    day->sc = sc;
    if (fit(day, sc))
        return bs_error_set(err, BS_ERR_RUN, "out of memory sizing the day for %ld counters", sc->n_counters);
    bs_stream_set(bs_rng_stream(day->customer_rng), seed, replication, BS_STREAM_CUSTOMER, 0);
    bs_stream_set(bs_rng_stream(day->staff_rng), seed, replication, BS_STREAM_STAFF, 0);
    if (bs_demand_generate(day) || fit_calendar(day, sc))
        return bs_error_set(err, BS_ERR_RUN, "out of memory storing the day's customers");
    if (day->n_customers > INT32_MAX - 1)
        return bs_error_set(err, BS_ERR_RUN, "more than %d customers in a day", INT32_MAX);
    reset(day);
    day->calendar_full = 0;
    bs_counters_run(day);
    if (day->calendar_full)
        return bs_error_set(err, BS_ERR_RUN, "event calendar full (capacity %zu): a bug, please report it",
                            day->cal.cap);
    /* Counters stay open until closing even when the branch empties early;
     * anyone still waiting is sent away then. */
    if (day->now_min < sc->close_min) {
        bs_day_advance(day, sc->close_min);
        day->now_min = sc->close_min;
    }
    bs_counters_close_day(day);
    BS_INVARIANT(bs_day_conserved(day));
    bs_counters_track_open(day, day->now_min > sc->close_min ? day->now_min : sc->close_min);
    if (day->tl.last_min < (double)sc->n_bins * sc->bin_min) /* close the last bins (nobody is inside) */
        bs_day_advance(day, (double)sc->n_bins * sc->bin_min);
    if (sc->ex.on) /* the staff breathe the hall's air until the last customer leaves */
        bs_exposure_advance(day, day->now_min > sc->close_min ? day->now_min : sc->close_min);
    fold(day, out);
    return 0;
}
