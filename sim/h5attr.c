/* HDF5 attributes as the output layout uses them: UTF-8 variable-length
 * strings and scalar numbers. Every call is checked; failures return < 0
 * (or NULL) and leave the caller to report them. */
#include "h5attr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

hid_t bs_h5_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

herr_t bs_h5_attr_strings(hid_t obj, const char *name, const char *const *values, hsize_t n, int scalar)
{
    hid_t t = bs_h5_string_type();
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = (t >= 0 && s >= 0) ? H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t st = a >= 0 ? H5Awrite(a, t, values) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

herr_t bs_h5_attr_string(hid_t obj, const char *name, const char *value)
{
    return bs_h5_attr_strings(obj, name, &value, 1, 1);
}

herr_t bs_h5_attr_number(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = s >= 0 ? H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t st = a >= 0 ? H5Awrite(a, type, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    return st;
}

/* The registry's unit in UDUNITS spelling; a count's noun goes to *counted. */
static const char *udunits(const char *unit, const char **counted)
{
    *counted = NULL;
    if (strcmp(unit, "min") == 0 || strcmp(unit, "1") == 0)
        return unit;
    if (strcmp(unit, "quanta/m3") == 0) {
        *counted = "quanta";
        return "m-3";
    }
    *counted = unit; /* customers, counters, staff, persons, pairs, services, events */
    return "1";
}

herr_t bs_h5_cf_attrs(hid_t d, const char *unit, const char *label, const char *description)
{
    const char *counted;
    const char *units = udunits(unit, &counted);
    if (bs_h5_attr_string(d, "units", units) < 0 || (counted && bs_h5_attr_string(d, "counted", counted) < 0))
        return -1;
    if (bs_h5_attr_string(d, "long_name", label) < 0 || bs_h5_attr_string(d, "description", description) < 0)
        return -1;
    return 0;
}

/* Reading, checked: see h5attr.h. */

static const char *class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "text";
    case H5T_COMPOUND: return "a compound";
    case H5T_ARRAY: return "an array type";
    case H5T_VLEN: return "a variable-length sequence";
    case H5T_ENUM: return "an enum";
    case H5T_REFERENCE: return "a reference";
    default: return "of an unusual type";
    }
}

/* Opens attribute name when it holds exactly n values (n == 1: a scalar
 * or any simple space of one element; else a 1-D space of n). */
static int open_attr(hid_t obj, const char *name, hsize_t n, hid_t *attr, hid_t *type, char *why, size_t cap)
{
    htri_t there = H5Aexists(obj, name);
    if (there == 0)
        return BS_H5_ABSENT;
    hid_t a = there > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    H5S_class_t kind = s >= 0 ? H5Sget_simple_extent_type(s) : H5S_NO_CLASS;
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    hssize_t count = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
    if (s >= 0)
        H5Sclose(s);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    const char *bad = NULL;
    if (a < 0 || t < 0 || count < 0 || rank < 0)
        bad = "cannot be read";
    else if (kind == H5S_NULL || count == 0)
        bad = "holds no value";
    else if (n == 1 && kind != H5S_SCALAR && count != 1)
        snprintf(why, cap, "is an array of %lld values, not one value", (long long)count);
    else if (n != 1 && (kind != H5S_SIMPLE || rank != 1 || (hsize_t)count != n))
        snprintf(why, cap, "holds %lld value%s in %d dimension%s, not a list of %llu", (long long)count,
                 count == 1 ? "" : "s", rank, rank == 1 ? "" : "s", (unsigned long long)n);
    else {
        *attr = a;
        *type = t;
        return BS_H5_READ;
    }
    if (bad)
        snprintf(why, cap, "%s", bad);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return BS_H5_BAD;
}

int bs_h5_get_uint(hid_t obj, const char *name, unsigned long long *out, char *why, size_t cap)
{
    hid_t a, t;
    int got = open_attr(obj, name, 1, &a, &t, why, cap);
    if (got != BS_H5_READ)
        return got;
    H5T_class_t c = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    int is_signed = c == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_2;
    long long v = 0;
    got = BS_H5_BAD;
    if (c != H5T_INTEGER)
        snprintf(why, cap, "is %s, not an integer", class_name(c));
    else if (size == 0 || size > 8)
        snprintf(why, cap, "is an integer of %zu bytes, more than 8", size);
    else if (is_signed ? H5Aread(a, H5T_NATIVE_LLONG, &v) < 0 : H5Aread(a, H5T_NATIVE_ULLONG, out) < 0)
        snprintf(why, cap, "cannot be read");
    else if (is_signed && v < 0)
        snprintf(why, cap, "is negative (%lld)", v);
    else {
        if (is_signed)
            *out = (unsigned long long)v;
        got = BS_H5_READ;
    }
    H5Tclose(t);
    H5Aclose(a);
    return got;
}
/* A copy of the text at raw (at most width bytes, or to its NUL), cut
 * at an embedded NUL, space padding dropped; NULL when longer than max. */
static char *text_copy(const char *raw, size_t width, int space_pad, size_t max_len)
{
    size_t len = raw ? strnlen(raw, width) : 0;
    while (space_pad && len > 0 && raw[len - 1] == ' ')
        len--;
    if (len > max_len)
        return NULL;
    char *s = malloc(len + 1);
    if (s) {
        if (len)
            memcpy(s, raw, len);
        s[len] = '\0';
    }
    return s;
}

/* Variable-length strings: HDF5 allocates each; we copy and reclaim. */
static const char *read_vlen(hid_t a, hid_t ft, size_t n, size_t max_len, char **out)
{
    hid_t mt = H5Tcopy(H5T_C_S1), space = H5Aget_space(a);
    char **raw = calloc(n, sizeof *raw);
    const char *bad = NULL;
    if (mt < 0 || space < 0 || !raw || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0 ||
        H5Aread(a, mt, raw) < 0) {
        bad = "cannot be read";
    } else {
        for (size_t i = 0; i < n && !bad; i++)
            if (!(out[i] = text_copy(raw[i], SIZE_MAX, 0, max_len)))
                bad = "is too long";
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
    }
    free(raw);
    if (space >= 0)
        H5Sclose(space);
    if (mt >= 0)
        H5Tclose(mt);
    return bad;
}

/* Fixed-length strings of the file's width, read as stored. */
static const char *read_fixed(hid_t a, hid_t ft, size_t n, size_t max_len, char **out)
{
    size_t width = H5Tget_size(ft);
    if (width == 0)
        return "cannot be read";
    if (width - 1 > max_len || width > (SIZE_MAX - 1) / n) /* a NUL-terminated one needs max_len + 1 */
        return "is too long";
    int space_pad = H5Tget_strpad(ft) == H5T_STR_SPACEPAD;
    hid_t mt = H5Tcopy(ft);
    char *raw = calloc(n * width + 1, 1);
    const char *bad = NULL;
    if (mt < 0 || !raw || H5Aread(a, mt, raw) < 0)
        bad = "cannot be read";
    for (size_t i = 0; i < n && !bad; i++)
        if (!(out[i] = text_copy(raw + i * width, width, space_pad, max_len)))
            bad = "is too long";
    free(raw);
    if (mt >= 0)
        H5Tclose(mt);
    return bad;
}

static int get_texts(hid_t obj, const char *name, size_t n, size_t max_len, char **out, char *why, size_t cap)
{
    hid_t a, t;
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    int got = open_attr(obj, name, n, &a, &t, why, cap);
    if (got != BS_H5_READ)
        return got;
    H5T_class_t c = H5Tget_class(t);
    const char *bad = NULL;
    if (c != H5T_STRING)
        snprintf(why, cap, "is %s, not text", class_name(c));
    else if (H5Tis_variable_str(t) > 0)
        bad = read_vlen(a, t, n, max_len, out);
    else
        bad = read_fixed(a, t, n, max_len, out);
    H5Tclose(t);
    H5Aclose(a);
    if (bad && strcmp(bad, "is too long") == 0)
        snprintf(why, cap, "is longer than %zu bytes", max_len);
    else if (bad)
        snprintf(why, cap, "%s", bad);
    if (c == H5T_STRING && !bad)
        return BS_H5_READ;
    for (size_t i = 0; i < n; i++) {
        free(out[i]);
        out[i] = NULL;
    }
    return BS_H5_BAD;
}

int bs_h5_get_string(hid_t obj, const char *name, size_t max_len, char **out, char *why, size_t cap)
{
    return get_texts(obj, name, 1, max_len, out, why, cap);
}

int bs_h5_get_strings(hid_t obj, const char *name, size_t n, size_t max_len, char **out, char *why, size_t cap)
{
    if (n == 0) {
        snprintf(why, cap, "is asked for as an empty list");
        return BS_H5_BAD;
    }
    return get_texts(obj, name, n, max_len, out, why, cap);
}

/* BRANCHSIM_READ_LIMIT_S: 1 with *limit_s, 0 unset or empty, -1 any other
 * value (digits only: strtoul would take " 5", "+5" and "-5"). */
static int read_limit_given(unsigned *limit_s)
{
    const char *set = getenv("BRANCHSIM_READ_LIMIT_S");
    if (!set || !*set)
        return 0;
    unsigned long given = 0;
    for (const char *c = set; *c; c++) {
        if (*c < '0' || *c > '9' || given > 86400)
            return -1;
        given = given * 10 + (unsigned long)(*c - '0');
    }
    if (given < 1 || given > 86400)
        return -1;
    *limit_s = (unsigned)given;
    return 1;
}

int bs_h5_read_limit_check(struct bs_error *err)
{
    unsigned limit_s;
    if (read_limit_given(&limit_s) >= 0)
        return 0;
    return bs_error_set(err, BS_ERR_INPUT, "BRANCHSIM_READ_LIMIT_S: '%.40s' is not allowed: a whole number of "
                        "seconds from 1 to 86400, or unset for 60 s and a second more per 10 MB of the file",
                        getenv("BRANCHSIM_READ_LIMIT_S"));
}

unsigned bs_h5_read_limit_s(const char *path, double bytes_per_s)
{
    unsigned given;
    if (read_limit_given(&given) > 0)
        return given;
    struct stat sb;
    double size = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    double limit_s = 60 + size / bytes_per_s;
    return limit_s < 86400 ? (unsigned)limit_s : 86400;
}

/* The HDF5 signature at byte 0 (where branchsim writes it): 1, else 0. */
static int hdf5_signed(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n == (ssize_t)sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

/* The child of bs_h5_is_result: exit status 0 for a result file. */
_Noreturn static void is_result_child(const char *path, unsigned limit_s)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0)
        dup2(null, STDERR_FILENO); /* what libhdf5 or the C library says as it fails is noise next to ours */
    alarm(limit_s);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS); /* one process's plain access, under MPI too */
    hid_t f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDONLY, fapl) : -1;
    char *version = NULL, why[BS_H5_WHY_MAX];
    int yes = f >= 0 && bs_h5_get_string(f, "branchsim_version", 256, &version, why, sizeof why) == BS_H5_READ;
    free(version);
    _exit(yes ? 0 : 1);
}

int bs_h5_is_result(const char *path)
{
    if (!hdf5_signed(path))
        return 0; /* most foreign files: no process needed */
    unsigned limit_s = bs_h5_read_limit_s(path, 100e6);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot look safely: not known to be ours, so kept */
    if (pid == 0)
        is_result_child(path, limit_s);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
