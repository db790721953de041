/* Counters and waiting lines, and the event loop that drives them: the
 * door (shut after closing, screening, the occupancy cap with its FIFO line
 * outside), then one FIFO line per class (a linked list in ticket order). A
 * counter takes the first of its role's classes that has someone waiting,
 * and a flexible role then takes the earliest ticket of the other classes;
 * kiosks are a counter group serving the kiosk class only. Customers who
 * gave up stay in their list, marked, and are skipped when reached.
 * Invariant: no counter is idle while a customer it may serve is waiting. */
#include <math.h>
#include <stdlib.h>

#include "../sim/invariant.h"
#include "../sim/rng.h"
#include "branch.h"

/* The event handlers are inlined into the event loop: the calls they save
 * are a good part of an M/M/c day's time. */
#ifdef __GNUC__
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* Puts an event on the calendar: never in the past, and within the
 * capacity fit_calendar (day.c) sized for the day's pending events. A push
 * that fails anyway voids the day (calendar_full) in the release build.
 * The first event scheduled while handling one taken from the calendar
 * takes its place there: a departure's counter mostly serves again. */
HOT void schedule(struct bs_day *day, double time_min, enum bs_event_kind kind, int32_t arg)
{
    BS_INVARIANT(time_min >= day->now_min);
    if (day->first_taken) {
        day->first_taken = 0;
        bs_cal_replace_first(&day->cal, time_min, kind, arg);
        return;
    }
    BS_INVARIANT(bs_cal_size(&day->cal) < day->cal.cap);
    day->calendar_full |= bs_cal_push(&day->cal, time_min, kind, arg);
}

HOT void enqueue(struct bs_day *day, int32_t i)
{
    int c = day->cust.class_id[i];
    day->cust.next_waiting[i] = -1;
    if (day->ctr.tail[c] >= 0)
        day->cust.next_waiting[day->ctr.tail[c]] = i;
    else
        day->ctr.head[c] = i;
    day->ctr.tail[c] = i;
    day->ctr.waiting[c]++;
    day->ctr.waiting_total++;
    day->cust.state[i] = BS_CUST_WAITING;
    BS_INVARIANT(day->ctr.waiting_total <= day->ctr.inside); /* the lines are inside */
}

/* Skips customers who left the line: only reneging takes anyone out of a
 * line but through its head (dequeue cleans only then). */
static inline void clean_head(struct bs_day *day, int c)
{
    while (day->ctr.head[c] >= 0 && day->cust.state[day->ctr.head[c]] != BS_CUST_WAITING)
        day->ctr.head[c] = day->cust.next_waiting[day->ctr.head[c]];
    if (day->ctr.head[c] < 0)
        day->ctr.tail[c] = -1;
}

HOT int32_t dequeue(struct bs_day *day, int c)
{
    if (day->sc->reneging)
        clean_head(day, c);
    int32_t i = day->ctr.head[c];
    day->ctr.head[c] = day->cust.next_waiting[i];
    if (day->ctr.head[c] < 0)
        day->ctr.tail[c] = -1;
    day->ctr.waiting[c]--;
    day->ctr.waiting_total--;
    return i;
}

/* The next customer for a counter of group g, or -1. */
HOT int32_t pick_for_group(struct bs_day *day, int g)
{
    if (day->ctr.waiting_total == 0)
        return -1;
    const struct bs_scenario *sc = day->sc;
    const struct bs_role *r = &sc->roles[sc->counter_groups[g].role];
    for (int k = 0; k < r->n_serves; k++)
        if (day->ctr.waiting[r->serves[k]] > 0)
            return dequeue(day, r->serves[k]);
    if (!r->serves_others)
        return -1;
    if (sc->n_classes == 1) /* one line for everyone */
        return dequeue(day, 0);
    int best = -1;
    for (size_t c = 0; c < sc->n_classes; c++) {
        if (r->serves_class[c] || day->ctr.waiting[c] == 0 || (sc->ch.self_service && (int)c == sc->ch.kiosk_class))
            continue;
        clean_head(day, (int)c);
        if (best < 0 || day->cust.ticket[day->ctr.head[c]] < day->cust.ticket[day->ctr.head[best]])
            best = (int)c;
    }
    return best < 0 ? -1 : dequeue(day, best);
}

HOT int at_kiosk(const struct bs_day *day, int32_t i)
{
    return day->cust.class_id[i] == day->ctr.kiosk_class;
}

static void start_kiosk(struct bs_day *day, int32_t i, int32_t kiosk)
{
    double service_min = day->cust.kiosk_service_min[i];
    /* part of the whole wait if a counter follows */
    day->cust.kiosk_line_min[i] = day->now_min - day->cust.join_min[i];
    day->cust.state[i] = BS_CUST_IN_SERVICE;
    day->ctr.counter_customer[kiosk] = i;
    day->ctr.counter_state[kiosk] = BS_COUNTER_BUSY;
    day->tally.busy_counter_min[day->ctr.counter_role[kiosk]] += service_min;
    if (day->cust.arrival_min[i] >= day->sc->warmup_min) {
        day->tally.kiosk_wait_sum_min += day->now_min - day->cust.join_min[i];
        day->tally.kiosk_waits++;
    }
    schedule(day, day->now_min + service_min, BS_EV_DEPARTURE, kiosk);
}

HOT void start_service(struct bs_day *day, int32_t i, int32_t counter)
{
    const struct bs_scenario *sc = day->sc;
    if (at_kiosk(day, i)) {
        start_kiosk(day, i, counter);
        return;
    }
    double arrival = day->cust.arrival_min[i];
    double wait_min = day->ctr.wait_parts ? bs_day_whole_wait(day, i, day->now_min)
                                          : day->now_min - day->cust.join_min[i];
    double service_min = day->cust.service_min[i];
    int role = day->ctr.counter_role[counter];
    day->cust.state[i] = BS_CUST_IN_SERVICE;
    day->cust.start_min[i] = day->now_min;
    day->cust.counter_of[i] = counter;
    day->ctr.counter_customer[counter] = i;
    day->ctr.counter_state[counter] = BS_COUNTER_BUSY;
    day->tally.busy_counter_min[role] += service_min; /* every service ends before the day does */
    if (sc->ex.on) {
        day->tally.counter_contacts += day->cust.infectious[i] != day->expo.staff_infectious[counter];
        bs_exposure_start_service(day, i, counter, service_min);
    }
    /* Minutes past the slot start before service; slots exist only with appointments. */
    if (sc->ch.appointments && day->cust.slot[i] >= 0 && arrival >= sc->warmup_min) {
        double late_min = day->now_min - day->cust.slot[i] * sc->ch.slot_min;
        day->tally.appointment_wait_sum_min += late_min > 0 ? late_min : 0;
        day->tally.appointment_waits++;
    }
    if (arrival >= sc->warmup_min) {
        size_t n = day->tally.n_wait_samples++;
        BS_INVARIANT(n < day->n_arrivals); /* a sample per customer at most */
        day->cust.wait_sample_min[n] = wait_min;
        day->cust.wait_sample_customer[n] = i; /* the fold reads its service time and more */
        day->cust.wait_sample_segment[n] = day->cust.segment[i];
        if (sc->ex.occupancy_cap > 0) { /* else nobody waits outside: the inside part is the whole wait */
            day->tally.wait_outside_sum_min += day->cust.outside_min[i];
            day->cust.wait_inside_sample_min[n] = bs_day_inside_wait(day, i, day->now_min);
        }
    }
    schedule(day, day->now_min + service_min, BS_EV_DEPARTURE, counter);
}

static void admit_from_outside(struct bs_day *day);

/* When customer i's patience runs out in the line outside the cap. */
static inline double outside_deadline(const struct bs_day *day, int32_t i)
{
    int separate = day->sc->patience_outside == BS_PATIENCE_SEPARATE;
    return day->cust.arrival_min[i] + (separate ? day->cust.patience_outside_min[i] : day->cust.patience_min[i]);
}

/* ... and in the counter line joined at join_min (kiosk lines keep
 * everyone, and the kiosk line uses no patience). restart and separate: the
 * patience anew; shared: what the line outside left of it (none: at once). */
static inline double line_deadline(const struct bs_day *day, int32_t i)
{
    double patience = day->cust.patience_min[i];
    if (day->sc->ex.occupancy_cap > 0 && day->sc->patience_outside == BS_PATIENCE_SHARED &&
        day->cust.outside_min[i] > 0) {
        double left_min = patience - day->cust.outside_min[i];
        patience = left_min > 0 ? left_min : 0;
    }
    return day->cust.join_min[i] + patience;
}

HOT void leave(struct bs_day *day, int32_t i, enum bs_customer_state how)
{
    if (day->sc->ex.on && day->cust.enter_min[i] == day->cust.enter_min[i]) /* was inside */
        bs_exposure_leave(day, i);
    day->cust.state[i] = (uint8_t)how;
    day->cust.leave_min[i] = day->now_min;
    day->ctr.inside--;
    day->tally.sojourn_sum_min += day->now_min - day->cust.arrival_min[i];
    if (day->ctr.outside > 0)
        admit_from_outside(day);
}

/* Sent away at the door (shut after closing, or flagged by screening):
 * never inside. */
static void turn_away_at_door(struct bs_day *day, int32_t i)
{
    day->cust.state[i] = BS_CUST_TURNED_AWAY;
    day->cust.leave_min[i] = day->now_min;
    day->tally.turned_away++;
    day->tally.seg_turned_away[day->cust.segment[i]]++;
}

/* Left at the door on seeing the line outside the cap: never inside. The
 * balking draw is the one the lines inside use, since a customer meets
 * only one of them on arriving (one let in from outside does not balk). */
static void balk_at_door(struct bs_day *day, int32_t i)
{
    day->cust.state[i] = BS_CUST_BALKED;
    day->cust.leave_min[i] = day->now_min;
    day->tally.balked++;
    day->tally.seg_balked[day->cust.segment[i]]++;
}

/* Those waiting in the counter lines (the kiosk line left out). */
static inline long tickets_ahead(const struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    return day->ctr.waiting_total - (sc->ch.self_service ? day->ctr.waiting[sc->ch.kiosk_class] : 0);
}

/* A customer joins its class's line: straight to an idle counter that may
 * serve it, else (unless it balks) into the line with a ticket. Tickets
 * order the heads of several classes' lines (pick_for_group) and are read
 * nowhere else: only those who wait take one, only when there are several
 * lines, in the order they join. */
HOT void join_line(struct bs_day *day, int32_t i, int may_balk)
{
    const struct bs_scenario *sc = day->sc;
    int seg = day->cust.segment[i], c = day->cust.class_id[i];
    day->cust.join_min[i] = day->now_min;
    for (int k = 0; k < sc->n_class_groups[c]; k++) {
        int g = sc->class_groups[c][k];
        if (day->ctr.n_idle[g] > 0) {
            start_service(day, i, day->ctr.idle[sc->counter_groups[g].first_counter + --day->ctr.n_idle[g]]);
            return;
        }
    }
    if (may_balk && sc->balking && tickets_ahead(day) >= sc->balk_threshold &&
        day->cust.balk_u[i] < sc->balk_probability) {
        day->tally.balked++;
        day->tally.seg_balked[seg]++;
        leave(day, i, BS_CUST_BALKED);
        return;
    }
    if (sc->n_classes > 1)
        day->cust.ticket[i] = day->ctr.next_ticket++;
    enqueue(day, i);
    /* Patience runs in the counter line; kiosk lines are short and keep everyone. */
    if (sc->reneging && day->cust.patience_min[i] < INFINITY && !at_kiosk(day, i))
        schedule(day, line_deadline(day, i), BS_EV_RENEGE, i);
}

/* Inside at last: exposure starts, and the customer joins its line. */
HOT void come_in(struct bs_day *day, int32_t i, int may_balk)
{
    day->ctr.inside++;
    BS_INVARIANT(day->sc->ex.occupancy_cap == 0 || day->ctr.inside <= day->sc->ex.occupancy_cap);
    if (day->ctr.inside > day->tally.peak_inside)
        day->tally.peak_inside = day->ctr.inside;
    if (day->sc->ex.on)
        bs_exposure_enter(day, i);
    join_line(day, i, may_balk && !at_kiosk(day, i));
}

/* The occupancy cap: customers beyond it wait outside, first come first in. */
static void wait_outside(struct bs_day *day, int32_t i)
{
    day->cust.state[i] = BS_CUST_OUTSIDE;
    day->cust.next_waiting[i] = -1;
    if (day->ctr.outside_tail >= 0)
        day->cust.next_waiting[day->ctr.outside_tail] = i;
    else
        day->ctr.outside_head = i;
    day->ctr.outside_tail = i;
    day->ctr.outside++;
    double deadline_min = day->sc->reneging ? outside_deadline(day, i) : INFINITY;
    if (deadline_min < INFINITY)
        schedule(day, deadline_min, BS_EV_RENEGE, i);
}

static int32_t pop_outside(struct bs_day *day)
{
    while (day->cust.state[day->ctr.outside_head] != BS_CUST_OUTSIDE) /* skip those who gave up */
        day->ctr.outside_head = day->cust.next_waiting[day->ctr.outside_head];
    int32_t i = day->ctr.outside_head;
    day->ctr.outside_head = day->cust.next_waiting[i];
    if (day->ctr.outside_head < 0)
        day->ctr.outside_tail = -1;
    day->ctr.outside--;
    return i;
}

static void admit_from_outside(struct bs_day *day)
{
    while (day->ctr.outside > 0 && day->ctr.inside < day->sc->ex.occupancy_cap) {
        int32_t i = pop_outside(day);
        double outside_min = day->now_min - day->cust.arrival_min[i];
        day->cust.outside_min[i] = outside_min;
        day->tally.outside_wait_sum_min += outside_min;
        day->tally.outside_admitted++;
        day->tally.sojourn_sum_min -= outside_min; /* time in the branch counts from coming in */
        come_in(day, i, 0);
    }
}

HOT void on_arrival(struct bs_day *day, int32_t i)
{
    const struct bs_scenario *sc = day->sc;
    day->cust.start_min[i] = NAN; /* stays NaN unless served */
    day->cust.counter_of[i] = -1;
    if (day->ctr.wait_parts) /* the whole wait's parts before the current line (see bs_day_whole_wait) */
        day->cust.outside_min[i] = day->cust.kiosk_line_min[i] = 0;
    day->tally.seg_arrived[day->cust.segment[i]]++;
    if (day->now_min >= sc->close_min) { /* came after closing (a late appointment): doors shut */
        turn_away_at_door(day, i);
        return;
    }
    if (sc->ex.on && day->cust.flagged[i]) { /* screened at the door: sent to online service */
        day->tally.flagged_count++;
        turn_away_at_door(day, i);
        return;
    }
    if (sc->ex.occupancy_cap > 0 && (day->ctr.inside >= sc->ex.occupancy_cap || day->ctr.outside > 0)) {
        if (sc->balk_outside && day->ctr.outside >= sc->balk_outside_threshold &&
            day->cust.balk_u[i] < sc->balk_outside_probability) {
            balk_at_door(day, i);
            return;
        }
        wait_outside(day, i);
        return;
    }
    come_in(day, i, 1);
}

/* Whether a patience timer at t_min is the customer's current one. */
static int renege_due(const struct bs_day *day, int32_t i, double t_min)
{
    /* Patience runs from arriving outside, and in a counter line from
     * joining it; a timer from an earlier stage is stale. */
    if (day->cust.state[i] == BS_CUST_OUTSIDE)
        return t_min == outside_deadline(day, i);
    return day->cust.state[i] == BS_CUST_WAITING && !at_kiosk(day, i) && t_min == line_deadline(day, i);
}

static void on_renege(struct bs_day *day, int32_t i)
{
    if (day->cust.state[i] == BS_CUST_OUTSIDE) { /* gave up outside: never came in */
        day->ctr.outside--;
        day->tally.reneged++;
        day->tally.seg_reneged[day->cust.segment[i]]++;
        day->cust.state[i] = BS_CUST_RENEGED;
        day->cust.leave_min[i] = day->now_min;
        return;
    }
    if (day->cust.state[i] != BS_CUST_WAITING)
        return;
    int c = day->cust.class_id[i];
    day->ctr.waiting[c]--;
    day->ctr.waiting_total--;
    day->tally.reneged++;
    day->tally.seg_reneged[day->cust.segment[i]]++;
    leave(day, i, BS_CUST_RENEGED);
}

/* The open-counter integrals belong to the counters: they advance here,
 * whenever the open counters change, and once more at the end of the day. */
/* Adds weight x the overlap of [t0, t1) with each time-series bin to row;
 * the loop for spans that cross bins. */
static void add_overlap_slow(double *row, const struct bs_scenario *sc, double t0, double t1, double weight)
{
    double end = (double)sc->n_bins * sc->bin_min;
    if (t1 > end)
        t1 = end;
    size_t b = (size_t)(t0 * sc->bins_per_min);
    while (t0 < t1 && b < sc->n_bins) {
        double bin_end = (double)(b + 1) * sc->bin_min;
        double upto = t1 < bin_end ? t1 : bin_end;
        row[b] += weight * (upto - t0);
        t0 = upto;
        b++;
    }
}

static inline void add_overlap(double *row, const struct bs_scenario *sc, double t0, double t1, double weight)
{
    if (t0 >= t1)
        return;
    size_t b = (size_t)(t0 * sc->bins_per_min);
    if (b < sc->n_bins && t1 <= (double)(b + 1) * sc->bin_min) /* most spans fall within one bin */
        row[b] += weight * (t1 - t0);
    else
        add_overlap_slow(row, sc, t0, t1, weight);
}

void bs_counters_track_open(struct bs_day *day, double now_min)
{
    const struct bs_scenario *sc = day->sc;
    double t0 = day->ctr.open_last_min, dt = now_min - t0;
    if (dt <= 0)
        return;
    double open_dt = (now_min < sc->close_min ? now_min : sc->close_min) - t0;
    for (size_t r = 0; r < sc->n_roles; r++) {
        day->ctr.open_counter_min[r] += (double)day->ctr.open_role[r] * dt;
        if (open_dt > 0)
            day->ctr.open_until_close_min[r] += (double)day->ctr.open_role[r] * open_dt;
    }
    add_overlap(day->tl.series + BS_TS_COUNTERS_OPEN * sc->n_bins, sc, t0, now_min, (double)day->ctr.open_total);
    day->ctr.open_last_min = now_min;
}

static void set_open(struct bs_day *day, int32_t k, int open)
{
    const struct bs_scenario *sc = day->sc;
    int g = day->ctr.counter_group[k], role = sc->counter_groups[g].role;
    long d = open ? 1 : -1;
    bs_counters_track_open(day, day->now_min);
    day->ctr.open[g] += d;
    day->ctr.open_role[role] += d;
    if (!(sc->ch.self_service && role == sc->ch.kiosk_role))
        day->ctr.open_total += d; /* the counters_open series: staffed counters */
    day->ctr.counter_state[k] = open ? BS_COUNTER_IDLE : BS_COUNTER_CLOSED;
}

/* A counter with nothing to do waits idle, or takes the next customer. */
HOT void serve_next_or_idle(struct bs_day *day, int32_t k)
{
    int g = day->ctr.counter_group[k];
    int32_t next = pick_for_group(day, g);
    if (next >= 0) {
        start_service(day, next, k);
        return;
    }
    day->ctr.counter_state[k] = BS_COUNTER_IDLE;
    BS_INVARIANT(day->ctr.n_idle[g] < day->sc->counter_groups[g].count); /* the stack's room */
    day->ctr.idle[day->sc->counter_groups[g].first_counter + day->ctr.n_idle[g]++] = k;
}

HOT void on_departure(struct bs_day *day, int32_t k)
{
    int32_t i = day->ctr.counter_customer[k];
    int g = day->ctr.counter_group[k];
    day->ctr.counter_customer[k] = -1;
    if (at_kiosk(day, i)) {
        day->tally.kiosk_served++;
        if (day->cust.needs_counter[i]) { /* on to the counters, at the back of their line */
            day->cust.class_id[i] = day->cust.counter_class[i];
            join_line(day, i, 0);
        } else {
            day->tally.served++;
            day->tally.seg_served[day->cust.segment[i]]++;
            leave(day, i, BS_CUST_SERVED);
        }
    } else {
        if (day->sc->ex.on)
            bs_exposure_end_service(day, i);
        day->tally.served++;
        day->tally.seg_served[day->cust.segment[i]]++;
        leave(day, i, BS_CUST_SERVED);
    }
    if (day->ctr.counter_closing[k]) { /* its staff member leaves after this customer */
        day->ctr.counter_closing[k] = 0;
        day->ctr.n_closing[g]--;
        set_open(day, k, 0);
        return;
    }
    serve_next_or_idle(day, k);
}

HOT void on_schedule(struct bs_day *day, int32_t change)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_schedule_change *ch = &sc->changes[change];
    int g = ch->group;
    const struct bs_counter_group *grp = &sc->counter_groups[g];
    long target = ch->open < day->ctr.present[g] ? ch->open : day->ctr.present[g];
    long effective = day->ctr.open[g] - day->ctr.n_closing[g];
    long first = grp->first_counter, last = first + grp->count;
    /* More counters: cancel pending closings first, then open closed ones. */
    for (long k = first; k < last && effective < target; k++) {
        if (day->ctr.counter_closing[k]) {
            day->ctr.counter_closing[k] = 0;
            day->ctr.n_closing[g]--;
            effective++;
        }
    }
    for (long k = first; k < last && effective < target; k++) {
        if (day->ctr.counter_state[k] == BS_COUNTER_CLOSED && day->ctr.counter_present[k]) {
            set_open(day, (int32_t)k, 1);
            serve_next_or_idle(day, (int32_t)k);
            effective++;
        }
    }
    /* Fewer: close idle counters, then let busy ones finish their customer. */
    while (effective > target && day->ctr.n_idle[g] > 0) {
        set_open(day, day->ctr.idle[first + --day->ctr.n_idle[g]], 0);
        effective--;
    }
    for (long k = first; k < last && effective > target; k++) {
        if (day->ctr.counter_state[k] == BS_COUNTER_BUSY && !day->ctr.counter_closing[k]) {
            day->ctr.counter_closing[k] = 1;
            day->ctr.n_closing[g]++;
            effective--;
        }
    }
}

/* Every event is counted, the time integrals advance to it, and the clock. */
static inline void begin_event(struct bs_day *day, double time_min)
{
    BS_INVARIANT(time_min >= day->now_min); /* the clock never runs backwards */
    day->events++;
    bs_day_advance(day, time_min);
    day->now_min = time_min;
}

/* A calendar event, still the calendar's first: removed after its
 * handler unless the handler scheduled an event in its place. */
HOT void on_calendar_event(struct bs_day *day)
{
    const struct bs_event ev = day->cal.ev[0];
    day->first_taken = 1;
    /* A patience timer of a customer no longer waiting is not an event of the day. */
    if (ev.kind != BS_EV_RENEGE || renege_due(day, ev.arg, ev.time_min)) {
        begin_event(day, ev.time_min);
        switch ((enum bs_event_kind)ev.kind) {
        case BS_EV_DEPARTURE:
            on_departure(day, ev.arg);
            break;
        case BS_EV_RENEGE:
            on_renege(day, ev.arg);
            break;
        case BS_EV_SCHEDULE:
            on_schedule(day, ev.arg);
            break;
        case BS_EV_ARRIVAL: /* arrivals do not pass through the calendar */
        case BS_EV_COUNT:
            break;
        }
    }
    if (day->first_taken) { /* nothing scheduled took its place */
        day->first_taken = 0;
        bs_cal_drop_first(&day->cal);
    }
}

/* The event loop. Arrivals are already in time order: they are merged with
 * the calendar here instead of passing through it, and handled on their
 * own branch. At equal times calendar events (a schedule change, a
 * departure) come first. Dispatch is a switch, not a table of function
 * pointers: arrivals and departures alternate irregularly, and the
 * indirect call mispredicted on about half of all events (cachegrind
 * --branch-sim). The next arrival's time is kept at hand, read again only
 * when that customer comes. */
static void run_events(struct bs_day *day)
{
    const size_t n_arrivals = day->n_arrivals;
    size_t next_arrival = 0;
    int32_t who = n_arrivals > 0 ? bs_day_arrival(day, 0) : -1;
    double arrival_min = who >= 0 ? day->cust.arrival_min[who] : INFINITY;
    for (;;) {
        if (bs_cal_size(&day->cal) > 0 && day->cal.ev[0].time_min <= arrival_min) {
            on_calendar_event(day);
            continue;
        }
        if (who < 0)
            break;
        int32_t i = who;
        begin_event(day, arrival_min);
        next_arrival++;
        who = next_arrival < n_arrivals ? bs_day_arrival(day, next_arrival) : -1;
        arrival_min = who >= 0 ? day->cust.arrival_min[who] : INFINITY;
        on_arrival(day, i);
    }
}

void bs_counters_run(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->first_taken = 0;
    for (size_t c = 0; c < sc->n_changes; c++)
        schedule(day, sc->changes[c].time_min, BS_EV_SCHEDULE, (int32_t)c);
    run_events(day);
}

void bs_counters_close_day(struct bs_day *day)
{
    while (day->ctr.outside > 0) /* still outside at closing: never came in */
        turn_away_at_door(day, pop_outside(day));
    for (size_t c = 0; c < day->sc->n_classes; c++) {
        while (day->ctr.waiting[c] > 0) {
            int32_t i = dequeue(day, (int)c);
            day->tally.turned_away++;
            day->tally.seg_turned_away[day->cust.segment[i]]++;
            leave(day, i, BS_CUST_TURNED_AWAY);
        }
    }
}

int bs_counters_fit(struct bs_counters *ct, long n_counters)
{
    if (n_counters <= ct->cap)
        return 0;
    int failed = 0;
#define BS_COUNTER_GROW(type, name) ct->name = bs_resize(ct->name, (size_t)n_counters, sizeof(type), &failed);
    BS_COUNTER_ARRAYS(BS_COUNTER_GROW)
#undef BS_COUNTER_GROW
    if (failed)
        return -1;
    ct->cap = n_counters;
    return 0;
}

void bs_counters_free(struct bs_counters *ct)
{
#define BS_COUNTER_FREE(type, name) free(ct->name);
    BS_COUNTER_ARRAYS(BS_COUNTER_FREE)
#undef BS_COUNTER_FREE
    *ct = (struct bs_counters){0};
}

void bs_counters_reset(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    for (size_t c = 0; c < BS_CLASSES_MAX; c++) {
        day->ctr.head[c] = day->ctr.tail[c] = -1;
        day->ctr.waiting[c] = 0;
    }
    day->ctr.waiting_total = day->ctr.inside = 0;
    day->ctr.outside = 0;
    day->ctr.outside_head = day->ctr.outside_tail = -1;
    day->ctr.next_ticket = 0;
    day->ctr.kiosk_class = sc->ch.self_service ? sc->ch.kiosk_class : -1;
    day->ctr.wait_parts = sc->ch.self_service || sc->ex.occupancy_cap > 0;
    day->ctr.staff_absent = day->ctr.open_total = 0;
    day->ctr.open_last_min = 0;
    for (size_t r = 0; r < BS_ROLES_MAX; r++) {
        day->ctr.open_role[r] = 0;
        day->ctr.open_counter_min[r] = day->ctr.open_until_close_min[r] = 0;
    }
    struct bs_stream *staff = bs_rng_stream(day->staff_rng);
    for (size_t g = 0; g < sc->n_counter_groups; g++) {
        const struct bs_counter_group *grp = &sc->counter_groups[g];
        day->ctr.n_idle[g] = day->ctr.n_closing[g] = day->ctr.open[g] = day->ctr.present[g] = 0;
        for (long k = grp->first_counter; k < grp->first_counter + grp->count; k++) {
            day->ctr.counter_group[k] = (int32_t)g;
            day->ctr.counter_role[k] = grp->role;
            day->ctr.counter_state[k] = BS_COUNTER_CLOSED;
            day->ctr.counter_closing[k] = 0;
            day->ctr.counter_customer[k] = -1;
            /* The j-th staff member of group g has a stream of their own, so
             * they are the same person in every point. Kiosks are machines. */
            int kiosk = sc->ch.self_service && grp->role == sc->ch.kiosk_role;
            uint64_t staff_id = ((uint64_t)g << 32) | (uint64_t)(k - grp->first_counter);
            bs_stream_seek(staff, BS_STREAM_STAFF, staff_id);
            double u_absent = bs_stream_uniform(staff), u_infectious = bs_stream_uniform(staff);
            day->ctr.counter_present[k] = kiosk || u_absent >= sc->absence_probability;
            day->expo.staff_infectious[k] = !kiosk && sc->ex.on && u_infectious < sc->ex.prevalence_staff;
            day->ctr.present[g] += day->ctr.counter_present[k];
            day->ctr.staff_absent += !day->ctr.counter_present[k];
        }
    }
}
