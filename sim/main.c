/* branchsim's command line: run, check, describe. Exit status 0 ok,
 * 1 a run failed, 2 bad usage or input. Nothing below main() exits. */
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "model.h"
#include "output.h"
#include "runner.h"
#include "version.h"

static const char usage_text[] =
    "usage: branchsim run SCENARIO.yaml [-o OUT.h5] [-r REPLICATIONS] [-s SEED] [-j THREADS] [--quiet]\n"
    "       branchsim check SCENARIO.yaml     validate; print the expanded sweep\n"
    "       branchsim describe OUT.h5 [--metric a,b] [--csv]\n"
    "                                         the summary of a result file: per point, metrics with\n"
    "                                         95 % CIs and paired differences against the baseline\n"
    "       branchsim --version | --help\n"
    "\n"
    "run options:\n"
    "  -o, --output FILE        result file (default: SCENARIO's name with .h5, here)\n"
    "  -r, --replications N     days simulated per scenario point (default: the scenario's)\n"
    "  -s, --seed N             master seed (default: the scenario's)\n"
    "  -j, --threads N          OpenMP threads (default: all cores); results do not depend on it\n"
    "  -q, --quiet              no summary table and no progress on stderr (progress is a line\n"
    "                           rewritten in place on a terminal, a line per 10 % otherwise)\n"
    "\n"
    "Exit status: 0 ok, 1 the run failed, 2 bad usage or input.\n";

/* The partial output file to remove if the run is interrupted (SIGINT, or
 * SIGTERM from a batch scheduler at its time limit). The one piece of
 * file-scope state: a signal handler can reach nothing else. */
static char interrupted_partial[1100];

static void on_interrupt(int sig)
{
    if (interrupted_partial[0])
        unlink(interrupted_partial); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_partial_on_interrupt(const char *partial_path)
{
    snprintf(interrupted_partial, sizeof interrupted_partial, "%s", partial_path);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int fail(const struct bs_error *err)
{
    fprintf(stderr, "branchsim: %s\n", err->msg);
    return err->status ? err->status : BS_ERR_RUN;
}

static int usage_error(const char *what)
{
    fprintf(stderr, "branchsim: %s\n%s", what, usage_text);
    return BS_ERR_INPUT;
}

static int parse_count(const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "branchsim: %s: expected an integer in [%ld, %ld], got '%s'\n", opt, lo, hi, text);
        return BS_ERR_INPUT;
    }
    *out = v;
    return 0;
}

static void default_output(const char *scenario, char *out, size_t cap)
{
    const char *base = strrchr(scenario, '/');
    base = base ? base + 1 : scenario;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    snprintf(out, cap, "%.*s.h5", (int)len, base);
}

/* Runs every point of a loaded scenario and writes the result file; the
 * caller frees run->values. Returns 0 or the error status. */
static int execute(struct bs_loaded *ld, const char *scenario_file, const char *out_path, int threads, int quiet,
                   struct bs_run *run, struct bs_error *err)
{
    *run = (struct bs_run){
        .n_points = ld->n_points,
        .n_replications = (size_t)ld->replications,
        .seed = ld->seed,
        .points = ld->points,
        .progress = quiet ? BS_PROGRESS_NONE : isatty(STDERR_FILENO) ? BS_PROGRESS_TERMINAL : BS_PROGRESS_LOG,
    };
    bs_runner_layout(run);
    struct bs_output out;
    int st = bs_output_open(&out, out_path, err);
    if (st)
        return st;
    remove_partial_on_interrupt(out.partial_path);
    st = bs_runner_run(run, threads, err);
    if (!st) {
        const char *keys[BS_CFG_OVERRIDES_MAX];
        for (size_t k = 0; k < ld->sweep.n_keys; k++)
            keys[k] = ld->sweep.keys[k];
        struct bs_output_data data = {
            .scenario_text = ld->cfg.text,
            .scenario_file = scenario_file,
            .scenario_name = ld->name,
            .run = run,
            .baseline = ld->sweep.baseline,
            .n_keys = ld->sweep.n_keys,
            .keys = keys,
            .key_values = (const char *const *)ld->key_values,
        };
        st = bs_output_write(&out, &data, err);
    }
    if (!st)
        st = bs_output_commit(&out, err);
    else
        bs_output_abort(&out);
    return st;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 3)
        return usage_error("check takes one scenario file");
    struct bs_loaded ld;
    struct bs_error err = {0};
    if (bs_load(&ld, argv[2], &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    printf("%s: scenario '%s' is valid: %zu point%s x %ld replications, seed %llu\n", argv[2], ld.name,
           ld.n_points, ld.n_points == 1 ? "" : "s", ld.replications, (unsigned long long)ld.seed);
    if (ld.sweep.n_keys > 0) {
        /* The expanded sweep as a table: one row per point. */
        int width[BS_CFG_OVERRIDES_MAX];
        printf("%5s", "point");
        for (size_t k = 0; k < ld.sweep.n_keys; k++) {
            width[k] = (int)strlen(ld.sweep.keys[k]);
            for (size_t p = 0; p < ld.n_points; p++) {
                int w = (int)strlen(ld.key_values[p * ld.sweep.n_keys + k]);
                width[k] = w > width[k] ? w : width[k];
            }
            printf("  %-*s", width[k], ld.sweep.keys[k]);
        }
        printf("\n");
        for (size_t p = 0; p < ld.n_points; p++) {
            printf("%5zu", p);
            for (size_t k = 0; k < ld.sweep.n_keys; k++)
                printf("  %-*s", width[k], ld.key_values[p * ld.sweep.n_keys + k]);
            printf("%s\n", p == ld.sweep.baseline ? "  (baseline)" : "");
        }
    }
    bs_load_fini(&ld);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},   {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    long reps = 0, seed = -1, threads = 0;
    int quiet = 0, c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "o:r:s:j:q", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'r':
            if (parse_count("-r", optarg, 1, 100000000, &reps))
                return BS_ERR_INPUT;
            break;
        case 's':
            if (parse_count("-s", optarg, 0, LONG_MAX, &seed))
                return BS_ERR_INPUT;
            break;
        case 'j':
            if (parse_count("-j", optarg, 1, 4096, &threads))
                return BS_ERR_INPUT;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            return usage_error("bad option for run");
        }
    }
    if (optind != argc - 1)
        return usage_error("run takes one scenario file");
    const char *scenario_file = argv[optind];

    struct bs_loaded ld;
    struct bs_error err = {0};
    if (bs_load(&ld, scenario_file, &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    if (reps > 0)
        ld.replications = reps;
    if (seed >= 0)
        ld.seed = (uint64_t)seed;
    char default_path[1024];
    if (!out_path) {
        default_output(scenario_file, default_path, sizeof default_path);
        out_path = default_path;
    }

    struct bs_run run;
    int st = execute(&ld, scenario_file, out_path, (int)threads, quiet, &run, &err);
    free(run.values);
    bs_load_fini(&ld);
    if (st)
        return fail(&err);
    struct bs_describe_opts all = {NULL, 0};
    if (!quiet && bs_output_describe(out_path, stdout, &all, &err))
        return fail(&err);
    if (!quiet)
        printf("wrote %s\n", out_path);
    return 0;
}

static int cmd_describe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"metric", required_argument, NULL, 'm'}, {"csv", no_argument, NULL, 'c'}, {NULL, 0, NULL, 0},
    };
    struct bs_describe_opts d = {NULL, 0};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "m:c", opts, NULL)) != -1) {
        if (c == 'm')
            d.metrics = optarg;
        else if (c == 'c')
            d.csv = 1;
        else
            return usage_error("bad option for describe");
    }
    if (optind != argc - 1)
        return usage_error("describe takes one result file");
    struct bs_error err = {0};
    if (bs_output_describe(argv[optind], stdout, &d, &err))
        return fail(&err);
    return 0;
}

int main(int argc, char **argv)
{
    /* Model code checks its inputs up front; a GSL domain error later is a
     * bug we want reported, not an abort inside a worker thread. */
    gsl_set_error_handler_off();
    if (argc < 2)
        return usage_error("missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("branchsim %s (revision %s)\n", BS_VERSION, BS_REVISION);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc, argv);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(argv[1], "describe") == 0)
        return cmd_describe(argc, argv);
    char what[128];
    snprintf(what, sizeof what, "unknown command '%s'", argv[1]);
    return usage_error(what);
}
