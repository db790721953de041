/* branchsim plan: the value of one scenario key, or the point of several,
 * that meets targets on the metrics at a stated one-sided confidence.
 *
 * One key without --cost: every value of its range in one run (the
 * smallest, or with --maximize the largest, value that meets every
 * target). Otherwise the cheapest point of the grid of the ranges under a
 * linear cost, by a full grid (the default) or, with --search monotone
 * where more of each varied key never makes a target worse, a walk of the
 * feasibility frontier (plan_search.c).
 * The targets, their verdicts at a point and the answer's record are in
 * plan_target.c.
 * Every evaluation uses the same seed, so every point sees the same
 * customers (common random numbers), and the file written at the end holds
 * every point evaluated, as a sweep over them. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "provenance.h"
#include "text.h"

/* A finite number filling the whole of text[0..len). */
static int parse_number(const char *text, size_t len, double *out)
{
    char buf[64], *end;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    return *end || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

/* The texts of lo + k * step, k < count: integers in full (a count reads
 * "12", not "1.2e+01"), others with 15 significant digits (so 0.1 + 2 *
 * 0.1 reads 0.3), or up to 17 where fewer would make two values one. */
static int range_texts(double lo, double step, size_t count, int integral, char (*values)[32])
{
    for (int digits = 15; digits <= 17; digits++) {
        int distinct = 1;
        for (size_t k = 0; k < count; k++) {
            double x = lo + step * (double)k;
            snprintf(values[k], sizeof values[k], "%.*g", integral ? 17 : digits, x);
            distinct = distinct && (k == 0 || strcmp(values[k], values[k - 1]) != 0);
        }
        if (distinct)
            return 0;
    }
    return -1; /* STEP below what doubles near LO tell apart */
}

/* Values LO, LO+STEP, ... <= HI as text (integers when all three are);
 * -1 unless 1 to PLAN_VALUES_MAX distinct finite values. */
static int parse_range(const char *text, char (*values)[32], size_t *n)
{
    double v[3] = {0, 0, 1};
    int fields = 0;
    for (const char *p = text; fields < 3;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (parse_number(p, len, &v[fields++]))
            return -1;
        if (!colon)
            break;
        p = colon + 1;
        if (fields == 3)
            return -1; /* a fourth field */
    }
    double lo = v[0], hi = v[1], step = v[2];
    if (fields < 2 || !(step > 0) || hi < lo || lo + step == lo)
        return -1;
    double span = (hi - lo) / step;
    if (!(span < PLAN_VALUES_MAX))
        return -1;
    size_t count = (size_t)floor(span + 1e-9) + 1;
    if (count > PLAN_VALUES_MAX)
        return -1;
    int integral = lo == floor(lo) && hi == floor(hi) && step == floor(step) && fabs(lo) < 1e15 && fabs(hi) < 1e15;
    if (range_texts(lo, step, count, integral, values))
        return -1;
    *n = count;
    return 0;
}


/* METRIC<=X or METRIC>=X, METRIC a name or GROUP/METRIC[ENTITY]. */
static int parse_target(const char *text, struct target *t)
{
    snprintf(t->text, sizeof t->text, "%s", text);
    const char *op = strstr(text, "<=");
    t->at_most = 1;
    if (!op) {
        op = strstr(text, ">=");
        t->at_most = 0;
    }
    char *end;
    if (!op || op == text || (size_t)(op - text) >= sizeof t->metric)
        return -1;
    memcpy(t->metric, text, (size_t)(op - text));
    t->metric[op - text] = '\0';
    errno = 0;
    t->bound = strtod(op + 2, &end);
    /* A NaN bound is met by nothing and an infinite one by everything. */
    return end == op + 2 || *end || errno == ERANGE || !isfinite(t->bound) ? -1 : 0;
}

/* ---- one key without a cost: every value of the range in one run ---- */

struct one_key {
    const struct plan *pl;
    int quiet;
    long answer; /* the value's index, -1 when none meets every target */
    struct plan_record rec;
};

/* The table of every value and the answer, before the file is written
 * (execute's hook), so the file holds the answer too. */
static int one_key_decide(void *ctx, const struct bs_run *run, const struct bs_output_attr **attrs,
                          size_t *n_attrs, struct bs_error *err)
{
    (void)err;
    struct one_key *ok = ctx;
    const struct plan *pl = ok->pl;
    const size_t n_values = pl->n_values[0];
    if (!ok->quiet) {
        printf("%-12s", pl->keys[0]);
        for (size_t t = 0; t < pl->n_targets; t++)
            printf("  %s %s %g (%g %% bound)", pl->targets[t].metric, pl->targets[t].at_most ? "<=" : ">=",
                   pl->targets[t].bound, 100 * pl->confidence);
        printf("\n");
    }
    for (size_t k = 0; k < n_values; k++) {
        size_t p = pl->maximize ? n_values - 1 - k : k;
        int meets = 1;
        if (!ok->quiet)
            printf("%-12s", pl->values[0][p]);
        for (size_t t = 0; t < pl->n_targets; t++) {
            struct verdict v;
            plan_judge(pl, &pl->targets[t], run, p, &v);
            meets = meets && v.ok;
            if (!ok->quiet) {
                printf("  %11.4g (bound %.4g) %s", v.mean, v.bound, v.ok ? "meets" : "fails");
                if (v.n < run->n_replications)
                    printf(" [defined on %zu of %zu days]", v.n, run->n_replications);
                if (v.exact)
                    printf(" [exact binomial]");
            }
        }
        if (!ok->quiet)
            printf("\n");
        if (meets && ok->answer < 0)
            ok->answer = (long)p;
    }
    char answer[1100];
    if (ok->answer >= 0)
        snprintf(answer, sizeof answer, "%s=%s", pl->keys[0], pl->values[0][ok->answer]);
    plan_record(&ok->rec, pl, ok->answer >= 0 ? answer : NULL, NAN,
                pl->maximize ? "every value, the largest that meets" : "every value, the smallest that meets",
                n_values, n_values);
    *attrs = ok->rec.attrs;
    *n_attrs = 8;
    return 0;
}

static int plan_one_key(const struct bs_cluster *cl, struct plan *pl, const char *scenario_file,
                        const char *out_path, const struct run_options *o)
{
    const char *texts[PLAN_VALUES_MAX];
    for (size_t i = 0; i < pl->n_values[0]; i++)
        texts[i] = pl->values[0][i];
    struct bs_loaded ld;
    struct bs_error err = {0};
    if (load_for_run(cl, &ld, scenario_file, pl->keys[0], texts, pl->n_values[0], o, &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    if (ld.replications < 2) {
        bs_load_fini(&ld);
        return plan_usage_error("plan needs at least 2 replications for a confidence bound");
    }
    if (plan_resolve_targets(pl, &ld)) {
        bs_load_fini(&ld);
        return BS_ERR_INPUT;
    }
    struct one_key ok = {.pl = pl, .quiet = o->quiet, .answer = -1};
    struct execute_hook hook = {one_key_decide, &ok};
    struct bs_run run;
    int st = execute(cl, &ld, scenario_file, out_path, (int)o->threads, 1, 0, &hook, &run, &err);
    bs_runner_free(&run);
    bs_load_fini(&ld);
    if (st)
        return fail(&err);
    char shown[1100]; /* the key and range were checked; the path was not */
    bs_text_escape(shown, sizeof shown, out_path);
    if (ok.answer >= 0)
        printf("answer: %s = %s is the %s value in %s meeting every target at %g %% confidence (wrote %s)\n",
               pl->keys[0], pl->values[0][ok.answer], pl->maximize ? "largest" : "smallest", pl->ranges[0],
               100 * pl->confidence, shown);
    else
        printf("no value of %s in %s meets every target at %g %% confidence (wrote %s)\n", pl->keys[0],
               pl->ranges[0], 100 * pl->confidence, shown);
    return ok.answer >= 0 ? 0 : BS_ERR_RUN;
}

/* ---- the command line ---- */

/* The normalized key of a --cost term, [begin, end): its index among the
 * varied keys, or -1 after naming it. */
static int cost_key(const struct plan *pl, const char *begin, const char *end)
{
    char raw[BS_CFG_PATH_MAX], key[BS_CFG_PATH_MAX], varied[PLAN_KEYS_MAX][BS_CFG_PATH_MAX];
    const char *names[PLAN_KEYS_MAX];
    snprintf(raw, sizeof raw, "%.*s", (int)(end - begin), begin);
    if (bs_sweep_normalize_key(raw, key))
        return plan_usage_error("--cost: key too long"), -1;
    for (size_t k = 0; k < pl->n_keys; k++) {
        bs_sweep_normalize_key(pl->keys[k], varied[k]);
        names[k] = varied[k];
        if (strcmp(varied[k], key) == 0)
            return (int)k;
    }
    const char *near = bs_text_nearest(key, names, pl->n_keys);
    struct bs_error err = {0};
    bs_error_set(&err, BS_ERR_INPUT, "--cost: '%s' is not a varied key%s%s%s (--vary names them)", key,
                 near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    fail(&err);
    return -1;
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A number at p (no sign): its end, or NULL. */
static const char *cost_number(const char *p, double *v)
{
    char *end;
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return NULL;
    errno = 0;
    *v = strtod(p, &end);
    return end == p || errno == ERANGE || !isfinite(*v) ? NULL : end;
}

/* A key at p: letters, digits, _ . [ ] starting with a letter or _. */
static const char *cost_name(const char *p)
{
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
        return NULL;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
           *p == '.' || *p == '[' || *p == ']')
        p++;
    return p;
}

/* One term at *at (COEF*KEY, KEY*COEF, KEY or a constant) times sign;
 * 0, or the exit status after saying what is wrong. */
static int cost_term(struct plan *pl, const char **at, double sign)
{
    const char *p = skip_blanks(*at), *end;
    double coef = 1;
    int k = -1;
    if ((end = cost_number(p, &coef))) {
        p = skip_blanks(end);
        if (*p == '*') {
            p = skip_blanks(p + 1);
            if (!(end = cost_name(p)))
                return -1;
            if ((k = cost_key(pl, p, end)) < 0)
                return BS_ERR_INPUT;
            p = end;
        }
    } else if ((end = cost_name(p))) {
        if ((k = cost_key(pl, p, end)) < 0)
            return BS_ERR_INPUT;
        p = skip_blanks(end);
        if (*p == '*') {
            if (!(end = cost_number(skip_blanks(p + 1), &coef)))
                return -1;
            p = end;
        }
    } else {
        return -1;
    }
    if (k < 0)
        pl->constant += sign * coef;
    else
        pl->coef[k] += sign * coef;
    *at = skip_blanks(p);
    return 0;
}

/* --cost: a linear form over the varied keys, parsed strictly. */
static int parse_cost(struct plan *pl)
{
    const char *p = skip_blanks(pl->cost_text);
    double sign = 1;
    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    for (;;) {
        int st = cost_term(pl, &p, sign);
        if (st > 0)
            return st;
        if (st < 0)
            break;
        if (!*p)
            return 0;
        if (*p != '+' && *p != '-')
            break;
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    return plan_usage_error("--cost: expected terms COEF*KEY, KEY*COEF, KEY or a number joined by + and -, e.g. "
                            "'counters.0.count*1 + counters.1.count*1.2'");
}

/* The options plan adds to run's; 0, or the exit status. */
static int plan_option(struct plan *pl, int c, const char *arg, char **argv)
{
    switch (c) {
    case 'v':
    case 'R': {
        const char **list = c == 'v' ? pl->keys : pl->ranges;
        size_t *n = c == 'v' ? &pl->n_keys : &pl->n_values[PLAN_KEYS_MAX - 1]; /* counts ranges until parsed */
        if (*n == PLAN_KEYS_MAX)
            return plan_usage_error("plan varies at most 4 keys");
        list[(*n)++] = arg;
        return 0;
    }
    case 'n': pl->maximize = 0; return 0;
    case 'x': pl->maximize = 1; return 0;
    case 'C': pl->cost_text = arg; return 0;
    case 'G':
        if (strcmp(arg, "grid") && strcmp(arg, "monotone"))
            return plan_usage_error("--search: expected grid or monotone");
        pl->search = strcmp(arg, "grid") == 0 ? PLAN_GRID : PLAN_MONOTONE;
        return 0;
    case 't':
        if (pl->n_targets == PLAN_TARGETS_MAX || parse_target(arg, &pl->targets[pl->n_targets]))
            return plan_usage_error("--target: expected METRIC<=X or METRIC>=X with X a finite number (at most 8)");
        pl->n_targets++;
        return 0;
    case 'c': {
        char *end;
        pl->confidence = strtod(arg, &end);
        if (*end || !(pl->confidence > 0.5 && pl->confidence < 1))
            return plan_usage_error("--confidence: expected a number in (0.5, 1), e.g. 0.95");
        return 0;
    }
    default:
        return bad_option("plan", c, argv);
    }
}

/* After the options: each --vary has its --range, and what goes together does. */
static int check_plan(struct plan *pl, int extra_args)
{
    static char values[PLAN_KEYS_MAX][PLAN_VALUES_MAX][32];
    size_t n_ranges = pl->n_values[PLAN_KEYS_MAX - 1];
    if (extra_args || pl->n_keys == 0 || n_ranges != pl->n_keys || pl->n_targets == 0)
        return plan_usage_error("plan takes one scenario file, --vary KEY --range LO:HI[:STEP] (as many pairs as keys) "
                                "and --target");
    for (size_t k = 0; k < pl->n_keys; k++) {
        pl->values[k] = values[k];
        if (parse_range(pl->ranges[k], values[k], &pl->n_values[k]))
            return plan_usage_error("--range: expected LO:HI or LO:HI:STEP with LO <= HI, STEP > 0, at most 1000 "
                                    "values");
    }
    for (size_t k = 0; k < pl->n_keys; k++)
        for (size_t j = 0; j < k; j++) {
            char a[BS_CFG_PATH_MAX], b[BS_CFG_PATH_MAX];
            if (!bs_sweep_normalize_key(pl->keys[k], a) && !bs_sweep_normalize_key(pl->keys[j], b) &&
                strcmp(a, b) == 0)
                return plan_usage_error("--vary: a key given twice");
        }
    if (pl->cost_text && parse_cost(pl))
        return BS_ERR_INPUT;
    /* A search minimizes a cost; with no cost every point costs the same. */
    if (pl->maximize && (pl->cost_text || pl->n_keys > 1 || pl->search != PLAN_AUTO))
        return plan_usage_error("--maximize applies to one key without --cost or --search (with a cost, make it "
                                "negative)");
    if (pl->n_keys > 1 && !pl->cost_text)
        return plan_usage_error("plan over several keys needs --cost, e.g. --cost 'counters.0.count + "
                                "counters.1.count*1.2'");
    return 0;
}

int bs_cmd_plan(const struct bs_cluster *cl, int argc, char **argv)
{
    catch_interrupts(); /* as in cmd_run */
    static const struct option opts[] = {
        {"vary", required_argument, NULL, 'v'},       {"range", required_argument, NULL, 'R'},
        {"target", required_argument, NULL, 't'},     {"minimize", no_argument, NULL, 'n'},
        {"maximize", no_argument, NULL, 'x'},         {"confidence", required_argument, NULL, 'c'},
        {"cost", required_argument, NULL, 'C'},       {"search", required_argument, NULL, 'G'},
        {"output", required_argument, NULL, 'o'},     {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},       {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},            {"set", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    static struct plan pl;
    memset(&pl, 0, sizeof pl);
    pl.confidence = 0.95;
    struct run_options o = {.replications = 0, .seed = -1};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":o:r:s:j:q", opts, NULL)) != -1) {
        int known = run_option(c, optarg, 2, &o);
        if (known < 0)
            return BS_ERR_INPUT;
        int st = known ? 0 : plan_option(&pl, c, optarg, argv);
        if (st)
            return st;
    }
    int st = check_plan(&pl, optind != argc - 1);
    if (st)
        return st;
    /* A plain metric can be checked before the scenario is read. */
    for (size_t t = 0; t < pl.n_targets; t++)
        if (!strchr(pl.targets[t].metric, '/') && plan_resolve_plain(&pl.targets[t]))
            return BS_ERR_INPUT;
    const char *scenario_file = argv[optind];
    if (bs_provenance_redirect(&o, &scenario_file, NULL)) /* under branchsim rerun */
        return BS_ERR_INPUT;
    char default_path[1024];
    const char *out_path = o.out_path;
    if (!out_path) {
        default_output(scenario_file, default_path, sizeof default_path);
        size_t len = strlen(default_path);
        snprintf(default_path + len - 3, sizeof default_path - len + 3, "-plan.h5");
        out_path = default_path;
    }
    if (pl.n_keys == 1 && !pl.cost_text && pl.search == PLAN_AUTO)
        return plan_one_key(cl, &pl, scenario_file, out_path, &o);
    return plan_search(cl, &pl, scenario_file, out_path, &o);
}
