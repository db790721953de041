/* Event calendar: a binary min-heap of events ordered by (time, insertion
 * sequence), so simultaneous events fire in the order they were scheduled and
 * every run is deterministic. Storage is allocated between days (the model
 * grows it when a day can have more events pending); pushes never allocate. */
#ifndef BS_HEAP_H
#define BS_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "invariant.h"

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

/* Binary min-heap on (time_min, seq); the hole-moving sift avoids swaps. */
static inline int bs_cal_before(const struct bs_event *a, const struct bs_event *b)
{
    return a->time_min < b->time_min || (a->time_min == b->time_min && a->seq < b->seq);
}

/* Returns 0, or -1 when the calendar is full: the model sizes it for
 * every event that can be pending, so a refusal is a broken invariant the
 * model reports (the day is void), never an overrun. */
static inline int bs_cal_push(struct bs_calendar *cal, double time_min, int32_t kind, int32_t arg)
{
    if (cal->n == cal->cap)
        return -1;
    struct bs_event e = {time_min, cal->next_seq++, kind, arg};
    size_t i = cal->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!bs_cal_before(&e, &cal->ev[parent]))
            break;
        cal->ev[i] = cal->ev[parent];
        i = parent;
    }
    cal->ev[i] = e;
    /* Heap order where the sift stopped (the rest held before). */
    BS_INVARIANT(cal->n <= cal->cap && (i == 0 || !bs_cal_before(&e, &cal->ev[(i - 1) / 2])));
    return 0;
}

/* Moves event e down from the root to its place among cal->n events (the
 * root is a hole): the sift of pop and of replace. */
static inline void bs_cal_sift_down(struct bs_calendar *cal, struct bs_event e)
{
    size_t n = cal->n, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && bs_cal_before(&cal->ev[child + 1], &cal->ev[child]))
            child++;
        if (!bs_cal_before(&cal->ev[child], &e))
            break;
        cal->ev[i] = cal->ev[child];
        i = child;
    }
    cal->ev[i] = e;
}

/* Removes the earliest event; the calendar must not be empty. */
static inline void bs_cal_drop_first(struct bs_calendar *cal)
{
    BS_INVARIANT(cal->n > 0);
    struct bs_event last = cal->ev[--cal->n];
    if (cal->n > 0)
        bs_cal_sift_down(cal, last);
}

/* Removes the earliest event into *out; returns 0, or -1 when empty. */
static inline int bs_cal_pop(struct bs_calendar *cal, struct bs_event *out)
{
    if (cal->n == 0)
        return -1;
    *out = cal->ev[0];
    bs_cal_drop_first(cal);
    /* Nothing left fires before what was taken: time never runs back. */
    BS_INVARIANT(cal->n == 0 || !bs_cal_before(&cal->ev[0], out));
    return 0;
}

/* Replaces the earliest event (already read from ev[0]) with a new one: a
 * pop and a push in one sift. The pops that follow are those of a pop and
 * a push: (time, seq) orders all events, whatever the heap's shape. The
 * new event must not fire before the one it replaces. */
static inline void bs_cal_replace_first(struct bs_calendar *cal, double time_min, int32_t kind, int32_t arg)
{
    BS_INVARIANT(cal->n > 0 && time_min >= cal->ev[0].time_min);
    struct bs_event e = {time_min, cal->next_seq++, kind, arg};
    bs_cal_sift_down(cal, e);
}

static inline size_t bs_cal_size(const struct bs_calendar *cal) { return cal->n; }

#endif
