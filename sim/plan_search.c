/* plan over several keys (or one, with --cost): the cheapest point of the
 * grid of the ranges that meets every target.
 *
 * grid: every point, in one run. monotone: where more of each varied key
 * never makes a target worse, the points that meet form an upper set of
 * the grid, and for each value of the next-to-last key the cheapest point
 * is the least value of the last key that meets. A staircase walk finds
 * that frontier: from (lowest, highest), step the last key down while the
 * point meets, and the next-to-last key up when it fails; it evaluates at
 * most n_a + n_b points of the n_a x n_b grid (one walk per value of any
 * keys before those two, walked side by side). With costs >= 0 the
 * cheapest point that meets lies on the frontier, and every frontier point
 * that could be cheapest is one the walk evaluated (cheapest()). One key
 * alone is bisected.
 *
 * Points are evaluated in batches; each batch is a run with the same seed,
 * so every point sees the same customers (common random numbers), and
 * its results are kept. At the end one file holds every evaluated point,
 * as a sweep over them, assembled from the kept results: CRN makes them
 * what a run of exactly those points would give, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "text.h"

/* A point's results, kept in its batch's layout (batches whose points
 * have different slots or day lengths differ): values, then series sums
 * and series counts. */
/* A point's results: its replications' slabs, its blocks' series sums and
 * counts, then its pooled histogram counts (uint64, copied bytewise). */
struct kept {
    struct bs_layout layout;
    double data[];
};

struct search {
    const struct bs_cluster *cl;
    struct plan *pl;
    const char *scenario_file, *out_path;
    const struct run_options *o;
    struct bs_loaded ld;
    int loaded;
    size_t space;          /* points in the grid */
    unsigned char *state;  /* per grid point: 0 not evaluated, 1 meets, 2 fails */
    struct kept **kept;    /* per grid point evaluated */
    size_t n_evaluated, n_batches;
    struct bs_error err;
};

/* Grid point g's value indices (the last key fastest, as a sweep's grid). */
static void index_of(const struct plan *pl, size_t g, size_t *idx)
{
    for (size_t k = pl->n_keys; k-- > 0;) {
        idx[k] = g % pl->n_values[k];
        g /= pl->n_values[k];
    }
}

static size_t grid_of(const struct plan *pl, const size_t *idx)
{
    size_t g = 0;
    for (size_t k = 0; k < pl->n_keys; k++)
        g = g * pl->n_values[k] + idx[k];
    return g;
}

double plan_cost(const struct plan *pl, const size_t *idx)
{
    double cost = pl->constant;
    for (size_t k = 0; k < pl->n_keys; k++)
        cost += pl->coef[k] * strtod(pl->values[k][idx[k]], NULL);
    return cost;
}

/* The value texts of grid points gs[0..n), [point * n_keys + key]. */
static const char **point_texts(const struct plan *pl, const size_t *gs, size_t n)
{
    const char **texts = malloc((n * pl->n_keys + 1) * sizeof *texts);
    for (size_t i = 0; texts && i < n; i++) {
        size_t idx[PLAN_KEYS_MAX];
        index_of(pl, gs[i], idx);
        for (size_t k = 0; k < pl->n_keys; k++)
            texts[i * pl->n_keys + k] = pl->values[k][idx[k]];
    }
    return texts;
}

/* Reads the scenario (first batch) or points it at the next batch. */
static int load_batch(struct search *S, const char **texts, size_t n)
{
    if (S->loaded) /* the targets' places in this batch's layout */
        return bs_load_repoint(&S->ld, texts, n, &S->err) ? S->err.status
               : plan_resolve_targets(S->pl, &S->ld) ? (S->err.status = BS_ERR_INPUT) : 0;
    struct bs_load_how how = {
        .sets = S->o->sets, .n_sets = S->o->n_sets, .vary_keys = S->pl->keys, .n_vary = S->pl->n_keys,
        .values = texts, .n_points = n, .explicit = 1,
    };
    S->loaded = 1;
    int st = bs_load_ex(&S->ld, S->scenario_file, &how, 1, &S->err);
    if (st)
        return st;
    if (S->o->replications > 0)
        S->ld.replications = S->o->replications;
    if (S->o->seed >= 0)
        S->ld.seed = (uint64_t)S->o->seed;
    if (S->ld.replications < 2)
        return bs_error_set(&S->err, BS_ERR_INPUT, "plan needs at least 2 replications for a confidence bound");
    if (plan_resolve_targets(S->pl, &S->ld))
        return S->err.status = BS_ERR_INPUT; /* already said */
    return check_output(S->cl, S->out_path, S->scenario_file, &S->err);
}

/* Keeps point p of run as grid point g, and whether it meets every target. */
static int keep(struct search *S, const struct bs_run *run, size_t p, size_t g)
{
    const size_t R = run->n_replications, V = R * run->layout.width;
    const size_t L = run->blocks_per_point * run->layout.series_width, H = run->layout.pool_hist_width;
    struct kept *k = malloc(sizeof *k + (V + 2 * L + H + 1) * sizeof *k->data);
    if (!k)
        return bs_error_set(&S->err, BS_ERR_RUN, "out of memory keeping the results of %zu points", S->n_evaluated);
    k->layout = run->layout;
    memcpy(k->data, run->values + p * V, V * sizeof *k->data);
    memcpy(k->data + V, run->series_sum + p * L, L * sizeof *k->data);
    memcpy(k->data + V + L, run->series_count + p * L, L * sizeof *k->data);
    memcpy(k->data + V + 2 * L, run->pool_hist + p * H, H * sizeof *run->pool_hist);
    S->kept[g] = k;
    int meets = 1;
    for (size_t t = 0; t < S->pl->n_targets; t++) {
        struct verdict v;
        plan_judge(S->pl, &S->pl->targets[t], run, p, &v);
        meets = meets && v.ok;
    }
    S->state[g] = meets ? 1 : 2;
    S->n_evaluated++;
    return 0;
}

/* The points kept and the batch's together are the file's run at most
 * (assemble frees each kept point as it copies it): refused, exit 2, when
 * a run of that many points would not fit (as run refuses one). */
static int check_memory(struct search *S, size_t n)
{
    const size_t points = S->n_evaluated + n, R = (size_t)S->ld.replications;
    struct bs_layout L;
    struct bs_need need;
    bs_runner_layout_from(&L, S->ld.points[0], S->ld.max_bins, S->ld.max_entities);
    int threads = bs_runner_threads((int)S->o->threads, n * ((R + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK));
    bs_runner_need(&L, points, R, threads, S->ld.scenario_bytes, S->ld.max_day_bytes, &need);
    return bs_runner_check_memory(&need, points, R, threads, &S->err);
}

/* Runs grid points gs[0..n) (none evaluated yet) as one batch. */
static int evaluate(struct search *S, const size_t *gs, size_t n)
{
    const char **texts = point_texts(S->pl, gs, n);
    if (!texts)
        return bs_error_set(&S->err, BS_ERR_RUN, "out of memory");
    int st = load_batch(S, texts, n);
    free(texts);
    if (st || (st = check_memory(S, n)))
        return st;
    struct bs_run run;
    st = run_points(S->cl, &S->ld, (int)S->o->threads, &run, &S->err);
    for (size_t i = 0; !st && i < n; i++)
        st = keep(S, &run, i, gs[i]);
    bs_runner_free(&run);
    S->n_batches++;
    return st;
}

static int search_grid(struct search *S)
{
    if (S->space > PLAN_GRID_MAX)
        return bs_error_set(&S->err, BS_ERR_INPUT, "grid search: %zu points, more than %d; narrow the "
                            "ranges, or --search monotone where more of every varied key never makes a target worse",
                            S->space, PLAN_GRID_MAX);
    size_t *gs = malloc(S->space * sizeof *gs);
    if (!gs)
        return bs_error_set(&S->err, BS_ERR_RUN, "out of memory");
    for (size_t g = 0; g < S->space; g++)
        gs[g] = g;
    int st = evaluate(S, gs, S->space);
    free(gs);
    return st;
}

/* One staircase per value of the keys before the last two, side by side:
 * each round evaluates the next point of every walk still going. */
static int search_monotone(struct search *S)
{
    const struct plan *pl = S->pl;
    const size_t K = pl->n_keys, b = K - 1, n_b = pl->n_values[b];
    const size_t n_a = K >= 2 ? pl->n_values[K - 2] : 1;
    const size_t walks = S->space / (n_a * n_b);
    size_t *i = calloc(walks, sizeof *i), *j = malloc(walks * sizeof *j), *gs = malloc(walks * sizeof *gs);
    int st = i && j && gs ? 0 : bs_error_set(&S->err, BS_ERR_RUN, "out of memory");
    for (size_t w = 0; !st && w < walks; w++)
        j[w] = n_b - 1;
    while (!st) {
        size_t n = 0;
        for (size_t w = 0; w < walks; w++) {
            if (i[w] >= n_a || j[w] >= n_b)
                continue; /* this walk is done (j wrapped below 0) */
            size_t idx[PLAN_KEYS_MAX];
            index_of(pl, w * n_a * n_b, idx); /* the keys before the last two */
            if (K >= 2)
                idx[K - 2] = i[w];
            idx[b] = j[w];
            gs[n++] = grid_of(pl, idx);
        }
        if (n == 0)
            break;
        st = evaluate(S, gs, n);
        for (size_t w = 0, m = 0; !st && w < walks; w++) {
            if (i[w] >= n_a || j[w] >= n_b)
                continue;
            if (S->state[gs[m++]] == 1)
                j[w]--; /* meets: try less of the last key */
            else
                i[w]++; /* fails: more of the next-to-last */
        }
    }
    free(i);
    free(j);
    free(gs);
    return st;
}

/* One key: where the values that meet are an upper set of the range, the
 * least of them by bisection, in at most ceil(log2(n + 1)) points. */
static int search_bisect(struct search *S)
{
    size_t lo = 0, hi = S->space; /* the least that meets is in [lo, hi]; hi == space: none yet */
    int st = 0;
    while (!st && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        st = evaluate(S, &mid, 1);
        if (S->state[mid] == 1)
            hi = mid;
        else
            lo = mid + 1;
    }
    return st;
}

/* Costs this close are equal (sums of products of decimal values). */
static int cheaper(double a, double b)
{
    return a < b - 1e-9 * fmax(1, fmax(fabs(a), fabs(b)));
}

/* The cheapest evaluated point that meets every target; ties go to the
 * first in grid order: the smaller value of the first key, then the next. */
static long cheapest(const struct search *S, double *cost)
{
    long best = -1;
    for (size_t g = 0; g < S->space; g++) {
        if (S->state[g] != 1)
            continue;
        size_t idx[PLAN_KEYS_MAX];
        index_of(S->pl, g, idx);
        double c = plan_cost(S->pl, idx);
        if (best < 0 || cheaper(c, *cost)) {
            best = (long)g;
            *cost = c;
        }
    }
    return best;
}

/* Point p's pooled sums per replication (none for entities beyond the
 * kept layout's, as a run leaves them) and histogram counts (from hist). */
static void place_pooled(struct bs_run *run, size_t p, const struct kept *k, const double *hist)
{
    const struct bs_layout *K = &k->layout, *L = &run->layout;
    const size_t R = run->n_replications, Q = L->n_pooled, E = L->pool_entities, KE = K->pool_entities;
    for (size_t r = 0; r < R; r++) {
        double *dst = run->values + (p * R + r) * L->width + L->pool_offset;
        const double *src = k->data + r * K->width + K->pool_offset;
        bs_pool_sums_clear(dst, L->pool_hists);
        for (size_t q = 0; q < Q; q++)
            memcpy(dst + q * E * BS_POOL_PER_ENTITY, src + q * KE * BS_POOL_PER_ENTITY,
                   KE * BS_POOL_PER_ENTITY * sizeof *dst);
    }
    for (size_t q = 0; q < Q; q++)
        memcpy(run->pool_hist + p * L->pool_hist_width + q * E * BS_POOL_BINS, hist + q * KE * BS_POOL_BINS,
               KE * BS_POOL_BINS * sizeof *run->pool_hist);
}

/* Point p of run from its kept results, whose layout has at most run's
 * entities and bins (the rest stay NaN, and 0 in the series sums). */
static void place(struct bs_run *run, size_t p, const struct kept *k)
{
    const struct bs_layout *K = &k->layout, *L = &run->layout;
    const size_t R = run->n_replications, B = run->blocks_per_point;
    const double *src = k->data;
    for (size_t r = 0; r < R; r++, src += K->width) {
        double *dst = run->values + (p * R + r) * L->width;
        memcpy(dst, src, K->n_metrics * sizeof *dst);
        for (size_t b = 0; b < L->n_breakdowns; b++)
            for (size_t m = 0; m < L->breakdowns[b].n_metrics; m++)
                memcpy(dst + L->breakdown_offset[b] + m * L->entities[b],
                       src + K->breakdown_offset[b] + m * K->entities[b], K->entities[b] * sizeof *dst);
    }
    for (int c = 0; c < 2; c++) { /* sums, then counts */
        double *to = (c ? run->series_count : run->series_sum) + p * B * L->series_width;
        for (size_t blk = 0; blk < B; blk++, src += K->series_width)
            for (size_t s = 0; s < L->n_series; s++)
                memcpy(to + blk * L->series_width + s * L->n_bins, src + s * K->n_bins, K->n_bins * sizeof *to);
    }
    place_pooled(run, p, k, src);
}

/* The file's run: every evaluated point, in grid order, from what was kept. */
static int assemble(struct search *S, size_t *order, struct bs_run *run)
{
    size_t n = 0;
    for (size_t g = 0; g < S->space; g++)
        if (S->state[g])
            order[n++] = g;
    const char **texts = point_texts(S->pl, order, n);
    if (!texts)
        return bs_error_set(&S->err, BS_ERR_RUN, "out of memory");
    int st = bs_load_repoint(&S->ld, texts, n, &S->err);
    free(texts);
    *run = (struct bs_run){
        .n_points = n,
        .n_replications = (size_t)S->ld.replications,
        .seed = S->ld.seed,
        .points = S->ld.points,
        .rank = S->cl->rank,
        .n_ranks = S->cl->size,
    };
    if (st)
        return st;
    bs_runner_layout(run);
    if (plan_resolve_targets(S->pl, &S->ld)) /* their places in the file's layout */
        return S->err.status = BS_ERR_INPUT;
    if ((st = bs_runner_alloc(run, &S->err)))
        return st;
    for (size_t p = 0; p < n; p++) {
        struct kept *k = S->kept[order[p]];
        place(run, p, k);
        free(k); /* so the results are held once, not twice */
        S->kept[order[p]] = NULL;
    }
    memset(run->block_done, 1, n * run->blocks_per_point);
    return 0;
}

/* The evaluated points, one row each, the answer marked. */
static void print_table(const struct search *S, const struct bs_run *run, const size_t *order, long answer)
{
    const struct plan *pl = S->pl;
    char shown[300];
    for (size_t k = 0; k < pl->n_keys; k++)
        printf("%-*s  ", (int)fmax(8, (double)strlen(pl->keys[k])), bs_text_escape(shown, sizeof shown, pl->keys[k]));
    printf("%10s", "cost");
    for (size_t t = 0; t < pl->n_targets; t++)
        printf("  %s (%g %% bound)", bs_text_escape(shown, sizeof shown, pl->targets[t].text), 100 * pl->confidence);
    printf("\n");
    for (size_t p = 0; p < run->n_points; p++) {
        size_t idx[PLAN_KEYS_MAX];
        index_of(pl, order[p], idx);
        for (size_t k = 0; k < pl->n_keys; k++)
            printf("%-*s  ", (int)fmax(8, (double)strlen(pl->keys[k])), pl->values[k][idx[k]]);
        printf("%10.6g", plan_cost(pl, idx));
        for (size_t t = 0; t < pl->n_targets; t++) {
            struct verdict v;
            plan_judge(pl, &pl->targets[t], run, p, &v);
            printf("  %11.4g (bound %.4g) %s", v.mean, v.bound, v.ok ? "meets" : "fails");
            if (v.n < run->n_replications)
                printf(" [defined on %zu of %zu days]", v.n, run->n_replications);
            if (v.exact)
                printf(" [exact binomial]");
        }
        printf("%s\n", (long)order[p] == answer ? "  <- answer" : "");
    }
}

/* "KEY=VALUE, ..." of grid point g. */
static void point_text(const struct plan *pl, size_t g, char *out, size_t cap)
{
    size_t idx[PLAN_KEYS_MAX], len = 0;
    index_of(pl, g, idx);
    out[0] = '\0';
    for (size_t k = 0; k < pl->n_keys && len < cap; k++) {
        char key[BS_CFG_PATH_MAX];
        bs_sweep_normalize_key(pl->keys[k], key);
        len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", k ? ", " : "", key, pl->values[k][idx[k]]);
    }
}

/* The answer from what was evaluated: table, file, last line. */
static int conclude(struct search *S, const char *search_name)
{
    size_t *order = malloc(S->n_evaluated * sizeof *order + 1);
    struct bs_run run = {0};
    int st = order ? assemble(S, order, &run) : bs_error_set(&S->err, BS_ERR_RUN, "out of memory");
    double cost = NAN;
    long answer = st ? -1 : cheapest(S, &cost);
    char answer_text[1100], shown[1100];
    if (answer >= 0)
        point_text(S->pl, (size_t)answer, answer_text, sizeof answer_text);
    if (!st && !S->o->quiet && S->cl->rank == 0)
        print_table(S, &run, order, answer);
    struct plan_record rec;
    plan_record(&rec, S->pl, answer >= 0 ? answer_text : NULL, cost, search_name, S->n_evaluated, S->space);
    if (!st)
        st = write_result(S->cl, &S->ld, &run, S->scenario_file, S->out_path, rec.attrs, 8, &S->err);
    bs_runner_free(&run);
    free(order);
    if (st)
        return fail(&S->err);
    bs_text_escape(shown, sizeof shown, S->out_path);
    if (answer >= 0)
        printf("answer: %s at cost %g is the cheapest point meeting every target at %g %% confidence "
               "(%s: %zu of %zu points evaluated; wrote %s)\n",
               answer_text, cost, 100 * S->pl->confidence, search_name, S->n_evaluated, S->space, shown);
    else
        printf("no point meets every target at %g %% confidence (%s: %zu of %zu points evaluated; wrote %s)\n",
               100 * S->pl->confidence, search_name, S->n_evaluated, S->space, shown);
    return answer >= 0 ? 0 : BS_ERR_RUN;
}

/* Every point's cost is a finite number: one that overflows (inf, or
 * inf - inf = NaN) would order the points wrongly. Checked before any
 * simulation; 0, or the exit status after naming the first such point. */
static int check_costs(const struct plan *pl, size_t space)
{
    for (size_t g = 0; g < space; g++) {
        size_t idx[PLAN_KEYS_MAX];
        index_of(pl, g, idx);
        double cost = plan_cost(pl, idx);
        if (isfinite(cost))
            continue;
        char at[PLAN_KEYS_MAX * (BS_CFG_PATH_MAX + 40)] = "";
        for (size_t k = 0; k < pl->n_keys; k++) {
            size_t len = strlen(at);
            snprintf(at + len, sizeof at - len, "%s%s=%s", k ? ", " : "", pl->keys[k], pl->values[k][idx[k]]);
        }
        struct bs_error err = {0};
        bs_error_set(&err, BS_ERR_INPUT, "--cost '%s' is %s at %s, not a finite number (smaller coefficients)",
                     pl->cost_text, isnan(cost) ? "NaN" : cost > 0 ? "inf" : "-inf", at);
        return fail(&err);
    }
    return 0;
}

/* Explicit --search monotone over a key that adds load (demand, service
 * times): more of it lengthens waits, the opposite of what the walk
 * assumes, so say so; not refused, as a target it helps (utilization >=)
 * is a valid use. */
static void warn_load_keys(const struct plan *pl)
{
    for (size_t k = 0; k < pl->n_keys; k++) {
        char key[BS_CFG_PATH_MAX], shown[300];
        if (bs_sweep_normalize_key(pl->keys[k], key) ||
            (strncmp(key, "demand.", 7) && strncmp(key, "transactions.", 13)))
            continue;
        fprintf(stderr, "branchsim: warning: --search monotone assumes more of %s never makes a target worse, "
                "but more demand or service lengthens waits; the walk can then miss the cheapest point "
                "(--search grid evaluates every point)\n", bs_text_escape(shown, sizeof shown, pl->keys[k]));
    }
}

/* Which search: the grid unless --search monotone is given. The walk is
 * right only where more of every varied key never makes a target worse,
 * which plan cannot know (more demand lengthens waits, more counters
 * lower utilization), so the default never assumes it: it gives the
 * grid's answer or none. The walk also needs costs >= 0. 0, or the exit
 * status. */
static int choose(struct plan *pl)
{
    int negative = 0;
    for (size_t k = 0; k < pl->n_keys; k++)
        negative = negative || pl->coef[k] < 0;
    if (pl->search == PLAN_MONOTONE && negative)
        return plan_usage_error("--search monotone needs a cost that no varied key lowers (every coefficient >= 0)");
    if (pl->search == PLAN_MONOTONE)
        warn_load_keys(pl);
    if (pl->search == PLAN_AUTO)
        pl->search = PLAN_GRID; /* search_grid() refuses more than PLAN_GRID_MAX points */
    return 0;
}

int plan_search(const struct bs_cluster *cl, struct plan *pl, const char *scenario_file, const char *out_path,
                const struct run_options *o)
{
    double space = 1;
    for (size_t k = 0; k < pl->n_keys; k++)
        space *= (double)pl->n_values[k];
    if (space > PLAN_SPACE_MAX)
        return plan_usage_error("plan: the ranges make more than 1000000 points");
    int st = check_costs(pl, (size_t)space);
    if (!st)
        st = choose(pl);
    if (st)
        return st;
    static struct search S;
    memset(&S, 0, sizeof S);
    S = (struct search){.cl = cl, .pl = pl, .scenario_file = scenario_file, .out_path = out_path, .o = o,
                        .space = (size_t)space};
    S.state = calloc(S.space, 1);
    S.kept = calloc(S.space, sizeof *S.kept);
    if (!S.state || !S.kept)
        st = bs_error_set(&S.err, BS_ERR_RUN, "out of memory");
    if (!st)
        st = pl->search == PLAN_GRID ? search_grid(&S) : pl->n_keys == 1 ? search_bisect(&S) : search_monotone(&S);
    if (st && S.err.status)
        fail(&S.err);
    const char *name = pl->search == PLAN_GRID ? "grid search" : "monotone search";
    if (!st)
        st = conclude(&S, name);
    for (size_t g = 0; S.kept && g < S.space; g++)
        free(S.kept[g]);
    free(S.kept);
    free(S.state);
    bs_load_fini(&S.ld);
    return st;
}
