/* Error reports carried back to the caller instead of printed or exited on.
 * Input errors are formatted "file:line:column: key: what is allowed". */
#ifndef BS_ERROR_H
#define BS_ERROR_H

#include <stddef.h>

enum bs_status {
    BS_OK = 0,
    BS_ERR_RUN = 1,   /* a run failed: I/O, memory, a replication that broke */
    BS_ERR_INPUT = 2, /* bad command line or scenario */
};

struct bs_error {
    int status;
    char msg[1024];
};

/* printf-style; keeps the first error reported, so a deeper cause is not
 * overwritten by its callers. Control characters in the message are
 * escaped (bs_text_escape). Returns err->status. */
int bs_error_set(struct bs_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
