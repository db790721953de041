/* plan's targets and verdicts: where each --target's metric sits in a
 * replication's slab of results, whether a point meets it (the bounds are
 * stats.c's), and the answer as the file's root attributes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "stats.h"
#include "text.h"

/* --target names nothing: say what, with the nearest valid name. */
static int unknown_name(const char *what, const char *name, const char *const *names, size_t n, const char *where)
{
    const char *near = bs_text_nearest(name, names, n);
    struct bs_error err = {0};
    bs_error_set(&err, BS_ERR_INPUT, "--target: no %s '%s'%s%s%s (%s)", what, name, near ? "; did you mean " : "",
                 near ? near : "", near ? "?" : "", where);
    return fail(&err);
}

/* A plain metric's place in the slab, or -1 after saying it is unknown. */
int plan_resolve_plain(struct target *t)
{
    size_t n_metrics;
    const struct bs_metric_def *metrics = bs_model_metrics(&n_metrics);
    const char *names[512];
    size_t n = n_metrics < 512 ? n_metrics : 512;
    for (size_t m = 0; m < n; m++) {
        names[m] = metrics[m].name;
        if (strcmp(metrics[m].name, t->metric) == 0) {
            t->index = m;
            t->day_indicator = bs_model_day_indicator(&metrics[m]);
            return 0;
        }
    }
    unknown_name("metric", t->metric, names, n, "branchsim describe lists them");
    return -1;
}

/* GROUP/METRIC[ENTITY]: the breakdown's metric for one of the scenario's
 * entities (those of point 0, which every point has), at its place in L's
 * slab; -1 after an error. */
static int resolve_breakdown(struct target *t, const struct bs_loaded *ld, const struct bs_layout *L)
{
    const struct bs_scenario *sc = ld->points[0];
    char group[128], metric[128], entity[128];
    const char *slash = strchr(t->metric, '/'), *open = strchr(t->metric, '[');
    size_t len = strlen(t->metric);
    if (!open || open < slash || t->metric[len - 1] != ']' || slash == t->metric || open == slash + 1) {
        plan_usage_error("--target: expected GROUP/METRIC[ENTITY]<=X, e.g. segments/wait_p90_min[elderly]<=5");
        return -1;
    }
    snprintf(group, sizeof group, "%.*s", (int)(slash - t->metric), t->metric);
    snprintf(metric, sizeof metric, "%.*s", (int)(open - slash - 1), slash + 1);
    snprintf(entity, sizeof entity, "%.*s", (int)(t->metric + len - 1 - open - 1), open + 1);
    const char *names[512];
    size_t b = L->n_breakdowns, m = 0, e = 0;
    for (size_t i = 0; i < L->n_breakdowns; i++)
        if (strcmp((names[i] = L->breakdowns[i].group), group) == 0)
            b = i;
    if (b == L->n_breakdowns)
        return unknown_name("group", group, names, L->n_breakdowns, "the groups of branchsim describe"), -1;
    const struct bs_breakdown_def *bd = &L->breakdowns[b];
    if (ld->entities_differ[b]) {
        struct bs_error err = {0};
        bs_error_set(&err, BS_ERR_INPUT, "--target %s: the plan's points have different %s (a varied key "
                     "changes them), so no %s is the same in every point", t->metric, bd->group, bd->dim);
        return fail(&err);
    }
    for (m = 0; m < bd->n_metrics && strcmp(bd->metrics[m].name, metric); m++)
        names[m < 512 ? m : 511] = bd->metrics[m].name;
    if (m == bd->n_metrics)
        return unknown_name("metric", metric, names, m < 512 ? m : 512, group), -1;
    size_t n_e = bs_scenario_entities(sc, b);
    for (e = 0; e < n_e && strcmp(bs_scenario_entity_name(sc, b, e), entity); e++)
        names[e < 512 ? e : 511] = bs_scenario_entity_name(sc, b, e);
    if (e == n_e) {
        char where[200];
        snprintf(where, sizeof where, "the scenario's %ss", bd->dim);
        return unknown_name(bd->dim, entity, names, e < 512 ? e : 512, where), -1;
    }
    t->index = L->breakdown_offset[b] + m * L->entities[b] + e;
    t->day_indicator = bs_model_day_indicator(&bd->metrics[m]);
    return 0;
}

/* Every target's place in a replication's slab of ld's results. */
int plan_resolve_targets(struct plan *pl, const struct bs_loaded *ld)
{
    struct bs_layout L;
    bs_runner_layout_from(&L, ld->points[0], ld->max_bins, ld->max_entities);
    for (size_t i = 0; i < pl->n_targets; i++)
        if (strchr(pl->targets[i].metric, '/') ? resolve_breakdown(&pl->targets[i], ld, &L)
                                               : plan_resolve_plain(&pl->targets[i]))
            return BS_ERR_INPUT;
    return 0;
}

void plan_judge(const struct plan *pl, const struct target *t, const struct bs_run *run, size_t p,
                struct verdict *v)
{
    const size_t R = run->n_replications, W = run->layout.width;
    const double *x = run->values + p * R * W + t->index;
    /* Over the days where the metric is defined (a wait needs a customer
     * who waited), with their own degrees of freedom. */
    struct bs_moments m;
    bs_stats_moments(x, W, R, &m);
    double s = 0;
    size_t binary = 0;
    for (size_t r = 0; r < R; r++) {
        binary += x[r * W] == 0 || x[r * W] == 1;
        s += x[r * W] == 1;
    }
    v->n = (size_t)m.n;
    v->mean = m.mean;
    /* Only a metric 0 or 1 by definition: a share or a wait that merely
     * came out 0 on every day sampled is a mean like any other. */
    v->exact = t->day_indicator && m.n > 0 && (double)binary == m.n;
    v->bound = v->exact ? bs_stats_binomial_bound(s, m.n, pl->confidence, t->at_most)
                        : bs_stats_mean_bound(&m, pl->confidence, t->at_most);
    v->ok = isfinite(v->bound) && (t->at_most ? v->bound <= t->bound : v->bound >= t->bound);
}

void plan_record(struct plan_record *rec, const struct plan *pl, const char *answer, double cost, const char *search,
                 size_t evaluated, size_t space)
{
    snprintf(rec->answer, sizeof rec->answer, "%s", answer ? answer : "none");
    snprintf(rec->search, sizeof rec->search, "%s", search);
    rec->targets[0] = '\0';
    for (size_t t = 0; t < pl->n_targets; t++) {
        size_t len = strlen(rec->targets);
        snprintf(rec->targets + len, sizeof rec->targets - len, "%s%s", t ? "; " : "", pl->targets[t].text);
    }
    const struct bs_output_attr attrs[8] = {
        {"plan_answer", rec->answer, 0},
        {"plan_targets", rec->targets, 0},
        {"plan_confidence", NULL, pl->confidence},
        {"plan_cost", pl->cost_text ? pl->cost_text : "", 0},
        {"plan_answer_cost", NULL, cost},
        {"plan_search", rec->search, 0},
        {"plan_points_evaluated", NULL, (double)evaluated},
        {"plan_points_in_space", NULL, (double)space},
    };
    memcpy(rec->attrs, attrs, sizeof attrs);
}
