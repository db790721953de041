/* Builds a well-formed HDF5 file from fuzz bytes, so that the reader
 * targets test branchsim's readers against every shape of file HDF5 can
 * write (types, ranks, sizes, links, attributes anywhere) rather than
 * libhdf5's own parser against damaged bytes (see docs/development.md, "Fuzzing").
 *
 * Input: a flags byte (BSF_*), then when BSF_METRICS a NUL-ended string,
 * then operations, each an opcode byte (mod 8):
 *   0 GROUP  name flags         create (or open) group `name` under the root, intermediate
 *                               groups too; flags & 1: links tracked in creation order
 *   1 DSET   name TYPE SPACE layout PAYLOAD   a dataset in the current group (layout mod 4:
 *                               contiguous, chunked, chunked + deflate, compact)
 *   2 ATTR   name TYPE SPACE PAYLOAD          an attribute on the current object
 *   3 ROOT                      the root is the current group and object
 *   4 LINK   name target kind   a link in the current group (kind mod 4): soft, or
 *                               external to `target` in this file, in a missing file, or in
 *                               a FIFO (a reader that follows it waits for ever)
 *   5 HARD   name target        a hard link to an existing object
 *   6 SELECT name               the current object is `name` (relative to the current group)
 *   7 UP                        the current object is the current group
 * name: bytes up to a NUL (at most 255 kept). TYPE: a byte mod 16 (see
 * make_type in h5build.c) and its parameters. SPACE: a byte mod 5 (scalar,
 * null, rank 1, 2, 3) and per dimension a little-endian u16, 0xffff
 * meaning a u64 follows. PAYLOAD: a u16 length and that many bytes, the
 * file representation repeated to fill the values (strings: the NUL-
 * separated pieces in turn). Values too large to write are left unwritten
 * (the dataset reads as fill values), so a header may claim any size. */
#ifndef BS_FUZZ_H5BUILD_H
#define BS_FUZZ_H5BUILD_H

#include <stddef.h>
#include <stdint.h>

enum {
    BSF_CSV = 1,          /* describe: --csv */
    BSF_METRICS = 2,      /* describe: --metric, the string after the flags */
    BSF_ROOT_ORDER = 4,   /* the root group tracks links in creation order */
    BSF_LATEST = 8,       /* the newest file format (other object header versions) */
};

struct bsf_built {
    unsigned flags;
    char metrics[256];
};

/* Writes the file at path (replacing it): 0, or -1 when HDF5 could not
 * even create it (the input is then of no use). */
int bsf_build(const char *path, const uint8_t *data, size_t size, struct bsf_built *out);

#endif
