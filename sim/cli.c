/* What the commands share (cli.h): the usage, errors and options, the
 * signal handling, and a run from a loaded scenario to its result file
 * (execute), which run and plan call. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <omp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "cluster.h"
#include "files.h"
#include "output.h"
#include "provenance.h"
#include "runner.h"
#include "text.h"

/* The synopsis of every command (--help, and after a usage error), and
 * each command's own usage and options (CMD --help, and after a bad
 * option). docs/cli.md is the reference; tests/test_help.py checks that
 * each text names every option its command's getopt table takes. The man
 * page is made of them (help2man): its SYNOPSIS of the
 * "Usage:" and "  or:" lines, its OPTIONS of the "Options:" paragraph. */
static const char usage_text[] =
    "Usage: branchsim run SCENARIO.yaml [-o OUT.h5] [-r N] [-s SEED] [-j N] [--quiet] [--resume] [--set KEY=VALUE]...\n"
    "  or:  branchsim check SCENARIO.yaml [--set KEY=VALUE]...\n"
    "  or:  branchsim describe OUT.h5 [--metric A,B] [--csv]\n"
    "  or:  branchsim plan SCENARIO.yaml --vary KEY --range LO:HI[:STEP] --target 'METRIC<=X' [OPTION]...\n"
    "  or:  branchsim rerun OUT.h5 [-j N] [--keep NEW.h5]\n"
    "  or:  branchsim --version | --help\n"
    "Simulates many days of a bank branch, for every point of a scenario's sweep, writes the results to\n"
    "one HDF5 file, and finds the counters (or slots) that meet a planner's targets.\n"
    "'branchsim CMD --help' (or -h) prints a command's options; docs/cli.md and 'man branchsim' are the\n"
    "reference. Exit status: 0 ok, 1 the run failed, 2 bad usage or input.\n"
    "\n"
    "Commands:\n"
    "  run       simulate every point of a scenario and write the result file\n"
    "  check     validate a scenario; print the expanded sweep and the memory a run needs\n"
    "  describe  the summary of a result file: per point, metrics with 95 % CIs and paired\n"
    "            differences against the baseline\n"
    "  plan      the smallest (largest) value of a key, or the cheapest point of several keys,\n"
    "            whose one-sided confidence bound meets every target\n"
    "  rerun     run again the command that made a result file and check the new file is\n"
    "            bitwise the same\n"
    "\n"
    "Options:\n"
    "  -h, --help     this help\n"
    "      --version  the version and the source revision it was built from\n";

#define RUN_OPTIONS_TEXT                                                                                        \
    "  -o, --output FILE        result file (default: SCENARIO's name with .h5, here)\n"                        \
    "  -r, --replications N     days simulated per scenario point (default: the scenario's)\n"                  \
    "  -s, --seed N             master seed (default: the scenario's)\n"                                        \
    "  -j, --threads N          OpenMP threads (default: all cores); results do not depend on it\n"             \
    "  -q, --quiet              no summary table and no progress on stderr (progress is a line\n"               \
    "                           rewritten in place on a terminal, a line per 10 % otherwise)\n"                 \
    "      --set KEY=VALUE      replace a scenario key (dotted, as sweeps name them); repeatable\n"

#define HELP_TAIL                                                                                               \
    "  -h, --help               this help\n"                                                                    \
    "\n"                                                                                                        \
    "Exit status: 0 ok, 1 the run failed, 2 bad usage or input.\n"

static const char run_text[] =
    "Usage: branchsim run SCENARIO.yaml [-o OUT.h5] [-r REPLICATIONS] [-s SEED] [-j THREADS] [--quiet] [--resume]\n"
    "                     [--set KEY=VALUE ...]\n"
    "Simulates every point of the scenario and writes the result file, then prints its summary.\n"
    "\n"
    "Options:\n" RUN_OPTIONS_TEXT
    "      --resume             finish an interrupted run from OUT.h5.partial (same scenario, -r, -s)\n" HELP_TAIL;

static const char check_text[] =
    "Usage: branchsim check SCENARIO.yaml [--set KEY=VALUE ...]\n"
    "Validates the scenario and every sweep point without simulating; prints the expanded sweep, the\n"
    "memory a run needs, and warnings (stderr) about plans that cannot work.\n"
    "\n"
    "Options:\n"
    "      --set KEY=VALUE      replace a scenario key (dotted, as sweeps name them); repeatable\n" HELP_TAIL;

static const char describe_text[] =
    "Usage: branchsim describe OUT.h5 [--metric a,b] [--csv]\n"
    "The summary of a result file: per point, each metric's mean, sd and 95 % CI, and the paired\n"
    "difference (same customers) against the baseline point.\n"
    "\n"
    "Options:\n"
    "  -m, --metric A,B         only these metrics (comma-separated), also those undefined everywhere\n"
    "  -c, --csv                CSV on stdout, one row per point and metric\n" HELP_TAIL;

static const char plan_text[] =
    "Usage: branchsim plan SCENARIO.yaml --vary KEY --range LO:HI[:STEP] --target 'METRIC<=X' [--target ...]\n"
    "                      [--vary KEY --range ... (up to 4 keys)] [--cost 'KEY*COEF + ...']\n"
    "                      [--search grid|monotone] [--minimize|--maximize] [--confidence 0.95]\n"
    "                      [-o OUT.h5] [-r N] [-s SEED] [-j N] [--quiet] [--set KEY=VALUE ...]\n"
    "The smallest (largest) value of KEY whose one-sided confidence bound meets every target (exit 1\n"
    "if none does); with --cost, the cheapest point of the keys' ranges.\n"
    "\n"
    "Options:\n"
    "      --vary KEY           a scenario key to vary (dotted); up to 4, each followed by its --range\n"
    "      --range LO:HI[:STEP] the values LO, LO+STEP, ... up to HI (STEP default 1), at most 1000\n"
    "      --target 'METRIC<=X' a target (or METRIC>=X), up to 8; METRIC a metric or\n"
    "                           GROUP/METRIC[ENTITY], e.g. segments/wait_p90_min[elderly]\n"
    "      --confidence C       the one-sided confidence of the bounds, in (0.5, 1); default 0.95\n"
    "      --minimize           the smallest value meeting the targets (the default)\n"
    "      --maximize           the largest; one key without --cost only\n"
    "      --cost 'EXPR'        a linear cost over the varied keys (COEF*KEY + ...); the answer is the\n"
    "                           cheapest point meeting the targets; needed with several keys\n"
    "      --search grid|monotone  every point, or a walk of the feasibility frontier\n"
    "                           (default: grid; monotone assumes more of each key never makes a target worse)\n"
    "  as for run, but -o defaults to SCENARIO-plan.h5 and -r is at least 2:\n" RUN_OPTIONS_TEXT HELP_TAIL;

static const char rerun_text[] =
    "Usage: branchsim rerun OUT.h5 [-j THREADS] [--keep NEW.h5]\n"
    "Runs again the command that made OUT.h5 (its command_argv, on the scenario text it holds) and\n"
    "checks that every dataset of the new file is bitwise the same: exit 0 and 'identical: N\n"
    "datasets', or exit 1 naming the first that differ. Temporary files go to $TMPDIR (default /tmp)\n"
    "and are removed.\n"
    "\n"
    "Options:\n"
    "  -j, --threads N          OpenMP threads (default: the command's own); results do not depend on it\n"
    "      --keep NEW.h5        keep the new file as NEW.h5 (identical or not)\n" HELP_TAIL;

static const struct {
    const char *name, *text;
} command_texts[] = {
    {"run", run_text}, {"check", check_text}, {"describe", describe_text}, {"plan", plan_text}, {"rerun", rerun_text},
};

/* A command's own usage and options; the synopsis of all for NULL or a
 * name that is not a command. */
static const char *usage_of(const char *command)
{
    for (size_t i = 0; command && i < sizeof command_texts / sizeof command_texts[0]; i++)
        if (strcmp(command, command_texts[i].name) == 0)
            return command_texts[i].text;
    return usage_text;
}

int is_command(const char *name)
{
    return usage_of(name) != usage_text;
}

void print_usage(FILE *to, const char *command)
{
    fputs(usage_of(command), to);
}

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

int usage_error_for(const char *command, const char *what)
{
    char shown[512]; /* what may quote the command line: one line, no escapes */
    fprintf(stderr, "branchsim: %s\n%s", bs_text_escape(shown, sizeof shown, what), usage_of(command));
    return BS_ERR_INPUT;
}

int usage_error(const char *what)
{
    return usage_error_for(NULL, what);
}

/* getopt's error (opterr is off, optstrings start with ':'): one line
 * naming the option, then the command's usage. */
int bad_option(const char *command, int c, char **argv)
{
    char what[300];
    snprintf(what, sizeof what, c == ':' ? "%s: option '%s' needs a value" : "%s: unknown option '%s'", command,
             argv[optind - 1]);
    return usage_error_for(command, what);
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
size_t run_blocks(const struct bs_loaded *ld)
{
    return ld->n_points * (((size_t)ld->replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK);
}

/* What a run of ld (its -r applied) on threads threads needs, before it
 * holds every point (bs_load_ex without hold). */
void run_need(const struct bs_loaded *ld, int threads, struct bs_need *need)
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
    if (!st && bs_provenance_write(out.file, cl) < 0)
        st = bs_error_set(err, BS_ERR_RUN, "%s: HDF5 failed to write the command line (is the disk full?)", out_path);
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
