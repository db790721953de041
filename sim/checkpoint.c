/* The checkpoint file of a run: see checkpoint.h. Every HDF5 call is
 * checked; the datasets are written block by block (contiguous rows). */
#include "checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"
#include "h5attr.h"
#include "version.h"

static void close_h5(struct bs_checkpoint *ck)
{
    hid_t ids[] = {ck->values, ck->sum, ck->count, ck->checksum, ck->done, ck->snap, ck->snap_in, ck->snap_meta};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0)
            H5Dclose(ids[i]);
    if (ck->file >= 0)
        H5Fclose(ck->file);
    ck->values = ck->sum = ck->count = ck->checksum = ck->done = ck->file = H5I_INVALID_HID;
    ck->snap = ck->snap_in = ck->snap_meta = H5I_INVALID_HID;
}

/* The HDF5 ids, then the descriptor (and with it the lock). */
static void close_ids(struct bs_checkpoint *ck)
{
    close_h5(ck);
    if (ck->fd >= 0)
        close(ck->fd);
    ck->fd = -1;
}

static void init(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ck->file = ck->values = ck->sum = ck->count = ck->checksum = ck->done = H5I_INVALID_HID;
    ck->snap = ck->snap_in = ck->snap_meta = H5I_INVALID_HID;
    ck->fd = -1;
    ck->locked = 0;
    ck->cluster = cl;
    snprintf(ck->path, sizeof ck->path, "%s.partial", out_path);
}

/* CRC-32 (IEEE) of a block's data, with bit 32 set: the fill value 0 of a
 * block never written never matches. Eight bytes a step (slicing-by-8,
 * 4.7 times the speed of a byte a step here: the check costs under 1 % of
 * a run); the same value either way. */
static uint32_t crc_table[8][256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xFF];
}

static uint32_t crc_add(uint32_t crc, const void *data, size_t bytes)
{
    const unsigned char *p = data;
    const uint32_t (*t)[256] = crc_table;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; bytes >= 8; bytes -= 8, p += 8) {
        uint32_t one, two;
        memcpy(&one, p, 4);
        memcpy(&two, p + 4, 4);
        one ^= crc;
        crc = t[7][one & 0xFF] ^ t[6][(one >> 8) & 0xFF] ^ t[5][(one >> 16) & 0xFF] ^ t[4][one >> 24] ^
              t[3][two & 0xFF] ^ t[2][(two >> 8) & 0xFF] ^ t[1][(two >> 16) & 0xFF] ^ t[0][two >> 24];
    }
#endif
    for (size_t i = 0; i < bytes; i++)
        crc = t[0][(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

static void block_rows(const struct bs_run *run, long block, size_t *first_item, size_t *n_items);

static uint64_t block_checksum(const struct bs_run *run, long block)
{
    const size_t width = run->layout.width, sw = run->layout.series_width;
    size_t first, count;
    block_rows(run, block, &first, &count);
    uint32_t crc = 0xFFFFFFFFu;
    crc = crc_add(crc, run->values + first * width, count * width * sizeof(double));
    crc = crc_add(crc, run->series_sum + (size_t)block * sw, sw * sizeof(double));
    crc = crc_add(crc, run->series_count + (size_t)block * sw, sw * sizeof(double));
    return (uint64_t)1 << 32 | (crc ^ 0xFFFFFFFFu);
}

/* Contiguous and allocated at creation (see checkpoint.h); fill value 0,
 * so every block starts not done. */
static hid_t make_2d(hid_t file, const char *name, hsize_t rows, hsize_t cols, hid_t type)
{
    hsize_t dims[2] = {rows, cols ? cols : 1};
    hid_t s = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    if (s >= 0 && dcpl >= 0 && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0)
        d = H5Dcreate2(file, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (s >= 0)
        H5Sclose(s);
    return d;
}

static herr_t no_hdf5_lock(hid_t fapl)
{
#if H5_VERSION_GE(1, 10, 7)
    return H5Pset_file_locking(fapl, 0, 1);
#else
    (void)fapl;
    return 0;
#endif
}

/* Opens (or creates) the file HDF5 side, by rank 0's descriptor where the
 * system allows (one process), else by path, which rank 0 then checks is
 * still its file. Every rank opens a descriptor of its own to fsync. */
static hid_t open_file(struct bs_checkpoint *ck, int create)
{
    const struct bs_cluster *cl = ck->cluster;
    char name[sizeof ck->path + 32];
    if (cl->size == 1)
        bs_files_h5_name(ck->fd, ck->path, name, sizeof name);
    else
        snprintf(name, sizeof name, "%s", ck->path);
    hid_t fapl = bs_cluster_file_access(cl);
    /* No sieve buffer: each write reaches the operating system at once, in
     * the order made, so data always precedes its done flag. HDF5's own
     * lock is off: ours is held for the whole run. */
    if (fapl < 0 || H5Pset_sieve_buf_size(fapl, 0) < 0 || no_hdf5_lock(fapl) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return -1;
    }
    hid_t f = create ? H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : H5Fopen(name, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (cl->rank != 0 && f >= 0)
        ck->fd = open(ck->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (f >= 0 && (ck->fd < 0 || (cl->rank == 0 && !bs_files_is(ck->fd, ck->path)))) {
        H5Fclose(f);
        return -1;
    }
    return f;
}

/* The identity of a run, as attributes: scenario text, seed and sizes. */
static const char *const identity_names[5] = {"seed", "replications", "n_points", "width", "series_width"};

static void identity(const struct bs_run *run, unsigned long long ids[5])
{
    ids[0] = run->seed;
    ids[1] = run->n_replications;
    ids[2] = run->n_points;
    ids[3] = run->layout.width;
    ids[4] = run->layout.series_width;
}

static herr_t write_identity(hid_t file, const struct bs_run *run, const char *text)
{
    unsigned long long ids[5];
    identity(run, ids);
    for (int i = 0; i < 5; i++)
        if (bs_h5_attr_number(file, identity_names[i], H5T_NATIVE_ULLONG, &ids[i]) < 0)
            return -1;
    if (bs_h5_attr_string(file, "revision", BS_REVISION) < 0)
        return -1;
    return bs_h5_attr_string(file, "scenario_yaml", text);
}

#define DAMAGED ": the checkpoint is damaged; remove it and run without --resume"

/* 1 when the checkpoint is run's, 0 when another run's; -1 (err set)
 * when an attribute is malformed: the file is damaged or forged. */
static int same_identity(hid_t file, const char *path, const struct bs_run *run, const char *text,
                         struct bs_error *err)
{
    unsigned long long want[5], v;
    char why[BS_H5_WHY_MAX], *stored = NULL;
    identity(run, want);
    int same = 1, got;
    for (int i = 0; i < 5; i++) { /* all read: a malformed one is damage, whatever the others say */
        if ((got = bs_h5_get_uint(file, identity_names[i], &v, why, sizeof why)) == BS_H5_BAD)
            return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %s %s" DAMAGED, path, identity_names[i], why), -1;
        same = same && got == BS_H5_READ && v == want[i];
    }
    if (bs_h5_get_string(file, "scenario_yaml", (size_t)64 << 20, &stored, why, sizeof why) == BS_H5_BAD)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute scenario_yaml %s" DAMAGED, path, why), -1;
    same = same && stored && strcmp(stored, text) == 0;
    free(stored);
    return same;
}

/* Why rank 0 cannot make or use the checkpoint: an errno, or one of these. */
enum { CK_EXISTS = -1, CK_LIVE = -2, CK_EMPTY = -3, CK_LINK = -4, CK_SPECIAL = -5, CK_LINKED = -6, CK_NONE = -7 };

static int refuse(const struct bs_checkpoint *ck, const char *out_path, int why, struct bs_error *err)
{
    const char *p = ck->path;
    switch (why) {
    case CK_EXISTS:
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s exists: the checkpoint of an interrupted run. Add --resume to finish that run, or "
                            "remove the file to start again", p);
    case CK_LIVE:
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: another run that is still going holds this checkpoint (writing %s): let it finish "
                            "or stop it (it can then be resumed), or use another -o; do not remove the file", p,
                            out_path);
    case CK_EMPTY:
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: the checkpoint is empty, so damaged (its run was killed as it began): remove it "
                            "and run without --resume", p);
    case CK_LINK:
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: is a symbolic link, not a checkpoint a run made: not following it; remove it", p);
    case CK_SPECIAL:
        return bs_error_set(err, BS_ERR_INPUT, "%s: is not a regular file, so no checkpoint: remove it", p);
    case CK_LINKED:
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: has other hard links: not writing through them; copy it to a file of its own", p);
    case CK_NONE:
        return bs_error_set(err, BS_ERR_INPUT, "%s: nothing to resume (no such checkpoint); run without --resume", p);
    default:
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot write its checkpoint %s: %s", out_path, p, strerror(why));
    }
}

/* Locks ck->fd for the run: CK_LIVE when another run holds it. Where locks
 * are not supported (some network file systems) the run goes on unlocked,
 * says so, and ck->locked stays 0. */
static int lock_for_run(struct bs_checkpoint *ck)
{
    int why = bs_files_lock(ck->fd);
    ck->locked = why == 0;
    if (why && why != EAGAIN)
        fprintf(ck->cluster->log,
                "branchsim: %s: cannot lock it (%s): a second run of this output would not be noticed\n", ck->path,
                strerror(why));
    return why == EAGAIN ? CK_LIVE : 0;
}

/* On rank 0: what is at path already (CK_*), for a run that wants it new. */
static int existing(const char *path, const struct stat *sb)
{
    if (S_ISLNK(sb->st_mode))
        return CK_LINK;
    if (!S_ISREG(sb->st_mode))
        return CK_SPECIAL;
    if (bs_files_locked_elsewhere(path))
        return CK_LIVE;
    return sb->st_size == 0 ? CK_EMPTY : CK_EXISTS;
}

/* On rank 0: creates and locks the file (ck->fd). 0, an errno or CK_*. */
static int create_locked(struct bs_checkpoint *ck)
{
    struct stat sb;
    if (lstat(ck->path, &sb) == 0)
        return existing(ck->path, &sb);
    ck->fd = bs_files_create(ck->path);
    if (ck->fd == -EEXIST)
        return CK_LIVE; /* made a moment ago: by a run starting with ours */
    if (ck->fd < 0)
        return -ck->fd;
    return lock_for_run(ck);
}

int bs_checkpoint_create(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         const struct bs_run *run, const char *scenario_text, struct bs_error *err)
{
    init(ck, cl, out_path);
    crc_init();
    int why = cl->rank == 0 ? create_locked(ck) : 0;
    bs_cluster_broadcast(cl, &why, sizeof why);
    if (why) {
        close_ids(ck); /* a file made but not locked is someone else's now: left alone */
        return refuse(ck, out_path, why, err);
    }
    const size_t blocks = run->n_points * ((run->n_replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK);
    ck->file = open_file(ck, 1);
    if (ck->file >= 0 && write_identity(ck->file, run, scenario_text) >= 0) {
        ck->values = make_2d(ck->file, "values", run->n_points * run->n_replications, run->layout.width,
                             H5T_IEEE_F64LE);
        ck->sum = make_2d(ck->file, "series_sum", blocks, run->layout.series_width, H5T_IEEE_F64LE);
        ck->count = make_2d(ck->file, "series_count", blocks, run->layout.series_width, H5T_IEEE_F64LE);
        ck->checksum = make_2d(ck->file, "checksum", blocks, 1, H5T_STD_U64LE);
        ck->done = make_2d(ck->file, "done", blocks, 1, H5T_STD_U8LE);
        ck->slots = (unsigned long long)cl->size;
        const hsize_t rows = ck->slots * run->n_points * 2;
        const size_t bpp = (run->n_replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK;
        ck->snap = make_2d(ck->file, "pooled_sums", rows, run->layout.pool_hist_width, H5T_STD_U64LE);
        ck->snap_in = make_2d(ck->file, "pooled_blocks", rows, bpp, H5T_STD_U8LE);
        ck->snap_meta = make_2d(ck->file, "pooled_meta", rows, 2, H5T_STD_U64LE);
        if (bs_h5_attr_number(ck->file, "pooled_slots", H5T_NATIVE_ULLONG, &ck->slots) < 0)
            ck->snap_meta = -1;
    }
    int failed = ck->file < 0 || ck->values < 0 || ck->sum < 0 || ck->count < 0 || ck->checksum < 0 ||
                 ck->done < 0 || ck->snap < 0 || ck->snap_in < 0 || ck->snap_meta < 0 ||
                 H5Fflush(ck->file, H5F_SCOPE_GLOBAL) < 0;
    if (bs_cluster_agree(cl, failed)) {
        bs_checkpoint_remove(ck);
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot create an HDF5 file there (is the disk full?)", ck->path);
    }
    return 0;
}

/* Reads or writes rows [row, row + n) of a 2-D dataset from/to buf. */
static herr_t rows_io(hid_t d, hid_t mem_type, hsize_t row, hsize_t n, hsize_t cols, void *buf, int write)
{
    hid_t fs = H5Dget_space(d);
    hsize_t start[2] = {row, 0}, count[2] = {n, cols ? cols : 1};
    hid_t ms = H5Screate_simple(2, count, NULL);
    herr_t st = fs >= 0 && ms >= 0 ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) : -1;
    if (st >= 0)
        st = write ? H5Dwrite(d, mem_type, ms, fs, H5P_DEFAULT, buf) : H5Dread(d, mem_type, ms, fs, H5P_DEFAULT, buf);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

static void block_rows(const struct bs_run *run, long block, size_t *first_item, size_t *n_items)
{
    size_t point = (size_t)block / run->blocks_per_point;
    size_t first = ((size_t)block % run->blocks_per_point) * BS_RUNNER_BLOCK;
    size_t last = first + BS_RUNNER_BLOCK < run->n_replications ? first + BS_RUNNER_BLOCK : run->n_replications;
    *first_item = point * run->n_replications + first;
    *n_items = last - first;
}

/* ---- the pooled sums: written per point, read back per slot ---- */

static hsize_t pool_row(const struct bs_run *run, unsigned long long slot, size_t point, uint64_t gen)
{
    return (slot * run->n_points + point) * 2 + (gen & 1);
}

static uint64_t pool_checksum(const struct bs_run *run, const uint64_t *counts, const uint8_t *in, uint64_t gen)
{
    uint32_t crc = 0xFFFFFFFFu;
    crc = crc_add(crc, counts, run->layout.pool_hist_width * sizeof *counts);
    crc = crc_add(crc, in, run->blocks_per_point);
    crc = crc_add(crc, &gen, sizeof gen);
    return (uint64_t)1 << 32 | (crc ^ 0xFFFFFFFFu);
}

/* Writes counts and the blocks they hold (in) of point p as write gen of
 * slot, over the older of the slot's two. */
static int write_pool(struct bs_checkpoint *ck, const struct bs_run *run, unsigned long long slot, size_t p,
                      const uint64_t *counts, const uint8_t *in, uint64_t gen)
{
    const hsize_t row = pool_row(run, slot, p, gen);
    uint64_t meta[2] = {gen, pool_checksum(run, counts, in, gen)};
    if (rows_io(ck->snap, H5T_NATIVE_UINT64, row, 1, run->layout.pool_hist_width, (void *)counts, 1) < 0 ||
        rows_io(ck->snap_in, H5T_NATIVE_UINT8, row, 1, run->blocks_per_point, (void *)in, 1) < 0 ||
        rows_io(ck->snap_meta, H5T_NATIVE_UINT64, row, 1, 2, meta, 1) < 0)
        return -1;
    return 0;
}

/* This process's sums of every point the blocks just done belong to (in
 * ascending order, so a point's blocks are together). */
static int write_pools(struct bs_checkpoint *ck, struct bs_run *run, const long *blocks, size_t n)
{
    const size_t hw = run->layout.pool_hist_width, bpp = run->blocks_per_point;
    if ((unsigned long long)ck->cluster->rank >= ck->slots)
        return 0;
    size_t last = SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        size_t p = (size_t)blocks[k] / bpp;
        if (p == last)
            continue;
        last = p;
        if (write_pool(ck, run, (unsigned long long)ck->cluster->rank, p, run->pool_hist + p * hw,
                       run->pool_in + p * bpp, ++run->pool_gen[p]) < 0)
            return -1;
    }
    return 0;
}

int bs_checkpoint_write(struct bs_run *run, const long *blocks, size_t n, void *ctx)
{
    struct bs_checkpoint *ck = ctx;
    const size_t width = run->layout.width, sw = run->layout.series_width;
    for (size_t k = 0; k < n; k++) {
        size_t first, count;
        block_rows(run, blocks[k], &first, &count);
        uint64_t sum = block_checksum(run, blocks[k]);
        if (rows_io(ck->values, H5T_NATIVE_DOUBLE, first, count, width, run->values + first * width, 1) < 0 ||
            rows_io(ck->sum, H5T_NATIVE_DOUBLE, (hsize_t)blocks[k], 1, sw, run->series_sum + (size_t)blocks[k] * sw, 1) < 0 ||
            rows_io(ck->count, H5T_NATIVE_DOUBLE, (hsize_t)blocks[k], 1, sw, run->series_count + (size_t)blocks[k] * sw, 1) < 0 ||
            rows_io(ck->checksum, H5T_NATIVE_UINT64, (hsize_t)blocks[k], 1, 1, &sum, 1) < 0)
            return -1;
    }
    if (write_pools(ck, run, blocks, n) < 0 || fsync(ck->fd) != 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        uint8_t one = 1;
        if (rows_io(ck->done, H5T_NATIVE_UINT8, (hsize_t)blocks[k], 1, 1, &one, 1) < 0)
            return -1;
    }
    if (ck->cluster->size > 1)
        return 0; /* written through MPI-IO already; a flush would be collective */
    return H5Fflush(ck->file, H5F_SCOPE_GLOBAL) < 0 ? -1 : 0;
}

/* On rank 0: opens and locks an existing checkpoint (ck->fd). 0 or CK_*. */
static int open_locked(struct bs_checkpoint *ck)
{
    struct stat sb;
    ck->fd = bs_files_open_existing(ck->path, &sb);
    switch (ck->fd) {
    case -ENOENT:
        return CK_NONE;
    case -ELOOP:
        return CK_LINK;
    case -EINVAL:
        return CK_SPECIAL;
    case -EMLINK:
        return CK_LINKED;
    }
    if (ck->fd < 0)
        return -ck->fd;
    if (lock_for_run(ck))
        return CK_LIVE;
    return sb.st_size == 0 ? CK_EMPTY : 0;
}

/* Clears block b, so the run makes it again. */
static void clear_block(struct bs_run *run, size_t b)
{
    const size_t width = run->layout.width, sw = run->layout.series_width;
    size_t first, count;
    block_rows(run, (long)b, &first, &count);
    for (size_t i = first * width; i < (first + count) * width; i++)
        run->values[i] = NAN;
    memset(run->series_sum + b * sw, 0, sw * sizeof(double));
    memset(run->series_count + b * sw, 0, sw * sizeof(double));
    run->block_done[b] = 0;
}

/* Forgets block b read from a damaged checkpoint, so the run makes it again. */
static void forget_block(const struct bs_checkpoint *ck, struct bs_run *run, size_t b)
{
    size_t first, count;
    block_rows(run, (long)b, &first, &count);
    clear_block(run, b);
    size_t rep = first % run->n_replications;
    fprintf(ck->cluster->log,
            "branchsim: %s: block %zu (point %zu, replications %zu to %zu) does not match its checksum (damaged): "
            "simulating it again\n",
            ck->path, b, first / run->n_replications, rep, rep + count - 1);
}

/* Reads the done flags and this rank's finished blocks, checking each. */
static int read_blocks(struct bs_checkpoint *ck, struct bs_run *run)
{
    const size_t blocks = run->n_points * run->blocks_per_point, width = run->layout.width,
                 sw = run->layout.series_width;
    if (rows_io(ck->done, H5T_NATIVE_UINT8, 0, blocks, 1, run->block_done, 0) < 0)
        return -1;
    for (size_t b = 0; b < blocks; b++) {
        if (!run->block_done[b] || !bs_cluster_owns(run->rank, run->n_ranks, b))
            continue; /* the owner sends it on (bs_cluster_share_results) */
        size_t first, count;
        uint64_t stored;
        block_rows(run, (long)b, &first, &count);
        if (rows_io(ck->values, H5T_NATIVE_DOUBLE, first, count, width, run->values + first * width, 0) < 0 ||
            rows_io(ck->sum, H5T_NATIVE_DOUBLE, b, 1, sw, run->series_sum + b * sw, 0) < 0 ||
            rows_io(ck->count, H5T_NATIVE_DOUBLE, b, 1, sw, run->series_count + b * sw, 0) < 0 ||
            rows_io(ck->checksum, H5T_NATIVE_UINT64, b, 1, 1, &stored, 0) < 0)
            return -1;
        if (stored != block_checksum(run, (long)b))
            forget_block(ck, run, b);
    }
    return 0;
}

/* Buffers of one point's sums as read back. */
struct pool_read {
    uint64_t *counts, *best;
    uint8_t *in, *best_in, *taken;
};

/* The newest write of slot's sums of point p that is intact and holds only
 * blocks done: into r->best and r->best_in; its generation, or 0. *newest:
 * the slot's newest generation, usable or not. */
static uint64_t pick_pool(struct bs_checkpoint *ck, const struct bs_run *run, unsigned long long slot, size_t p,
                          struct pool_read *r, uint64_t *newest)
{
    const size_t hw = run->layout.pool_hist_width, bpp = run->blocks_per_point;
    uint64_t best = 0;
    for (uint64_t parity = 0; parity < 2; parity++) {
        uint64_t meta[2];
        hsize_t row = pool_row(run, slot, p, parity);
        if (rows_io(ck->snap_meta, H5T_NATIVE_UINT64, row, 1, 2, meta, 0) < 0 || meta[0] == 0 ||
            (meta[0] & 1) != parity)
            continue;
        *newest = meta[0] > *newest ? meta[0] : *newest;
        if (meta[0] <= best || rows_io(ck->snap, H5T_NATIVE_UINT64, row, 1, hw, r->counts, 0) < 0 ||
            rows_io(ck->snap_in, H5T_NATIVE_UINT8, row, 1, bpp, r->in, 0) < 0 ||
            meta[1] != pool_checksum(run, r->counts, r->in, meta[0]))
            continue;
        int cut = 0;
        for (size_t j = 0; j < bpp; j++)
            cut |= r->in[j] && !run->block_done[p * bpp + j];
        if (cut)
            continue;
        best = meta[0];
        memcpy(r->best, r->counts, hw * sizeof *r->counts);
        memcpy(r->best_in, r->in, bpp);
    }
    return best;
}

/* On rank 0: point p's sums from every slot into the run's (and pool_in);
 * forget[b]: a done block none of them holds. Two slots holding one block
 * (a resume cut off while merging them): none is taken. Slot 0's newest
 * generation goes to pool_gen. */
static void load_pool(struct bs_checkpoint *ck, struct bs_run *run, size_t p, struct pool_read *r, uint8_t *forget)
{
    const size_t hw = run->layout.pool_hist_width, bpp = run->blocks_per_point;
    uint64_t *acc = run->pool_hist + p * hw;
    memset(r->taken, 0, bpp);
    int overlap = 0;
    for (unsigned long long slot = 0; slot < ck->slots && !overlap; slot++) {
        uint64_t newest = 0, got = pick_pool(ck, run, slot, p, r, &newest);
        if (slot == 0)
            run->pool_gen[p] = newest;
        if (!got)
            continue;
        for (size_t j = 0; j < bpp; j++) {
            overlap |= r->best_in[j] && r->taken[j];
            r->taken[j] |= r->best_in[j];
        }
        for (size_t j = 0; j < hw; j++)
            acc[j] += r->best[j];
    }
    if (overlap) {
        memset(acc, 0, hw * sizeof *acc);
        memset(r->taken, 0, bpp);
    }
    for (size_t j = 0; j < bpp; j++) {
        run->pool_in[p * bpp + j] = r->taken[j];
        forget[p * bpp + j] = run->block_done[p * bpp + j] && !r->taken[j];
    }
}

/* On rank 0, after load_pool of every point: the sums now held go to slot
 * 0 as its next write; the other slots' are dropped (their processes start
 * afresh). Cut off half way, the next resume finds two slots holding the
 * same blocks and runs them again. */
static int merge_pools(struct bs_checkpoint *ck, struct bs_run *run)
{
    const size_t hw = run->layout.pool_hist_width, bpp = run->blocks_per_point;
    static const uint64_t none[2] = {0, 0};
    for (size_t p = 0; p < run->n_points; p++) {
        int held = 0;
        for (size_t j = 0; j < bpp; j++)
            held |= run->pool_in[p * bpp + j];
        if (held && write_pool(ck, run, 0, p, run->pool_hist + p * hw, run->pool_in + p * bpp, ++run->pool_gen[p]) < 0)
            return -1;
        for (unsigned long long slot = 1; slot < ck->slots; slot++)
            for (uint64_t parity = 0; parity < 2; parity++)
                if (rows_io(ck->snap_meta, H5T_NATIVE_UINT64, pool_row(run, slot, p, parity), 1, 2, (void *)none,
                            1) < 0)
                    return -1;
    }
    return fsync(ck->fd) == 0 ? 0 : -1;
}

/* Says which points' done blocks run again for want of their sums. */
static void report_pool(const struct bs_checkpoint *ck, const struct bs_run *run, const uint8_t *forget)
{
    for (size_t p = 0; p < run->n_points; p++) {
        size_t n = 0;
        for (size_t j = 0; j < run->blocks_per_point; j++)
            n += forget[p * run->blocks_per_point + j];
        if (n)
            fprintf(ck->cluster->log,
                    "branchsim: %s: point %zu: no intact pooled counts hold %zu finished block%s (damaged, cut off, "
                    "or held with a damaged block): simulating %s again\n",
                    ck->path, p, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
    }
}

/* After read_blocks on every rank: which done blocks every rank found
 * intact; then rank 0 takes the sums that hold only those, and every rank
 * forgets the done blocks no sums hold. 0, or -1 on every rank. */
static int resume_pools(struct bs_checkpoint *ck, struct bs_run *run)
{
    const struct bs_cluster *cl = ck->cluster;
    const size_t hw = run->layout.pool_hist_width, bpp = run->blocks_per_point, blocks = run->n_points * bpp;
    bs_cluster_all_flags(cl, run->block_done, blocks);
    uint8_t *forget = calloc(blocks + 1, 1);
    struct pool_read r = {malloc((hw + 1) * sizeof *r.counts), malloc((hw + 1) * sizeof *r.best), malloc(bpp + 1),
                          malloc(bpp + 1), malloc(bpp + 1)};
    int st = forget && r.counts && r.best && r.in && r.best_in && r.taken ? 0 : -1;
    for (size_t p = 0; cl->rank == 0 && st == 0 && p < run->n_points; p++)
        load_pool(ck, run, p, &r, forget);
    if (cl->rank == 0 && st == 0)
        st = merge_pools(ck, run);
    st = bs_cluster_agree(cl, st ? 1 : 0) ? -1 : 0;
    if (st == 0) {
        bs_cluster_broadcast(cl, forget, blocks);
        if (cl->rank == 0)
            report_pool(ck, run, forget);
        for (size_t b = 0; b < blocks; b++)
            if (forget[b])
                clear_block(run, b);
    }
    free(forget);
    free(r.counts);
    free(r.best);
    free(r.in);
    free(r.best_in);
    free(r.taken);
    return st;
}

/* The child of probe_damage: reads what a resume reads of the file's
 * structure (attributes, dataset headers), then ends; a crash, a sanitizer's
 * report or the alarm is what the parent looks for. */
_Noreturn static void probe_child(const struct bs_checkpoint *ck, const struct bs_run *run, const char *text,
                                  unsigned limit_s)
{
    signal(SIGINT, SIG_DFL); /* the run's handler keeps it going; a probe has nothing to keep */
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDERR_FILENO); /* what the C library says as libhdf5 dies is noise next to ours */
    alarm(limit_s);
    char name[sizeof ck->path + 32];
    bs_files_h5_name(ck->fd, ck->path, name, sizeof name);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS); /* one process's plain access, under MPI too */
    hid_t f = fapl >= 0 && no_hdf5_lock(fapl) >= 0 ? H5Fopen(name, H5F_ACC_RDONLY, fapl) : -1;
    if (f >= 0) {
        struct bs_error ignored = {0};
        char *revision = NULL, why[BS_H5_WHY_MAX];
        same_identity(f, ck->path, run, text, &ignored);
        bs_h5_get_string(f, "revision", 256, &revision, why, sizeof why);
        free(revision);
        static const char *const names[] = {"values",      "series_sum",    "series_count", "checksum",
                                            "done",        "pooled_sums",   "pooled_blocks", "pooled_meta"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            hid_t d = H5Dopen2(f, names[i], H5P_DEFAULT);
            if (d >= 0)
                H5Dclose(d);
        }
        H5Fclose(f);
    }
    _exit(0);
}

/* On rank 0, before the checkpoint is opened here: libhdf5 1.10 trusts some
 * sizes in a file (a global heap object's, read for every text attribute)
 * and can crash or loop for ever on a damaged one before any check of ours
 * sees it. A child process reads the same structure first, with a time
 * limit; its crash or timeout refuses the file as damaged. 0, or
 * BS_ERR_INPUT. */
static int probe_damage(const struct bs_checkpoint *ck, const struct bs_run *run, const char *text,
                        struct bs_error *err)
{
    unsigned limit_s = bs_h5_read_limit_s(ck->path, 100e6);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* no process to spare: read it here, as the checks allow */
    if (pid == 0)
        probe_child(ck, run, text, limit_s);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: the checkpoint is damaged: reading it did not end in %u s; remove it and run "
                            "without --resume",
                            ck->path, limit_s);
    return bs_error_set(err, BS_ERR_INPUT,
                        "%s: the checkpoint is damaged: libhdf5 failed reading it (%s %d); remove it and run "
                        "without --resume",
                        ck->path, WIFSIGNALED(status) ? "signal" : "exit status",
                        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* 1 when this build wrote the checkpoint, on every rank; else 0 with err
 * set. Another build may simulate differently: its replications and ours
 * must not meet in one file. A collective call. */
static int same_build(const struct bs_cluster *cl, const struct bs_checkpoint *ck, struct bs_error *err)
{
    char *revision = NULL, bad[BS_H5_WHY_MAX];
    if (bs_h5_get_string(ck->file, "revision", 256, &revision, bad, sizeof bad) == BS_H5_BAD)
        bs_error_set(err, BS_ERR_INPUT, "%s: attribute revision %s" DAMAGED, ck->path, bad);
    int differ = bs_cluster_agree(cl, !(revision && strcmp(revision, BS_REVISION) == 0));
    if (differ)
        bs_error_set(err, BS_ERR_INPUT,
                     "%s: the checkpoint was written by branchsim revision %s, this is %s: resume with that "
                     "build, or remove the checkpoint",
                     ck->path, revision ? revision : "unknown", BS_REVISION);
    free(revision);
    return !differ;
}

/* Opens every dataset of the checkpoint and reads which blocks are done:
 * 1 when all of it is there and sound. */
static int open_datasets(struct bs_checkpoint *ck, struct bs_run *run)
{
    ck->values = H5Dopen2(ck->file, "values", H5P_DEFAULT);
    ck->sum = H5Dopen2(ck->file, "series_sum", H5P_DEFAULT);
    ck->count = H5Dopen2(ck->file, "series_count", H5P_DEFAULT);
    ck->checksum = H5Dopen2(ck->file, "checksum", H5P_DEFAULT);
    ck->done = H5Dopen2(ck->file, "done", H5P_DEFAULT);
    ck->snap = H5Dopen2(ck->file, "pooled_sums", H5P_DEFAULT);
    ck->snap_in = H5Dopen2(ck->file, "pooled_blocks", H5P_DEFAULT);
    ck->snap_meta = H5Dopen2(ck->file, "pooled_meta", H5P_DEFAULT);
    char bad_slots[BS_H5_WHY_MAX];
    return ck->values >= 0 && ck->sum >= 0 && ck->count >= 0 && ck->checksum >= 0 && ck->done >= 0 &&
           ck->snap >= 0 && ck->snap_in >= 0 && ck->snap_meta >= 0 &&
           bs_h5_get_uint(ck->file, "pooled_slots", &ck->slots, bad_slots, sizeof bad_slots) == BS_H5_READ &&
           ck->slots >= 1 && ck->slots <= (unsigned long long)INT32_MAX && read_blocks(ck, run) == 0;
}

int bs_checkpoint_resume(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         struct bs_run *run, const char *scenario_text, struct bs_error *err)
{
    init(ck, cl, out_path);
    crc_init();
    int why = cl->rank == 0 ? open_locked(ck) : 0;
    bs_cluster_broadcast(cl, &why, sizeof why);
    if (why) {
        close_ids(ck);
        return refuse(ck, out_path, why, err);
    }
    int damaged = cl->rank == 0 ? probe_damage(ck, run, scenario_text, err) : 0;
    if (bs_cluster_agree(cl, damaged)) {
        close_ids(ck);
        return damaged ? err->status : bs_error_set(err, BS_ERR_INPUT, "%s: the checkpoint is damaged", ck->path);
    }
    ck->file = open_file(ck, 0);
    if (bs_cluster_agree(cl, ck->file < 0)) {
        bs_error_set(err, BS_ERR_INPUT,
                     "%s: the checkpoint cannot be read (was the run killed while writing it?); remove it and run "
                     "without --resume",
                     ck->path);
        close_ids(ck);
        return err->status;
    }
    int same = same_identity(ck->file, ck->path, run, scenario_text, err);
    if (bs_cluster_agree(cl, same != 1)) {
        close_ids(ck);
        return same < 0 ? err->status
                        : bs_error_set(err, BS_ERR_INPUT,
                            "%s: the checkpoint belongs to another run (scenario, seed or replications differ); "
                            "resume with the same ones, or remove it",
                            ck->path);
    }
    if (!same_build(cl, ck, err)) {
        close_ids(ck);
        return err->status;
    }
    if (bs_cluster_agree(cl, !open_datasets(ck, run))) {
        close_ids(ck);
        return bs_error_set(err, BS_ERR_INPUT, "%s: the checkpoint cannot be read; remove it and run without --resume",
                            ck->path);
    }
    if (resume_pools(ck, run) < 0) {
        close_ids(ck);
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: the checkpoint's pooled sums cannot be read; remove it and run without --resume",
                            ck->path);
    }
    return 0;
}

void bs_checkpoint_close(struct bs_checkpoint *ck)
{
    close_ids(ck);
}

void bs_checkpoint_remove(struct bs_checkpoint *ck)
{
    close_h5(ck);
    if (ck->cluster->rank == 0)
        bs_files_unlink_ours(ck->fd, ck->path);
    close_ids(ck); /* the lock last: no other run sees the file free before it is gone */
}
