/* Demand: the day's customers as a non-homogeneous Poisson process with a
 * piecewise-constant rate (demand.profile), generated exactly: exponential
 * gaps at each block's rate, restarting at the block's end (memorylessness
 * makes that exact, and no short peak is skipped). Arrival times come from
 * the arrivals stream; everything about customer i (segment, transaction,
 * balking draw, service time, patience) from customer i's own streams, so
 * a customer is the same person in every scenario point. */
#include <math.h>
#include <stdlib.h>

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
    GROW(balk_u);
    GROW(start_min);
    GROW(leave_min);
    GROW(segment);
    GROW(class_id);
    GROW(state);
    GROW(counter_of);
    GROW(next_waiting);
    GROW(wait_sample_min);
    GROW(wait_sample_segment);
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

static int generate_times(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    struct bs_stream *gaps = bs_rng_stream(day->arrival_rng);
    const double block_min = sc->close_min / (double)sc->n_profile;
    for (size_t b = 0; b < sc->n_profile; b++) {
        double rate = sc->profile_rate_per_min[b];
        if (rate <= 0)
            continue;
        double t = (double)b * block_min, end = b + 1 == sc->n_profile ? sc->close_min : (double)(b + 1) * block_min;
        for (;;) {
            t -= log(bs_stream_uniform(gaps)) / rate; /* exponential gaps; uniforms are never 0 */
            if (t >= end)
                break;
            if (day->n_customers == day->cap && bs_day_grow(day))
                return -1;
            day->arrival_min[day->n_customers++] = t;
        }
    }
    return 0;
}

int bs_demand_generate(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->n_customers = 0;
    if (sc->customers_per_day > 0 && generate_times(day))
        return -1;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    for (size_t i = 0; i < day->n_customers; i++) {
        /* Fixed-count draws first, so a change of service distribution does
         * not shift a customer's other draws. */
        bs_stream_seek(own, BS_STREAM_CUSTOMER, i);
        size_t seg = pick(sc->segment_cdf, sc->n_segments, bs_stream_uniform(own));
        size_t tr = pick(sc->transaction_cdf[seg], sc->n_transactions, bs_stream_uniform(own));
        day->balk_u[i] = bs_stream_uniform(own);
        const struct bs_transaction *t = &sc->transactions[tr];
        day->segment[i] = (uint8_t)seg;
        day->class_id[i] = (uint8_t)(t->class_id >= 0 ? (size_t)t->class_id : seg);
        day->service_min[i] = sc->segments[seg].service_factor * bs_dist_sample(&t->service_min, day->customer_rng);
        day->patience_min[i] = INFINITY;
        day->state[i] = BS_CUST_COMING;
        day->start_min[i] = NAN; /* stays NaN unless served; leave_min is always set */
        day->counter_of[i] = -1;
    }
    if (sc->reneging) {
        for (size_t i = 0; i < day->n_customers; i++) {
            const struct bs_segment *s = &sc->segments[day->segment[i]];
            if (!s->has_patience && !sc->has_default_patience)
                continue;
            bs_stream_seek(own, BS_STREAM_PATIENCE, i);
            day->patience_min[i] = bs_dist_sample(s->has_patience ? &s->patience_min : &sc->patience_min,
                                                  day->customer_rng);
        }
    }
    return 0;
}
