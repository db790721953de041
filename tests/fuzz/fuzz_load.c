/* libFuzzer target: the scenario loader. The input is a scenario file;
 * bs_load parses it (aliases, sweeps) and loads every sweep point through
 * the model, then everything is freed. A crash, sanitizer report, leak,
 * hang or memory blow-up is a finding, and so is an error that breaks the
 * contract: a scenario error names file:line:column first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/load.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "FILE:LINE:COLUMN: " */
static int names_place(const char *msg, const char *file)
{
    size_t n = strlen(file);
    if (strncmp(msg, file, n) != 0 || msg[n] != ':')
        return 0;
    char *end;
    if (strtoul(msg + n + 1, &end, 10) == 0 || *end != ':' || strtoul(end + 1, &end, 10) == 0)
        return 0;
    return end[0] == ':' && end[1] == ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *file = bsfuzz_write("scenario.yaml", data, size);
    struct bs_loaded ld;
    struct bs_error err = {0};
    int st = bs_load(&ld, file, &err);
    bsfuzz_check_error(st, &err);
    if (st == BS_ERR_INPUT && !names_place(err.msg, file)) {
        fprintf(stderr, "bsfuzz: a scenario error without file:line:column: %s\n", err.msg);
        abort();
    }
    if (st == BS_OK && (ld.n_points == 0 || !ld.points || !ld.points[0])) {
        fprintf(stderr, "bsfuzz: loaded with no points\n");
        abort();
    }
    bs_load_fini(&ld);
    return 0;
}
