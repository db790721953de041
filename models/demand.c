/* Demand: the day's customers as a Poisson process over opening hours.
 * Arrival times come from the arrivals stream; everything about customer i
 * (transaction, service time) from customer i's own stream, so a customer
 * is the same person in every scenario point. */
#include <math.h>
#include <stdlib.h>

#include "../sim/rng.h"
#include "branch.h"

static int grow(struct bs_day *day)
{
    size_t cap = day->cap ? 2 * day->cap : 1024;
    double *a = realloc(day->arrival_min, cap * sizeof *a);
    if (!a)
        return -1;
    day->arrival_min = a;
    double *s = realloc(day->service_min, cap * sizeof *s);
    if (!s)
        return -1;
    day->service_min = s;
    double *w = realloc(day->wait_sample_min, cap * sizeof *w);
    if (!w)
        return -1;
    day->wait_sample_min = w;
    int32_t *q = realloc(day->queue, cap * sizeof *q);
    if (!q)
        return -1;
    day->queue = q;
    day->cap = cap;
    return 0;
}

static size_t pick_transaction(const struct bs_scenario *sc, double u)
{
    size_t t = 0;
    while (t + 1 < sc->n_transactions && u >= sc->transaction_cdf[t])
        t++;
    return t;
}

int bs_demand_generate(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->n_customers = 0;
    if (sc->customers_per_day <= 0)
        return 0;
    const double mean_gap_min = sc->close_min / sc->customers_per_day;
    struct bs_stream *gaps = bs_rng_stream(day->arrival_rng);
    double t = 0;
    for (;;) {
        t -= mean_gap_min * log(bs_stream_uniform(gaps)); /* exponential gaps, (0,1) uniforms */
        if (t >= sc->close_min)
            break;
        if (day->n_customers == day->cap && grow(day))
            return -1;
        day->arrival_min[day->n_customers++] = t;
    }
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    for (size_t i = 0; i < day->n_customers; i++) {
        bs_stream_seek(own, BS_STREAM_CUSTOMER, i);
        size_t tr = pick_transaction(sc, bs_stream_uniform(own));
        day->service_min[i] = bs_dist_sample(&sc->transactions[tr].service_min, day->customer_rng);
    }
    return 0;
}
