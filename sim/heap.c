/* Binary min-heap on (time_min, seq). The hole-moving sift avoids swaps. */
#include "heap.h"

#include <stdlib.h>

static inline int ev_before(const struct bs_event *a, const struct bs_event *b)
{
    return a->time_min < b->time_min || (a->time_min == b->time_min && a->seq < b->seq);
}

int bs_cal_init(struct bs_calendar *cal, size_t cap)
{
    cal->ev = malloc((cap ? cap : 1) * sizeof *cal->ev);
    cal->n = 0;
    cal->cap = cal->ev ? cap : 0;
    cal->next_seq = 0;
    return cal->ev ? 0 : -1;
}

void bs_cal_fini(struct bs_calendar *cal)
{
    free(cal->ev);
    cal->ev = NULL;
    cal->n = cal->cap = 0;
}

void bs_cal_reset(struct bs_calendar *cal)
{
    cal->n = 0;
    cal->next_seq = 0;
}

int bs_cal_push(struct bs_calendar *cal, double time_min, int32_t kind, int32_t arg)
{
    if (cal->n == cal->cap)
        return -1;
    struct bs_event e = {time_min, cal->next_seq++, kind, arg};
    size_t i = cal->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&e, &cal->ev[parent]))
            break;
        cal->ev[i] = cal->ev[parent];
        i = parent;
    }
    cal->ev[i] = e;
    return 0;
}

int bs_cal_pop(struct bs_calendar *cal, struct bs_event *out)
{
    if (cal->n == 0)
        return -1;
    *out = cal->ev[0];
    struct bs_event last = cal->ev[--cal->n];
    size_t n = cal->n, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && ev_before(&cal->ev[child + 1], &cal->ev[child]))
            child++;
        if (!ev_before(&cal->ev[child], &last))
            break;
        cal->ev[i] = cal->ev[child];
        i = child;
    }
    if (n > 0)
        cal->ev[i] = last;
    return 0;
}
