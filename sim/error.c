/* First-error-wins error reports. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "text.h"

int bs_error_set(struct bs_error *err, int status, const char *fmt, ...)
{
    if (err->status != BS_OK)
        return err->status;
    char raw[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* Names from a file may hold control characters: a message stays one
     * line and sends nothing to the terminal. */
    bs_text_escape(err->msg, sizeof err->msg, raw);
    err->status = status;
    return status;
}
