/* The customers' choices: what each intent becomes, in order (docs/model.md):
 * online shift, appointment booking (in random booking order, into the
 * intent's slot; when full, as appointments.when_full says), no-show and punctuality, and
 * peak shifting of walk-ins, self-service at a kiosk. Then the day's
 * arrivals are put in time order.
 * Each customer's choices come from a stream of its own (CHOICES, i), drawn
 * in a fixed order, so the same person chooses alike in every point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/rng.h"
#include "branch.h"

enum { U_ONLINE, U_BOOK, U_ORDER, U_NOSHOW, U_SHIFT, U_SHIFT_TIME, U_KIOSK, U_AFTER, U_COUNT };

static int in_window(const struct bs_choices *ch, double t)
{
    for (size_t w = 0; w < ch->n_windows; w++)
        if (t >= ch->windows[w].from_min && t < ch->windows[w].to_min)
            return 1;
    return 0;
}

/* A time drawn from the profile outside the peak windows, by inversion. */
static double offpeak_time(const struct bs_choices *ch, double u)
{
    double target = u * ch->offpeak_cum[ch->n_offpeak];
    size_t k = 0;
    while (k + 1 < ch->n_offpeak && ch->offpeak_cum[k + 1] <= target)
        k++;
    return ch->offpeak_from_min[k] + (target - ch->offpeak_cum[k]) / ch->offpeak_rate[k];
}

/* The nearest slot with room within the window (earlier first on a tie), or -1. */
static int find_slot(struct bs_day *day, long wanted)
{
    const struct bs_choices *ch = &day->sc->ch;
    for (long d = 0; d <= ch->window_slots; d++) {
        long candidates[2] = {wanted - d, wanted + d};
        for (int k = 0; k < (d ? 2 : 1); k++) {
            long s = candidates[k];
            if (s >= 0 && s < (long)ch->n_slots && day->choice.booked_in_slot[s] < ch->capacity[s])
                return (int)s;
        }
    }
    return -1;
}

/* (key, customer) pairs: a total order, so sorting is deterministic. */
static int by_key_then_customer(const void *a, const void *b)
{
    const struct bs_sort_item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->customer > y->customer) - (x->customer < y->customer);
}

/* Who never comes is never served (those who come are marked so on arriving). */
static void stay_away(struct bs_day *day, size_t i, enum bs_customer_state how)
{
    day->cust.state[i] = (uint8_t)how;
    day->cust.start_min[i] = NAN;
    day->cust.counter_of[i] = -1;
}

enum when_full { FULL_OTHER_SLOT, FULL_WALK_IN, FULL_LEAVE };

/* What customer i does on finding its slot full. Drawn from a stream of its
 * own, and only when the shares allow a choice: the default (all
 * other_slot) draws nothing, so no other draw moves. */
static enum when_full when_full(struct bs_day *day, int32_t i)
{
    const struct bs_choices *ch = &day->sc->ch;
    if (!ch->when_full_draws)
        return FULL_OTHER_SLOT;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    bs_stream_seek(own, BS_STREAM_WHEN_FULL, (uint64_t)i);
    double u = bs_stream_uniform(own);
    return u < ch->when_full_other_slot ? FULL_OTHER_SLOT
           : u < ch->when_full_other_slot + ch->when_full_walk_in ? FULL_WALK_IN : FULL_LEAVE;
}

/* Customer i asks for the slot of its intended time. Counted by that slot:
 * requested = booked there + moved to another + refused. */
static void book(struct bs_day *day, int32_t i)
{
    const struct bs_choices *ch = &day->sc->ch;
    long wanted = (long)(day->cust.intent_min[i] / ch->slot_min);
    size_t asked = wanted < (long)ch->n_slots ? (size_t)wanted : ch->n_slots - 1; /* rounding at closing */
    day->choice.requested_in_slot[asked]++;
    day->choice.bookings_requested++;
    int s = find_slot(day, wanted);
    if (s != wanted) { /* full */
        enum when_full what = when_full(day, i);
        if (what != FULL_OTHER_SLOT)
            s = -1;
        if (s < 0) {
            day->choice.refused_in_slot[asked]++;
            day->choice.bookings_refused++;
            if (what == FULL_LEAVE) {
                stay_away(day, (size_t)i, BS_CUST_REFUSED_LEFT);
                day->choice.bookings_refused_left++;
            }
            return; /* else comes as a walk-in */
        }
        day->choice.moved_from_slot[asked]++;
        day->choice.bookings_moved++;
    }
    day->choice.booked_in_slot[s]++;
    day->cust.slot[i] = (int16_t)s;
    day->choice.booked++;
    day->choice.seg_booked[day->cust.segment[i]]++;
}

/* The slots in use, and the counts: the four slot arrays are most of the
 * part, and a day without appointments never reads them. */
void bs_choices_reset(struct bs_choice_state *cs, const struct bs_choices *ch)
{
    size_t slots = ch->appointments ? ch->n_slots : 0;
    memset(cs->booked_in_slot, 0, slots * sizeof *cs->booked_in_slot);
    memset(cs->requested_in_slot, 0, slots * sizeof *cs->requested_in_slot);
    memset(cs->moved_from_slot, 0, slots * sizeof *cs->moved_from_slot);
    memset(cs->refused_in_slot, 0, slots * sizeof *cs->refused_in_slot);
    memset(&cs->online, 0, sizeof *cs - offsetof(struct bs_choice_state, online));
}

/* Customer i's draws, each distribution from a stream of its own so that
 * changing one shifts no other; u gets the CHOICES stream's uniforms. */
static void draw_choices(struct bs_day *day, size_t i, double u[U_COUNT])
{
    const struct bs_choices *ch = &day->sc->ch;
    struct bs_customers *c = &day->cust;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    bs_stream_seek(own, BS_STREAM_CHOICES, i);
    for (int k = 0; k < U_COUNT; k++)
        u[k] = bs_stream_uniform(own);
    c->noshow_u[i] = u[U_NOSHOW];
    c->shift_u[i] = ch->peak_shift && u[U_SHIFT] < ch->shift_probability ? u[U_SHIFT_TIME] : -1;
    c->wants_kiosk[i] =
        ch->self_service && ch->kiosk_eligible[c->transaction[i]] && u[U_KIOSK] < ch->kiosk_adoption[c->segment[i]];
    c->needs_counter[i] = u[U_AFTER] < ch->counter_after_probability;
    c->offset_min[i] = 0;
    if (ch->appointments) {
        bs_stream_seek(own, BS_STREAM_PUNCTUALITY, i);
        c->offset_min[i] = bs_dist_sample(&ch->punctuality_min, day->customer_rng);
    }
    c->kiosk_service_min[i] = 0;
    if (ch->self_service) {
        bs_stream_seek(own, BS_STREAM_KIOSK, i);
        c->kiosk_service_min[i] = bs_dist_sample(&ch->kiosk_service_min, day->customer_rng);
    }
}

/* Pass 1: each customer's draws; the online shift. Returns how many want
 * to book, their (booking order, customer) pairs in items. */
static size_t draw_all(struct bs_day *day, struct bs_sort_item *items)
{
    const struct bs_choices *ch = &day->sc->ch;
    struct bs_customers *c = &day->cust;
    size_t n_bookers = 0;
    for (size_t i = 0; i < day->n_customers; i++) {
        double u[U_COUNT];
        draw_choices(day, i, u);
        c->slot[i] = -1;
        c->arrival_min[i] = c->intent_min[i];
        int seg = c->segment[i];
        if (ch->online && u[U_ONLINE] < ch->online_probability[seg]) {
            stay_away(day, i, BS_CUST_ONLINE);
            day->choice.online++;
            day->choice.seg_online[seg]++;
            continue;
        }
        if (ch->appointments && ch->appointment_eligible[c->transaction[i]] &&
            u[U_BOOK] < ch->booking_probability[seg])
            items[n_bookers++] = (struct bs_sort_item){u[U_ORDER], (int32_t)i};
    }
    return n_bookers;
}

/* A slot holder comes at its slot plus its punctuality, or not at all (a
 * no-show); one later than the grace queues as a walk-in. Returns whether
 * the customer comes. */
static int keep_appointment(struct bs_day *day, size_t i)
{
    const struct bs_choices *ch = &day->sc->ch;
    struct bs_customers *c = &day->cust;
    if (c->noshow_u[i] < ch->noshow_probability) {
        stay_away(day, i, BS_CUST_NOSHOW);
        day->choice.noshows++;
        day->choice.seg_noshows[c->segment[i]]++;
        return 0;
    }
    double t = c->slot[i] * ch->slot_min + c->offset_min[i];
    /* Early birds wait for the doors; those who come after closing find
     * them shut (turned away at closing time, not later). */
    c->arrival_min[i] = t < 0 ? 0 : t > day->sc->close_min ? day->sc->close_min : t;
    if (c->offset_min[i] > ch->grace_min) {
        day->choice.late_lost++;
        c->slot[i] = -1; /* queues as a walk-in */
    } else {
        c->class_id[i] = (uint8_t)ch->appointment_class;
    }
    return 1;
}

/* Pass 3: no-shows, punctuality, peak shifting, kiosks: who comes, and
 * when. Returns how many come, their (arrival, customer) pairs in items. */
static size_t decide_arrivals(struct bs_day *day, struct bs_sort_item *items)
{
    const struct bs_choices *ch = &day->sc->ch;
    struct bs_customers *c = &day->cust;
    size_t n = 0;
    for (size_t i = 0; i < day->n_customers; i++) {
        if (c->state[i] == BS_CUST_ONLINE || c->state[i] == BS_CUST_REFUSED_LEFT)
            continue;
        if (c->slot[i] >= 0) {
            if (!keep_appointment(day, i))
                continue;
        } else if (c->shift_u[i] >= 0 && in_window(ch, c->intent_min[i])) {
            c->arrival_min[i] = offpeak_time(ch, c->shift_u[i]);
            day->choice.shifted++;
        }
        if (c->slot[i] < 0 && c->wants_kiosk[i]) { /* walk-ins only: holders booked a counter */
            c->counter_class[i] = c->class_id[i];
            c->class_id[i] = (uint8_t)ch->kiosk_class;
            day->choice.kiosk_users++;
        }
        if (ch->peak_shift && in_window(ch, c->arrival_min[i]))
            day->choice.peak_window_arrivals++;
        items[n++] = (struct bs_sort_item){c->arrival_min[i], (int32_t)i};
    }
    return n;
}

void bs_choices_apply(struct bs_day *day)
{
    struct bs_sort_item *items = day->cust.sort_items;
    size_t n_bookers = draw_all(day, items);
    /* Pass 2: bookings in booking order, each into its slot or, when full, as when_full says. */
    qsort(items, n_bookers, sizeof *items, by_key_then_customer);
    for (size_t k = 0; k < n_bookers; k++)
        book(day, items[k].customer);
    size_t n = decide_arrivals(day, items);
    qsort(items, n, sizeof *items, by_key_then_customer);
    for (size_t k = 0; k < n; k++)
        day->cust.order[k] = items[k].customer;
    day->n_arrivals = n;
}
