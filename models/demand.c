/* Demand: the day's customers as a non-homogeneous Poisson process with a
 * piecewise-constant rate (demand.profile), generated exactly by a time
 * change of unit-rate exponential gaps (no short peak is skipped).
 * Everything about customer i (arrival gap, segment, transaction, balking
 * draw, service time, patience) comes from customer i's own streams, so a
 * customer is the same person in every scenario point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/rng.h"
#include "branch.h"

#define GROW(field)                                                  \
    do {                                                             \
        void *p_ = realloc(day->field, cap * sizeof *day->field);    \
        if (!p_)                                                     \
            return -1;                                               \
        day->field = p_;                                             \
    } while (0)

int bs_day_grow(struct bs_day *day)
{
    size_t cap = day->cap ? 2 * day->cap : 1024;
    GROW(arrival_min);
    GROW(service_min);
    GROW(patience_min);
    GROW(patience_outside_min);
    GROW(balk_u);
    GROW(start_min);
    GROW(order);
    GROW(intent_min);
    GROW(ticket);
    GROW(slot);
    GROW(transaction);
    GROW(noshow_u);
    GROW(shift_u);
    GROW(offset_min);
    GROW(sort_items);
    GROW(kiosk_service_min);
    GROW(outside_min);
    GROW(kiosk_line_min);
    GROW(join_min);
    GROW(counter_class);
    GROW(needs_counter);
    GROW(wants_kiosk);
    GROW(infectious);
    GROW(flagged);
    GROW(integral_at_entry);
    GROW(dose);
    GROW(enter_min);
    GROW(leave_min);
    GROW(segment);
    GROW(class_id);
    GROW(state);
    GROW(counter_of);
    GROW(next_waiting);
    GROW(wait_sample_min);
    GROW(wait_inside_sample_min);
    GROW(wait_sample_segment);
    GROW(wait_sample_customer);
    GROW(scratch);
    day->cap = cap;
    return 0;
}

static size_t pick(const double *cdf, size_t n, double u)
{
    size_t i = 0;
    while (i + 1 < n && u >= cdf[i])
        i++;
    return i;
}

/* Customer i arrives when the cumulative intensity Lambda(t) has grown by an
 * Exp(1) draw E_i from the previous arrival: t_i = Lambda^-1(Lambda(t_{i-1}) + E_i).
 * This time change is an exact non-homogeneous Poisson process for any
 * piecewise-constant profile; blocks of zero rate are stepped over. Returns
 * the arrival time, or INFINITY when the day's intensity is used up. */
static double next_arrival(const struct bs_scenario *sc, size_t *block, double *lambda, double e)
{
    *lambda += e;
    size_t b = *block;
    while (b < sc->n_profile && sc->profile_cum[b + 1] <= *lambda)
        b++;
    *block = b;
    if (b == sc->n_profile)
        return INFINITY;
    return (double)b * sc->profile_block_min + (*lambda - sc->profile_cum[b]) / sc->profile_rate_per_min[b];
}

int bs_demand_generate(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    size_t block = 0;
    double lambda = 0;
    day->n_customers = 0;
    day->online = day->booked = day->noshows = day->late_lost = day->shifted = day->peak_window_arrivals = 0;
    day->kiosk_users = 0;
    day->bookings_requested = day->bookings_moved = day->bookings_refused = day->bookings_refused_left = 0;
    memset(day->seg_online, 0, sizeof day->seg_online);
    memset(day->seg_booked, 0, sizeof day->seg_booked);
    memset(day->seg_noshows, 0, sizeof day->seg_noshows);
    for (size_t i = 0;; i++) {
        /* One Philox block holds a customer's fixed draws: arrival gap,
         * segment and transaction (one uniform, split), balking; the service
         * time follows, so a change of its distribution shifts nothing else. */
        bs_stream_seek(own, BS_STREAM_CUSTOMER, i);
        double t = next_arrival(sc, &block, &lambda, -log(bs_stream_uniform(own)));
        if (!(t < sc->close_min))
            break;
        if (i == day->cap && bs_day_grow(day))
            return -1;
        double u = bs_stream_uniform(own);
        size_t seg = pick(sc->segment_cdf, sc->n_segments, u);
        size_t tr = 0;
        if (sc->n_transactions > 1) {
            /* The position of u inside its segment's share is again uniform. */
            double below = seg ? sc->segment_cdf[seg - 1] : 0;
            double u_tr = (u - below) / (sc->segment_cdf[seg] - below);
            tr = pick(sc->transaction_cdf[seg], sc->n_transactions, u_tr);
        }
        const struct bs_transaction *tx = &sc->transactions[tr];
        day->arrival_min[i] = t;
        double balk_u = bs_stream_uniform(own); /* drawn always: the service time's place is fixed */
        if (sc->balking || sc->balk_outside) /* one draw: a customer meets one line on arriving */
            day->balk_u[i] = balk_u;
        day->segment[i] = (uint8_t)seg;
        if (sc->ch.any || sc->standards_by_transaction) /* their readers */
            day->transaction[i] = (uint8_t)tr;
        day->class_id[i] = (uint8_t)(tx->class_id >= 0 ? (size_t)tx->class_id : seg);
        day->service_min[i] = sc->segments[seg].service_factor * bs_dist_sample_fast(&tx->service_min, day->customer_rng);
        day->state[i] = BS_CUST_COMING;
        day->n_customers = i + 1;
    }
    day->n_arrivals = day->n_customers;
    if (sc->ch.any) {
        for (size_t i = 0; i < day->n_customers; i++)
            day->intent_min[i] = day->arrival_min[i];
        bs_choices_apply(day);
    }
    if (sc->ex.on)
        bs_exposure_draw_health(day);
    if (sc->reneging) { /* patience_min is read only when some segment has one */
        int separate = sc->patience_outside == BS_PATIENCE_SEPARATE;
        for (size_t i = 0; i < day->n_customers; i++) { /* for everyone, so choices shift no draws */
            const struct bs_segment *s = &sc->segments[day->segment[i]];
            day->patience_min[i] = INFINITY;
            if (separate)
                day->patience_outside_min[i] = INFINITY;
            if (!s->has_patience && !sc->has_default_patience)
                continue;
            const struct bs_dist *d = s->has_patience ? &s->patience_min : &sc->patience_min;
            bs_stream_seek(own, BS_STREAM_PATIENCE, i);
            day->patience_min[i] = bs_dist_sample(d, day->customer_rng);
            if (separate) /* drawn after the first patience, which it leaves where it was */
                day->patience_outside_min[i] = bs_dist_sample(d, day->customer_rng);
        }
    }
    return 0;
}
