/* Demand: the day's customers as a non-homogeneous Poisson process with a
 * piecewise-constant rate (demand.profile), generated exactly by a time
 * change of unit-rate exponential gaps (no short peak is skipped).
 * Everything about customer i (arrival gap, segment, transaction, balking
 * draw, service time, patience) comes from customer i's own streams, so a
 * customer is the same person in every scenario point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/invariant.h"
#include "../sim/rng.h"
#include "branch.h"

const size_t bs_customer_bytes = 0
#define BS_CUSTOMER_SIZE(type, name) +sizeof(type)
    BS_CUSTOMER_ARRAYS(BS_CUSTOMER_SIZE)
#undef BS_CUSTOMER_SIZE
    ;

int bs_customers_grow(struct bs_customers *c)
{
    size_t cap = c->cap ? 2 * c->cap : 1024;
    int failed = 0;
#define BS_CUSTOMER_GROW(type, name) c->name = bs_resize(c->name, cap, sizeof(type), &failed);
    BS_CUSTOMER_ARRAYS(BS_CUSTOMER_GROW)
#undef BS_CUSTOMER_GROW
    if (failed)
        return -1; /* the arrays that grew stay grown: cap still holds for all */
    c->cap = cap;
    return 0;
}

void bs_customers_free(struct bs_customers *c)
{
#define BS_CUSTOMER_FREE(type, name) free(c->name);
    BS_CUSTOMER_ARRAYS(BS_CUSTOMER_FREE)
#undef BS_CUSTOMER_FREE
    *c = (struct bs_customers){0};
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
    bs_choices_reset(&day->choice, &sc->ch);
    for (size_t i = 0;; i++) {
        /* One Philox block holds a customer's fixed draws: arrival gap,
         * segment and transaction (one uniform, split), balking; the service
         * time follows, so a change of its distribution shifts nothing else. */
        bs_stream_seek(own, BS_STREAM_CUSTOMER, i);
        double t = next_arrival(sc, &block, &lambda, -log(bs_stream_uniform(own)));
        if (!(t < sc->close_min))
            break;
        if (i == day->cust.cap && bs_customers_grow(&day->cust))
            return -1;
        BS_INVARIANT(i < day->cust.cap);
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
        day->cust.arrival_min[i] = t;
        double balk_u = bs_stream_uniform(own); /* drawn always: the service time's place is fixed */
        if (sc->balking || sc->balk_outside) /* one draw: a customer meets one line on arriving */
            day->cust.balk_u[i] = balk_u;
        day->cust.segment[i] = (uint8_t)seg;
        if (sc->ch.any || sc->standards_by_transaction) /* their readers */
            day->cust.transaction[i] = (uint8_t)tr;
        day->cust.class_id[i] = (uint8_t)(tx->class_id >= 0 ? (size_t)tx->class_id : seg);
        day->cust.service_min[i] =
            sc->segments[seg].service_factor * bs_dist_sample_fast(&tx->service_min, day->customer_rng);
        day->cust.state[i] = BS_CUST_COMING;
        day->n_customers = i + 1;
    }
    day->n_arrivals = day->n_customers;
    if (sc->ch.any) {
        for (size_t i = 0; i < day->n_customers; i++)
            day->cust.intent_min[i] = day->cust.arrival_min[i];
        bs_choices_apply(day);
    }
    if (sc->ex.on)
        bs_exposure_draw_health(day);
    if (sc->reneging) { /* patience_min is read only when some segment has one */
        int separate = sc->patience_outside == BS_PATIENCE_SEPARATE;
        for (size_t i = 0; i < day->n_customers; i++) { /* for everyone, so choices shift no draws */
            const struct bs_segment *s = &sc->segments[day->cust.segment[i]];
            day->cust.patience_min[i] = INFINITY;
            if (separate)
                day->cust.patience_outside_min[i] = INFINITY;
            if (!s->has_patience && !sc->has_default_patience)
                continue;
            const struct bs_dist *d = s->has_patience ? &s->patience_min : &sc->patience_min;
            bs_stream_seek(own, BS_STREAM_PATIENCE, i);
            day->cust.patience_min[i] = bs_dist_sample(d, day->customer_rng);
            if (separate) /* drawn after the first patience, which it leaves where it was */
                day->cust.patience_outside_min[i] = bs_dist_sample(d, day->customer_rng);
        }
    }
    return 0;
}
