/* libFuzzer target: `run --resume`'s reader (bs_checkpoint_resume) on a
 * checkpoint built from the input by h5build, for a fixed small run (the
 * scenario below, 16 replications): the identity checks, then the done
 * flags and every finished block's rows. Findings as in fuzz_describe.c.
 *
 * With BSFUZZ_WRITE_CHECKPOINT=FILE it instead runs that run with
 * checkpoints and keeps its checkpoint as FILE (make_seeds.sh turns it into
 * a seed). The fuzz build's revision is "fuzz" (Makefile), so seeds stay
 * valid from commit to commit. fuzz_resume_raw.c builds it to read the
 * input's bytes as they are instead. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/checkpoint.h"
#include "../../sim/load.h"
#include "../../sim/runner.h"
#include "fuzz_common.h"
#include "h5build.h"

static const char scenario[] = "name: fuzz\n"
                               "seed: 7\n"
                               "replications: 16\n"
                               "demand: {customers_per_day: 50}\n"
                               "transactions: [{name: any, share: 1, service_min: {dist: exponential, mean: 1.0}}]\n"
                               "counters: [{role: general, count: 2}]\n";

static struct bs_loaded loaded;
static struct bs_run base;
static struct bs_cluster one = {0, 1, NULL}; /* one process; log set at start */
static char out_path[512], partial[600];
static int show; /* BSFUZZ_SHOW=1: print what resume makes of each input (to read a finding) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct bs_error *err)
{
    fprintf(stderr, "bsfuzz: %s: %s\n", what, err->msg);
    exit(1);
}

/* The seed: a whole checkpoint of the run, every block done. */
static void write_checkpoint(const char *to)
{
    struct bs_run run = base;
    struct bs_checkpoint ck;
    struct bs_error err = {0};
    if (bs_checkpoint_create(&ck, &one, out_path, &run, loaded.cfg.text, &err))
        fail("checkpoint", &err);
    run.after_wave = bs_checkpoint_write;
    run.after_wave_ctx = &ck;
    if (bs_runner_run(&run, 1, &err))
        fail("run", &err);
    bs_checkpoint_close(&ck);
    bs_runner_free(&run);
    if (rename(partial, to) != 0) {
        perror(to);
        exit(1);
    }
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bsfuzz_hdf5_start();
    one.log = stderr; /* until the seed is written; then quiet unless shown */
    struct bs_error err = {0};
    const char *file = bsfuzz_write("scenario.yaml", (const uint8_t *)scenario, sizeof scenario - 1);
    if (bs_load(&loaded, file, &err))
        fail("the target's scenario", &err);
    snprintf(out_path, sizeof out_path, "%s", bsfuzz_path("out.h5"));
    snprintf(partial, sizeof partial, "%s.partial", out_path);
    base = (struct bs_run){.n_points = loaded.n_points, .n_replications = (size_t)loaded.replications,
                           .seed = loaded.seed, .points = loaded.points};
    bs_runner_layout(&base);
    const char *seed_out = getenv("BSFUZZ_WRITE_CHECKPOINT");
    if (seed_out)
        write_checkpoint(seed_out);
    bsfuzz_check_hdf5_closed("start");
    show = getenv("BSFUZZ_SHOW") && getenv("BSFUZZ_SHOW")[0] == '1';
    one.log = show ? stdout : fopen("/dev/null", "w");
    return one.log ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef BSFUZZ_RAW
    bsfuzz_write("out.h5.partial", data, size);
#else
    struct bsf_built built;
    if (bsf_build(partial, data, size, &built) < 0)
        return 0;
    bsfuzz_check_hdf5_closed("h5build");
#endif
    struct bs_run run = base;
    struct bs_checkpoint ck;
    struct bs_error err = {0};
    if (bs_runner_alloc(&run, &err))
        fail("alloc", &err);
    int st = bs_checkpoint_resume(&ck, &one, out_path, &run, loaded.cfg.text, &err);
    bsfuzz_check_error(st, &err);
    if (show)
        printf("resume: status %d%s%s\n", st, st ? ": " : "", err.msg);
    if (st == BS_OK)
        bs_checkpoint_close(&ck);
    bs_runner_free(&run);
    bsfuzz_check_hdf5_closed("resume");
    return 0;
}
