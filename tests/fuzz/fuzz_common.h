/* Shared by the libFuzzer targets (docs/development.md,
 * "Fuzzing"): a private temporary directory for the files a target hands
 * to the code under test, and the checks every target makes after a call. */
#ifndef BS_FUZZ_COMMON_H
#define BS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../../sim/error.h"

/* The path of `name` in the target's temporary directory (made on first
 * use, removed at exit). The string lives until the next call. */
const char *bsfuzz_path(const char *name);
/* Writes bytes to bsfuzz_path(name) (replacing it) and returns that path. */
const char *bsfuzz_write(const char *name, const uint8_t *data, size_t size);
/* Aborts (a finding) when a call broke its contract: a status other than
 * 0, 1 or 2, an error without a message, or a message with a raw control
 * character (they must be escaped). */
void bsfuzz_check_error(int status, const struct bs_error *err);
/* Starts HDF5 for a target: no error printing, and free lists kept
 * whatever their size (else every file open faults in fresh pages for
 * HDF5's metadata cache: a third of the time). */
void bsfuzz_hdf5_start(void);
/* Aborts when more HDF5 identifiers (files, groups, datasets, types,
 * spaces, attributes, property lists) are open than at its first call
 * (made before any file is touched): a reader that leaks one may keep its
 * file open too. */
void bsfuzz_check_hdf5_closed(const char *what);

#endif
