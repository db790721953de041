/* One business day: reset the state, draw the customers, run the event loop,
 * and fold the day into one metric row. Nothing here allocates once the
 * state has grown to the scenario's size. */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "../sim/rng.h"
#include "../sim/stats.h"
#include "branch.h"

typedef void (*bs_handler)(struct bs_day *day, int32_t arg);

static const bs_handler handlers[BS_EV_COUNT] = {
    [BS_EV_ARRIVAL] = bs_counters_on_arrival,
    [BS_EV_DEPARTURE] = bs_counters_on_departure,
};

struct bs_day *bs_day_alloc(void)
{
    struct bs_day *day = calloc(1, sizeof *day);
    if (!day)
        return NULL;
    day->arrival_rng = bs_rng_alloc();
    day->customer_rng = bs_rng_alloc();
    if (!day->arrival_rng || !day->customer_rng || bs_cal_init(&day->cal, 64)) {
        bs_day_free(day);
        return NULL;
    }
    return day;
}

void bs_day_free(struct bs_day *day)
{
    if (!day)
        return;
    if (day->arrival_rng)
        gsl_rng_free(day->arrival_rng);
    if (day->customer_rng)
        gsl_rng_free(day->customer_rng);
    bs_cal_fini(&day->cal);
    free(day->arrival_min);
    free(day->service_min);
    free(day->wait_sample_min);
    free(day->queue);
    free(day->idle_counters);
    free(day);
}

/* Sizes the state for sc; allocation happens only when sc needs more. */
static int fit(struct bs_day *day, const struct bs_scenario *sc)
{
    if (sc->n_counters > day->counters_cap) {
        int32_t *idle = realloc(day->idle_counters, (size_t)sc->n_counters * sizeof *idle);
        if (!idle)
            return -1;
        day->idle_counters = idle;
        day->counters_cap = sc->n_counters;
    }
    /* Pending events: the next arrival and one departure per counter. */
    size_t events_needed = (size_t)sc->n_counters + 8;
    if (events_needed > day->cal.cap) {
        bs_cal_fini(&day->cal);
        if (bs_cal_init(&day->cal, events_needed))
            return -1;
    }
    return 0;
}

static void fold_metrics(struct bs_day *day, double *row)
{
    const struct bs_scenario *sc = day->sc;
    double n = (double)day->n_wait_samples;
    double wait_sum = 0, wait_max = n > 0 ? 0 : NAN;
    for (size_t i = 0; i < day->n_wait_samples; i++) {
        wait_sum += day->wait_sample_min[i];
        wait_max = day->wait_sample_min[i] > wait_max ? day->wait_sample_min[i] : wait_max;
    }
    double day_end_min = day->now_min > sc->close_min ? day->now_min : sc->close_min;
    row[BS_M_ARRIVED] = (double)day->n_customers;
    row[BS_M_SERVED] = (double)day->served;
    row[BS_M_WAIT_MEAN_MIN] = n > 0 ? wait_sum / n : NAN;
    row[BS_M_WAIT_MAX_MIN] = wait_max;
    row[BS_M_SHARE_WAITED] = n > 0 ? (double)day->waited / n : NAN;
    row[BS_M_SHARE_WAIT_OVER_10MIN] = n > 0 ? (double)day->waited_over_10min / n : NAN;
    row[BS_M_SERVICE_MEAN_MIN] = n > 0 ? day->service_sum_min / n : NAN;
    row[BS_M_COUNTER_UTILIZATION] = day->busy_min / ((double)sc->n_counters * day_end_min);
    row[BS_M_DAY_END_MIN] = day_end_min;
    row[BS_M_EVENTS] = (double)day->events;
    /* Last: selection reorders the samples. */
    row[BS_M_WAIT_P90_MIN] = bs_stats_quantile_inplace(day->wait_sample_min, day->n_wait_samples, 0.9);
}

int bs_day_run(struct bs_day *day, const struct bs_scenario *sc, uint64_t seed,
               uint64_t replication, double *row, struct bs_error *err)
{
    day->sc = sc;
    if (fit(day, sc))
        return bs_error_set(err, BS_ERR_RUN, "out of memory sizing the day for %ld counters", sc->n_counters);
    bs_stream_set(bs_rng_stream(day->arrival_rng), seed, replication, BS_STREAM_ARRIVALS, 0);
    bs_stream_set(bs_rng_stream(day->customer_rng), seed, replication, BS_STREAM_CUSTOMER, 0);
    if (bs_demand_generate(day))
        return bs_error_set(err, BS_ERR_RUN, "out of memory storing the day's customers");
    if (day->n_customers > INT32_MAX)
        return bs_error_set(err, BS_ERR_RUN, "more than %d customers in a day", INT32_MAX);
    bs_cal_reset(&day->cal);
    day->now_min = 0;
    day->events = 0;
    bs_counters_reset(day);
    if (day->n_customers > 0)
        bs_cal_push(&day->cal, day->arrival_min[0], BS_EV_ARRIVAL, 0);

    struct bs_event ev;
    while (bs_cal_pop(&day->cal, &ev) == 0) {
        day->now_min = ev.time_min;
        day->events++;
        handlers[ev.kind](day, ev.arg);
    }
    fold_metrics(day, row);
    return 0;
}
