/* Reads one scenario point of the branch model: the day, demand, segments,
 * transactions and customer behaviour (counters are in staffing.c). Scalar
 * keys are declared once in scalar_keys; every check happens here, before
 * any replication runs. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branch.h"
#include "scenario.h"

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
    {"output.bin_min", 1, 1440, 15, 0, offsetof(struct bs_scenario, bin_min)},
    {"staffing.absence_probability", 0, 1, 0, 0, offsetof(struct bs_scenario, absence_probability)},
};

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
    sc->n_classes = sc->n_segments;
    for (long i = 0; i < n; i++) {
        struct bs_transaction *t = &sc->transactions[i];
        snprintf(key, sizeof key, "transactions.%ld.name", i);
        char dflt[BS_NAME_MAX];
        snprintf(dflt, sizeof dflt, "transaction%ld", i);
        if (bs_cfg_name(cfg, key, dflt, t->name, sizeof t->name))
            return cfg->err->status;
        double share;
        snprintf(key, sizeof key, "transactions.%ld.share", i);
        if (bs_cfg_number(cfg, key, 0, 1, n == 1 ? 1.0 : 0, n > 1, &share))
            return cfg->err->status;
        for (size_t s = 0; s < sc->n_segments; s++)
            t->share_by_segment[s] = share;
        /* segment_shares: {elderly: 0.6, ...} overrides share for those segments */
        snprintf(key, sizeof key, "transactions.%ld.segment_shares", i);
        const char *names[BS_SEGMENTS_MAX];
        long k = bs_cfg_map_keys(cfg, key, names, BS_SEGMENTS_MAX);
        if (k < 0)
            return cfg->err->status;
        for (long j = 0; j < k; j++) {
            char sub[2 * BS_CFG_PATH_MAX];
            snprintf(sub, sizeof sub, "%s.%s", key, names[j]);
            int s = bs_class_find(sc, sc->n_segments, names[j]);
            if (s < 0)
                return bs_cfg_fail(cfg, sub, "'%s' is not a segment", names[j]);
            if (bs_cfg_number(cfg, sub, 0, 1, 0, 1, &t->share_by_segment[s]))
                return cfg->err->status;
        }
        snprintf(key, sizeof key, "transactions.%ld.service_min", i);
        if (!bs_cfg_has(cfg, key))
            return bs_cfg_fail(cfg, key, "required: a service-time distribution in minutes");
        if (bs_dist_parse(cfg, key, &t->service_min))
            return cfg->err->status;
        /* class: a counter class of its own (e.g. emergency), else the segment's */
        snprintf(key, sizeof key, "transactions.%ld.class", i);
        t->class_id = -1;
        if (bs_cfg_has(cfg, key)) {
            char cls[BS_NAME_MAX];
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
        }
    }
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

static int read_behaviour(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    /* Balking inside needs balking.threshold, unless the section is about
     * the door alone (balking.outside_threshold). */
    int section = bs_cfg_has(cfg, "balking");
    sc->balk_outside = bs_cfg_has(cfg, "balking.outside_threshold");
    sc->balking = section && (!sc->balk_outside || bs_cfg_has(cfg, "balking.threshold"));
    if (sc->balking && bs_cfg_int(cfg, "balking.threshold", 0, 100000, 0, 1, &sc->balk_threshold))
        return cfg->err->status;
    if (section && bs_cfg_number(cfg, "balking.probability", 0, 1, 1, 0, &sc->balk_probability))
        return cfg->err->status;
    if (sc->balk_outside &&
        (bs_cfg_int(cfg, "balking.outside_threshold", 0, 100000, 0, 1, &sc->balk_outside_threshold) ||
         bs_cfg_number(cfg, "balking.outside_probability", 0, 1, sc->balk_probability, 0,
                       &sc->balk_outside_probability)))
        return cfg->err->status;
    sc->has_default_patience = bs_cfg_has(cfg, "reneging.patience_min");
    sc->reneging = sc->has_default_patience;
    for (size_t s = 0; s < sc->n_segments; s++)
        sc->reneging |= sc->segments[s].has_patience;
    if (bs_cfg_has(cfg, "reneging") && !sc->reneging) /* segment patiences may stand in for it */
        return bs_cfg_fail(cfg, "reneging.patience_min", "required: a patience distribution in minutes");
    if (sc->has_default_patience && bs_dist_parse(cfg, "reneging.patience_min", &sc->patience_min))
        return cfg->err->status;
    static const char *const outside_names[] = {[BS_PATIENCE_SHARED] = "shared",
                                                [BS_PATIENCE_SEPARATE] = "separate",
                                                [BS_PATIENCE_RESTART] = "restart"};
    return bs_cfg_enum(cfg, "reneging.patience_outside", outside_names, 3, BS_PATIENCE_SHARED,
                       &sc->patience_outside);
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
    sc->close_min = sc->hours * 60.0;
    if (!st)
        st = bs_cfg_clock(cfg, "day.open", "09:00", &sc->open_min_of_day);
    if (!st && sc->warmup_min >= sc->close_min)
        st = bs_cfg_fail(cfg, "output.warmup_min", "must be shorter than the day (%s min)", bs_cfg_num((char[32]){0}, sc->close_min));
    if (!st) {
        double bins = sc->close_min / sc->bin_min;
        if (fabs(bins - round(bins)) > 1e-9 || round(bins) < 1)
            st = bs_cfg_fail(cfg, "output.bin_min", "must divide the day (%s min) into whole bins",
                             bs_cfg_num((char[32]){0}, sc->close_min));
        sc->n_bins = (size_t)round(bins);
        sc->bins_per_min = 1.0 / sc->bin_min;
    }
    if (!st)
        st = read_profile(cfg, sc);
    if (!st)
        st = read_segments(cfg, sc);
    if (!st)
        st = read_transactions(cfg, sc);
    if (!st)
        st = bs_choices_load(cfg, sc);
    if (!st)
        st = bs_exposure_load(cfg, sc);
    if (!st)
        st = read_behaviour(cfg, sc);
    if (!st)
        st = bs_staffing_load(cfg, sc);
    if (!st)
        st = bs_standards_load(cfg, sc);
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

size_t bs_scenario_entities(const struct bs_scenario *sc, size_t b)
{
    switch (b) {
    case BS_BD_SEGMENTS: return sc->n_segments;
    case BS_BD_ROLES: return sc->n_roles;
    case BS_BD_SLOTS: return sc->ch.appointments ? sc->ch.n_slots : 0; /* none: an empty breakdown */
    case BS_BD_STANDARDS: return sc->n_standards;
    default: return 0;
    }
}

const char *bs_scenario_entity_name(const struct bs_scenario *sc, size_t b, size_t i)
{
    switch (b) {
    case BS_BD_SEGMENTS: return sc->segments[i].name;
    case BS_BD_ROLES: return sc->roles[i].name;
    case BS_BD_SLOTS: return sc->ch.slot_names[i];
    default: return sc->standards[i].name;
    }
}

double bs_scenario_entity_position(const struct bs_scenario *sc, size_t b, size_t i)
{
    return b == BS_BD_SLOTS ? (double)i * sc->ch.slot_min : NAN;
}

size_t bs_scenario_bins(const struct bs_scenario *sc, double *bin_min)
{
    *bin_min = sc->bin_min;
    return sc->n_bins;
}

size_t bs_scenario_bytes(const struct bs_scenario *sc)
{
    return sizeof *sc;
}

/* What a thread's day state grows to: the per-customer arrays of
 * bs_day_grow (demand.c), doubled from 1024 to the day's customers (at most
 * the mean plus 8 standard deviations of Poisson arrivals), and the
 * calendar, 1.5 x two timers per customer (day.c). */
#define CUSTOMER_BYTES(f) sizeof *((struct bs_day *)0)->f
size_t bs_scenario_day_bytes(const struct bs_scenario *sc)
{
    static const size_t per_customer =
        CUSTOMER_BYTES(arrival_min) + CUSTOMER_BYTES(service_min) + CUSTOMER_BYTES(patience_min) + CUSTOMER_BYTES(patience_outside_min) +
        CUSTOMER_BYTES(balk_u) + CUSTOMER_BYTES(start_min) + CUSTOMER_BYTES(order) + CUSTOMER_BYTES(intent_min) +
        CUSTOMER_BYTES(ticket) + CUSTOMER_BYTES(slot) + CUSTOMER_BYTES(transaction) + CUSTOMER_BYTES(noshow_u) +
        CUSTOMER_BYTES(shift_u) + CUSTOMER_BYTES(offset_min) + CUSTOMER_BYTES(sort_items) +
        CUSTOMER_BYTES(kiosk_service_min) + CUSTOMER_BYTES(outside_min) + CUSTOMER_BYTES(kiosk_line_min) +
        CUSTOMER_BYTES(join_min) + CUSTOMER_BYTES(counter_class) +
        CUSTOMER_BYTES(needs_counter) + CUSTOMER_BYTES(wants_kiosk) + CUSTOMER_BYTES(infectious) +
        CUSTOMER_BYTES(flagged) + CUSTOMER_BYTES(integral_at_entry) + CUSTOMER_BYTES(dose) +
        CUSTOMER_BYTES(enter_min) + CUSTOMER_BYTES(leave_min) + CUSTOMER_BYTES(segment) + CUSTOMER_BYTES(class_id) +
        CUSTOMER_BYTES(state) + CUSTOMER_BYTES(counter_of) + CUSTOMER_BYTES(next_waiting) +
        CUSTOMER_BYTES(wait_sample_min) + CUSTOMER_BYTES(wait_inside_sample_min) +
        CUSTOMER_BYTES(wait_sample_segment) + CUSTOMER_BYTES(wait_sample_customer) + CUSTOMER_BYTES(scratch);
    double customers = sc->customers_per_day + 8 * sqrt(sc->customers_per_day) + 64, cap = 1024;
    while (cap < customers)
        cap *= 2;
    double calendar = 1.5 * (2 * customers + (double)sc->n_counters + (double)sc->n_changes + 8) *
                      sizeof(struct bs_event);
    /* A realloc holds an array's old and new blocks at once: one more array of the largest kind. */
    return (size_t)(cap * (double)(per_customer + 16) + calendar) + (size_t)sc->n_counters * 256 +
           (BS_TS_COUNT + 1) * sc->n_bins * sizeof(double);
}
