/* Invariants stated in code: capacities, heap bounds, conservation at the
 * end of a day, time that never runs backwards. BS_INVARIANT(cond) aborts
 * with the file, line and condition when cond is false in a build with
 * BS_CHECK_INVARIANTS defined (the C tests' and the ASan build, see the
 * Makefile); in the release build it compiles to nothing and cond is not
 * evaluated, so it may cost anything but must have no side effect. */
#ifndef BS_INVARIANT_H
#define BS_INVARIANT_H

#ifdef BS_CHECK_INVARIANTS
#include <stdio.h>
#include <stdlib.h>
#define BS_INVARIANT(cond)                                                                  \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                        \
        }                                                                                   \
    } while (0)
#else
#define BS_INVARIANT(cond) ((void)sizeof(!(cond)))
#endif

#endif
