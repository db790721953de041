/* Event calendar storage; push and pop are inline in heap.h (hot path). */
#include "heap.h"

#include <stdlib.h>

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

