/* libFuzzer target: bs_output_describe on the input's bytes as a file,
 * byte-flipped HDF5 included. It tests libhdf5's parser as much as ours,
 * and libhdf5 (not instrumented) can crash on such files (which is why
 * `branchsim describe` reads a file in a child process), so it is run on
 * demand (make fuzz), not in the smoke run: see docs/development.md, "Fuzzing". */
#include <hdf5.h>
#include <stdio.h>

#include "../../sim/output.h"
#include "fuzz_common.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bsfuzz_hdf5_start();
    sink = fopen("/dev/null", "w");
    return sink ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *file = bsfuzz_write("result.h5", data, size);
    /* In this process, not isolated as `branchsim describe` reads a file:
     * this target is here to show where libhdf5 itself fails. */
    struct bs_describe_opts opts = {.csv = size & 1};
    struct bs_error err = {0};
    int st = bs_output_describe(file, sink, &opts, &err);
    bsfuzz_check_error(st, &err);
    return 0;
}
