/* Reads demand: customers_per_day and the day's profile (demand.profile),
 * the customer segments, and the transactions with their service times
 * and counter classes. The segments and transaction classes are the first
 * class names, which the loaders after this one add to and look up. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define SHARE_SUM_TOLERANCE 1e-6

static int read_profile(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    long n = bs_cfg_list_len(cfg, "demand.profile");
    if (n < 0)
        return cfg->err->status;
    if (n > BS_PROFILE_MAX)
        return bs_cfg_fail(cfg, "demand.profile", "at most %d blocks", BS_PROFILE_MAX);
    double weights[BS_PROFILE_MAX], sum = 0;
    char key[BS_CFG_PATH_MAX];
    if (n == 0) { /* flat */
        n = 1;
        weights[0] = 1;
    }
    for (long i = 0; i < n && bs_cfg_has(cfg, "demand.profile"); i++) {
        snprintf(key, sizeof key, "demand.profile.%ld", i);
        if (bs_cfg_number(cfg, key, 0, 1e6, 0, 1, &weights[i]))
            return cfg->err->status;
    }
    for (long i = 0; i < n; i++)
        sum += weights[i];
    if (!(sum > 0))
        return bs_cfg_fail(cfg, "demand.profile", "needs a positive weight somewhere");
    double block_min = sc->close_min / (double)n;
    sc->profile_cum[0] = 0;
    for (long i = 0; i < n; i++) {
        sc->profile_rate_per_min[i] = sc->customers_per_day * weights[i] / sum / block_min;
        sc->profile_cum[i + 1] = sc->profile_cum[i] + sc->customers_per_day * weights[i] / sum;
        sc->profile_share[i] = weights[i] / sum;
    }
    sc->n_profile = (size_t)n;
    sc->profile_block_min = block_min;
    return 0;
}

static int read_segments(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    long n = bs_cfg_list_len(cfg, "segments");
    if (n < 0)
        return cfg->err->status;
    if (n > BS_SEGMENTS_MAX)
        return bs_cfg_fail(cfg, "segments", "at most %d segments", BS_SEGMENTS_MAX);
    char key[BS_CFG_PATH_MAX];
    if (n == 0) {
        struct bs_segment *s = &sc->segments[0];
        snprintf(s->name, sizeof s->name, "general");
        snprintf(sc->class_names[0], BS_NAME_MAX, "general");
        s->share = 1;
        s->service_factor = 1;
        sc->n_segments = 1;
        sc->segment_cdf[0] = 1;
        return 0;
    }
    double sum = 0;
    for (long i = 0; i < n; i++) {
        struct bs_segment *s = &sc->segments[i];
        snprintf(key, sizeof key, "segments.%ld.name", i);
        if (bs_cfg_name(cfg, key, NULL, s->name, sizeof s->name))
            return cfg->err->status;
        if (bs_class_find(sc, (size_t)i, s->name) >= 0)
            return bs_cfg_fail(cfg, key, "segment '%s' is named twice", s->name);
        memcpy(sc->class_names[i], s->name, sizeof s->name); /* both BS_NAME_MAX */
        snprintf(key, sizeof key, "segments.%ld.share", i);
        if (bs_cfg_number(cfg, key, 0, 1, n == 1 ? 1 : 0, n > 1, &s->share))
            return cfg->err->status;
        snprintf(key, sizeof key, "segments.%ld.service_factor", i);
        if (bs_cfg_number(cfg, key, 0.01, 100, 1, 0, &s->service_factor))
            return cfg->err->status;
        snprintf(key, sizeof key, "segments.%ld.patience_min", i);
        s->has_patience = bs_cfg_has(cfg, key);
        if (s->has_patience && bs_dist_parse(cfg, key, &s->patience_min))
            return cfg->err->status;
        sum += s->share;
        sc->segment_cdf[i] = sum;
    }
    if (fabs(sum - 1.0) > SHARE_SUM_TOLERANCE)
        return bs_cfg_fail(cfg, "segments", "shares must sum to 1, they sum to %s", bs_cfg_num((char[32]){0}, sum));
    sc->n_segments = (size_t)n;
    return 0;
}

long bs_segment_map_read(struct bs_cfg *cfg, const char *key, const struct bs_scenario *sc, double *out)
{
    const char *names[BS_SEGMENTS_MAX];
    long n = bs_cfg_map_keys(cfg, key, names, BS_SEGMENTS_MAX);
    for (long j = 0; j < n; j++) {
        char sub[2 * BS_CFG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s.%s", key, names[j]);
        int s = bs_class_find(sc, sc->n_segments, names[j]);
        if (s < 0) {
            bs_cfg_fail(cfg, sub, "'%s' is not a segment", names[j]);
            return -1;
        }
        if (bs_cfg_number(cfg, sub, 0, 1, 0, 1, &out[s]))
            return -1;
    }
    return n;
}

/* transactions.I.segment_shares: {elderly: 0.6, ...} overrides the
 * transaction's share for those segments. */
static int read_segment_shares(struct bs_cfg *cfg, const struct bs_scenario *sc, long i, struct bs_transaction *t)
{
    char key[BS_CFG_PATH_MAX];
    snprintf(key, sizeof key, "transactions.%ld.segment_shares", i);
    return bs_segment_map_read(cfg, key, sc, t->share_by_segment) < 0 ? cfg->err->status : 0;
}

/* transactions.I.class: the counter class (e.g. emergency) of a segment
 * or transaction of that name, else a new one; absent (-1), the class of
 * the customer's segment. */
static int read_class(struct bs_cfg *cfg, struct bs_scenario *sc, long i, struct bs_transaction *t)
{
    char key[BS_CFG_PATH_MAX], cls[BS_NAME_MAX];
    snprintf(key, sizeof key, "transactions.%ld.class", i);
    t->class_id = -1;
    if (!bs_cfg_has(cfg, key))
        return 0;
    if (bs_cfg_string(cfg, key, NULL, cls, sizeof cls))
        return cfg->err->status;
    int c = bs_class_find(sc, sc->n_classes, cls);
    if (c < 0) {
        if (sc->n_classes == BS_CLASSES_MAX)
            return bs_cfg_fail(cfg, key, "at most %d classes", BS_CLASSES_MAX);
        c = (int)sc->n_classes++;
        snprintf(sc->class_names[c], BS_NAME_MAX, "%s", cls);
    }
    t->class_id = c;
    return 0;
}

/* Transaction i of n: its name, share (per segment), service time, class. */
static int read_transaction(struct bs_cfg *cfg, struct bs_scenario *sc, long i, long n)
{
    struct bs_transaction *t = &sc->transactions[i];
    char key[BS_CFG_PATH_MAX], dflt[BS_NAME_MAX];
    snprintf(key, sizeof key, "transactions.%ld.name", i);
    snprintf(dflt, sizeof dflt, "transaction%ld", i);
    if (bs_cfg_name(cfg, key, dflt, t->name, sizeof t->name))
        return cfg->err->status;
    double share;
    snprintf(key, sizeof key, "transactions.%ld.share", i);
    if (bs_cfg_number(cfg, key, 0, 1, n == 1 ? 1.0 : 0, n > 1, &share))
        return cfg->err->status;
    for (size_t s = 0; s < sc->n_segments; s++)
        t->share_by_segment[s] = share;
    if (read_segment_shares(cfg, sc, i, t))
        return cfg->err->status;
    snprintf(key, sizeof key, "transactions.%ld.service_min", i);
    if (!bs_cfg_has(cfg, key))
        return bs_cfg_fail(cfg, key, "required: a service-time distribution in minutes");
    if (bs_dist_parse(cfg, key, &t->service_min))
        return cfg->err->status;
    return read_class(cfg, sc, i, t);
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
    sc->n_classes = sc->n_segments;
    for (long i = 0; i < n; i++)
        if (read_transaction(cfg, sc, i, n))
            return cfg->err->status;
    sc->n_transactions = (size_t)n;
    for (size_t s = 0; s < sc->n_segments; s++) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
            sum += sc->transactions[i].share_by_segment[s];
            sc->transaction_cdf[s][i] = sum;
        }
        if (fabs(sum - 1.0) > SHARE_SUM_TOLERANCE)
            return bs_cfg_fail(cfg, "transactions", "shares must sum to 1 (for segment '%s'), they sum to %s",
                               sc->segments[s].name, bs_cfg_num((char[32]){0}, sum));
    }
    return 0;
}

int bs_demand_load(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    if (bs_cfg_number(cfg, "demand.customers_per_day", 0, 1e7, 0, 1, &sc->customers_per_day) ||
        read_profile(cfg, sc) || read_segments(cfg, sc) || read_transactions(cfg, sc))
        return cfg->err->status;
    return 0;
}
