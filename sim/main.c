/* branchsim's command line: run, check and describe here, plan in plan.c
 * (and plan_search.c) on what this file shares through cli.h. Exit status
 * 0 ok, 1 a run failed, 2 bad usage or input. Nothing below main() exits. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <omp.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "load.h"
#include "model.h"
#include "output.h"
#include "checkpoint.h"
#include "cli.h"
#include "cluster.h"
#include "files.h"
#include "runner.h"
#include "stats.h"
#include "text.h"
#include "version.h"

#ifdef BS_MPI
#define BS_BUILD_KIND ", MPI"
#else
#define BS_BUILD_KIND ""
#endif

static const char usage_text[] =
    "usage: branchsim run SCENARIO.yaml [-o OUT.h5] [-r REPLICATIONS] [-s SEED] [-j THREADS] [--quiet] [--resume]\n"
    "                     [--set KEY=VALUE ...]\n"
    "       branchsim check SCENARIO.yaml [--set KEY=VALUE ...]   validate; print the expanded sweep\n"
    "       branchsim describe OUT.h5 [--metric a,b] [--csv]\n"
    "                                         the summary of a result file: per point, metrics with\n"
    "                                         95 % CIs and paired differences against the baseline\n"
    "       branchsim plan SCENARIO.yaml --vary KEY --range LO:HI[:STEP] --target 'METRIC<=X' [--target ...]\n"
    "                      [--minimize|--maximize] [--confidence 0.95] [-o OUT.h5] [-r N] [-s SEED] [-j N]\n"
    "                      [--vary KEY --range ... (up to 4 keys)] [--cost 'KEY*COEF + ...']\n"
    "                      [--search grid|monotone] [--set KEY=VALUE ...]\n"
    "                                         the smallest (largest) value of KEY whose one-sided\n"
    "                                         confidence bound meets every target (exit 1 if none does);\n"
    "                                         with --cost, the cheapest point of the keys' ranges.\n"
    "                                         METRIC may be GROUP/METRIC[ENTITY], e.g.\n"
    "                                         segments/wait_p90_min[elderly]\n"
    "       branchsim --version | --help\n"
    "\n"
    "run options:\n"
    "  -o, --output FILE        result file (default: SCENARIO's name with .h5, here)\n"
    "  -r, --replications N     days simulated per scenario point (default: the scenario's)\n"
    "  -s, --seed N             master seed (default: the scenario's)\n"
    "  -j, --threads N          OpenMP threads (default: all cores); results do not depend on it\n"
    "      --resume             finish an interrupted run from OUT.h5.partial (same scenario, -r, -s)\n"
    "      --set KEY=VALUE      replace a scenario key (dotted, as sweeps name them); repeatable\n"
    "  -q, --quiet              no summary table and no progress on stderr (progress is a line\n"
    "                           rewritten in place on a terminal, a line per 10 % otherwise)\n"
    "\n"
    "Exit status: 0 ok, 1 the run failed, 2 bad usage or input.\n";

/* Interruption (SIGINT, SIGHUP, or SIGTERM from a batch scheduler before it
 * kills a job): once there are replications to keep, the run stops after
 * the current wave of blocks, which the checkpoint already holds; a second
 * signal, or one while the final file is written, removes that file and
 * ends the process. Before that (loading a scenario, which may block on a
 * pipe) a signal ends the process at once. The only file-scope state: a
 * signal handler can reach nothing else. */
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t keeping; /* the checkpoint is being made or used */
static char final_partial[1100];
/* Set only while final_partial holds a whole path: the handler never reads
 * it half written. */
static volatile sig_atomic_t final_partial_set;

static void on_interrupt(int sig)
{
    if (keeping && !interrupted && !final_partial_set) {
        interrupted = 1;
        return;
    }
    if (final_partial_set)
        unlink(final_partial); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void set_final_partial(const char *path)
{
    final_partial_set = 0;
    snprintf(final_partial, sizeof final_partial, "%s", path ? path : "");
    final_partial_set = path != NULL;
}

void catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART; /* file writes under way are resumed, not failed with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* a closed terminal or ssh session */
    /* A progress reader gone (`2>&1 | head`) must not end hours of work:
     * writes to it fail quietly, and a lost table still exits 1. */
    signal(SIGPIPE, SIG_IGN);
}

int fail(const struct bs_error *err)
{
    if (err->msg[0]) /* empty: already said where it was found */
        fprintf(stderr, "branchsim: %s\n", err->msg);
    return err->status ? err->status : BS_ERR_RUN;
}

int usage_error(const char *what)
{
    char shown[512]; /* what may quote the command line: one line, no escapes */
    fprintf(stderr, "branchsim: %s\n%s", bs_text_escape(shown, sizeof shown, what), usage_text);
    return BS_ERR_INPUT;
}

/* getopt's error (opterr is off, optstrings start with ':'): one line
 * naming the option, then the usage. */
int bad_option(const char *command, int c, char **argv)
{
    char what[300];
    snprintf(what, sizeof what, c == ':' ? "%s: option '%s' needs a value" : "%s: unknown option '%s'", command,
             argv[optind - 1]);
    return usage_error(what);
}

static int parse_count(const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end, shown[64];
    errno = 0;
    long v = strtol(text, &end, 10);
    /* strtol takes leading blanks and a sign; a count is digits alone. */
    if (!(text[0] >= '0' && text[0] <= '9') || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "branchsim: %s: expected an integer in [%ld, %ld], got '%s'\n", opt, lo, hi,
                bs_text_escape(shown, sizeof shown, text));
        return BS_ERR_INPUT;
    }
    *out = v;
    return 0;
}


/* Parses one of -o -r -s -j -q --set into o: 1 when c was one of them, 0 when not,
 * -1 after reporting a bad value. min_replications: 2 where a bound needs sd. */
int run_option(int c, const char *arg, long min_replications, struct run_options *o)
{
    switch (c) {
    case 'o':
        o->out_path = arg;
        return 1;
    case 'q':
        o->quiet = 1;
        return 1;
    case 'r':
        return parse_count("-r", arg, min_replications, 100000000, &o->replications) ? -1 : 1;
    case 's':
        return parse_count("-s", arg, 0, LONG_MAX, &o->seed) ? -1 : 1;
    case 'j':
        return parse_count("-j", arg, 1, BS_THREADS_MAX, &o->threads) ? -1 : 1;
    case 'S':
        if (o->n_sets == sizeof o->sets / sizeof o->sets[0]) {
            fprintf(stderr, "branchsim: --set: at most %zu keys\n", o->n_sets);
            return -1;
        }
        o->sets[o->n_sets++] = arg;
        return 1;
    default:
        return 0;
    }
}

/* -r and -s over the scenario's own values. */
static void apply_run_options(struct bs_loaded *ld, const struct run_options *o)
{
    if (o->replications > 0)
        ld->replications = o->replications;
    if (o->seed >= 0)
        ld->seed = (uint64_t)o->seed;
}

/* The blocks of replications of a run of ld (its -r applied). */
static size_t run_blocks(const struct bs_loaded *ld)
{
    return ld->n_points * (((size_t)ld->replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK);
}

/* What a run of ld (its -r applied) on threads threads needs, before it
 * holds every point (bs_load_ex without hold). */
static void run_need(const struct bs_loaded *ld, int threads, struct bs_need *need)
{
    struct bs_layout L;
    bs_runner_layout_from(&L, ld->points[0], ld->max_bins, ld->max_entities);
    bs_runner_need(&L, ld->n_points, (size_t)ld->replications, threads, ld->scenario_bytes, ld->max_day_bytes,
                   need);
}

/* Reads the scenario one point at a time, applies -r and -s, refuses a run
 * that would not fit in memory (exit 2, before anything large is
 * allocated), then holds every point. */
int load_for_run(const struct bs_cluster *cl, struct bs_loaded *ld, const char *file, const char *vary_key,
                        const char *const *values, size_t n_values, const struct run_options *o,
                        struct bs_error *err)
{
    struct bs_load_how how = {
        .sets = o->sets, .n_sets = o->n_sets, .vary_keys = &vary_key, .n_vary = vary_key != NULL,
        .values = values, .n_points = n_values,
    };
    int st = bs_load_ex(ld, file, &how, 0, err);
    if (!st) {
        apply_run_options(ld, o);
        int threads = bs_runner_threads((int)o->threads, run_blocks(ld));
        struct bs_need need;
        run_need(ld, threads, &need);
        st = bs_runner_check_memory(&need, ld->n_points, (size_t)ld->replications, threads, err);
    }
    if (!st)
        st = bs_load_points(ld, err);
    /* Every rank decides together: one that stopped here alone (a file its
     * node cannot read) would leave the others in a collective call. A rank
     * speaks for itself only when rank 0 has nothing to say. */
    int worst = bs_cluster_agree(cl, st), rank0_st = st;
    bs_cluster_broadcast(cl, &rank0_st, sizeof rank0_st);
    if (st && cl->rank != 0 && !rank0_st)
        fprintf(cl->log, "branchsim (rank %d): %s\n", cl->rank, err->msg);
    if (worst && !st)
        return bs_error_set(err, BS_ERR_INPUT, "the scenario could not be loaded on another rank (its message is "
                            "above; is the file on a file system every rank sees?)");
    return st;
}

void default_output(const char *scenario, char *out, size_t cap)
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

/* Appends text to buf (len bytes used of cap, always terminated). */
static size_t append(char *buf, size_t cap, size_t len, const char *text)
{
    while (*text && len + 1 < cap)
        buf[len++] = *text++;
    buf[len] = '\0';
    return len;
}

/* Appends arg as one shell word: bare when plain, else in single quotes. */
static size_t append_shell_word(char *buf, size_t cap, size_t len, const char *arg)
{
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:/=+-@%";
    if (*arg && arg[strspn(arg, plain)] == '\0')
        return append(buf, cap, len, arg);
    len = append(buf, cap, len, "'");
    for (const char *p = arg; *p; p++) {
        char one[2] = {*p, '\0'};
        len = append(buf, cap, len, *p == '\'' ? "'\"'\"'" : one); /* no backslash: the message escapes it */
    }
    return append(buf, cap, len, "'");
}

/* The command that resumes this run: every --set too, since they are part
 * of the scenario the checkpoint belongs to. */
static void resume_command(char *buf, size_t cap, const struct bs_loaded *ld, const char *scenario_file,
                           const char *out_path)
{
#ifdef BS_MPI
    size_t len = (size_t)snprintf(buf, cap, "mpirun|srun branchsim-mpi run %s -o %s", scenario_file, out_path);
#else
    size_t len = (size_t)snprintf(buf, cap, "branchsim run %s -o %s", scenario_file, out_path);
#endif
    for (size_t i = 0; i < ld->n_sets; i++) {
        len = append(buf, cap, len, " --set ");
        len = append_shell_word(buf, cap, len, ld->sets[i]);
    }
#ifdef BS_MPI
    append(buf, cap, len, " --resume (any number of ranks; the same -r and -s, if any)");
#else
    append(buf, cap, len, " --resume (the same -r and -s, if any)");
#endif
}

/* After the run on every rank: 0 to go on and write the file, else the
 * status (the checkpoint closed, or removed after a real failure). */
static int after_run(const struct bs_cluster *cl, const struct bs_run *run, int st, struct bs_checkpoint *ck,
                     const struct bs_loaded *ld, const char *scenario_file, const char *out_path, struct bs_error *err)
{
    int failed_here = st && !interrupted;
    if (failed_here && cl->rank != 0)
        fprintf(cl->log, "branchsim (rank %d): %s\n", cl->rank, err->msg); /* only rank 0 prints otherwise */
    int failed = bs_cluster_agree(cl, failed_here), stopped = bs_cluster_agree(cl, st != 0);
    char resume[2600];
    resume_command(resume, sizeof resume, ld, scenario_file, out_path);
    if (failed) {
        /* A failed checkpoint write leaves what it wrote before valid (each
         * block's flag follows its data): kept, for --resume. */
        int keep = bs_cluster_agree(cl, run->after_wave_failed);
        if (keep)
            bs_checkpoint_close(ck);
        else
            bs_checkpoint_remove(ck);
        if (!failed_here)
            return bs_error_set(err, BS_ERR_RUN, "the run failed on another rank (its message is above)");
        if (keep) {
            err->status = BS_OK;
            return bs_error_set(err, BS_ERR_RUN,
                                "%s: could not write the checkpoint (is the disk full?); the replications "
                                "written before are kept. Make room, then resume with: %s",
                                ck->path, resume);
        }
        return err->status;
    }
    if (stopped) {
        bs_checkpoint_close(ck);
        err->status = BS_OK;
        return bs_error_set(err, BS_ERR_RUN, "interrupted; the finished replications are in %s. Resume with: %s",
                            ck->path, resume);
    }
    return 0;
}

/* Creates the checkpoint (OUT.h5.partial), or with resume opens it and
 * reads its replications into run; then removes what killed runs left
 * beside OUT. 0, or the error status. */
static int open_checkpoint(const struct bs_cluster *cl, const struct bs_loaded *ld, const char *out_path, int quiet,
                           int resume, struct bs_run *run, struct bs_checkpoint *ck, struct bs_error *err)
{
    int st;
    if (resume) {
        st = bs_runner_alloc(run, err);
        if (bs_cluster_agree(cl, st))
            return st ? st : bs_error_set(err, BS_ERR_RUN, "out of memory on another rank");
        st = bs_checkpoint_resume(ck, cl, out_path, run, bs_load_text(ld), err);
    } else {
        st = bs_checkpoint_create(ck, cl, out_path, run, bs_load_text(ld), err);
    }
    if (st)
        return err->status;
    /* Holding the checkpoint's lock, which a live run writing OUT holds:
     * without it (locks not working) a file may be a live run's on another
     * node, whose PID means nothing here. */
    if (cl->rank == 0 && ck->locked)
        bs_files_remove_stale(out_path, quiet ? NULL : stderr);
    return 0;
}

/* How evenly the blocks spread over the ranks: what decides whether
 * static shares do. A collective call. */
static void report_spread(const struct bs_cluster *cl, double busy_s, int quiet)
{
    double least_s, most_s;
    bs_cluster_min_max(cl, busy_s, &least_s, &most_s);
    if (cl->size > 1 && !quiet && cl->rank == 0)
        fprintf(stderr, "branchsim: %d ranks simulated for %.2f to %.2f s (the slowest %.1f %% above the fastest)\n",
                cl->size, least_s, most_s, least_s > 0 ? 100 * (most_s / least_s - 1) : 0.0);
}

/* Runs every point of a loaded scenario (checkpointing to OUT.h5.partial,
 * or resuming from it) and writes the result file; the caller frees the run
 * with bs_runner_free. Returns 0 or the error status. Under MPI every rank
 * calls it together. */
int execute(const struct bs_cluster *cl, struct bs_loaded *ld, const char *scenario_file, const char *out_path,
            int threads, int quiet, int resume, const struct execute_hook *hook, struct bs_run *run,
            struct bs_error *err)
{
    *run = (struct bs_run){
        .n_points = ld->n_points,
        .n_replications = (size_t)ld->replications,
        .seed = ld->seed,
        .points = ld->points,
        .progress = quiet || cl->rank != 0 ? BS_PROGRESS_NONE
                    : isatty(STDERR_FILENO) ? BS_PROGRESS_TERMINAL
                                            : BS_PROGRESS_LOG,
        .rank = cl->rank,
        .n_ranks = cl->size,
    };
    bs_runner_layout(run);
    /* The output path is checked before anything runs (rank 0's view). */
    if (check_output(cl, out_path, scenario_file, err))
        return err->status;
    struct bs_checkpoint ck;
    keeping = 1; /* from here a signal stops the run at a wave and keeps it */
    int st = open_checkpoint(cl, ld, out_path, quiet, resume, run, &ck, err);
    if (st)
        return st;
    run->after_wave = bs_checkpoint_write;
    run->after_wave_ctx = &ck;
    run->stop = &interrupted;
    double started_s = omp_get_wtime();
    st = bs_runner_run(run, threads, err);
    double busy_s = omp_get_wtime() - started_s;
    if (after_run(cl, run, st, &ck, ld, scenario_file, out_path, err))
        return err->status;
    report_spread(cl, busy_s, quiet);
    if (bs_cluster_share_results(cl, run, err)) {
        bs_checkpoint_close(&ck);
        return err->status;
    }
    const struct bs_output_attr *attrs = NULL;
    size_t n_attrs = 0;
    if (hook && hook->decide(hook->ctx, run, &attrs, &n_attrs, err)) {
        bs_checkpoint_close(&ck);
        return err->status;
    }
    st = write_result(cl, ld, run, scenario_file, out_path, attrs, n_attrs, err);
    if (st)
        bs_checkpoint_close(&ck); /* the replications are kept: --resume writes the file again */
    else
        bs_checkpoint_remove(&ck);
    return st;
}

int write_result(const struct bs_cluster *cl, const struct bs_loaded *ld, const struct bs_run *run,
                 const char *scenario_file, const char *out_path, const struct bs_output_attr *attrs,
                 size_t n_attrs, struct bs_error *err)
{
    struct bs_output out;
    int st = bs_output_open(&out, cl, out_path, err);
    if (st)
        return st;
    set_final_partial(out.partial_path);
    const char *keys[BS_CFG_OVERRIDES_MAX];
    for (size_t k = 0; k < ld->sweep.n_keys; k++)
        keys[k] = ld->sweep.keys[k];
    struct bs_output_data data = {
        .scenario_text = bs_load_text(ld),
        .sets = (const char *const *)ld->sets,
        .n_sets = ld->n_sets,
        .scenario_file = scenario_file,
        .scenario_name = ld->name,
        .run = run,
        .baseline = ld->sweep.baseline,
        .n_keys = ld->sweep.n_keys,
        .keys = keys,
        .key_values = (const char *const *)ld->key_values,
        .attrs = attrs,
        .n_attrs = n_attrs,
    };
    st = bs_output_write(&out, &data, err);
    if (bs_cluster_agree(cl, st) && !st)
        st = bs_error_set(err, BS_ERR_RUN, "%s: writing failed on another rank", out_path);
    if (!st)
        st = bs_output_commit(&out, err);
    else
        bs_output_abort(&out);
    set_final_partial(NULL);
    return st;
}

int check_output(const struct bs_cluster *cl, const char *out_path, const char *scenario_file,
                 struct bs_error *err)
{
    if (cl->rank == 0)
        bs_files_check_output(out_path, scenario_file, err);
    bs_cluster_broadcast(cl, err, sizeof *err);
    return err->status;
}

int run_points(const struct bs_cluster *cl, struct bs_loaded *ld, int threads, struct bs_run *run,
               struct bs_error *err)
{
    *run = (struct bs_run){
        .n_points = ld->n_points,
        .n_replications = (size_t)ld->replications,
        .seed = ld->seed,
        .points = ld->points,
        .rank = cl->rank,
        .n_ranks = cl->size,
    };
    bs_runner_layout(run);
    int st = bs_runner_run(run, threads, err);
    if (bs_cluster_agree(cl, st))
        return st ? st : bs_error_set(err, BS_ERR_RUN, "the run failed on another rank (its message is above)");
    return bs_cluster_share_results(cl, run, err);
}

/* The expanded sweep as a table, one row per point; names and values are
 * text from the file, so escaped (bs_text_escape) like every message.
 * Values are rendered as printed (twice: widths first), not held. */
static void print_sweep_table(struct bs_loaded *ld)
{
    const size_t n_keys = ld->sweep.n_keys;
    int width[BS_CFG_OVERRIDES_MAX];
    char value[256], shown[1024];
    printf("%5s", "point");
    for (size_t k = 0; k < n_keys; k++) {
        width[k] = (int)strlen(bs_text_escape(shown, sizeof shown, ld->sweep.keys[k]));
        for (size_t p = 0; p < ld->n_points; p++) {
            bs_load_value(ld, p, k, value, sizeof value);
            int w = (int)strlen(bs_text_escape(shown, sizeof shown, value));
            width[k] = w > width[k] ? w : width[k];
        }
        printf("  %-*s", k + 1 == n_keys ? 0 : width[k], bs_text_escape(shown, sizeof shown, ld->sweep.keys[k]));
    }
    printf("\n");
    for (size_t p = 0; p < ld->n_points; p++) {
        printf("%5zu", p);
        for (size_t k = 0; k < n_keys; k++) {
            int last = k + 1 == n_keys && p != ld->sweep.baseline;
            bs_load_value(ld, p, k, value, sizeof value);
            printf("  %-*s", last ? 0 : width[k], bs_text_escape(shown, sizeof shown, value));
        }
        printf("%s\n", p == ld->sweep.baseline ? "  (baseline)" : "");
    }
}

/* Validates every point, one at a time (a large sweep costs one point's
 * memory), and says what a run of it would need, and whether this machine
 * has that (a sweep checked here may run on a larger one). */
/* Warnings on stderr about plans that cannot work, from every point in turn. */
static int warn_plan(struct bs_loaded *ld, struct bs_error *err)
{
    struct bs_plan_check *pc = bs_plan_check_new();
    if (!pc)
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    for (size_t p = 0; p < ld->n_points; p++) {
        struct bs_scenario *sc = bs_load_point(ld, p, err);
        if (!sc) {
            bs_plan_check_free(pc);
            return err->status;
        }
        bs_plan_check_point(pc, sc, p);
        bs_scenario_free(sc);
    }
    bs_plan_check_report(pc, &ld->cfg, stderr);
    bs_plan_check_free(pc);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, NULL, 'S'}, {NULL, 0, NULL, 0}};
    struct run_options o = {.replications = 0, .seed = -1};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        int known = c == 'S' ? run_option(c, optarg, 1, &o) : 0;
        if (known < 0)
            return BS_ERR_INPUT;
        if (!known)
            return bad_option("check", c, argv);
    }
    if (optind != argc - 1)
        return usage_error("check takes one scenario file");
    const char *file = argv[optind];
    struct bs_loaded ld;
    struct bs_error err = {0};
    struct bs_load_how how = {.sets = o.sets, .n_sets = o.n_sets};
    if (bs_load_ex(&ld, file, &how, 0, &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    struct bs_need need;
    int threads = bs_runner_threads(0, run_blocks(&ld));
    run_need(&ld, threads, &need);
    char shown[1100], name[300], size[32], left_size[32], limit[64] = "";
    double left = bs_runner_memory_left(threads, limit, sizeof limit);
    printf("%s: scenario '%s' is valid: %zu point%s x %ld replications, seed %llu; a run needs about %s of "
           "memory on %d thread%s",
           bs_text_escape(shown, sizeof shown, file), bs_text_escape(name, sizeof name, ld.name), ld.n_points,
           ld.n_points == 1 ? "" : "s", ld.replications, (unsigned long long)ld.seed,
           bs_runner_size_text(size, need.total), threads, threads == 1 ? "" : "s");
    if (left >= 0 && need.total > left)
        printf(", more than %s leaves here (%s)", limit, bs_runner_size_text(left_size, left));
    printf("\n");
    for (size_t i = 0; i < ld.n_sets; i++)
        printf("  --set %s\n", bs_text_escape(shown, sizeof shown, ld.sets[i]));
    if (ld.sweep.n_keys > 0)
        print_sweep_table(&ld);
    int st = warn_plan(&ld, &err);
    bs_load_fini(&ld);
    return st ? fail(&err) : 0;
}

static int cmd_run(const struct bs_cluster *cl, int argc, char **argv)
{
    /* From the start: a signal that comes once the checkpoint exists (the
     * other ranks' too) must find the handler; one while the scenario
     * loads ends the process (nothing to keep yet). */
    catch_interrupts();
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},   {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},        {"resume", no_argument, NULL, 'R'},
        {"set", required_argument, NULL, 'S'},    {NULL, 0, NULL, 0},
    };
    struct run_options o = {.replications = 0, .seed = -1};
    int c, resume = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":o:r:s:j:q", opts, NULL)) != -1) {
        int known = run_option(c, optarg, 1, &o);
        if (known < 0)
            return BS_ERR_INPUT;
        if (c == 'R')
            resume = 1;
        else if (!known)
            return bad_option("run", c, argv);
    }
    const char *out_path = o.out_path;
    long threads = o.threads;
    int quiet = o.quiet;
    if (optind != argc - 1)
        return usage_error("run takes one scenario file");
    const char *scenario_file = argv[optind];

    struct bs_loaded ld;
    struct bs_error err = {0};
    if (load_for_run(cl, &ld, scenario_file, NULL, NULL, 0, &o, &err)) {
        bs_load_fini(&ld);
        return fail(&err);
    }
    char default_path[1024];
    if (!out_path) {
        default_output(scenario_file, default_path, sizeof default_path);
        out_path = default_path;
    }

    struct bs_run run;
    int st = execute(cl, &ld, scenario_file, out_path, (int)threads, quiet, resume, NULL, &run, &err);
    bs_runner_free(&run);
    bs_load_fini(&ld);
    if (st)
        return fail(&err);
    struct bs_describe_opts all = {NULL, 0, 0}; /* our own file, just written */
    if (!quiet && cl->rank == 0 && bs_output_describe(out_path, stdout, &all, &err))
        return fail(&err);
    char shown[1100];
    if (!quiet)
        printf("wrote %s\n", bs_text_escape(shown, sizeof shown, out_path));
    return 0;
}

static int cmd_describe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"metric", required_argument, NULL, 'm'}, {"csv", no_argument, NULL, 'c'}, {NULL, 0, NULL, 0},
    };
    struct bs_describe_opts d = {NULL, 0, 1};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":m:c", opts, NULL)) != -1) {
        if (c == 'm')
            d.metrics = optarg;
        else if (c == 'c')
            d.csv = 1;
        else
            return bad_option("describe", c, argv);
    }
    if (optind != argc - 1)
        return usage_error("describe takes one result file");
    struct bs_error err = {0};
    if (bs_output_describe(argv[optind], stdout, &d, &err))
        return fail(&err);
    return 0;
}

static int dispatch(const struct bs_cluster *cl, int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    /* `branchsim --help`, and `branchsim CMD ... --help` before any "--". */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (strcmp(argv[1], "--version") == 0) {
        printf("branchsim %s (revision %s%s)\n", BS_VERSION, BS_REVISION, BS_BUILD_KIND);
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(cl, argc, argv);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(argv[1], "describe") == 0)
        return cmd_describe(argc, argv);
    if (strcmp(argv[1], "plan") == 0)
        return bs_cmd_plan(cl, argc, argv);
    char what[128];
    snprintf(what, sizeof what, "unknown command '%s'", argv[1]);
    return usage_error(what);
}

/* A table or CSV that did not reach stdout (a full disk, a closed pipe
 * reader) is lost output: exit 1 saying so, not 0. */
static int check_stdout(int st)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return st;
    fprintf(stderr, "branchsim: cannot write to standard output: %s\n", errno ? strerror(errno) : "write error");
    return st ? st : BS_ERR_RUN;
}

/* With descriptor 0, 1 or 2 closed (`2>&-`), the next file opened takes
 * it, and progress lines or the table would be written into the checkpoint
 * or the result: hold each closed one on /dev/null first. 0, or -1. */
static int hold_standard_descriptors(void)
{
    for (;;) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0)
            return -1;
        if (fd > STDERR_FILENO) {
            close(fd);
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    if (hold_standard_descriptors())
        return BS_ERR_RUN; /* nowhere to say so */
    opterr = 0; /* bad_option says what is wrong, in one line */
    /* HDF5's exit handler closes what is left open, and crashes on a file
     * whose close failed (a full disk, HDF5 1.10): every file is closed
     * here on every path, so the handler is not installed. */
    H5dont_atexit();
    /* A file names the filters its data went through, and HDF5 would load
     * a plugin library (run its code) for one it lacks: branchsim writes
     * with built-in filters only, so it never loads one. */
    H5PLset_loading_state(0);
    /* Model code checks its inputs up front; a GSL domain error later is a
     * bug we want reported, not an abort inside a worker thread. */
    gsl_set_error_handler_off();
    struct bs_cluster cl;
    if (bs_cluster_init(&cl, &argc, &argv))
        return BS_ERR_INPUT;
    /* Every rank runs the same command; rank 0 alone speaks. The others keep
     * a way to report a failure of their own. */
    cl.log = stderr;
    if (cl.rank != 0) {
        int fd = dup(STDERR_FILENO);
        FILE *own = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (own) {
            setvbuf(own, NULL, _IOLBF, 0);
            cl.log = own;
        }
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            cl.log = own ? own : stderr;
    }
    int st = dispatch(&cl, argc, argv);
    st = check_stdout(st);
    bs_cluster_finalize(&cl);
    if (cl.log != stderr)
        fclose(cl.log);
    return st;
}
