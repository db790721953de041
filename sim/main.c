/* branchsim's command line: main() and the commands run, check and
 * describe; plan is in plan.c (and plan_search.c, plan_target.c), and what
 * the commands share in cli.c. Exit status 0 ok, 1 a run failed, 2 bad
 * usage or input. Nothing below main() exits. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "load.h"
#include "output.h"
#include "cli.h"
#include "h5attr.h"
#include "provenance.h"
#include "runner.h"
#include "text.h"
#include "version.h"

#ifdef BS_MPI
#define BS_BUILD_KIND ", MPI"
#else
#define BS_BUILD_KIND ""
#endif

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

/* Validates every point, one at a time (a large sweep costs one point's
 * memory), and says what a run of it would need, and whether this machine
 * has that (a sweep checked here may run on a larger one). */
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
        return usage_error_for("check", "check takes one scenario file");
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
    if (optind != argc - 1)
        return usage_error_for("run", "run takes one scenario file");
    const char *scenario_file = argv[optind];
    if (bs_provenance_redirect(&o, &scenario_file, &resume)) /* under branchsim rerun */
        return BS_ERR_INPUT;
    const char *out_path = o.out_path;
    long threads = o.threads;
    int quiet = o.quiet;

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
        return usage_error_for("describe", "describe takes one result file");
    struct bs_error err = {0};
    if (bs_output_describe(argv[optind], stdout, &d, &err))
        return fail(&err);
    return 0;
}

static int dispatch(const struct bs_cluster *cl, int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    /* `branchsim CMD ... --help` (or -h, before any "--"): that command's
     * usage and options; `branchsim --help`: the synopsis of all. */
    const char *command = is_command(argv[1]) ? argv[1] : NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0 && (command || argv[1][0] == '-'); i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(stdout, command);
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
    if (strcmp(argv[1], "rerun") == 0)
        return bs_cmd_rerun(cl, argc, argv);
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
    bs_provenance_record(argc, argv); /* before getopt reorders argv */
    struct bs_error env_err = {0};
    int st = bs_h5_read_limit_check(&env_err);
    if (st)
        fprintf(stderr, "branchsim: %s\n", env_err.msg);
    else
        st = dispatch(&cl, argc, argv);
    bs_provenance_forget();
    st = check_stdout(st);
    bs_cluster_finalize(&cl);
    if (cl.log != stderr)
        fclose(cl.log);
    return st;
}
