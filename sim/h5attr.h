/* HDF5 attribute helpers shared by the output writer, describe and checkpoints. */
#ifndef BS_H5ATTR_H
#define BS_H5ATTR_H

#include <hdf5.h>
#include <stddef.h>

#include "error.h"

/* A UTF-8 variable-length string type; close with H5Tclose. < 0 on failure. */
hid_t bs_h5_string_type(void);
/* A string attribute (scalar), or an array of n strings. */
herr_t bs_h5_attr_strings(hid_t obj, const char *name, const char *const *values, hsize_t n, int scalar);
herr_t bs_h5_attr_string(hid_t obj, const char *name, const char *value);
/* A scalar number attribute of the given (native) type. */
herr_t bs_h5_attr_number(hid_t obj, const char *name, hid_t type, const void *value);
/* The CF attributes of a variable from a metric registry entry (unit,
 * label, description): `units` in UDUNITS spelling (a count is "1", its
 * noun in `counted`: "customers"), `long_name` and `description`. */
herr_t bs_h5_cf_attrs(hid_t d, const char *unit, const char *label, const char *description);

/* Reading attributes of a file we may not have written (a result file or
 * a checkpoint given on the command line): each is checked before a byte
 * of it is read, one value (a scalar or a 1-element space), of the class
 * asked for and of a bounded size, so a forged attribute is refused, never
 * read past a buffer. On BS_H5_BAD, why (cap bytes) says what is wrong,
 * as a phrase after the attribute's name ("is an array of 3 values"). */
enum bs_h5_got { BS_H5_READ = 0, BS_H5_ABSENT = 1, BS_H5_BAD = 2 };
#define BS_H5_WHY_MAX 128
/* A non-negative integer of at most 64 bits (unsigned, or signed >= 0). */
int bs_h5_get_uint(hid_t obj, const char *name, unsigned long long *out, char *why, size_t cap);
/* A string (variable or fixed length, any padding, ASCII or UTF-8) of at
 * most max_len bytes, NUL-terminated; free() *out. Text after an embedded
 * NUL, and the padding of a space-padded string, are dropped. */
int bs_h5_get_string(hid_t obj, const char *name, size_t max_len, char **out, char *why, size_t cap);
/* A list of strings: a 1-D attribute of exactly n strings, each at most
 * max_len bytes; out[i] free()d by the caller (all NULL unless READ). */
int bs_h5_get_strings(hid_t obj, const char *name, size_t n, size_t max_len, char **out, char *why, size_t cap);

/* How long reading a file from anywhere may take before it counts as
 * damaged (libhdf5 can loop for ever on some): 60 s, and a second more for
 * each bytes_per_s of the file's size; at most a day. The environment's
 * BRANCHSIM_READ_LIMIT_S (1 to 86400) sets it instead. */
unsigned bs_h5_read_limit_s(const char *path, double bytes_per_s);
/* An input error for BRANCHSIM_READ_LIMIT_S set to anything else (0, a
 * sign, a fraction, past 86400): checked once at start, so no command
 * runs under a limit other than the one asked for. 0 when fine. */
int bs_h5_read_limit_check(struct bs_error *err);

/* Whether the regular file at path is a branchsim result file: the HDF5
 * signature at byte 0 and a root text attribute branchsim_version. The
 * file is opened by libhdf5 in a child process under a time limit, so a
 * damaged one that crashes or loops libhdf5 is only "no". 1 yes, 0 no. */
int bs_h5_is_result(const char *path);

#endif
