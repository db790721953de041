/* See h5build.h. Every HDF5 failure here just skips the operation: the
 * file stays well formed whatever the bytes ask for. */
#include "h5build.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_OPS 256
#define ATTR_MAX_BYTES 60000       /* an attribute lives in its object header (64 KiB) */
#define WRITE_MAX_BYTES (1u << 18) /* larger datasets keep their fill values */
#define VAR_MAX_ELEMS 65536

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned u8(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned u16(struct in *in)
{
    unsigned lo = u8(in);
    return lo | u8(in) << 8;
}

static uint64_t u64(struct in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)u8(in) << (8 * i);
    return v;
}

static void name(struct in *in, char out[256])
{
    size_t k = 0;
    for (unsigned c; in->n && (c = u8(in)) != 0;)
        if (k < 255)
            out[k++] = (char)c;
    out[k] = '\0';
}

enum var_kind { FIXED, VSTR, VSEQ };

static hid_t string_type(size_t size, H5T_cset_t cset, H5T_str_t pad)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, size) < 0 || H5Tset_cset(t, cset) < 0 || H5Tset_strpad(t, pad) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static hid_t compound_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, 16);
    if (t >= 0 && (H5Tinsert(t, "a", 0, H5T_IEEE_F64LE) < 0 || H5Tinsert(t, "b", 8, H5T_STD_I32LE) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static hid_t enum_type(void)
{
    hid_t t = H5Tenum_create(H5T_STD_U8LE);
    uint8_t a = 0, b = 1;
    if (t >= 0 && (H5Tenum_insert(t, "a", &a) < 0 || H5Tenum_insert(t, "b", &b) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static hid_t plain_type(unsigned kind)
{
    switch (kind) {
    case 0: return H5T_IEEE_F64LE;
    case 1: return H5T_IEEE_F64BE;
    case 2: return H5T_IEEE_F32LE;
    case 3: return H5T_STD_U64LE;
    case 4: return H5T_STD_I64LE;
    case 5: return H5T_STD_I32LE;
    case 6: return H5T_STD_U8LE;
    default: return H5T_STD_I8LE;
    }
}

/* A file type (also used as the memory type: payloads are file bytes). */
static hid_t make_type(struct in *in, enum var_kind *var)
{
    unsigned kind = u8(in) % 16;
    *var = FIXED;
    if (kind < 8)
        return H5Tcopy(plain_type(kind));
    switch (kind) {
    case 8:
    case 9:
        *var = VSTR;
        return string_type(H5T_VARIABLE, kind == 8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII, H5T_STR_NULLTERM);
    case 10: {
        size_t size = u8(in) + 1;
        H5T_str_t pad = (H5T_str_t)(u8(in) % 3);
        return string_type(size, u8(in) & 1 ? H5T_CSET_UTF8 : H5T_CSET_ASCII, pad);
    }
    case 11:
        return compound_type();
    case 12: {
        hsize_t n = u8(in) % 8 + 1;
        return H5Tarray_create2(H5T_IEEE_F64LE, 1, &n);
    }
    case 13:
        *var = VSEQ;
        return H5Tvlen_create(H5T_IEEE_F64LE);
    case 14:
        return enum_type();
    default: {
        hid_t t = H5Tcreate(H5T_OPAQUE, u8(in) % 16 + 1);
        if (t >= 0)
            H5Tset_tag(t, "bsfuzz");
        return t;
    }
    }
}

/* The space and its element count (UINT64_MAX when the product overflows). */
static hid_t make_space(struct in *in, uint64_t *n)
{
    unsigned kind = u8(in) % 5;
    *n = kind == 1 ? 0 : 1;
    if (kind < 2)
        return H5Screate(kind == 0 ? H5S_SCALAR : H5S_NULL);
    int rank = (int)kind - 1;
    hsize_t dims[3];
    for (int i = 0; i < rank; i++) {
        uint64_t d = u16(in);
        if (d == 0xffff)
            d = u64(in) & ((UINT64_C(1) << 62) - 1);
        dims[i] = d;
        *n = d && *n > UINT64_MAX / d ? UINT64_MAX : *n * d;
    }
    return H5Screate_simple(rank, dims, NULL);
}

/* Values to write: n elements of type t from the payload. buf is what to
 * hand to H5Dwrite/H5Awrite; *keep holds what buf points into. */
struct values {
    void *buf;
    char *pattern; /* NUL-terminated copy of the payload */
    double *numbers;
};

static void values_free(struct values *v)
{
    free(v->buf);
    free(v->pattern);
    free(v->numbers);
    memset(v, 0, sizeof *v);
}

static int fill_fixed(struct values *v, size_t n, size_t size, const char *pat, size_t len)
{
    uint8_t *b = calloc(n * size + 1, 1);
    if (!b)
        return -1;
    for (size_t i = 0; len && i < n * size; i++)
        b[i] = (uint8_t)pat[i % len];
    v->buf = b;
    return 0;
}

/* Strings: the payload's NUL-separated pieces in turn. */
static int fill_strings(struct values *v, size_t n, size_t len)
{
    char **s = calloc(n + 1, sizeof *s);
    if (!s)
        return -1;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = v->pattern + at;
        at += strlen(v->pattern + at) + 1;
        if (at > len)
            at = 0;
    }
    v->buf = s;
    return 0;
}

/* Sequences of 0..3 doubles, made of the payload's bytes. */
static int fill_sequences(struct values *v, size_t n, size_t len)
{
    hvl_t *s = calloc(n + 1, sizeof *s);
    v->numbers = calloc(len / 8 + 4, sizeof *v->numbers);
    if (!s || !v->numbers) {
        free(s);
        return -1;
    }
    if (len >= 8)
        memcpy(v->numbers, v->pattern, len / 8 * 8);
    for (size_t i = 0; i < n; i++) {
        size_t k = len ? (uint8_t)v->pattern[i % len] % 4 : 0;
        s[i].len = k;
        s[i].p = v->numbers + (len / 8 ? i % (len / 8) : 0);
    }
    v->buf = s;
    return 0;
}

/* Reads the payload; fills v when n elements of t fit in max_bytes. */
static int make_values(struct in *in, hid_t t, enum var_kind var, uint64_t n, size_t max_bytes, struct values *v)
{
    memset(v, 0, sizeof *v);
    size_t len = u16(in);
    if (len > in->n)
        len = in->n;
    v->pattern = calloc(len + 1, 1);
    if (!v->pattern)
        return -1;
    memcpy(v->pattern, in->p, len);
    in->p += len;
    in->n -= len;
    size_t size = H5Tget_size(t);
    if (size == 0 || n > max_bytes / size || (var != FIXED && n > VAR_MAX_ELEMS))
        return -1;
    if (var == VSTR)
        return fill_strings(v, (size_t)n, len);
    if (var == VSEQ)
        return fill_sequences(v, (size_t)n, len);
    return fill_fixed(v, (size_t)n, size, v->pattern, len);
}

struct builder {
    hid_t file, group, obj; /* the current group and object (the root's id is file) */
    hid_t gapl, dapl, lapl; /* access lists that never follow an external link (see no_elink) */
};

static void set_obj(struct builder *b, hid_t obj)
{
    if (b->obj != b->group && b->obj != b->file)
        H5Oclose(b->obj);
    b->obj = obj >= 0 ? obj : b->group;
}

static void set_group(struct builder *b, hid_t group)
{
    set_obj(b, b->group);
    if (b->group != b->file)
        H5Gclose(b->group);
    b->group = b->obj = group >= 0 ? group : b->file;
}

static void op_group(struct builder *b, struct in *in)
{
    char n[256];
    name(in, n);
    unsigned flags = u8(in);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t g = -1;
    if (lcpl >= 0 && gcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0 &&
        (!(flags & 1) || H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0))
        g = H5Gcreate2(b->file, n, lcpl, gcpl, b->gapl);
    if (g < 0)
        g = H5Gopen2(b->file, n, b->gapl);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (gcpl >= 0)
        H5Pclose(gcpl);
    set_group(b, g);
}

/* Chunked layouts: chunks of up to 64 along each axis. */
static hid_t dataset_create_list(unsigned layout, hid_t space)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[3] = {1, 1, 1}, chunk[3];
    if (dcpl < 0 || rank < 0 || rank > 3)
        return dcpl;
    H5Sget_simple_extent_dims(space, dims, NULL);
    for (int i = 0; i < rank; i++)
        chunk[i] = dims[i] == 0 ? 1 : dims[i] < 64 ? dims[i] : 64;
    if (layout == 3)
        H5Pset_layout(dcpl, H5D_COMPACT);
    else if (layout > 0 && rank > 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 && layout == 2 &&
             H5Pset_shuffle(dcpl) >= 0)
        H5Pset_deflate(dcpl, 1);
    return dcpl;
}

static void op_dset(struct builder *b, struct in *in)
{
    char n[256];
    name(in, n);
    enum var_kind var;
    uint64_t count;
    hid_t t = make_type(in, &var), s = make_space(in, &count);
    hid_t dcpl = dataset_create_list(u8(in) % 4, s);
    struct values v = {0};
    int have = t >= 0 && make_values(in, t, var, count, WRITE_MAX_BYTES, &v) == 0;
    hid_t d = t >= 0 && s >= 0 && dcpl >= 0 ? H5Dcreate2(b->group, n, t, s, H5P_DEFAULT, dcpl, b->dapl) : -1;
    if (d >= 0 && have && count > 0)
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.buf);
    values_free(&v);
    set_obj(b, d);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
}

static void op_attr(struct builder *b, struct in *in)
{
    char n[256];
    name(in, n);
    enum var_kind var;
    uint64_t count;
    hid_t t = make_type(in, &var), s = make_space(in, &count);
    struct values v = {0};
    if (t >= 0 && s >= 0 && make_values(in, t, var, count, ATTR_MAX_BYTES, &v) == 0) {
        if (H5Aexists(b->obj, n) > 0)
            H5Adelete(b->obj, n);
        hid_t a = H5Acreate2(b->obj, n, t, s, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) {
            if (count > 0)
                H5Awrite(a, t, v.buf);
            H5Aclose(a);
        }
    }
    values_free(&v);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
}

/* The files an external link may name: only these, never the machine's. */
struct places {
    const char *self, *missing, *fifo;
};

static void op_link(struct builder *b, struct in *in, const struct places *at)
{
    char n[256], target[256];
    name(in, n);
    name(in, target);
    unsigned kind = u8(in) % 4;
    const char *file = kind == 1 ? at->self : kind == 2 ? at->missing : at->fifo;
    if (kind == 0)
        H5Lcreate_soft(target, b->group, n, H5P_DEFAULT, b->lapl);
    else
        H5Lcreate_external(file, target, b->group, n, H5P_DEFAULT, b->lapl);
}

static void op_hard_link(struct builder *b, struct in *in)
{
    char n[256], target[256];
    name(in, n);
    name(in, target);
    H5Lcreate_hard(b->file, target, b->group, n, H5P_DEFAULT, b->lapl);
}

static void op_select(struct builder *b, struct in *in)
{
    char n[256];
    name(in, n);
    set_obj(b, H5Oopen(b->group, n, b->lapl));
}

static hid_t create_file(const char *path, unsigned flags)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fcpl >= 0 && fapl >= 0 &&
        (!(flags & BSF_ROOT_ORDER) || H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED) >= 0) &&
        (!(flags & BSF_LATEST) || H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) >= 0))
        f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return f;
}

/* Next to path: "missing" (never made) and "fifo" (made once). */
static int places(const char *path, struct places *at)
{
    static char missing[512], fifo[512];
    const char *slash = strrchr(path, '/');
    int dir = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(missing, sizeof missing, "%.*smissing", dir, path) >= (int)sizeof missing ||
        snprintf(fifo, sizeof fifo, "%.*sfifo", dir, path) >= (int)sizeof fifo)
        return -1;
    if (mkfifo(fifo, 0600) < 0 && errno != EEXIST)
        return -1;
    *at = (struct places){path, missing, fifo};
    return 0;
}

/* The builder's paths may run through the external links it made: never
 * follow one (libhdf5 1.10.8 leaks a block when a link to the file being
 * built is followed), so only the readers under test ever do. */
static herr_t no_elink(const char *parent_file, const char *parent_group, const char *child_file,
                       const char *child_object, unsigned *acc_flags, hid_t fapl, void *data)
{
    (void)parent_file, (void)parent_group, (void)child_file, (void)child_object, (void)acc_flags, (void)fapl,
        (void)data;
    return -1;
}

static hid_t access_list(hid_t cls)
{
    hid_t p = H5Pcreate(cls);
    if (p >= 0 && H5Pset_elink_cb(p, no_elink, NULL) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static void close_lists(struct builder *b)
{
    hid_t lists[] = {b->gapl, b->dapl, b->lapl};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (lists[i] >= 0)
            H5Pclose(lists[i]);
}

int bsf_build(const char *path, const uint8_t *data, size_t size, struct bsf_built *out)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct in in = {data, size};
    out->flags = u8(&in);
    out->metrics[0] = '\0';
    if (out->flags & BSF_METRICS)
        name(&in, out->metrics);
    struct places at;
    if (places(path, &at) < 0)
        return -1;
    struct builder b = {.gapl = access_list(H5P_GROUP_ACCESS), .dapl = access_list(H5P_DATASET_ACCESS),
                        .lapl = access_list(H5P_LINK_ACCESS)};
    b.file = b.group = b.obj = b.gapl >= 0 && b.dapl >= 0 && b.lapl >= 0 ? create_file(path, out->flags) : -1;
    if (b.file < 0) {
        close_lists(&b);
        return -1;
    }
    for (int ops = 0; in.n && ops < MAX_OPS; ops++) {
        switch (u8(&in) % 8) {
        case 0: op_group(&b, &in); break;
        case 1: op_dset(&b, &in); break;
        case 2: op_attr(&b, &in); break;
        case 3: set_group(&b, b.file); break;
        case 4: op_link(&b, &in, &at); break;
        case 5: op_hard_link(&b, &in); break;
        case 6: op_select(&b, &in); break;
        default: set_obj(&b, b.group); break;
        }
    }
    set_group(&b, b.file);
    close_lists(&b);
    return H5Fclose(b.file) < 0 ? -1 : 0;
}
