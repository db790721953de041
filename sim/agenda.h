/* A short calendar: few pending events (a departure per counter, say) kept
 * sorted, the earliest last. It fires events in the order bs_calendar would,
 * by (time, sequence number), without storing sequence numbers: an event is
 * scheduled either after every pending one (at an equal time it fires last)
 * or before every pending one (it fires first). Inserting moves the pending
 * events later than it, which for a few events costs less than sifting a
 * heap. A sentinel at INFINITY below the events ends every scan. Storage is
 * allocated once; scheduling never allocates. */
#ifndef BS_AGENDA_H
#define BS_AGENDA_H

#include <stddef.h>
#include <stdint.h>

struct bs_agenda_event {
    double time_min;
    int32_t arg;
};

struct bs_agenda {
    struct bs_agenda_event *ev; /* ev[0] is the sentinel; events ev[1..n], latest first */
    size_t n, cap;
};

/* Allocates room for cap events; returns 0 or -1 on allocation failure. */
int bs_agenda_init(struct bs_agenda *a, size_t cap);
void bs_agenda_fini(struct bs_agenda *a);
/* Empties the agenda. */
void bs_agenda_reset(struct bs_agenda *a);

/* Schedules an event at a finite time after all pending ones. The caller
 * keeps the number of pending events within the capacity (a model
 * invariant). */
static inline void bs_agenda_push(struct bs_agenda *a, double time_min, int32_t arg)
{
    size_t i = ++a->n;
    for (; a->ev[i - 1].time_min <= time_min; i--) /* those earlier than it, or as early */
        a->ev[i] = a->ev[i - 1];
    a->ev[i] = (struct bs_agenda_event){time_min, arg};
}

/* Schedules an event before all pending ones (as if scheduled before them). */
static inline void bs_agenda_push_first(struct bs_agenda *a, double time_min, int32_t arg)
{
    size_t i = ++a->n;
    for (; a->ev[i - 1].time_min < time_min; i--) /* only those strictly earlier */
        a->ev[i] = a->ev[i - 1];
    a->ev[i] = (struct bs_agenda_event){time_min, arg};
}

/* The earliest event's time; INFINITY when none is pending. */
static inline double bs_agenda_first_min(const struct bs_agenda *a) { return a->ev[a->n].time_min; }

/* Removes the earliest event; the agenda must not be empty. */
static inline struct bs_agenda_event bs_agenda_pop(struct bs_agenda *a) { return a->ev[a->n--]; }

static inline size_t bs_agenda_size(const struct bs_agenda *a) { return a->n; }

#endif
