/* The checkpoint file of a run: see checkpoint.h. Every HDF5 call is
 * checked; the datasets are written block by block (contiguous rows). */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "h5attr.h"
#include "version.h"

static void close_ids(struct bs_checkpoint *ck)
{
    if (ck->sync_fd >= 0)
        close(ck->sync_fd);
    ck->sync_fd = -1;
    hid_t ids[] = {ck->values, ck->sum, ck->count, ck->done};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0)
            H5Dclose(ids[i]);
    if (ck->file >= 0)
        H5Fclose(ck->file);
    ck->values = ck->sum = ck->count = ck->done = ck->file = H5I_INVALID_HID;
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

static hid_t open_file(const struct bs_cluster *cl, const char *path, int create)
{
    hid_t fapl = bs_cluster_file_access(cl);
    /* No sieve buffer: each write reaches the operating system at once, in
     * the order made, so data always precedes its done flag. */
    if (fapl < 0 || H5Pset_sieve_buf_size(fapl, 0) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return -1;
    }
    hid_t f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
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

static int same_identity(hid_t file, const struct bs_run *run, const char *text)
{
    unsigned long long want[5], v;
    identity(run, want);
    for (int i = 0; i < 5; i++)
        if (bs_h5_read_uint_attr(file, identity_names[i], &v) < 0 || v != want[i])
            return 0;
    char *stored = bs_h5_read_string_attr(file, "scenario_yaml");
    int same = stored && strcmp(stored, text) == 0;
    free(stored);
    return same;
}

int bs_checkpoint_create(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         const struct bs_run *run, const char *scenario_text, struct bs_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ck->file = ck->values = ck->sum = ck->count = ck->done = H5I_INVALID_HID;
    ck->sync_fd = -1;
    ck->cluster = cl;
    snprintf(ck->path, sizeof ck->path, "%s.partial", out_path);
    /* Hours of replications may be in it: never overwritten unasked. */
    if (bs_cluster_exists(cl, ck->path))
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s exists: the checkpoint of an interrupted run. Add --resume to finish that run, or "
                            "remove the file to start again",
                            ck->path);
    if (bs_cluster_check_writable(cl, out_path, ck->path, err))
        return err->status;
    const size_t blocks = run->n_points * ((run->n_replications + BS_RUNNER_BLOCK - 1) / BS_RUNNER_BLOCK);
    ck->file = open_file(cl, ck->path, 1);
    if (ck->file >= 0 && write_identity(ck->file, run, scenario_text) >= 0) {
        ck->values = make_2d(ck->file, "values", run->n_points * run->n_replications, run->layout.width,
                             H5T_IEEE_F64LE);
        ck->sum = make_2d(ck->file, "series_sum", blocks, run->layout.series_width, H5T_IEEE_F64LE);
        ck->count = make_2d(ck->file, "series_count", blocks, run->layout.series_width, H5T_IEEE_F64LE);
        ck->done = make_2d(ck->file, "done", blocks, 1, H5T_STD_U8LE);
    }
    if (ck->file >= 0)
        ck->sync_fd = open(ck->path, O_RDONLY);
    int failed = ck->file < 0 || ck->values < 0 || ck->sum < 0 || ck->count < 0 || ck->done < 0 ||
                 ck->sync_fd < 0 || H5Fflush(ck->file, H5F_SCOPE_GLOBAL) < 0;
    if (bs_cluster_agree(cl, failed)) {
        bs_checkpoint_remove(ck);
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot create an HDF5 file there", ck->path);
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

int bs_checkpoint_write(struct bs_run *run, const long *blocks, size_t n, void *ctx)
{
    struct bs_checkpoint *ck = ctx;
    const size_t width = run->layout.width, sw = run->layout.series_width;
    for (size_t k = 0; k < n; k++) {
        size_t first, count;
        block_rows(run, blocks[k], &first, &count);
        if (rows_io(ck->values, H5T_NATIVE_DOUBLE, first, count, width, run->values + first * width, 1) < 0 ||
            rows_io(ck->sum, H5T_NATIVE_DOUBLE, (hsize_t)blocks[k], 1, sw, run->series_sum + (size_t)blocks[k] * sw, 1) < 0 ||
            rows_io(ck->count, H5T_NATIVE_DOUBLE, (hsize_t)blocks[k], 1, sw, run->series_count + (size_t)blocks[k] * sw, 1) < 0)
            return -1;
    }
    if (fsync(ck->sync_fd) != 0)
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

int bs_checkpoint_resume(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         struct bs_run *run, const char *scenario_text, struct bs_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ck->file = ck->values = ck->sum = ck->count = ck->done = H5I_INVALID_HID;
    ck->sync_fd = -1;
    ck->cluster = cl;
    snprintf(ck->path, sizeof ck->path, "%s.partial", out_path);
    if (!bs_cluster_exists(cl, ck->path))
        return bs_error_set(err, BS_ERR_INPUT, "%s: nothing to resume (no such checkpoint); run without --resume",
                            ck->path);
    ck->file = open_file(cl, ck->path, 0);
    if (bs_cluster_agree(cl, ck->file < 0)) {
        bs_error_set(err, BS_ERR_INPUT,
                     "%s: the checkpoint cannot be read (was the run killed while writing it?); remove it and run "
                     "without --resume",
                     ck->path);
        close_ids(ck);
        return err->status;
    }
    if (bs_cluster_agree(cl, !same_identity(ck->file, run, scenario_text))) {
        close_ids(ck);
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: the checkpoint belongs to another run (scenario, seed or replications differ); "
                            "resume with the same ones, or remove it",
                            ck->path);
    }
    /* Another build may simulate differently: its replications and ours
     * must not meet in one file. */
    char *revision = bs_h5_read_string_attr(ck->file, "revision");
    int same_build = revision && strcmp(revision, BS_REVISION) == 0;
    if (bs_cluster_agree(cl, !same_build)) {
        bs_error_set(err, BS_ERR_INPUT,
                     "%s: the checkpoint was written by branchsim revision %s, this is %s: resume with that "
                     "build, or remove the checkpoint",
                     ck->path, revision ? revision : "unknown", BS_REVISION);
        free(revision);
        close_ids(ck);
        return err->status;
    }
    free(revision);
    ck->sync_fd = open(ck->path, O_RDONLY);
    ck->values = H5Dopen2(ck->file, "values", H5P_DEFAULT);
    ck->sum = H5Dopen2(ck->file, "series_sum", H5P_DEFAULT);
    ck->count = H5Dopen2(ck->file, "series_count", H5P_DEFAULT);
    ck->done = H5Dopen2(ck->file, "done", H5P_DEFAULT);
    const size_t blocks = run->n_points * run->blocks_per_point, width = run->layout.width,
                 sw = run->layout.series_width;
    int ok = ck->sync_fd >= 0 && ck->values >= 0 && ck->sum >= 0 && ck->count >= 0 && ck->done >= 0 &&
             rows_io(ck->done, H5T_NATIVE_UINT8, 0, blocks, 1, run->block_done, 0) >= 0;
    for (size_t b = 0; ok && b < blocks; b++) {
        if (!run->block_done[b] || !bs_cluster_owns(run->rank, run->n_ranks, b))
            continue; /* the owner sends it on (bs_cluster_share_results) */
        size_t first, count;
        block_rows(run, (long)b, &first, &count);
        ok = rows_io(ck->values, H5T_NATIVE_DOUBLE, first, count, width, run->values + first * width, 0) >= 0 &&
             rows_io(ck->sum, H5T_NATIVE_DOUBLE, b, 1, sw, run->series_sum + b * sw, 0) >= 0 &&
             rows_io(ck->count, H5T_NATIVE_DOUBLE, b, 1, sw, run->series_count + b * sw, 0) >= 0;
    }
    if (bs_cluster_agree(cl, !ok)) {
        close_ids(ck);
        return bs_error_set(err, BS_ERR_INPUT, "%s: the checkpoint cannot be read; remove it and run without --resume",
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
    close_ids(ck);
    if (ck->cluster->rank == 0)
        unlink(ck->path);
}
