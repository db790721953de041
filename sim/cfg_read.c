/* Readers of values that several sections of a scenario share: a clock
 * time, a name, one name out of a list. They sit here, with the typed
 * getters of cfg.c, so that a model's loaders depend on the config layer
 * and never on each other for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "text.h"

int bs_cfg_clock(struct bs_cfg *cfg, const char *key, const char *dflt, double *min_of_day)
{
    char text[16];
    if (bs_cfg_string(cfg, key, dflt, text, sizeof text))
        return cfg->err->status;
    /* H:MM or HH:MM, digits only: sscanf's %d took "+9:-0", " 9:00" and
     * "4294967305:00" (which overflows int, and wrapped to 09:00). */
    size_t len = strlen(text), colon = len >= 4 ? len - 3 : 0;
    int digits = colon > 0 && colon <= 2 && text[colon] == ':';
    for (size_t i = 0; digits && i < len; i++)
        digits = i == colon || (text[i] >= '0' && text[i] <= '9');
    int hh = digits ? atoi(text) : -1, mm = digits ? atoi(text + colon + 1) : -1;
    if (!digits || hh > 24 || mm > 59 || (hh == 24 && mm > 0))
        return bs_cfg_fail(cfg, key, "expected a time \"HH:MM\" (00:00 to 24:00), got '%s'", text);
    *min_of_day = hh * 60.0 + mm;
    return 0;
}

int bs_cfg_name(struct bs_cfg *cfg, const char *key, const char *dflt, char *out, size_t cap)
{
    if (bs_cfg_string(cfg, key, dflt, out, cap))
        return cfg->err->status;
    if (out[0] == '\0' || strchr(out, '.'))
        return bs_cfg_fail(cfg, key, "'%s': a name must be non-empty and without '.' (names appear in dotted keys)", out);
    return 0;
}

#define ONE_OF_LIST_MAX 2048

int bs_cfg_one_of(struct bs_cfg *cfg, const char *key, const char *what, const char *const *names, size_t n,
                  size_t cap, int *out)
{
    char allowed[ONE_OF_LIST_MAX] = "", text[BS_CFG_PATH_MAX];
    if (cap > sizeof text)
        cap = sizeof text;
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(allowed);
        snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", names[i]);
    }
    if (!bs_cfg_has(cfg, key))
        return bs_cfg_fail(cfg, key, "required: %s (%s)", what, allowed);
    if (bs_cfg_string(cfg, key, NULL, text, cap))
        return cfg->err->status;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    const char *near = bs_text_nearest(text, names, n);
    return bs_cfg_fail(cfg, key, "'%s' is not %s (%s)%s%s%s", text, what, allowed, near ? "; did you mean " : "",
                       near ? near : "", near ? "?" : "");
}
