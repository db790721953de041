/* See cluster.h. The MPI part is compiled only with -DBS_MPI. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#ifdef BS_MPI
#include <mpi.h>
#endif

void bs_cluster_rows(const struct bs_cluster *cl, size_t n, size_t *first, size_t *end)
{
    size_t size = cl->size > 0 ? (size_t)cl->size : 1, rank = (size_t)cl->rank;
    *first = n * rank / size;
    *end = n * (rank + 1) / size;
}

#ifdef BS_MPI

int bs_cluster_init(struct bs_cluster *cl, int *argc, char ***argv)
{
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "branchsim: MPI failed to start\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &cl->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &cl->size);
    if (provided < MPI_THREAD_FUNNELED) {
        if (cl->rank == 0)
            fprintf(stderr, "branchsim: this MPI library does not allow OpenMP threads (MPI_THREAD_FUNNELED)\n");
        MPI_Finalize();
        return -1;
    }
    return 0;
}

void bs_cluster_finalize(const struct bs_cluster *cl)
{
    (void)cl;
    MPI_Finalize();
}

int bs_cluster_agree(const struct bs_cluster *cl, int status)
{
    int worst = status;
    if (cl->size > 1)
        MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

void bs_cluster_fail_alone(const struct bs_cluster *cl, const struct bs_error *err, const char *next_step)
{
    if (cl->size <= 1)
        return;
    fprintf(cl->log, "branchsim (rank %d of %d): %s; stopping every rank. %s\n", cl->rank, cl->size, err->msg,
            next_step);
    fflush(cl->log);
    MPI_Abort(MPI_COMM_WORLD, BS_ERR_RUN);
}

void bs_cluster_min_max(const struct bs_cluster *cl, double value, double *min, double *max)
{
    *min = *max = value;
    if (cl->size > 1) {
        MPI_Allreduce(&value, min, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(&value, max, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    }
}

void bs_cluster_broadcast(const struct bs_cluster *cl, void *buf, size_t bytes)
{
    if (cl->size > 1)
        MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
}

void bs_cluster_all_flags(const struct bs_cluster *cl, unsigned char *flags, size_t n)
{
    for (size_t at = 0; cl->size > 1 && at < n; at += (size_t)1 << 30) {
        size_t k = n - at < (size_t)1 << 30 ? n - at : (size_t)1 << 30;
        MPI_Allreduce(MPI_IN_PLACE, flags + at, (int)k, MPI_UNSIGNED_CHAR, MPI_MIN, MPI_COMM_WORLD);
    }
}

/* Blocks per broadcast: keeps each message far below MPI's 2 GB limits
 * (a block is 8 replications of at most a few hundred doubles). */
#define BLOCKS_PER_BROADCAST 4096

/* Broadcasts from `owner` the parts of base it computed: n runs of
 * n_doubles[i] doubles starting at byte offset at_bytes[i], as derived
 * datatypes of at most BLOCKS_PER_BROADCAST runs each. */
static int broadcast_rows(double *base, const MPI_Aint *at_bytes, const int *n_doubles, int n, int owner)
{
    for (int first = 0; first < n; first += BLOCKS_PER_BROADCAST) {
        int count = n - first < BLOCKS_PER_BROADCAST ? n - first : BLOCKS_PER_BROADCAST;
        MPI_Datatype rows;
        if (MPI_Type_create_hindexed(count, n_doubles + first, at_bytes + first, MPI_DOUBLE, &rows) != MPI_SUCCESS ||
            MPI_Type_commit(&rows) != MPI_SUCCESS)
            return -1;
        int st = MPI_Bcast(base, 1, rows, owner, MPI_COMM_WORLD);
        MPI_Type_free(&rows);
        if (st != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

int bs_cluster_share_results(const struct bs_cluster *cl, struct bs_run *run, struct bs_error *err)
{
    const size_t n_blocks = run->n_points * run->blocks_per_point;
    const size_t width = run->layout.width, series_width = run->layout.series_width;
    if (cl->size > 1) {
        size_t most = n_blocks / (size_t)cl->size + 1;
        MPI_Aint *values_at = malloc(most * sizeof *values_at), *series_at = malloc(most * sizeof *series_at);
        int *values_len = malloc(most * sizeof *values_len), *series_len = malloc(most * sizeof *series_len);
        int st = values_at && series_at && values_len && series_len ? 0 : -1;
        if (st) {
            struct bs_error oom = {0};
            bs_error_set(&oom, BS_ERR_RUN, "out of memory gathering the results");
            bs_cluster_fail_alone(cl, &oom, "Every block is in the checkpoint: add --resume to write the file.");
        }
        for (int owner = 0; st == 0 && owner < cl->size; owner++) {
            int n = 0;
            for (size_t b = (size_t)owner; b < n_blocks; b += (size_t)cl->size, n++) {
                size_t point = b / run->blocks_per_point, first = (b % run->blocks_per_point) * BS_RUNNER_BLOCK;
                size_t last = first + BS_RUNNER_BLOCK < run->n_replications ? first + BS_RUNNER_BLOCK
                                                                             : run->n_replications;
                /* Byte displacements: MPI_Aint holds any array offset. */
                values_at[n] = (MPI_Aint)((point * run->n_replications + first) * width * sizeof(double));
                values_len[n] = (int)((last - first) * width);
                series_at[n] = (MPI_Aint)(b * series_width * sizeof(double));
                series_len[n] = (int)series_width;
            }
            st = broadcast_rows(run->values, values_at, values_len, n, owner);
            if (st == 0 && series_width > 0)
                st = broadcast_rows(run->series_sum, series_at, series_len, n, owner);
            if (st == 0 && series_width > 0)
                st = broadcast_rows(run->series_count, series_at, series_len, n, owner);
        }
        free(values_at);
        free(series_at);
        free(values_len);
        free(series_len);
        /* Each rank counted its own blocks: the sum is the same for any ranks. */
        const size_t total = run->n_points * run->layout.pool_hist_width;
        for (size_t at = 0; st == 0 && at < total; at += (size_t)1 << 27) {
            size_t n = total - at < (size_t)1 << 27 ? total - at : (size_t)1 << 27;
            st = MPI_Allreduce(MPI_IN_PLACE, run->pool_hist + at, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD) ==
                         MPI_SUCCESS ? 0 : -1;
        }
        if (bs_cluster_agree(cl, st ? 1 : 0))
            return bs_error_set(err, BS_ERR_RUN, "could not gather the results of every rank (out of memory?)");
    }
    memset(run->block_done, 1, n_blocks);
    return 0;
}

hid_t bs_cluster_file_access(const struct bs_cluster *cl)
{
    (void)cl;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

hid_t bs_cluster_transfer(const struct bs_cluster *cl)
{
    (void)cl;
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
        H5Pclose(dxpl);
        return -1;
    }
    return dxpl;
}

void bs_cluster_transfer_close(hid_t dxpl)
{
    if (dxpl >= 0)
        H5Pclose(dxpl);
}

#else /* one process */

/* How many copies a launcher started, from the variables mpirun (OpenMPI,
 * MPICH) and srun set; 1 when none. */
static long launched_copies(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
    long most = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        long n = v ? strtol(v, NULL, 10) : 1;
        most = n > most ? n : most;
    }
    return most;
}

int bs_cluster_init(struct bs_cluster *cl, int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cl->rank = 0;
    cl->size = 1;
    cl->log = stderr;
    /* Copies of the one-process build would each run everything and race
     * for one output file. */
    long copies = launched_copies();
    if (copies > 1) {
        fprintf(stderr,
                "branchsim: started as one of %ld tasks by mpirun or srun, but this is the one-process build: "
                "run branchsim-mpi (make mpi) there, or run branchsim as one task\n",
                copies);
        return -1;
    }
    return 0;
}

void bs_cluster_finalize(const struct bs_cluster *cl)
{
    (void)cl;
}

int bs_cluster_agree(const struct bs_cluster *cl, int status)
{
    (void)cl;
    return status;
}

void bs_cluster_fail_alone(const struct bs_cluster *cl, const struct bs_error *err, const char *next_step)
{
    (void)cl;
    (void)err;
    (void)next_step;
}

void bs_cluster_min_max(const struct bs_cluster *cl, double value, double *min, double *max)
{
    (void)cl;
    *min = *max = value;
}

void bs_cluster_broadcast(const struct bs_cluster *cl, void *buf, size_t bytes)
{
    (void)cl;
    (void)buf;
    (void)bytes;
}

void bs_cluster_all_flags(const struct bs_cluster *cl, unsigned char *flags, size_t n)
{
    (void)cl;
    (void)flags;
    (void)n;
}

int bs_cluster_share_results(const struct bs_cluster *cl, struct bs_run *run, struct bs_error *err)
{
    (void)cl;
    (void)err;
    memset(run->block_done, 1, run->n_points * run->blocks_per_point);
    return 0;
}

hid_t bs_cluster_file_access(const struct bs_cluster *cl)
{
    (void)cl;
    return H5Pcreate(H5P_FILE_ACCESS);
}

hid_t bs_cluster_transfer(const struct bs_cluster *cl)
{
    (void)cl;
    return H5P_DEFAULT;
}

void bs_cluster_transfer_close(hid_t dxpl)
{
    (void)dxpl;
}

#endif
