/* The customers' choices: what each intent becomes, in order (README.md):
 * online shift, appointment booking (in random booking order, into the
 * intent's slot or the nearest with room), no-show and punctuality, and
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
            if (s >= 0 && s < (long)ch->n_slots && day->booked_in_slot[s] < ch->capacity[s])
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
    day->state[i] = (uint8_t)how;
    day->start_min[i] = NAN;
    day->counter_of[i] = -1;
}

void bs_choices_apply(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_choices *ch = &sc->ch;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    struct bs_sort_item *items = day->sort_items;
    size_t n_bookers = 0;
    if (ch->appointments)
        memset(day->booked_in_slot, 0, ch->n_slots * sizeof *day->booked_in_slot);
    /* Pass 1: each customer's draws; online shift; who wants to book. */
    for (size_t i = 0; i < day->n_customers; i++) {
        double u[U_COUNT];
        bs_stream_seek(own, BS_STREAM_CHOICES, i);
        for (int k = 0; k < U_COUNT; k++)
            u[k] = bs_stream_uniform(own);
        day->noshow_u[i] = u[U_NOSHOW];
        day->shift_u[i] = ch->peak_shift && u[U_SHIFT] < ch->shift_probability ? u[U_SHIFT_TIME] : -1;
        /* Each distribution from a stream of its own, so changing one shifts no other. */
        day->wants_kiosk[i] = ch->self_service && ch->kiosk_eligible[day->transaction[i]] &&
                              u[U_KIOSK] < ch->kiosk_adoption[day->segment[i]];
        day->needs_counter[i] = u[U_AFTER] < ch->counter_after_probability;
        day->offset_min[i] = 0;
        if (ch->appointments) {
            bs_stream_seek(own, BS_STREAM_PUNCTUALITY, i);
            day->offset_min[i] = bs_dist_sample(&ch->punctuality_min, day->customer_rng);
        }
        day->kiosk_service_min[i] = 0;
        if (ch->self_service) {
            bs_stream_seek(own, BS_STREAM_KIOSK, i);
            day->kiosk_service_min[i] = bs_dist_sample(&ch->kiosk_service_min, day->customer_rng);
        }
        day->slot[i] = -1;
        day->arrival_min[i] = day->intent_min[i];
        int seg = day->segment[i];
        if (ch->online && u[U_ONLINE] < ch->online_probability[seg]) {
            stay_away(day, i, BS_CUST_ONLINE);
            day->online++;
            day->seg_online[seg]++;
            continue;
        }
        if (ch->appointments && ch->appointment_eligible[day->transaction[i]] &&
            u[U_BOOK] < ch->booking_probability[seg])
            items[n_bookers++] = (struct bs_sort_item){u[U_ORDER], (int32_t)i};
    }
    /* Pass 2: bookings in booking order, each into the nearest slot with room. */
    qsort(items, n_bookers, sizeof *items, by_key_then_customer);
    for (size_t k = 0; k < n_bookers; k++) {
        int32_t i = items[k].customer;
        int s = find_slot(day, (long)(day->intent_min[i] / ch->slot_min));
        if (s < 0)
            continue; /* no room: comes as a walk-in */
        day->booked_in_slot[s]++;
        day->slot[i] = (int16_t)s;
        day->booked++;
        day->seg_booked[day->segment[i]]++;
    }
    /* Pass 3: no-shows, punctuality, peak shifting; who comes, and when. */
    size_t n = 0;
    for (size_t i = 0; i < day->n_customers; i++) {
        if (day->state[i] == BS_CUST_ONLINE)
            continue;
        if (day->slot[i] >= 0) {
            if (day->noshow_u[i] < ch->noshow_probability) {
                stay_away(day, i, BS_CUST_NOSHOW);
                day->noshows++;
                day->seg_noshows[day->segment[i]]++;
                continue;
            }
            double t = day->slot[i] * ch->slot_min + day->offset_min[i];
            /* Early birds wait for the doors; those who come after closing find
             * them shut (turned away at closing time, not later). */
            day->arrival_min[i] = t < 0 ? 0 : t > sc->close_min ? sc->close_min : t;
            if (day->offset_min[i] > ch->grace_min) {
                day->late_lost++;
                day->slot[i] = -1; /* queues as a walk-in */
            } else {
                day->class_id[i] = (uint8_t)ch->appointment_class;
            }
        } else if (day->shift_u[i] >= 0 && in_window(ch, day->intent_min[i])) {
            day->arrival_min[i] = offpeak_time(ch, day->shift_u[i]);
            day->shifted++;
        }
        if (day->slot[i] < 0 && day->wants_kiosk[i]) { /* walk-ins only: holders booked a counter */
            day->counter_class[i] = day->class_id[i];
            day->class_id[i] = (uint8_t)ch->kiosk_class;
            day->kiosk_users++;
        }
        if (ch->peak_shift && in_window(ch, day->arrival_min[i]))
            day->peak_window_arrivals++;
        items[n++] = (struct bs_sort_item){day->arrival_min[i], (int32_t)i};
    }
    qsort(items, n, sizeof *items, by_key_then_customer);
    for (size_t k = 0; k < n; k++)
        day->order[k] = items[k].customer;
    day->n_arrivals = n;
}
