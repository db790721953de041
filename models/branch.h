/* The branch model's scenario and day state. A scenario is read-only and
 * shared by all threads; a day is one thread's state, reset per replication.
 *
 * Customers belong to a segment (general, elderly, vip, ...) and have a
 * class at the counters: their transaction's class when it has one (e.g.
 * emergency), else their segment. Classes 0..n_segments-1 are the segments;
 * transaction classes follow. */
#ifndef BS_BRANCH_H
#define BS_BRANCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "../sim/dist.h"
#include "../sim/heap.h"
#include "../sim/model.h"
#include "metrics.h"

#define BS_NAME_MAX 48
#define BS_SEGMENTS_MAX 16
#define BS_CLASSES_MAX 32
#define BS_TRANSACTIONS_MAX 32
#define BS_ROLES_MAX 16
#define BS_COUNTER_GROUPS_MAX 32
#define BS_SCHEDULE_BLOCKS_MAX 48
#define BS_PROFILE_MAX 288
#define BS_SCHEDULE_CHANGES_MAX (BS_COUNTER_GROUPS_MAX * (2 * BS_SCHEDULE_BLOCKS_MAX + 1))

struct bs_segment {
    char name[BS_NAME_MAX];
    double share;
    double service_factor; /* scales service times, e.g. 1.4 for the elderly */
    int has_patience;      /* own patience; else reneging.patience_min */
    struct bs_dist patience_min;
};

struct bs_transaction {
    char name[BS_NAME_MAX];
    double share_by_segment[BS_SEGMENTS_MAX];
    struct bs_dist service_min;
    int class_id; /* -1: the customer's segment is its class */
};

struct bs_role {
    char name[BS_NAME_MAX];
    int n_serves;
    int serves[BS_CLASSES_MAX]; /* classes, highest priority first */
    int serves_others;          /* when none of its own classes waits */
    int serves_class[BS_CLASSES_MAX]; /* derived: 1 when listed in serves */
};

struct bs_schedule_block {
    double from_min, to_min;
    long open;
};

struct bs_counter_group {
    int role;
    long count; /* staffed counters; open outside schedule blocks */
    size_t n_blocks;
    struct bs_schedule_block blocks[BS_SCHEDULE_BLOCKS_MAX];
    long first_counter; /* counters first_counter .. first_counter+count-1 */
};

#define BS_WINDOWS_MAX 8
#define BS_SLOTS_MAX 288
#define BS_OFFPEAK_MAX (BS_PROFILE_MAX + 2 * BS_WINDOWS_MAX + 2)

struct bs_window {
    double from_min, to_min; /* minutes after opening */
};

/* The demand-management layer: what a customer's intent becomes. Every
 * part is off when its section is absent. */
struct bs_choices {
    int any;    /* some choice is on: customers draw from their choice stream */
    int online;
    double online_probability[BS_SEGMENTS_MAX];

    int appointments;
    double slot_min;
    size_t n_slots;
    long capacity[BS_SLOTS_MAX];
    long window_slots; /* a full slot tries the nearest slots within this many */
    double booking_probability[BS_SEGMENTS_MAX];
    uint8_t appointment_eligible[BS_TRANSACTIONS_MAX];
    double noshow_probability; /* after reminders */
    struct bs_dist punctuality_min; /* arrival minus slot start; negative is early */
    double grace_min;
    int appointment_class;
    /* What a customer whose wanted slot is full does: shares summing to 1.
     * other_slot: the nearest slot with room within window_slots, else a
     * walk-in (the behaviour before these shares); walk_in; leave. */
    double when_full_other_slot, when_full_walk_in;
    int when_full_draws; /* the shares are not all other_slot: draw per customer */
    char slot_names[BS_SLOTS_MAX][8]; /* "HH:MM" clock time of each slot's start */

    int peak_shift;
    size_t n_windows;
    struct bs_window windows[BS_WINDOWS_MAX];
    double shift_probability; /* s(I) = s_max I / (I + I_half) */
    size_t n_offpeak;          /* off-peak pieces of the profile, for drawing a new time */
    double offpeak_from_min[BS_OFFPEAK_MAX], offpeak_rate[BS_OFFPEAK_MAX];
    double offpeak_cum[BS_OFFPEAK_MAX + 1];

    int self_service;
    double kiosk_adoption[BS_SEGMENTS_MAX];
    uint8_t kiosk_eligible[BS_TRANSACTIONS_MAX];
    struct bs_dist kiosk_service_min;
    double counter_after_probability; /* kiosk users who still need a counter */
    int kiosk_class;                  /* customers at or queueing for a kiosk */
    int kiosk_role;                   /* kiosks are a counter group of this role */
};

/* Airborne exposure (Wells-Riley box model) and contacts; off when absent. */
struct bs_exposure {
    int on;
    double prevalence_customers, symptomatic_share, prevalence_staff;
    double volume_m3;
    double removal_per_h; /* air changes + deposition + decay */
    double emission_waiting_quanta_per_h, emission_speaking_quanta_per_h;
    double inhalation_customer_m3_per_h, inhalation_staff_m3_per_h;
    double near_field_factor;
    double contact_min;
    double mask_in_customer, mask_out_customer, mask_in_staff, mask_out_staff; /* efficiency x compliance */
    int screening;
    double sensitivity, false_positive_rate;
    long occupancy_cap; /* 0: none */
};

/* Service standards (standards.c): a customer counted in the wait
 * statistics (served at a counter, arrived after output.warmup_min) is
 * covered when its segment and transaction are, and meets the standard
 * when its quantity is at most within_min. */
#define BS_STANDARDS_MAX 16
enum bs_standard_quantity { BS_SQ_WAIT, BS_SQ_SERVICE, BS_SQ_TIME_IN_BRANCH, BS_SQ_COUNT };

struct bs_standard {
    char name[BS_NAME_MAX];
    int quantity; /* enum bs_standard_quantity */
    double within_min;
    double share; /* of the covered customers, for the day to meet it */
    uint8_t segment[BS_SEGMENTS_MAX];         /* 1: the segment is covered */
    uint8_t transaction[BS_TRANSACTIONS_MAX]; /* 1: the transaction is covered */
    int restricted;                           /* some segment or transaction is not */
};

/* Derived from the schedules: the target number of open counters of a
 * group from time_min on, in time order (time 0 first). */
struct bs_schedule_change {
    double time_min;
    int group;
    long open;
};

struct bs_scenario {
    char name[96];
    double open_min_of_day; /* day.open, minutes after midnight */
    double hours;
    double close_min; /* hours * 60: doors close, those inside are served */
    double customers_per_day;
    size_t n_profile;
    double profile_block_min; /* close_min / n_profile */
    double profile_rate_per_min[BS_PROFILE_MAX]; /* arrival rate in each equal block */
    double profile_cum[BS_PROFILE_MAX + 1];       /* expected arrivals before each block */
    double profile_share[BS_PROFILE_MAX];         /* each block's share of the day's demand */
    double warmup_min; /* wait statistics skip customers arriving before this */
    double bin_min;    /* time-series bin width */
    double bins_per_min;
    size_t n_bins;

    size_t n_segments;
    struct bs_segment segments[BS_SEGMENTS_MAX];
    double segment_cdf[BS_SEGMENTS_MAX];
    size_t n_classes;
    char class_names[BS_CLASSES_MAX][BS_NAME_MAX];
    size_t n_transactions;
    struct bs_transaction transactions[BS_TRANSACTIONS_MAX];
    double transaction_cdf[BS_SEGMENTS_MAX][BS_TRANSACTIONS_MAX];

    size_t n_roles;
    struct bs_role roles[BS_ROLES_MAX];
    size_t n_counter_groups;
    struct bs_counter_group counter_groups[BS_COUNTER_GROUPS_MAX];
    long n_counters;
    /* groups that may serve each class: those listing it, then flexible ones (each in counters order) */
    int n_class_groups[BS_CLASSES_MAX];
    int class_groups[BS_CLASSES_MAX][BS_COUNTER_GROUPS_MAX];
    size_t n_changes;
    struct bs_schedule_change changes[BS_SCHEDULE_CHANGES_MAX];

    struct bs_choices ch;
    struct bs_exposure ex;
    size_t n_standards;
    struct bs_standard standards[BS_STANDARDS_MAX];
    int standards_by_transaction; /* some standard names transactions: the day keeps them */

    double absence_probability;
    int balking;         /* in the lines inside: balking.threshold given */
    long balk_threshold; /* tickets ahead at which a customer may balk */
    double balk_probability;
    int balk_outside;            /* at the door, on the line outside the cap */
    long balk_outside_threshold; /* customers outside at which an arrival may balk */
    double balk_outside_probability;
    int reneging; /* some segment has a patience */
    struct bs_dist patience_min;
    int has_default_patience;
    int patience_outside; /* enum bs_patience_outside: patience in and after the line outside */
};

/* reneging.patience_outside: how patience spent in the line outside the
 * occupancy cap carries into the lines inside. Names in counters_load.c. */
enum bs_patience_outside {
    BS_PATIENCE_SHARED,   /* one patience for the whole wait, from arrival */
    BS_PATIENCE_SEPARATE, /* the line outside has a patience of its own (a second draw) */
    BS_PATIENCE_RESTART,  /* the same patience starts again on coming in */
};

/* Purposes of random streams: part of the stream key, never renumber. */
enum bs_stream_purpose {
    BS_STREAM_ARRIVALS = 1, /* retired: arrival gaps now come from the customers' streams */
    BS_STREAM_CUSTOMER = 2, /* entity = customer: arrival gap, segment, transaction, balking, service */
    BS_STREAM_STAFF = 3,    /* entity = counter: absence */
    BS_STREAM_PATIENCE = 4, /* entity = customer */
    BS_STREAM_CHOICES = 5,  /* entity = customer: online, booking, no-show, shift, kiosk */
    BS_STREAM_PUNCTUALITY = 6, /* entity = customer */
    BS_STREAM_KIOSK = 7,       /* entity = customer: kiosk service time */
    BS_STREAM_HEALTH = 8,      /* entity = customer: infectious, symptomatic, screen */
    BS_STREAM_WHEN_FULL = 9,   /* entity = customer: what to do when the wanted slot is full */
};

enum bs_event_kind {
    BS_EV_ARRIVAL,   /* arg: customer (merged from the sorted arrivals, not queued) */
    BS_EV_DEPARTURE, /* arg: counter */
    BS_EV_RENEGE,    /* arg: customer */
    BS_EV_SCHEDULE,  /* arg: index into scenario changes */
    BS_EV_COUNT
};

enum bs_customer_state {
    BS_CUST_COMING,
    BS_CUST_ONLINE,  /* did the business online: never comes */
    BS_CUST_NOSHOW,  /* booked and did not come */
    BS_CUST_OUTSIDE, /* waiting outside for room under the occupancy cap */
    BS_CUST_WAITING,
    BS_CUST_IN_SERVICE,
    BS_CUST_SERVED,
    BS_CUST_BALKED,
    BS_CUST_RENEGED,
    BS_CUST_TURNED_AWAY,
    BS_CUST_REFUSED_LEFT, /* wanted a slot, found it full and gave up: never comes */
};

struct bs_sort_item {
    double key;
    int32_t customer;
};

enum bs_counter_state { BS_COUNTER_CLOSED, BS_COUNTER_IDLE, BS_COUNTER_BUSY };

/* The day's state, in parts that each own their memory and its reset
 * (each part's functions sit beside the code that owns it). A day is
 * reused across replications: it grows to the largest scenario it has run
 * and never shrinks; nothing allocates once it has grown. */

/* The per-customer arrays, by arrival order, cap entries each: one list, so
 * the arrays are grown, freed and sized (bs_customer_bytes) alike. */
#define BS_CUSTOMER_ARRAYS(X)                                                                          \
    X(double, arrival_min)                                                                             \
    X(double, service_min)                                                                             \
    X(double, patience_min)                                                                            \
    X(double, patience_outside_min) /* with patience_outside separate only */                          \
    X(double, balk_u)               /* kept when balking is on */                                      \
    X(double, start_min)            /* service start, NAN if none */                                   \
    X(double, leave_min)                                                                               \
    X(int32_t, order)               /* who comes, by time; filled by choices only (bs_day_arrival) */  \
    X(double, intent_min)                                                                              \
    X(int32_t, ticket)              /* join order of those who wait, with several classes (FIFO) */    \
    X(int16_t, slot)                /* booked slot, -1 if none; set only with choices */               \
    X(uint8_t, transaction)         /* set only with choices or standards by transaction */            \
    X(double, noshow_u)             /* choice draws */                                                 \
    X(double, shift_u)                                                                                 \
    X(double, offset_min)                                                                              \
    X(struct bs_sort_item, sort_items)                                                                 \
    X(double, kiosk_service_min)                                                                       \
    X(double, outside_min)    /* the whole wait's parts before the current line (bs_day_whole_wait): */ \
    X(double, kiosk_line_min) /* in the line outside the cap, in the kiosk line; 0 if none */          \
    X(double, join_min)       /* when the customer joined its current line */                          \
    X(uint8_t, counter_class) /* class at the counters after a kiosk */                                \
    X(uint8_t, needs_counter) /* a kiosk user who goes on to a counter */                              \
    X(uint8_t, wants_kiosk)                                                                            \
    X(uint8_t, infectious)          /* exposure: the customer's health state */                        \
    X(uint8_t, flagged)             /* screened out at the door */                                     \
    X(double, integral_at_entry)    /* running concentration integral on coming in */                  \
    X(double, dose)                 /* quanta inhaled (far + near field) */                            \
    X(double, enter_min)            /* came inside (after any wait outside); NAN if never */           \
    X(uint8_t, segment)                                                                                \
    X(uint8_t, class_id)                                                                               \
    X(uint8_t, state)                                                                                  \
    X(int32_t, counter_of)          /* counter that served, -1 if none */                              \
    X(int32_t, next_waiting)        /* per-class FIFO lines (and the line outside) as linked lists */  \
    X(double, wait_sample_min)      /* whole waits counted in the statistics, in service order */      \
    X(double, wait_inside_sample_min) /* their inside parts; kept under an occupancy cap only */       \
    X(uint8_t, wait_sample_segment)                                                                    \
    X(int32_t, wait_sample_customer) /* whose wait: the standards read its service and stay */         \
    X(double, scratch)

/* demand.c: the customers part. start_min and counter_of start out as none
 * when the customer comes (or stays away, in choices), not when drawn:
 * then their cache lines are still at hand when service starts. */
struct bs_customers {
    size_t cap;
#define BS_CUSTOMER_FIELD(type, name) type *name;
    BS_CUSTOMER_ARRAYS(BS_CUSTOMER_FIELD)
#undef BS_CUSTOMER_FIELD
};

/* The per-counter arrays of the counters part, n_counters entries each. */
#define BS_COUNTER_ARRAYS(X)                                                              \
    X(uint8_t, counter_state)    /* enum bs_counter_state */                               \
    X(uint8_t, counter_present)  /* staff not absent today */                              \
    X(uint8_t, counter_closing)  /* closes when its customer leaves */                     \
    X(int32_t, counter_customer)                                                          \
    X(int32_t, counter_group)                                                             \
    X(int32_t, counter_role)                                                              \
    X(int32_t, idle)             /* per group: stack of idle counters, at first_counter */

/* counters.c: the waiting lines and the counters. */
struct bs_counters {
    /* waiting lines: one FIFO per class, tickets in arrival order */
    int32_t head[BS_CLASSES_MAX];
    int32_t tail[BS_CLASSES_MAX];
    long waiting[BS_CLASSES_MAX];
    long waiting_total;
    long inside;  /* customers in the branch: waiting or in service */
    long outside; /* waiting outside under the occupancy cap (FIFO via next_waiting) */
    int32_t outside_head, outside_tail;
    int32_t next_ticket;
    /* the scenario's features, read once a day: tests the events make */
    int kiosk_class; /* the kiosk users' class; -1 without self-service */
    int wait_parts;  /* a cap or kiosks: the whole wait has parts before the current line */

    long cap; /* counters the arrays hold */
#define BS_COUNTER_FIELD(type, name) type *name;
    BS_COUNTER_ARRAYS(BS_COUNTER_FIELD)
#undef BS_COUNTER_FIELD
    long n_idle[BS_COUNTER_GROUPS_MAX];
    long n_closing[BS_COUNTER_GROUPS_MAX];
    long present[BS_COUNTER_GROUPS_MAX]; /* staff of the group at work today */
    long staff_absent;
    long open[BS_COUNTER_GROUPS_MAX]; /* idle or busy */
    long open_total;
    long open_role[BS_ROLES_MAX];

    /* open-counter time, integrated when the open counters change */
    double open_last_min; /* done up to here */
    double open_counter_min[BS_ROLES_MAX];
    double open_until_close_min[BS_ROLES_MAX]; /* while the doors are open */
};

/* day.c: the time series and the occupancy integrals, advanced at every
 * event (bs_day_advance). */
struct bs_timeline {
    double *series; /* [BS_TS_COUNT + 1][n_bins]; the extra row counts waits per bin */
    size_t series_cap;
    double last_min;    /* the integrals are done up to here */
    double inside_min;  /* integral of customers inside */
    double waiting_min; /* integral of customers waiting */
    size_t bin;         /* the bin the integrals are in */
    double bin_end_min;
    double bin_inside_min, bin_waiting_min; /* the integrals at the bin's start */
};

/* day.c: the day's counts and sums, zeroed with one memset. */
struct bs_tallies {
    uint64_t served, balked, reneged, turned_away;
    double sojourn_sum_min;
    uint64_t seg_arrived[BS_SEGMENTS_MAX], seg_served[BS_SEGMENTS_MAX];
    uint64_t seg_balked[BS_SEGMENTS_MAX], seg_reneged[BS_SEGMENTS_MAX], seg_turned_away[BS_SEGMENTS_MAX];
    size_t n_wait_samples;
    long peak_inside;
    double busy_counter_min[BS_ROLES_MAX];
    double outside_wait_sum_min;
    uint64_t outside_admitted;
    double wait_outside_sum_min; /* outside parts of the wait samples */
    uint64_t kiosk_served, kiosk_waits;
    double kiosk_wait_sum_min;
    double appointment_wait_sum_min;
    uint64_t appointment_waits;
    uint64_t flagged_count, counter_contacts;
};

/* choices.c: what the customers chose (bs_choices_reset). */
struct bs_choice_state {
    long booked_in_slot[BS_SLOTS_MAX]; /* the first n_slots, with appointments */
    /* by the slot the customer asked for */
    long requested_in_slot[BS_SLOTS_MAX], moved_from_slot[BS_SLOTS_MAX], refused_in_slot[BS_SLOTS_MAX];
    /* the counts: zeroed with one memset from here to the end */
    uint64_t online, booked, noshows, late_lost, shifted, peak_window_arrivals;
    uint64_t bookings_requested, bookings_moved, bookings_refused, bookings_refused_left;
    uint64_t seg_online[BS_SEGMENTS_MAX], seg_booked[BS_SEGMENTS_MAX], seg_noshows[BS_SEGMENTS_MAX];
    uint64_t kiosk_users;
};

/* exposure.c: quanta concentration n (quanta/m3), its running integral
 * (quanta h/m3) and the emission now (quanta/h), advanced in closed form;
 * the staff's health and near-field doses, per counter. */
struct bs_exposure_state {
    double conc, conc_integral, emission, last_min;
    size_t conc_bin;
    double conc_bin_end_min, conc_bin_start_integral;
    long cap; /* counters the arrays hold */
    uint8_t *staff_infectious;
    double *staff_near_dose;
};

struct bs_day {
    const struct bs_scenario *sc;
    gsl_rng *customer_rng;
    gsl_rng *staff_rng;
    struct bs_calendar cal;
    double now_min;
    uint64_t events;
    int calendar_full; /* a push failed: a broken capacity invariant, the day is void */
    int first_taken;   /* the event being handled is still the calendar's first (see run_events) */
    size_t n_customers; /* intents */
    size_t n_arrivals;  /* customers who come */

    struct bs_customers cust;
    struct bs_counters ctr;
    struct bs_timeline tl;
    struct bs_tallies tally;
    struct bs_choice_state choice;
    struct bs_exposure_state expo;
};

/* realloc of p to n elements of size bytes; on failure p stays as it was
 * and *failed is set: a part grows its arrays in a row and checks once. */
static inline void *bs_resize(void *p, size_t n, size_t size, int *failed)
{
    void *q = realloc(p, n * size);
    if (!q) {
        *failed = 1;
        return p;
    }
    return q;
}

/* demand.c: draws the day's customers (times, segments, transactions,
 * service times, patience). Grows the customer arrays when needed; returns
 * 0 or -1 (out of memory). */
int bs_demand_generate(struct bs_day *day);
/* The customers part: doubles the arrays (the first time to 1024
 * customers); returns 0 or -1 (out of memory). */
int bs_customers_grow(struct bs_customers *c);
void bs_customers_free(struct bs_customers *c);
extern const size_t bs_customer_bytes; /* of all the arrays, per customer */

/* choices.c: online shift, bookings, no-shows, punctuality and peak
 * shifting; fills order[0..n_arrivals) with who comes, by time. */
void bs_choices_reset(struct bs_choice_state *cs, const struct bs_choices *ch);
void bs_choices_apply(struct bs_day *day);

/* exposure.c: health states, emission changes and doses. */
void bs_exposure_draw_health(struct bs_day *day);
int bs_exposure_fit(struct bs_exposure_state *xs, long n_counters);
void bs_exposure_free(struct bs_exposure_state *xs);
void bs_exposure_reset(struct bs_day *day);
/* Changes the emission by delta_quanta_per_h at now (integrating up to it). */
void bs_exposure_emission(struct bs_day *day, double delta_quanta_per_h);
void bs_exposure_enter(struct bs_day *day, int32_t customer);
void bs_exposure_start_service(struct bs_day *day, int32_t customer, int32_t counter, double service_min);
void bs_exposure_end_service(struct bs_day *day, int32_t customer);
void bs_exposure_leave(struct bs_day *day, int32_t customer);
void bs_exposure_advance(struct bs_day *day, double now_min);

/* standards.c: at the end of the day, each standard's share within,
 * whether it was met, and per segment the share meeting every standard
 * covering it. */
void bs_standards_fold(struct bs_day *day, const struct bs_day_out *out);

/* counters.c: waiting lines, counters, schedules, balking and reneging.
 * The part's arrays hold n_counters after fit (0 or -1: out of memory). */
int bs_counters_fit(struct bs_counters *ct, long n_counters);
void bs_counters_free(struct bs_counters *ct);
void bs_counters_reset(struct bs_day *day);
/* Runs the day's events (the arrivals, and the calendar) until none is
 * left. */
void bs_counters_run(struct bs_day *day);
/* At the end of the day: customers still waiting are sent away. */
void bs_counters_close_day(struct bs_day *day);
/* Integrates the open counters up to now_min (open counter minutes per
 * role, in all and until closing, and the counters_open series). */
void bs_counters_track_open(struct bs_day *day, double now_min);

/* day.c: whether the day, once closed, accounts for everyone: each who came
 * was served, balked, reneged or turned away (per segment too), each who
 * did not stayed away by a choice; nobody is left inside, waiting or
 * outside; every open counter is idle on its group's stack. 1 or 0. */
int bs_day_conserved(const struct bs_day *day);

/* day.c: the timeline part (fit: 0 or -1, out of memory). */
int bs_timeline_fit(struct bs_timeline *tl, size_t n_bins);
void bs_timeline_free(struct bs_timeline *tl);
void bs_timeline_reset(struct bs_timeline *tl, const struct bs_scenario *sc);

/* The k-th customer to come. Without choices everyone comes, in the order
 * drawn, and `order` is neither written nor read: such a day streams
 * through fewer arrays. */
static inline int32_t bs_day_arrival(const struct bs_day *day, size_t k)
{
    return day->sc->ch.any ? day->cust.order[k] : (int32_t)k;
}

/* Customer i's wait in the line it leaves at start_min: the inside part
 * counts the kiosk line as well as the counter line. */
static inline double bs_day_inside_wait(const struct bs_day *day, int32_t i, double start_min)
{
    return (start_min - day->cust.join_min[i]) + day->cust.kiosk_line_min[i];
}

/* The whole wait, from arrival at the branch (the door, or the line outside
 * under the cap) to service start at start_min. The event loop samples it
 * and fold_customer_series recomputes it from the same parts in the same
 * order: bitwise the sampled value. Without a cap or a kiosk both extra
 * parts are 0 and this is start - join_min bitwise (x + 0 is x for a
 * difference, never -0): both then skip them (ctr.wait_parts). */
static inline double bs_day_whole_wait(const struct bs_day *day, int32_t i, double start_min)
{
    return bs_day_inside_wait(day, i, start_min) + day->cust.outside_min[i];
}

/* The time-series bin of an arrival at arrival_min; the last bin for any
 * later (a late appointment). */
static inline size_t bs_day_arrival_bin(const struct bs_scenario *sc, double arrival_min)
{
    size_t b = (size_t)(arrival_min * sc->bins_per_min);
    return b < sc->n_bins ? b : sc->n_bins - 1;
}

/* Integrates customers inside and waiting up to now_min (at every event),
 * closing each time-series bin off at its boundary: one comparison per
 * event. Inline: the event loop's hot path. */
static inline void bs_day_advance(struct bs_day *day, double now_min)
{
    const struct bs_scenario *sc = day->sc;
    struct bs_timeline *tl = &day->tl;
    const double inside = (double)day->ctr.inside, waiting = (double)day->ctr.waiting_total;
    while (now_min >= tl->bin_end_min && tl->bin < sc->n_bins) {
        double dt = tl->bin_end_min - tl->last_min;
        tl->inside_min += inside * dt;
        tl->waiting_min += waiting * dt;
        tl->series[BS_TS_OCCUPANCY * sc->n_bins + tl->bin] = tl->inside_min - tl->bin_inside_min;
        tl->series[BS_TS_QUEUE_LENGTH * sc->n_bins + tl->bin] = tl->waiting_min - tl->bin_waiting_min;
        tl->bin_inside_min = tl->inside_min;
        tl->bin_waiting_min = tl->waiting_min;
        tl->last_min = tl->bin_end_min;
        tl->bin++;
        tl->bin_end_min = (double)(tl->bin + 1) * sc->bin_min;
    }
    double dt = now_min - tl->last_min;
    tl->inside_min += inside * dt;
    tl->waiting_min += waiting * dt;
    tl->last_min = now_min;
}

#endif
