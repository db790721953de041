/* Reads one scenario point of the branch model from the config. Scalar keys
 * are declared once in scalar_keys (range, default, unit); lists and
 * distributions are read by the code below. Every check happens here, before
 * any replication runs. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branch.h"

#define SHARE_SUM_TOLERANCE 1e-6

struct scalar_key {
    const char *key;
    double lo, hi, dflt;
    int required;
    size_t offset; /* of a double in struct bs_scenario */
};

static const struct scalar_key scalar_keys[] = {
    {"day.hours", 0.25, 24, 8, 0, offsetof(struct bs_scenario, hours)},
    {"demand.customers_per_day", 0, 1e7, 0, 1, offsetof(struct bs_scenario, customers_per_day)},
    {"output.warmup_min", 0, 1440, 0, 0, offsetof(struct bs_scenario, warmup_min)},
};

static int read_open(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    char text[16];
    if (bs_cfg_string(cfg, "day.open", "09:00", text, sizeof text))
        return cfg->err->status;
    int hh, mm;
    char tail;
    if (sscanf(text, "%d:%d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return bs_cfg_fail(cfg, "day.open", "expected a time \"HH:MM\" (00:00 to 23:59), got '%s'", text);
    sc->open_min_of_day = hh * 60.0 + mm;
    return 0;
}

static int read_transactions(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    long n = bs_cfg_list_len(cfg, "transactions");
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, "transactions", "required: a list of {name, share, service_min}");
    if (n > BS_TRANSACTIONS_MAX)
        return bs_cfg_fail(cfg, "transactions", "at most %d transaction types", BS_TRANSACTIONS_MAX);
    char key[BS_CFG_PATH_MAX];
    double share_sum = 0;
    for (long i = 0; i < n; i++) {
        struct bs_transaction *t = &sc->transactions[i];
        snprintf(key, sizeof key, "transactions.%ld.name", i);
        char dflt[BS_NAME_MAX];
        snprintf(dflt, sizeof dflt, "transaction%ld", i);
        if (bs_cfg_string(cfg, key, dflt, t->name, sizeof t->name))
            return cfg->err->status;
        snprintf(key, sizeof key, "transactions.%ld.share", i);
        if (bs_cfg_number(cfg, key, 0, 1, n == 1 ? 1.0 : 0, n > 1, &t->share))
            return cfg->err->status;
        snprintf(key, sizeof key, "transactions.%ld.service_min", i);
        if (!bs_cfg_has(cfg, key))
            return bs_cfg_fail(cfg, key, "required: a service-time distribution in minutes");
        if (bs_dist_parse(cfg, key, &t->service_min))
            return cfg->err->status;
        share_sum += t->share;
        sc->transaction_cdf[i] = share_sum;
    }
    if (fabs(share_sum - 1.0) > SHARE_SUM_TOLERANCE)
        return bs_cfg_fail(cfg, "transactions", "shares must sum to 1, they sum to %.6g", share_sum);
    sc->n_transactions = (size_t)n;
    return 0;
}

static int read_counters(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    long n = bs_cfg_list_len(cfg, "counters");
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, "counters", "required: a list of {role, count}");
    if (n > BS_COUNTER_GROUPS_MAX)
        return bs_cfg_fail(cfg, "counters", "at most %d counter groups", BS_COUNTER_GROUPS_MAX);
    char key[BS_CFG_PATH_MAX];
    sc->n_counters = 0;
    for (long i = 0; i < n; i++) {
        struct bs_counter_group *g = &sc->counter_groups[i];
        snprintf(key, sizeof key, "counters.%ld.role", i);
        if (bs_cfg_string(cfg, key, "general", g->role, sizeof g->role))
            return cfg->err->status;
        snprintf(key, sizeof key, "counters.%ld.count", i);
        if (bs_cfg_int(cfg, key, 0, 1000, 0, 1, &g->count))
            return cfg->err->status;
        sc->n_counters += g->count;
    }
    sc->n_counter_groups = (size_t)n;
    if (sc->n_counters == 0)
        return bs_cfg_fail(cfg, "counters", "at least one counter must be open");
    return 0;
}

struct bs_scenario *bs_scenario_load(struct bs_cfg *cfg)
{
    struct bs_scenario *sc = calloc(1, sizeof *sc);
    if (!sc) {
        bs_error_set(cfg->err, BS_ERR_RUN, "out of memory");
        return NULL;
    }
    int st = bs_cfg_string(cfg, "name", "unnamed", sc->name, sizeof sc->name);
    for (size_t i = 0; !st && i < sizeof scalar_keys / sizeof scalar_keys[0]; i++) {
        const struct scalar_key *k = &scalar_keys[i];
        st = bs_cfg_number(cfg, k->key, k->lo, k->hi, k->dflt, k->required,
                           (double *)((char *)sc + k->offset));
    }
    if (!st)
        st = read_open(cfg, sc);
    if (!st)
        st = read_transactions(cfg, sc);
    if (!st)
        st = read_counters(cfg, sc);
    sc->close_min = sc->hours * 60.0;
    if (!st && sc->warmup_min >= sc->close_min)
        st = bs_cfg_fail(cfg, "output.warmup_min", "must be shorter than the day (%g min)", sc->close_min);
    if (st) {
        free(sc);
        return NULL;
    }
    return sc;
}

void bs_scenario_free(struct bs_scenario *sc)
{
    free(sc);
}
