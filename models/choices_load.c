/* Reads the demand-management layer: online shift, appointments, peak
 * shifting, self-service. Each is off when its section is absent. Needs
 * segments and transactions read first; adds the "appointment" and "kiosk"
 * classes before roles. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../sim/text.h"
#include "scenario.h"

#define SLOT_TOLERANCE_MIN 1e-9

/* A probability per segment: one number for all, or {segment: p, ...}
 * (segments not named get 0). */
static int read_per_segment(struct bs_cfg *cfg, const char *key, const struct bs_scenario *sc, double *out)
{
    for (size_t s = 0; s < sc->n_segments; s++)
        out[s] = 0;
    if (bs_cfg_is_scalar(cfg, key)) {
        double p;
        if (bs_cfg_number(cfg, key, 0, 1, 0, 1, &p))
            return cfg->err->status;
        for (size_t s = 0; s < sc->n_segments; s++)
            out[s] = p;
        return 0;
    }
    long n = bs_segment_map_read(cfg, key, sc, out);
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, key, "required: a probability, or {segment: probability, ...}");
    return 0;
}

/* A list of transaction names into flags; absent: every transaction. */
static int read_transaction_set(struct bs_cfg *cfg, const char *key, const struct bs_scenario *sc, uint8_t *flags)
{
    long n = bs_cfg_list_len(cfg, key);
    if (n < 0)
        return cfg->err->status;
    if (n > BS_TRANSACTIONS_MAX) /* each point reads every entry: a long list would cost every point */
        return bs_cfg_fail(cfg, key, "at most %d transactions", BS_TRANSACTIONS_MAX);
    for (size_t t = 0; t < sc->n_transactions; t++)
        flags[t] = n == 0;
    for (long j = 0; j < n; j++) {
        char sub[2 * BS_CFG_PATH_MAX], name[BS_NAME_MAX];
        snprintf(sub, sizeof sub, "%s.%ld", key, j);
        if (bs_cfg_string(cfg, sub, NULL, name, sizeof name))
            return cfg->err->status;
        int found = -1;
        for (size_t t = 0; t < sc->n_transactions; t++)
            if (strcmp(sc->transactions[t].name, name) == 0)
                found = (int)t;
        if (found < 0)
            return bs_cfg_fail(cfg, sub, "'%s' is not a transaction name", name);
        flags[found] = 1;
    }
    return 0;
}

static int add_class(struct bs_cfg *cfg, struct bs_scenario *sc, const char *key, const char *name, int *out);

/* appointments.when_full: {other_slot: p, walk_in: p, leave: p}, shares of
 * the customers who find their slot full; absent: all other_slot. */
#define SHARE_SUM_TOLERANCE 1e-9
static int read_when_full(struct bs_cfg *cfg, struct bs_choices *ch)
{
    const char *key = "appointments.when_full";
    ch->when_full_other_slot = 1;
    ch->when_full_walk_in = 0;
    ch->when_full_draws = 0;
    yaml_node_t *node = bs_cfg_node(cfg, key);
    if (!node)
        return 0;
    if (node->type != YAML_MAPPING_NODE)
        return bs_cfg_fail(cfg, key, "expected a map of shares {other_slot: p, walk_in: p, leave: p} summing to 1");
    static const char *const options[3] = {"other_slot", "walk_in", "leave"};
    const char *given[8];
    long n = bs_cfg_map_keys(cfg, key, given, 8);
    for (long j = 0; j < n; j++) { /* an unknown option before the sum it spoils */
        if (!strcmp(given[j], options[0]) || !strcmp(given[j], options[1]) || !strcmp(given[j], options[2]))
            continue;
        char sub[2 * BS_CFG_PATH_MAX];
        snprintf(sub, sizeof sub, "%s.%s", key, given[j]);
        const char *near = bs_text_nearest(given[j], options, 3);
        return bs_cfg_fail(cfg, sub, "'%s' is not an option; allowed: other_slot, walk_in, leave%s%s%s", given[j],
                           near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
    }
    double other, walk, leave;
    if (bs_cfg_number(cfg, "appointments.when_full.other_slot", 0, 1, 0, 0, &other) ||
        bs_cfg_number(cfg, "appointments.when_full.walk_in", 0, 1, 0, 0, &walk) ||
        bs_cfg_number(cfg, "appointments.when_full.leave", 0, 1, 0, 0, &leave))
        return cfg->err->status;
    if (fabs(other + walk + leave - 1) > SHARE_SUM_TOLERANCE)
        return bs_cfg_fail(cfg, key, "shares other_slot + walk_in + leave must sum to 1 (they sum to %.9g)",
                           other + walk + leave);
    ch->when_full_other_slot = other;
    ch->when_full_walk_in = walk;
    ch->when_full_draws = other < 1;
    return 0;
}

/* Each slot named by the clock time it starts (a day is at most 24 h, so
 * the names are unique). */
static void name_slots(struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    for (size_t k = 0; k < ch->n_slots; k++) {
        long minute = lround(sc->open_min_of_day + (double)k * ch->slot_min) % (24 * 60);
        snprintf(ch->slot_names[k], sizeof ch->slot_names[k], "%02ld:%02ld", minute / 60, minute % 60);
    }
}

static int read_appointments(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    if (bs_cfg_number(cfg, "appointments.slot_min", 5, 240, 30, 0, &ch->slot_min))
        return cfg->err->status;
    double slots = sc->close_min / ch->slot_min;
    if (fabs(slots - round(slots)) > SLOT_TOLERANCE_MIN || round(slots) < 1)
        return bs_cfg_fail(cfg, "appointments.slot_min", "must divide the day (%s min) into whole slots",
                           bs_cfg_num((char[32]){0}, sc->close_min));
    ch->n_slots = (size_t)round(slots);
    if (ch->n_slots > BS_SLOTS_MAX)
        return bs_cfg_fail(cfg, "appointments.slot_min", "at most %d slots a day", BS_SLOTS_MAX);
    const char *cap_key = "appointments.capacity_per_slot";
    if (bs_cfg_is_scalar(cfg, cap_key) || !bs_cfg_has(cfg, cap_key)) {
        long c;
        if (bs_cfg_int(cfg, cap_key, 0, 100000, 0, 1, &c))
            return cfg->err->status;
        for (size_t k = 0; k < ch->n_slots; k++)
            ch->capacity[k] = c;
    } else {
        long n = bs_cfg_list_len(cfg, cap_key);
        if (n < 0)
            return cfg->err->status;
        if ((size_t)n != ch->n_slots)
            return bs_cfg_fail(cfg, cap_key, "has %ld entries; the day has %zu slots of %s min", n, ch->n_slots,
                               bs_cfg_num((char[32]){0}, ch->slot_min));
        for (long k = 0; k < n; k++) {
            char sub[BS_CFG_PATH_MAX];
            snprintf(sub, sizeof sub, "%s.%ld", cap_key, k);
            if (bs_cfg_int(cfg, sub, 0, 100000, 0, 1, &ch->capacity[k]))
                return cfg->err->status;
        }
    }
    double noshow, effect;
    int reminders;
    if (bs_cfg_int(cfg, "appointments.window_slots", 0, BS_SLOTS_MAX, 1, 0, &ch->window_slots) ||
        read_per_segment(cfg, "appointments.booking_probability", sc, ch->booking_probability) ||
        read_transaction_set(cfg, "appointments.transactions", sc, ch->appointment_eligible) ||
        bs_cfg_number(cfg, "appointments.noshow_probability", 0, 1, 0, 0, &noshow) ||
        bs_cfg_bool(cfg, "appointments.reminders", 0, &reminders) ||
        bs_cfg_number(cfg, "appointments.reminder_effect", 0, 1, 0, 0, &effect) ||
        bs_cfg_number(cfg, "appointments.grace_min", 0, 240, 10, 0, &ch->grace_min) ||
        read_when_full(cfg, ch))
        return cfg->err->status;
    name_slots(sc);
    ch->noshow_probability = noshow * (reminders ? 1 - effect : 1);
    if (bs_cfg_has(cfg, "appointments.punctuality_min")) {
        if (bs_dist_parse_offset(cfg, "appointments.punctuality_min", &ch->punctuality_min))
            return cfg->err->status;
    } else {
        bs_dist_make(&ch->punctuality_min, BS_DIST_CONSTANT, 0, 0, 0);
    }
    return add_class(cfg, sc, "appointments", "appointment", &ch->appointment_class);
}

static int read_windows(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    const char *key = "peak_shift.windows";
    long n = bs_cfg_list_len(cfg, key);
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, key, "required: a list of {from: \"HH:MM\", to: \"HH:MM\"}");
    if (n > BS_WINDOWS_MAX)
        return bs_cfg_fail(cfg, key, "at most %d windows", BS_WINDOWS_MAX);
    for (long w = 0; w < n; w++) {
        char sub[2 * BS_CFG_PATH_MAX];
        double from, to;
        snprintf(sub, sizeof sub, "%s.%ld.from", key, w);
        if (bs_cfg_clock(cfg, sub, NULL, &from))
            return cfg->err->status;
        from -= sc->open_min_of_day;
        if (from < 0 || from >= sc->close_min)
            return bs_cfg_fail(cfg, sub, "must be within opening hours");
        if (w > 0 && from < ch->windows[w - 1].to_min)
            return bs_cfg_fail(cfg, sub, "windows must be in time order and not overlap");
        snprintf(sub, sizeof sub, "%s.%ld.to", key, w);
        if (bs_cfg_clock(cfg, sub, NULL, &to))
            return cfg->err->status;
        to -= sc->open_min_of_day;
        if (to <= from)
            return bs_cfg_fail(cfg, sub, "must be after from");
        if (to > sc->close_min)
            return bs_cfg_fail(cfg, sub, "is past closing time");
        ch->windows[w] = (struct bs_window){from, to};
    }
    ch->n_windows = (size_t)n;
    return 0;
}

/* The profile outside the peak windows, as pieces with their rates and
 * cumulative expected arrivals: the density a shifted customer's new time
 * is drawn from. */
static void add_piece(struct bs_choices *ch, size_t *n, double from, double to, double rate)
{
    ch->offpeak_from_min[*n] = from;
    ch->offpeak_rate[*n] = rate;
    ch->offpeak_cum[*n + 1] = ch->offpeak_cum[*n] + rate * (to - from);
    ++*n;
}

static int derive_offpeak(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    double block_min = sc->close_min / (double)sc->n_profile;
    size_t n = 0;
    ch->offpeak_cum[0] = 0;
    for (size_t b = 0; b < sc->n_profile; b++) {
        double rate = sc->profile_share[b] / block_min; /* the shape: zero demand still has one */
        double t = (double)b * block_min, end = b + 1 == sc->n_profile ? sc->close_min : (double)(b + 1) * block_min;
        if (rate <= 0)
            continue;
        for (size_t w = 0; w < ch->n_windows && t < end; w++) {
            const struct bs_window *win = &ch->windows[w];
            if (win->to_min <= t)
                continue;
            if (win->from_min >= end)
                break;
            if (win->from_min > t && n < BS_OFFPEAK_MAX)
                add_piece(ch, &n, t, win->from_min, rate);
            t = win->to_min;
        }
        if (t < end && n < BS_OFFPEAK_MAX)
            add_piece(ch, &n, t, end, rate);
    }
    ch->n_offpeak = n;
    if (n == 0 || !(ch->offpeak_cum[n] > 0))
        return bs_cfg_fail(cfg, "peak_shift.windows",
                           "leave no off-peak time with demand to shift to (the profile is zero outside them)");
    return 0;
}

static int read_peak_shift(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    double incentive, s_max, i_half;
    if (read_windows(cfg, sc) ||
        bs_cfg_number(cfg, "peak_shift.incentive", 0, 1e9, 0, 1, &incentive) ||
        bs_cfg_number(cfg, "peak_shift.s_max", 0, 1, 0, 1, &s_max) ||
        bs_cfg_number(cfg, "peak_shift.i_half", 1e-9, 1e9, 0, 1, &i_half))
        return cfg->err->status;
    ch->shift_probability = s_max * incentive / (incentive + i_half);
    return derive_offpeak(cfg, sc);
}

static int add_class(struct bs_cfg *cfg, struct bs_scenario *sc, const char *key, const char *name, int *out)
{
    if (bs_class_find(sc, sc->n_classes, name) >= 0)
        return bs_cfg_fail(cfg, key, "needs the class name '%s', already a segment or transaction class", name);
    if (sc->n_classes == BS_CLASSES_MAX)
        return bs_cfg_fail(cfg, key, "at most %d classes", BS_CLASSES_MAX);
    *out = (int)sc->n_classes++;
    snprintf(sc->class_names[*out], BS_NAME_MAX, "%s", name);
    return 0;
}

/* Kiosks themselves (count, schedule) are a counter group: counters_load.c. */
static int read_self_service(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    if (!bs_cfg_has(cfg, "self_service.service_min"))
        return bs_cfg_fail(cfg, "self_service.service_min", "required: a kiosk service-time distribution in minutes");
    if (bs_dist_parse(cfg, "self_service.service_min", &ch->kiosk_service_min) ||
        read_per_segment(cfg, "self_service.adoption", sc, ch->kiosk_adoption) ||
        read_transaction_set(cfg, "self_service.transactions", sc, ch->kiosk_eligible) ||
        bs_cfg_number(cfg, "self_service.counter_after_probability", 0, 1, 0, 0, &ch->counter_after_probability))
        return cfg->err->status;
    return add_class(cfg, sc, "self_service", "kiosk", &ch->kiosk_class);
}

/* A choice section is on when present and not null (`~`, `null` or
 * nothing): null lets a sweep switch it off at some points. */
static int section_on(struct bs_cfg *cfg, const char *key)
{
    const yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return n != NULL;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
            return 0;
    return 1;
}

int bs_choices_load(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    memset(ch, 0, sizeof *ch);
    ch->online = section_on(cfg, "online");
    if (ch->online && read_per_segment(cfg, "online.probability", sc, ch->online_probability))
        return cfg->err->status;
    ch->appointments = section_on(cfg, "appointments");
    if (ch->appointments && read_appointments(cfg, sc))
        return cfg->err->status;
    ch->peak_shift = section_on(cfg, "peak_shift");
    if (ch->peak_shift && read_peak_shift(cfg, sc))
        return cfg->err->status;
    ch->self_service = section_on(cfg, "self_service");
    if (ch->self_service && read_self_service(cfg, sc))
        return cfg->err->status;
    ch->any = ch->online || ch->appointments || ch->peak_shift || ch->self_service;
    return 0;
}
