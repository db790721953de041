/* The branch model's scenario and day state. A scenario is read-only and
 * shared by all threads; a day is one thread's state, reset per replication. */
#ifndef BS_BRANCH_H
#define BS_BRANCH_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../sim/dist.h"
#include "../sim/heap.h"
#include "../sim/model.h"
#include "metrics.h"

#define BS_NAME_MAX 48
#define BS_TRANSACTIONS_MAX 32
#define BS_COUNTER_GROUPS_MAX 32

struct bs_transaction {
    char name[BS_NAME_MAX];
    double share;
    struct bs_dist service_min;
};

struct bs_counter_group {
    char role[BS_NAME_MAX];
    long count;
};

struct bs_scenario {
    char name[96];
    double open_min_of_day; /* day.open, minutes after midnight */
    double hours;
    double close_min; /* hours * 60: doors close, those inside are served */
    double customers_per_day;
    double warmup_min; /* wait statistics skip customers arriving before this */
    size_t n_transactions;
    struct bs_transaction transactions[BS_TRANSACTIONS_MAX];
    double transaction_cdf[BS_TRANSACTIONS_MAX];
    size_t n_counter_groups;
    struct bs_counter_group counter_groups[BS_COUNTER_GROUPS_MAX];
    long n_counters;
};

/* Purposes of random streams: part of the stream key, never renumber. */
enum bs_stream_purpose {
    BS_STREAM_ARRIVALS = 1,
    BS_STREAM_CUSTOMER = 2, /* entity = customer index: one stream per person */
};

enum bs_event_kind {
    BS_EV_ARRIVAL,   /* arg: customer */
    BS_EV_DEPARTURE, /* arg: counter */
    BS_EV_COUNT
};

struct bs_day {
    const struct bs_scenario *sc;
    gsl_rng *arrival_rng;
    gsl_rng *customer_rng;
    struct bs_calendar cal;
    double now_min;
    uint64_t events;

    /* customers, by arrival order; capacity grows between days only */
    size_t cap;
    size_t n_customers;
    double *arrival_min;
    double *service_min;
    double *wait_sample_min; /* waits counted in the statistics */
    size_t n_wait_samples;

    /* waiting line: ring of customer indices (FIFO) */
    int32_t *queue;
    size_t queue_head;
    size_t queue_len;

    /* counters */
    long counters_cap;
    int32_t *idle_counters; /* stack of idle counter ids */
    long n_idle;
    double busy_min;
    double service_sum_min;
    uint64_t served;
    uint64_t waited;
    uint64_t waited_over_10min;
};

/* demand.c: draws the day's customers (times, transactions, service times).
 * Grows the customer arrays when needed; returns 0 or -1 (out of memory). */
int bs_demand_generate(struct bs_day *day);

/* counters.c: the waiting line and the counters. */
void bs_counters_reset(struct bs_day *day);
void bs_counters_on_arrival(struct bs_day *day, int32_t customer);
void bs_counters_on_departure(struct bs_day *day, int32_t counter);

#endif
