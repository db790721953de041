/* What plan.c (the command), plan_search.c (the search over several keys)
 * and plan_target.c (targets and verdicts) share. */
#ifndef BS_PLAN_H
#define BS_PLAN_H

#include "cli.h"

#define PLAN_VALUES_MAX 1000
#define PLAN_KEYS_MAX 4
#define PLAN_TARGETS_MAX 8
#define PLAN_SPACE_MAX 1000000 /* points in the grid of the ranges */
#define PLAN_GRID_MAX 10000    /* points a full grid search evaluates */

struct target {
    char text[300];    /* as given */
    char metric[128];  /* METRIC, or GROUP/METRIC[ENTITY] */
    int at_most;       /* METRIC<=X; else METRIC>=X */
    double bound;
    size_t index;      /* in a replication's slab of results */
    int day_indicator; /* the metric's: 0 or 1 per day by definition */
};

/* One target at one point: the mean over the days where the metric is
 * defined, and its one-sided bound at the confidence level. */
struct verdict {
    double mean, bound;
    size_t n;  /* days with a value */
    int exact; /* a per-day indicator: Clopper-Pearson, not Student t */
    int ok;
};

enum plan_search { PLAN_AUTO, PLAN_GRID, PLAN_MONOTONE };

struct plan {
    size_t n_keys;
    const char *keys[PLAN_KEYS_MAX]; /* as given */
    const char *ranges[PLAN_KEYS_MAX];
    char (*values[PLAN_KEYS_MAX])[32]; /* each key's values as text */
    size_t n_values[PLAN_KEYS_MAX];
    const char *cost_text;             /* NULL: no --cost */
    double coef[PLAN_KEYS_MAX], constant;
    struct target targets[PLAN_TARGETS_MAX];
    size_t n_targets;
    double confidence;
    int maximize;
    enum plan_search search;
};

/* The answer as the file's root attributes: plan_answer ("KEY=VALUE, ..."
 * or "none"), plan_targets, plan_confidence, plan_cost, plan_answer_cost,
 * plan_search, plan_points_evaluated, plan_points_in_space. */
struct plan_record {
    char answer[1200], targets[2600], search[200];
    struct bs_output_attr attrs[8];
};
void plan_record(struct plan_record *rec, const struct plan *pl, const char *answer, double cost, const char *search,
                 size_t evaluated, size_t space);

/* The verdict of target t at point p of run. */
void plan_judge(const struct plan *pl, const struct target *t, const struct bs_run *run, size_t p,
                struct verdict *v);
/* Cost of the point whose value indices are idx. */
double plan_cost(const struct plan *pl, const size_t *idx);
/* The multi-key plan (--cost, or several --vary): search, print, write. */
int plan_search(const struct bs_cluster *cl, struct plan *pl, const char *scenario_file, const char *out_path,
                const struct run_options *o);
/* A plain metric's place in the slab (no scenario needed); 0, or -1 after
 * saying it is unknown. */
int plan_resolve_plain(struct target *t);
/* Every target's place in a replication's slab of ld's results; 0, or
 * the exit status after naming what is unknown. */
int plan_resolve_targets(struct plan *pl, const struct bs_loaded *ld);

/* A usage error of plan: what, then plan's usage and options. */
static inline int plan_usage_error(const char *what)
{
    return usage_error_for("plan", what);
}

#endif
