/* libFuzzer target: `branchsim describe` (bs_output_describe) on a result
 * file built from the input by h5build (well-formed HDF5 of any shape),
 * with --csv and --metric as its flags say. A crash, sanitizer report,
 * leak (memory or HDF5 identifiers), hang or memory blow-up is a finding,
 * and so is a control character from the file reaching the output raw
 * (an escape sequence for the terminal); an error report is an ordinary
 * outcome. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/output.h"
#include "fuzz_common.h"
#include "h5build.h"

static char file[512];
static int show; /* BSFUZZ_SHOW=1: print what describe makes of each input (to read a finding) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    bsfuzz_hdf5_start();
    bsfuzz_check_hdf5_closed("start");
    snprintf(file, sizeof file, "%s", bsfuzz_path("result.h5"));
    const char *env = getenv("BSFUZZ_SHOW");
    show = env && *env == '1';
    return 0;
}

static void check_output(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) {
            fprintf(stderr, "bsfuzz: describe printed a raw control character 0x%02x at byte %zu\n", c, i);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bsf_built built;
    if (bsf_build(file, data, size, &built) < 0)
        return 0;
    bsfuzz_check_hdf5_closed("h5build");
    /* In this process (no isolate): a child's crash would reach us as an
     * error message, and the fuzzer would learn nothing from its paths. */
    struct bs_describe_opts opts = {.metrics = built.flags & BSF_METRICS ? built.metrics : NULL,
                                    .csv = !!(built.flags & BSF_CSV)};
    struct bs_error err = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    int st = bs_output_describe(file, out, &opts, &err);
    fclose(out);
    if (show)
        printf("%.*sdescribe: status %d%s%s\n", (int)len, text, st, st ? ": " : "", err.msg);
    bsfuzz_check_error(st, &err);
    check_output(text, len);
    free(text);
    bsfuzz_check_hdf5_closed("describe");
    return 0;
}
