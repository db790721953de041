/* `branchsim check`: plans that run but cannot work, found from the
 * scenario alone (no simulation), over every sweep point:
 *  - offered load: in some time block a role's counters are offered as much
 *    work as they can do or more (rho >= 1), so its line grows all the while;
 *  - a swept count that a schedule block caps: the block opens the same
 *    counters at every point, so the sweep changes nothing in those hours;
 *  - a mean service time over an hour: seconds typed as minutes, likely.
 *
 * Offered load is a fluid estimate. Per time block (cut at profile blocks,
 * appointment slots and schedule changes) each customer class brings
 * lambda x mean service (erlangs): intents less online, appointment holders
 * as booked up to each slot's capacity (less no-shows; refused requests walk
 * in, less those who leave), kiosk users at the kiosks and, with
 * counter_after_probability, at the counters too. Peak shifting, punctuality
 * and moves to other slots are left out. A class several roles serve is split
 * among them in proportion to their open counters (priorities are not
 * modelled: a shared class is assumed to go wherever there is room). Every
 * scheduled counter is taken as staffed: absence only raises rho. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/text.h"
#include "branch.h"

#define SECONDS_LIKE_MIN 60.0 /* a mean counter service longer than this is suspect */
#define BOUNDS_MAX (2 * BS_PROFILE_MAX + 2 * BS_SLOTS_MAX + BS_SCHEDULE_CHANGES_MAX + 4)

struct overload { /* a role's worst block over the points */
    int seen;
    double rho, from_min, to_min, lambda_per_min, service_min, open, over_min;
    size_t point, n_points;
    int group, block; /* where to point: the group's block, or its count (block -1) */
};

struct capped { /* a group's schedule block across the points */
    long count_lo, count_hi, open;
    int open_varies;
    double from_min, to_min;
};

struct bs_plan_check {
    size_t n_points;
    double open_min_of_day;
    int kiosk_group; /* -1: none */
    size_t n_roles, n_groups, n_blocks[BS_COUNTER_GROUPS_MAX];
    char role_names[BS_ROLES_MAX][BS_NAME_MAX];
    struct overload role[BS_ROLES_MAX];
    struct overload unserved[BS_CLASSES_MAX]; /* customers with no open counter at all */
    char class_names[BS_CLASSES_MAX][BS_NAME_MAX];
    int groups_differ;
    struct capped blocks[BS_COUNTER_GROUPS_MAX][BS_SCHEDULE_BLOCKS_MAX];
    size_t n_transactions;
    double slow_mean_min[BS_TRANSACTIONS_MAX + 1]; /* the last: kiosks; 0 when fine */
    size_t slow_point[BS_TRANSACTIONS_MAX + 1];
    double bounds[BOUNDS_MAX];
};

struct bs_plan_check *bs_plan_check_new(void)
{
    return calloc(1, sizeof(struct bs_plan_check));
}

void bs_plan_check_free(struct bs_plan_check *pc)
{
    free(pc);
}

/* Per unit of arrival rate: each class's arrivals and work (walk-ins), and
 * of booking requests what the booked and the refused bring. */
struct unit_load {
    double walk_lambda[BS_CLASSES_MAX], walk_work[BS_CLASSES_MAX];
    double request;        /* booking requests per arrival */
    double booked_service; /* mean service of those who book */
    double refused_lambda[BS_CLASSES_MAX], refused_work[BS_CLASSES_MAX]; /* per request */
};

static void unit_loads(const struct bs_scenario *sc, struct unit_load *u)
{
    const struct bs_choices *ch = &sc->ch;
    memset(u, 0, sizeof *u);
    double booked_work = 0;
    for (size_t s = 0; s < sc->n_segments; s++) {
        double p_seg = sc->segment_cdf[s] - (s ? sc->segment_cdf[s - 1] : 0);
        double stay = ch->online ? 1 - ch->online_probability[s] : 1;
        for (size_t t = 0; t < sc->n_transactions; t++) {
            const struct bs_transaction *tx = &sc->transactions[t];
            double w = p_seg * (sc->transaction_cdf[s][t] - (t ? sc->transaction_cdf[s][t - 1] : 0)) * stay;
            double service = sc->segments[s].service_factor * bs_dist_mean(&tx->service_min);
            size_t c = tx->class_id >= 0 ? (size_t)tx->class_id : s;
            double book = ch->appointments && ch->appointment_eligible[t] ? ch->booking_probability[s] : 0;
            u->request += w * book;
            booked_work += w * book * service;
            u->refused_lambda[c] += w * book;
            u->refused_work[c] += w * book * service;
            double walk = w * (1 - book);
            double kiosk = ch->self_service && ch->kiosk_eligible[t] ? ch->kiosk_adoption[s] : 0;
            if (kiosk > 0) {
                u->walk_lambda[ch->kiosk_class] += walk * kiosk;
                u->walk_work[ch->kiosk_class] += walk * kiosk * bs_dist_mean(&ch->kiosk_service_min);
            }
            double counter = walk * (1 - kiosk + kiosk * ch->counter_after_probability);
            u->walk_lambda[c] += counter;
            u->walk_work[c] += counter * service;
        }
    }
    u->booked_service = u->request > 0 ? booked_work / u->request : 0;
    for (size_t c = 0; u->request > 0 && c < sc->n_classes; c++) {
        u->refused_lambda[c] /= u->request;
        u->refused_work[c] /= u->request;
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The day cut where demand or staffing changes: sorted, distinct. */
static size_t cut_day(struct bs_plan_check *pc, const struct bs_scenario *sc)
{
    size_t n = 0;
    for (size_t b = 0; b <= sc->n_profile; b++)
        pc->bounds[n++] = b == sc->n_profile ? sc->close_min : (double)b * sc->profile_block_min;
    for (size_t k = 0; sc->ch.appointments && k <= sc->ch.n_slots; k++)
        pc->bounds[n++] = (double)k * sc->ch.slot_min;
    for (size_t i = 0; i < sc->n_changes; i++)
        pc->bounds[n++] = sc->changes[i].time_min;
    qsort(pc->bounds, n, sizeof *pc->bounds, by_value);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (pc->bounds[i] <= sc->close_min && (m == 0 || pc->bounds[i] > pc->bounds[m - 1] + 1e-9))
            pc->bounds[m++] = pc->bounds[i];
    return m;
}

/* Each class's arrivals and work per minute in [t0, t1). */
static void class_loads(const struct bs_scenario *sc, const struct unit_load *u, double t0, double t1,
                        double *lambda, double *work)
{
    const struct bs_choices *ch = &sc->ch;
    double mid = 0.5 * (t0 + t1);
    size_t b = (size_t)(mid / sc->profile_block_min);
    double rate = sc->profile_rate_per_min[b < sc->n_profile ? b : sc->n_profile - 1];
    for (size_t c = 0; c < sc->n_classes; c++) {
        lambda[c] = rate * u->walk_lambda[c];
        work[c] = rate * u->walk_work[c];
    }
    if (!ch->appointments || u->request <= 0)
        return;
    size_t k = (size_t)(mid / ch->slot_min);
    double requests = rate * u->request, room = (double)ch->capacity[k < ch->n_slots ? k : ch->n_slots - 1] / ch->slot_min;
    double booked = requests < room ? requests : room, refused = requests - booked;
    /* refused requests walk in, but for those who leave */
    double come = 1 - ch->noshow_probability, walk_in = ch->when_full_other_slot + ch->when_full_walk_in;
    lambda[ch->appointment_class] += booked * come;
    work[ch->appointment_class] += booked * come * u->booked_service;
    for (size_t c = 0; c < sc->n_classes; c++) {
        lambda[c] += refused * walk_in * u->refused_lambda[c];
        work[c] += refused * walk_in * u->refused_work[c];
    }
}

static void note(struct overload *o, size_t point, double rho, double t0, double t1, double lambda, double work,
                 double open, int group, int block)
{
    if (o->seen && o->point == point && o->to_min == t0 && fabs(rho - o->rho) <= 1e-9 * o->rho) {
        o->to_min = t1; /* the same load goes on: one block */
        return;
    }
    if (o->seen && !(rho > o->rho))
        return;
    *o = (struct overload){1, rho, t0, t1, lambda, lambda > 0 ? work / lambda : 0, open, o->over_min,
                           point, o->n_points, group, block};
}

/* The schedule block of group g covering time t, or -1. */
static int block_at(const struct bs_counter_group *g, double t)
{
    for (size_t b = 0; b < g->n_blocks; b++)
        if (t >= g->blocks[b].from_min && t < g->blocks[b].to_min)
            return (int)b;
    return -1;
}

/* Split each class among the roles that may serve it, by open counters. */
static void role_loads(const struct bs_scenario *sc, const long *open, const double *lambda, const double *work,
                       double *role_lambda, double *role_work, double *role_open, int *no_counter)
{
    memset(role_lambda, 0, sc->n_roles * sizeof *role_lambda);
    memset(role_work, 0, sc->n_roles * sizeof *role_work);
    memset(role_open, 0, sc->n_roles * sizeof *role_open);
    for (size_t g = 0; g < sc->n_counter_groups; g++)
        role_open[sc->counter_groups[g].role] += (double)open[g];
    for (size_t c = 0; c < sc->n_classes; c++) {
        no_counter[c] = 0;
        if (!(lambda[c] > 0))
            continue;
        double total = 0;
        for (int i = 0; i < sc->n_class_groups[c]; i++)
            total += (double)open[sc->class_groups[c][i]];
        no_counter[c] = total <= 0;
        for (int i = 0; total > 0 && i < sc->n_class_groups[c]; i++) {
            int g = sc->class_groups[c][i];
            double share = (double)open[g] / total;
            role_lambda[sc->counter_groups[g].role] += lambda[c] * share;
            role_work[sc->counter_groups[g].role] += work[c] * share;
        }
    }
}

static void check_load(struct bs_plan_check *pc, const struct bs_scenario *sc, size_t point)
{
    struct unit_load u;
    unit_loads(sc, &u);
    size_t n = cut_day(pc, sc), next_change = 0;
    long open[BS_COUNTER_GROUPS_MAX] = {0};
    double over_min[BS_ROLES_MAX] = {0};
    int over_class[BS_CLASSES_MAX] = {0};
    for (size_t i = 0; i + 1 < n; i++) {
        double t0 = pc->bounds[i], t1 = pc->bounds[i + 1];
        while (next_change < sc->n_changes && sc->changes[next_change].time_min <= t0 + 1e-9) {
            open[sc->changes[next_change].group] = sc->changes[next_change].open;
            next_change++;
        }
        double lambda[BS_CLASSES_MAX], work[BS_CLASSES_MAX], rl[BS_ROLES_MAX], rw[BS_ROLES_MAX], ro[BS_ROLES_MAX];
        int no_counter[BS_CLASSES_MAX];
        class_loads(sc, &u, t0, t1, lambda, work);
        role_loads(sc, open, lambda, work, rl, rw, ro, no_counter);
        for (size_t r = 0; r < sc->n_roles; r++) {
            if (!(rw[r] > 0) || !(rw[r] >= ro[r]))
                continue;
            over_min[r] += t1 - t0;
            int group = -1, block = -1; /* the key to name: the role's first group */
            for (size_t g = 0; g < sc->n_counter_groups && group < 0; g++)
                if (sc->counter_groups[g].role == (int)r)
                    group = (int)g, block = block_at(&sc->counter_groups[g], t0);
            note(&pc->role[r], point, rw[r] / ro[r], t0, t1, rl[r], rw[r], ro[r], group, block);
        }
        for (size_t c = 0; c < sc->n_classes; c++)
            if (no_counter[c]) {
                over_class[c] = 1;
                note(&pc->unserved[c], point, INFINITY, t0, t1, lambda[c], work[c], 0, -1, -1);
            }
    }
    for (size_t r = 0; r < sc->n_roles; r++)
        if (over_min[r] > 0) {
            pc->role[r].n_points++;
            if (pc->role[r].point == point)
                pc->role[r].over_min = over_min[r];
        }
    for (size_t c = 0; c < sc->n_classes; c++)
        pc->unserved[c].n_points += over_class[c];
}

/* Blocks of a group whose count the sweep varies while the block's open
 * stays the same: what the count is at each point changes nothing then. */
static void check_caps(struct bs_plan_check *pc, const struct bs_scenario *sc, size_t point)
{
    if (point == 0) {
        pc->n_groups = sc->n_counter_groups;
        pc->kiosk_group = sc->ch.self_service ? (int)sc->n_counter_groups - 1 : -1;
    }
    if (sc->n_counter_groups != pc->n_groups)
        pc->groups_differ = 1; /* the counters list itself is swept: no block to compare */
    for (size_t g = 0; !pc->groups_differ && g < sc->n_counter_groups; g++) {
        const struct bs_counter_group *grp = &sc->counter_groups[g];
        if (point == 0)
            pc->n_blocks[g] = grp->n_blocks;
        for (size_t b = 0; b < grp->n_blocks && b < pc->n_blocks[g]; b++) {
            struct capped *c = &pc->blocks[g][b];
            if (point == 0) {
                *c = (struct capped){grp->count, grp->count, grp->blocks[b].open, 0, grp->blocks[b].from_min,
                                     grp->blocks[b].to_min};
                continue;
            }
            c->count_lo = grp->count < c->count_lo ? grp->count : c->count_lo;
            c->count_hi = grp->count > c->count_hi ? grp->count : c->count_hi;
            c->open_varies |= grp->blocks[b].open != c->open || grp->blocks[b].from_min != c->from_min ||
                              grp->blocks[b].to_min != c->to_min;
        }
    }
}

/* Mean service times over an hour: transactions, and the kiosks last. */
static void check_service(struct bs_plan_check *pc, const struct bs_scenario *sc, size_t point)
{
    pc->n_transactions = sc->n_transactions;
    for (size_t t = 0; t <= sc->n_transactions; t++) {
        double mean = t < sc->n_transactions ? bs_dist_mean(&sc->transactions[t].service_min)
                      : sc->ch.self_service ? bs_dist_mean(&sc->ch.kiosk_service_min) : 0;
        if (mean > SECONDS_LIKE_MIN && !(pc->slow_mean_min[t] > 0)) {
            pc->slow_mean_min[t] = mean;
            pc->slow_point[t] = point;
        }
    }
}

void bs_plan_check_point(struct bs_plan_check *pc, const struct bs_scenario *sc, size_t point)
{
    if (point == 0) {
        pc->open_min_of_day = sc->open_min_of_day;
        pc->n_roles = sc->n_roles;
        for (size_t r = 0; r < sc->n_roles; r++)
            snprintf(pc->role_names[r], BS_NAME_MAX, "%s", sc->roles[r].name);
        for (size_t c = 0; c < sc->n_classes; c++)
            snprintf(pc->class_names[c], BS_NAME_MAX, "%s", sc->class_names[c]);
    }
    pc->n_points = point + 1;
    check_load(pc, sc, point);
    check_caps(pc, sc, point);
    check_service(pc, sc, point);
}

/* "FILE:LINE:COLUMN: key" of the key's value in the file (line 1 if
 * absent), or "--set key" when the command line gave it. */
static const char *where(struct bs_cfg *cfg, const char *key, char *out, size_t cap)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < cfg->n_set; i++) /* the key, or a key below it */
        if (strncmp(cfg->ov[i].key, key, len) == 0 && (!cfg->ov[i].key[len] || cfg->ov[i].key[len] == '.')) {
            snprintf(out, cap, "--set %s", cfg->ov[i].key);
            return out;
        }
    int record = cfg->no_record;
    cfg->no_record = 1; /* a lookup for a message, not the model's */
    const yaml_node_t *n = bs_cfg_node(cfg, key);
    cfg->no_record = record;
    char file[600];
    snprintf(out, cap, "%s:%zu:%zu: %s", bs_text_escape(file, sizeof file, cfg->file),
             n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1, key);
    return out;
}

static const char *clock(const struct bs_plan_check *pc, double t_min, char *out)
{
    long minute = lround(pc->open_min_of_day + t_min) % (24 * 60);
    snprintf(out, 8, "%02ld:%02ld", minute / 60, minute % 60);
    return out;
}

/* The dotted key of group g's count, or of its schedule block b (b >= 0). */
static void group_key(const struct bs_plan_check *pc, int g, int b, char *out, size_t cap)
{
    int kiosk = g == pc->kiosk_group;
    if (b < 0)
        snprintf(out, cap, kiosk ? "self_service.kiosks" : "counters.%d.count", g);
    else if (kiosk)
        snprintf(out, cap, "self_service.schedule.%d.open", b);
    else
        snprintf(out, cap, "counters.%d.schedule.%d.open", g, b);
}

static void at_points(const struct bs_plan_check *pc, const struct overload *o, char *out, size_t cap)
{
    if (pc->n_points == 1)
        *out = 0;
    else
        snprintf(out, cap, " at point %zu (somewhere in the day at %zu of %zu points)", o->point, o->n_points,
                 pc->n_points);
}

/* Roles that share their customers come out with one rho (the split is by
 * open counters): one warning for them all. */
static int same_overload(const struct overload *a, const struct overload *b)
{
    return b->seen && a->point == b->point && a->from_min == b->from_min && a->to_min == b->to_min &&
           fabs(a->rho - b->rho) <= 1e-9 * a->rho;
}

static size_t report_load(const struct bs_plan_check *pc, struct bs_cfg *cfg, FILE *out)
{
    size_t n = 0;
    char key[BS_CFG_PATH_MAX], loc[1000], from[8], to[8], points[128], names[BS_ROLES_MAX * (BS_NAME_MAX + 4)];
    int done[BS_ROLES_MAX] = {0};
    for (size_t r = 0; r < pc->n_roles; r++) {
        const struct overload *o = &pc->role[r];
        if (!o->seen || done[r])
            continue;
        double lambda = 0, open = 0;
        size_t n_roles = 0, used = 0;
        const struct overload *named = o; /* a schedule block that caps them, if any: the key to change */
        for (size_t q = r; q < pc->n_roles; q++)
            if (!done[q] && same_overload(o, &pc->role[q])) {
                done[q] = 1;
                if (named->block < 0 && pc->role[q].block >= 0)
                    named = &pc->role[q];
                lambda += pc->role[q].lambda_per_min;
                open += pc->role[q].open;
                used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", n_roles++ ? ", " : "",
                                         pc->role_names[q]);
            }
        group_key(pc, named->group, named->block, key, sizeof key);
        at_points(pc, o, points, sizeof points);
        fprintf(out, "branchsim: warning: %s: %s %s %s offered more work than %s counters can do: "
                "rho = %.3g from %s to %s (%.3g customers/min x %.3g min mean service / %.3g open counters); "
                "rho >= 1 for %.0f min of the day%s, so the line grows all the while\n",
                where(cfg, key, loc, sizeof loc), n_roles > 1 ? "roles" : "role", names, n_roles > 1 ? "are" : "is",
                n_roles > 1 ? "their" : "its", o->rho, clock(pc, o->from_min, from), clock(pc, o->to_min, to),
                lambda, o->service_min, open, o->over_min, points);
        n++;
    }
    for (size_t c = 0; c < BS_CLASSES_MAX; c++) {
        const struct overload *o = &pc->unserved[c];
        if (!o->seen)
            continue;
        at_points(pc, o, points, sizeof points);
        fprintf(out, "branchsim: warning: %s: customers of class '%s' come (%.3g/min) from %s to %s, but no "
                "counter that serves them is open then%s\n", where(cfg, "counters", loc, sizeof loc),
                pc->class_names[c], o->lambda_per_min, clock(pc, o->from_min, from), clock(pc, o->to_min, to),
                points);
        n++;
    }
    return n;
}

static size_t report_caps(const struct bs_plan_check *pc, struct bs_cfg *cfg, FILE *out)
{
    size_t n = 0;
    char key[BS_CFG_PATH_MAX], count_key[BS_CFG_PATH_MAX], loc[1000], from[8], to[8];
    for (size_t g = 0; !pc->groups_differ && g < pc->n_groups; g++)
        for (size_t b = 0; b < pc->n_blocks[g]; b++) {
            const struct capped *c = &pc->blocks[g][b];
            if (c->count_lo == c->count_hi || c->open_varies)
                continue;
            group_key(pc, (int)g, (int)b, key, sizeof key);
            group_key(pc, (int)g, -1, count_key, sizeof count_key);
            fprintf(out, "branchsim: warning: %s: the sweep varies %s from %ld to %ld, but this block opens %ld "
                    "from %s to %s at every point: the sweep changes nothing then (only the cover for absent "
                    "staff)\n", where(cfg, key, loc, sizeof loc), count_key, c->count_lo, c->count_hi, c->open,
                    clock(pc, c->from_min, from), clock(pc, c->to_min, to));
            n++;
        }
    return n;
}

static size_t report_service(const struct bs_plan_check *pc, struct bs_cfg *cfg, FILE *out)
{
    size_t n = 0;
    char key[BS_CFG_PATH_MAX], loc[1000], points[64] = "";
    for (size_t t = 0; t <= pc->n_transactions; t++) {
        if (!(pc->slow_mean_min[t] > 0))
            continue;
        if (t < pc->n_transactions)
            snprintf(key, sizeof key, "transactions.%zu.service_min", t);
        else
            snprintf(key, sizeof key, "self_service.service_min");
        if (pc->n_points > 1)
            snprintf(points, sizeof points, " at point %zu", pc->slow_point[t]);
        fprintf(out, "branchsim: warning: %s: mean service %.4g min%s, over an hour: seconds typed as minutes?\n",
                where(cfg, key, loc, sizeof loc), pc->slow_mean_min[t], points);
        n++;
    }
    return n;
}

size_t bs_plan_check_report(struct bs_plan_check *pc, struct bs_cfg *cfg, FILE *out)
{
    return report_load(pc, cfg, out) + report_caps(pc, cfg, out) + report_service(pc, cfg, out);
}
