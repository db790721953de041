/* libFuzzer target: `branchsim describe` (bs_output_describe) on a result
 * file built from the input by h5build (well-formed HDF5 of any shape),
 * with --csv and --metric as its flags say. A crash, sanitizer report,
 * leak (memory or HDF5 identifiers), hang or memory blow-up is a finding;
 * an error report is an ordinary outcome. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/output.h"
#include "fuzz_common.h"
#include "h5build.h"

static FILE *sink;
static char file[512];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bsfuzz_hdf5_start();
    bsfuzz_check_hdf5_closed("start");
    snprintf(file, sizeof file, "%s", bsfuzz_path("result.h5"));
    /* BSFUZZ_SHOW=1: print what describe makes of each input (to read a finding). */
    const char *show = getenv("BSFUZZ_SHOW");
    sink = show && *show == '1' ? stdout : fopen("/dev/null", "w");
    return sink ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bsf_built built;
    if (bsf_build(file, data, size, &built) < 0)
        return 0;
    bsfuzz_check_hdf5_closed("h5build");
    struct bs_describe_opts opts = {built.flags & BSF_METRICS ? built.metrics : NULL, !!(built.flags & BSF_CSV)};
    struct bs_error err = {0};
    int st = bs_output_describe(file, sink, &opts, &err);
    bsfuzz_check_error(st, &err);
    if (st && sink == stdout)
        printf("describe: status %d: %s\n", st, err.msg);
    bsfuzz_check_hdf5_closed("describe");
    return 0;
}
