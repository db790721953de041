/* Reads the lines and the counters: how customers behave in line (balking,
 * reneging), counter roles (which classes each serves, in priority order),
 * counter groups with their staffing schedules, the kiosks, and staff
 * absence. Derives which groups may serve each class and the day's list of
 * schedule changes. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

/* balking and reneging */
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

static int find_role(const struct bs_scenario *sc, const char *name)
{
    for (size_t r = 0; r < sc->n_roles; r++)
        if (strcmp(sc->roles[r].name, name) == 0)
            return (int)r;
    return -1;
}

static int read_roles(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    long n = bs_cfg_list_len(cfg, "roles");
    if (n < 0)
        return cfg->err->status;
    if (n > BS_ROLES_MAX)
        return bs_cfg_fail(cfg, "roles", "at most %d roles", BS_ROLES_MAX);
    char key[BS_CFG_PATH_MAX], cls[BS_NAME_MAX];
    for (long i = 0; i < n; i++) {
        struct bs_role *r = &sc->roles[i];
        snprintf(key, sizeof key, "roles.%ld.name", i);
        if (bs_cfg_name(cfg, key, NULL, r->name, sizeof r->name))
            return cfg->err->status;
        if (find_role(sc, r->name) >= 0)
            return bs_cfg_fail(cfg, key, "role '%s' is defined twice", r->name);
        snprintf(key, sizeof key, "roles.%ld.serves", i);
        long k = bs_cfg_list_len(cfg, key);
        if (k < 0)
            return cfg->err->status;
        if (k > BS_CLASSES_MAX) /* each point reads every entry: a long list would cost every point */
            return bs_cfg_fail(cfg, key, "at most %d classes", BS_CLASSES_MAX);
        for (long j = 0; j < k; j++) {
            char sub[2 * BS_CFG_PATH_MAX];
            snprintf(sub, sizeof sub, "%s.%ld", key, j);
            if (bs_cfg_string(cfg, sub, NULL, cls, sizeof cls))
                return cfg->err->status;
            int c = bs_class_find(sc, sc->n_classes, cls);
            if (c < 0) {
                char known[400] = "";
                for (size_t m = 0; m < sc->n_classes; m++) {
                    size_t used = strlen(known);
                    snprintf(known + used, sizeof known - used, "%s%s", m ? ", " : "", sc->class_names[m]);
                }
                return bs_cfg_fail(cfg, sub, "'%s' is not a customer class (segments and transaction classes: %s)",
                                   cls, known);
            }
            if (r->serves_class[c])
                return bs_cfg_fail(cfg, sub, "'%s' is listed twice", cls);
            if (sc->ch.self_service && c == sc->ch.kiosk_class)
                return bs_cfg_fail(cfg, sub, "kiosk users are served by the self_service kiosks, not by a role");
            r->serves[r->n_serves++] = c;
            r->serves_class[c] = 1;
        }
        snprintf(key, sizeof key, "roles.%ld.others", i);
        if (bs_cfg_bool(cfg, key, k == 0, &r->serves_others))
            return cfg->err->status;
        if (k == 0 && !r->serves_others)
            return bs_cfg_fail(cfg, key, "a role serving no listed class must serve others (others: true)");
    }
    sc->n_roles = (size_t)n;
    return 0;
}

/* Blocks {from, to, open} of the group's schedule at key. */
static int read_schedule(struct bs_cfg *cfg, struct bs_scenario *sc, const char *key, struct bs_counter_group *g)
{
    char sub[2 * BS_CFG_PATH_MAX];
    long n = bs_cfg_list_len(cfg, key);
    if (n < 0)
        return cfg->err->status;
    if (n > BS_SCHEDULE_BLOCKS_MAX)
        return bs_cfg_fail(cfg, key, "at most %d blocks", BS_SCHEDULE_BLOCKS_MAX);
    for (long b = 0; b < n; b++) {
        struct bs_schedule_block *blk = &g->blocks[b];
        double from_clock, to_clock;
        snprintf(sub, sizeof sub, "%s.%ld.from", key, b);
        if (bs_cfg_clock(cfg, sub, NULL, &from_clock))
            return cfg->err->status;
        blk->from_min = from_clock - sc->open_min_of_day;
        if (blk->from_min < 0 || blk->from_min >= sc->close_min)
            return bs_cfg_fail(cfg, sub, "must be within opening hours (before closing at %s min after opening)",
                               bs_cfg_num((char[32]){0}, sc->close_min));
        if (b > 0 && blk->from_min < g->blocks[b - 1].to_min)
            return bs_cfg_fail(cfg, sub, "blocks must be in time order and not overlap");
        snprintf(sub, sizeof sub, "%s.%ld.to", key, b);
        if (bs_cfg_clock(cfg, sub, NULL, &to_clock))
            return cfg->err->status;
        blk->to_min = to_clock - sc->open_min_of_day;
        if (blk->to_min <= blk->from_min)
            return bs_cfg_fail(cfg, sub, "must be after from");
        if (blk->to_min > sc->close_min)
            return bs_cfg_fail(cfg, sub, "is past closing time (the day has %s hours)",
                               bs_cfg_num((char[32]){0}, sc->hours));
        snprintf(sub, sizeof sub, "%s.%ld.open", key, b);
        if (bs_cfg_int(cfg, sub, 0, g->count, 0, 1, &blk->open))
            return cfg->err->status;
    }
    g->n_blocks = (size_t)n;
    return 0;
}

static int read_counters(struct bs_cfg *cfg, struct bs_scenario *sc, int roles_given)
{
    long n = bs_cfg_list_len(cfg, "counters");
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, "counters", "required: a list of {role, count}");
    if (n > BS_COUNTER_GROUPS_MAX)
        return bs_cfg_fail(cfg, "counters", "at most %d counter groups", BS_COUNTER_GROUPS_MAX);
    char key[BS_CFG_PATH_MAX], role[BS_NAME_MAX];
    sc->n_counters = 0;
    for (long i = 0; i < n; i++) {
        struct bs_counter_group *g = &sc->counter_groups[i];
        snprintf(key, sizeof key, "counters.%ld.role", i);
        if (bs_cfg_string(cfg, key, "general", role, sizeof role))
            return cfg->err->status;
        g->role = find_role(sc, role);
        if (g->role < 0 && roles_given)
            return bs_cfg_fail(cfg, key, "role '%s' is not defined under roles", role);
        if (g->role < 0) { /* no roles section: every role is one FIFO line for all */
            if (sc->n_roles == BS_ROLES_MAX)
                return bs_cfg_fail(cfg, key, "at most %d roles", BS_ROLES_MAX);
            g->role = (int)sc->n_roles++;
            struct bs_role *r = &sc->roles[g->role];
            snprintf(r->name, sizeof r->name, "%s", role);
            r->serves_others = 1;
        }
        snprintf(key, sizeof key, "counters.%ld.count", i);
        if (bs_cfg_int(cfg, key, 0, 1000, 0, 1, &g->count))
            return cfg->err->status;
        snprintf(key, sizeof key, "counters.%ld.schedule", i);
        if (read_schedule(cfg, sc, key, g))
            return cfg->err->status;
        g->first_counter = sc->n_counters;
        sc->n_counters += g->count;
    }
    sc->n_counter_groups = (size_t)n;
    if (sc->n_counters == 0)
        return bs_cfg_fail(cfg, "counters", "at least one counter must be staffed");
    return 0;
}

/* Kiosks: a role of their own serving the kiosk class only, and a group
 * with the kiosk count and schedule, after the staffed counters. */
static int add_kiosks(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_choices *ch = &sc->ch;
    if (find_role(sc, "kiosk") >= 0)
        return bs_cfg_fail(cfg, "roles", "the role name 'kiosk' is kept for self_service kiosks");
    if (sc->n_roles == BS_ROLES_MAX || sc->n_counter_groups == BS_COUNTER_GROUPS_MAX)
        return bs_cfg_fail(cfg, "self_service", "no room for the kiosk role and group");
    ch->kiosk_role = (int)sc->n_roles++;
    struct bs_role *r = &sc->roles[ch->kiosk_role];
    snprintf(r->name, sizeof r->name, "kiosk");
    r->serves[r->n_serves++] = ch->kiosk_class;
    r->serves_class[ch->kiosk_class] = 1;
    struct bs_counter_group *g = &sc->counter_groups[sc->n_counter_groups++];
    g->role = ch->kiosk_role;
    if (bs_cfg_int(cfg, "self_service.kiosks", 1, 1000, 0, 1, &g->count) ||
        read_schedule(cfg, sc, "self_service.schedule", g))
        return cfg->err->status;
    g->first_counter = sc->n_counters;
    sc->n_counters += g->count;
    return 0;
}

/* Kiosk users are served by kiosks only, and kiosks serve nobody else. */
static int may_serve(const struct bs_scenario *sc, int role, size_t c)
{
    int kiosk_role = sc->ch.self_service && role == sc->ch.kiosk_role;
    int kiosk_class = sc->ch.self_service && (int)c == sc->ch.kiosk_class;
    return kiosk_role == kiosk_class;
}

static void derive_class_groups(struct bs_scenario *sc)
{
    for (size_t c = 0; c < sc->n_classes; c++) {
        int n = 0;
        for (size_t g = 0; g < sc->n_counter_groups; g++) {
            int role = sc->counter_groups[g].role;
            if (sc->roles[role].serves_class[c] && may_serve(sc, role, c))
                sc->class_groups[c][n++] = (int)g;
        }
        for (size_t g = 0; g < sc->n_counter_groups; g++) {
            int role = sc->counter_groups[g].role;
            const struct bs_role *r = &sc->roles[role];
            if (!r->serves_class[c] && r->serves_others && may_serve(sc, role, c))
                sc->class_groups[c][n++] = (int)g;
        }
        sc->n_class_groups[c] = n;
    }
}

/* The schedule as changes in time order. Within a group, of several
 * changes at one time only the last counts (a block starting where another
 * ends takes over without reopening counters in between), and a block
 * running to closing time keeps its staffing while those inside are served. */
static void derive_changes(struct bs_scenario *sc)
{
    size_t n = 0;
    for (size_t g = 0; g < sc->n_counter_groups; g++) {
        const struct bs_counter_group *grp = &sc->counter_groups[g];
        size_t first = n;
        sc->changes[n++] = (struct bs_schedule_change){0, (int)g, grp->count};
        for (size_t b = 0; b < grp->n_blocks; b++) {
            struct bs_schedule_change from = {grp->blocks[b].from_min, (int)g, grp->blocks[b].open};
            if (sc->changes[n - 1].time_min == from.time_min && n > first)
                n--; /* superseded at the same time */
            sc->changes[n++] = from;
            if (grp->blocks[b].to_min < sc->close_min)
                sc->changes[n++] = (struct bs_schedule_change){grp->blocks[b].to_min, (int)g, grp->count};
        }
    }
    for (size_t i = 1; i < n; i++) { /* stable insertion sort by time */
        struct bs_schedule_change c = sc->changes[i];
        size_t j = i;
        while (j > 0 && sc->changes[j - 1].time_min > c.time_min) {
            sc->changes[j] = sc->changes[j - 1];
            j--;
        }
        sc->changes[j] = c;
    }
    sc->n_changes = n;
}

int bs_counters_load(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    if (read_behaviour(cfg, sc))
        return cfg->err->status;
    int roles_given = bs_cfg_has(cfg, "roles");
    if (read_roles(cfg, sc) || read_counters(cfg, sc, roles_given) ||
        bs_cfg_number(cfg, "staffing.absence_probability", 0, 1, 0, 0, &sc->absence_probability))
        return cfg->err->status;
    if (sc->ch.self_service && add_kiosks(cfg, sc))
        return cfg->err->status;
    derive_class_groups(sc);
    for (size_t c = 0; c < sc->n_classes; c++)
        if (sc->n_class_groups[c] == 0)
            return bs_cfg_fail(cfg, "roles", "no counter role serves class '%s' (list it, or give a role others: true)",
                               sc->class_names[c]);
    derive_changes(sc);
    return 0;
}
