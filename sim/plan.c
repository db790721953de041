/* branchsim plan: the value of a scenario key, or the point of several,
 * that meets targets on the metrics at a stated confidence. */
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stats.h"
#include "text.h"

/* ---- plan: the smallest (or largest) value of one key that meets targets ---- */

#define PLAN_VALUES_MAX 1000

struct target {
    char metric[128];
    int at_most; /* METRIC<=X; else METRIC>=X */
    double bound;
    size_t index; /* in the metric registry */
};

static int parse_target(const char *text, struct target *t)
{
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

/* --target names no metric: say so, with the nearest name if one is near. */
static int unknown_metric(const char *name, const struct bs_metric_def *metrics, size_t n_metrics)
{
    const char *names[512];
    size_t n = n_metrics < 512 ? n_metrics : 512;
    for (size_t m = 0; m < n; m++)
        names[m] = metrics[m].name;
    const char *near = bs_text_nearest(name, names, n);
    struct bs_error err = {0};
    bs_error_set(&err, BS_ERR_INPUT, "--target: no metric '%s'%s%s%s (branchsim describe lists them)", name,
                 near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    return fail(&err);
}

int bs_cmd_plan(const struct bs_cluster *cl, int argc, char **argv)
{
    catch_interrupts(); /* as in cmd_run */
    static const struct option opts[] = {
        {"vary", required_argument, NULL, 'v'},       {"range", required_argument, NULL, 'R'},
        {"target", required_argument, NULL, 't'},     {"minimize", no_argument, NULL, 'n'},
        {"maximize", no_argument, NULL, 'x'},         {"confidence", required_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'},     {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},       {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},            {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *range = NULL;
    struct target targets[8];
    size_t n_targets = 0;
    int maximize = 0, c;
    double confidence = 0.95;
    struct run_options o = {NULL, 0, -1, 0, 0};
    optind = 2;
    while ((c = getopt_long(argc, argv, ":o:r:s:j:q", opts, NULL)) != -1) {
        int known = run_option(c, optarg, 2, &o);
        if (known < 0)
            return BS_ERR_INPUT;
        if (known)
            continue;
        switch (c) {
        case 'v': key = optarg; break;
        case 'R': range = optarg; break;
        case 'n': maximize = 0; break;
        case 'x': maximize = 1; break;
        case 't':
            if (n_targets == 8 || parse_target(optarg, &targets[n_targets]))
                return usage_error("--target: expected METRIC<=X or METRIC>=X with X a finite number (at most 8)");
            n_targets++;
            break;
        case 'c': {
            char *end;
            confidence = strtod(optarg, &end);
            if (*end || !(confidence > 0.5 && confidence < 1))
                return usage_error("--confidence: expected a number in (0.5, 1), e.g. 0.95");
            break;
        }
        default:
            return bad_option("plan", c, argv);
        }
    }
    const char *out_path = o.out_path;
    long threads = o.threads;
    int quiet = o.quiet;
    if (optind != argc - 1 || !key || !range || n_targets == 0)
        return usage_error("plan takes one scenario file, --vary KEY, --range LO:HI[:STEP] and --target");
    static char values[PLAN_VALUES_MAX][32];
    size_t n_values;
    if (parse_range(range, values, &n_values))
        return usage_error("--range: expected LO:HI or LO:HI:STEP with LO <= HI, STEP > 0, at most 1000 values");
    size_t n_metrics;
    const struct bs_metric_def *metrics = bs_model_metrics(&n_metrics);
    for (size_t t = 0; t < n_targets; t++) {
        targets[t].index = n_metrics;
        for (size_t m = 0; m < n_metrics; m++)
            if (strcmp(metrics[m].name, targets[t].metric) == 0)
                targets[t].index = m;
        if (targets[t].index == n_metrics)
            return unknown_metric(targets[t].metric, metrics, n_metrics);
    }
    const char *scenario_file = argv[optind];
    const char *texts[PLAN_VALUES_MAX];
    for (size_t i = 0; i < n_values; i++)
        texts[i] = values[i];
    struct bs_loaded ld;
    struct bs_error err = {0};
    if (load_for_run(cl, &ld, scenario_file, key, texts, n_values, &o, &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    if (ld.replications < 2) {
        bs_load_fini(&ld);
        return usage_error("plan needs at least 2 replications for a confidence bound");
    }
    char default_path[1024];
    if (!out_path) {
        default_output(scenario_file, default_path, sizeof default_path);
        size_t len = strlen(default_path);
        snprintf(default_path + len - 3, sizeof default_path - len + 3, "-plan.h5");
        out_path = default_path;
    }
    struct bs_run run;
    int st = execute(cl, &ld, scenario_file, out_path, (int)threads, 1, 0, &run, &err);
    if (st) {
        bs_runner_free(&run);
        bs_load_fini(&ld);
        return fail(&err);
    }
    /* One-sided bounds at the confidence level, from the replications of
     * each value (the same customers at every value). */
    const size_t R = run.n_replications;
    double *x = malloc(R * sizeof *x), *scratch = malloc(R * sizeof *scratch);
    long answer = -1;
    if (!quiet) {
        printf("%-12s", key);
        for (size_t t = 0; t < n_targets; t++)
            printf("  %s %s %g (%.0f %% bound)", targets[t].metric, targets[t].at_most ? "<=" : ">=", targets[t].bound,
                   100 * confidence);
        printf("\n");
    }
    for (size_t k = 0; k < n_values; k++) {
        size_t p = maximize ? n_values - 1 - k : k;
        int meets = 1;
        if (!quiet)
            printf("%-12s", values[p]);
        for (size_t t = 0; t < n_targets; t++) {
            double summary[BS_STAT_COUNT];
            for (size_t r = 0; r < R; r++)
                x[r] = run.values[(p * R + r) * run.layout.width + targets[t].index];
            bs_stats_summary(x, 1, R, scratch, summary);
            /* Over the days where the metric is defined (a wait needs a
             * customer who waited), with their own degrees of freedom. */
            double n = summary[BS_STAT_N];
            double t_q = n >= 2 ? gsl_cdf_tdist_Pinv(confidence, n - 1) : NAN;
            double half = t_q * summary[BS_STAT_SD] / sqrt(n);
            double bound = targets[t].at_most ? summary[BS_STAT_MEAN] + half : summary[BS_STAT_MEAN] - half;
            int ok = isfinite(bound) && (targets[t].at_most ? bound <= targets[t].bound : bound >= targets[t].bound);
            meets = meets && ok;
            if (!quiet) {
                printf("  %11.4g (bound %.4g) %s", summary[BS_STAT_MEAN], bound, ok ? "meets" : "fails");
                if (n < (double)R)
                    printf(" [defined on %.0f of %zu days]", n, R);
            }
        }
        if (!quiet)
            printf("\n");
        if (meets && answer < 0)
            answer = (long)p;
    }
    free(x);
    free(scratch);
    bs_runner_free(&run);
    char shown[1100]; /* the key and range were checked; the path was not */
    bs_text_escape(shown, sizeof shown, out_path);
    if (answer >= 0)
        printf("answer: %s = %s is the %s value in %s meeting every target at %.0f %% confidence (wrote %s)\n", key,
               values[answer], maximize ? "largest" : "smallest", range, 100 * confidence, shown);
    else
        printf("no value of %s in %s meets every target at %.0f %% confidence (wrote %s)\n", key, range,
               100 * confidence, shown);
    bs_load_fini(&ld);
    return answer >= 0 ? 0 : BS_ERR_RUN;
}
