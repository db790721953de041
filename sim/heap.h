/* Event calendar: a binary min-heap of events ordered by (time, insertion
 * sequence), so simultaneous events fire in the order they were scheduled and
 * every run is deterministic. Storage is allocated once; pushes never allocate. */
#ifndef BS_HEAP_H
#define BS_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct bs_event {
    double time_min;
    uint64_t seq;
    int32_t kind;
    int32_t arg;
};

struct bs_calendar {
    struct bs_event *ev;
    size_t n;
    size_t cap;
    uint64_t next_seq;
};

/* Allocates room for cap events; returns 0 or -1 on allocation failure. */
int bs_cal_init(struct bs_calendar *cal, size_t cap);
void bs_cal_fini(struct bs_calendar *cal);
/* Empties the calendar and restarts the sequence numbers. */
void bs_cal_reset(struct bs_calendar *cal);
/* Returns 0, or -1 when the calendar is full (capacity is a model invariant). */
int bs_cal_push(struct bs_calendar *cal, double time_min, int32_t kind, int32_t arg);
/* Removes the earliest event into *out; returns 0, or -1 when empty. */
int bs_cal_pop(struct bs_calendar *cal, struct bs_event *out);

static inline size_t bs_cal_size(const struct bs_calendar *cal) { return cal->n; }

#endif
