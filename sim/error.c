/* First-error-wins error reports. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int bs_error_set(struct bs_error *err, int status, const char *fmt, ...)
{
    if (err->status != BS_OK)
        return err->status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
    return status;
}
