/* Short calendar storage; scheduling and taking are inline in agenda.h. */
#include "agenda.h"

#include <math.h>
#include <stdlib.h>

int bs_agenda_init(struct bs_agenda *a, size_t cap)
{
    a->ev = malloc((cap + 1) * sizeof *a->ev);
    a->cap = a->ev ? cap : 0;
    a->n = 0;
    if (!a->ev)
        return -1;
    a->ev[0] = (struct bs_agenda_event){INFINITY, -1};
    return 0;
}

void bs_agenda_fini(struct bs_agenda *a)
{
    free(a->ev);
    a->ev = NULL;
    a->n = a->cap = 0;
}

void bs_agenda_reset(struct bs_agenda *a)
{
    a->n = 0;
}
