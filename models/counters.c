/* Counters and the waiting line: one FIFO line served by identical counters.
 * Invariant: a customer waits only while no counter is idle. */
#include "branch.h"

#define BS_SERVICE_STANDARD_WAIT_MIN 10.0

void bs_counters_reset(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->n_idle = 0;
    for (long k = sc->n_counters; k-- > 0;)
        day->idle_counters[day->n_idle++] = (int32_t)k;
    day->queue_head = day->queue_len = 0;
    day->busy_min = day->service_sum_min = 0;
    day->served = day->waited = day->waited_over_10min = 0;
    day->n_wait_samples = 0;
}

static void start_service(struct bs_day *day, int32_t customer, int32_t counter)
{
    double wait_min = day->now_min - day->arrival_min[customer];
    double service_min = day->service_min[customer];
    if (day->arrival_min[customer] >= day->sc->warmup_min) {
        day->wait_sample_min[day->n_wait_samples++] = wait_min;
        day->waited += wait_min > 0;
        day->waited_over_10min += wait_min > BS_SERVICE_STANDARD_WAIT_MIN;
        day->service_sum_min += service_min;
    }
    day->busy_min += service_min;
    bs_cal_push(&day->cal, day->now_min + service_min, BS_EV_DEPARTURE, counter);
}

void bs_counters_on_arrival(struct bs_day *day, int32_t customer)
{
    if ((size_t)customer + 1 < day->n_customers)
        bs_cal_push(&day->cal, day->arrival_min[customer + 1], BS_EV_ARRIVAL, customer + 1);
    if (day->n_idle > 0) {
        start_service(day, customer, day->idle_counters[--day->n_idle]);
        return;
    }
    size_t tail = day->queue_head + day->queue_len++;
    day->queue[tail < day->cap ? tail : tail - day->cap] = customer;
}

void bs_counters_on_departure(struct bs_day *day, int32_t counter)
{
    day->served++;
    if (day->queue_len == 0) {
        day->idle_counters[day->n_idle++] = counter;
        return;
    }
    int32_t next = day->queue[day->queue_head];
    day->queue_head = day->queue_head + 1 == day->cap ? 0 : day->queue_head + 1;
    day->queue_len--;
    start_service(day, next, counter);
}
