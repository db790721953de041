/* The processes of one run. Built with -DBS_MPI (`make mpi`), a run is
 * spread over MPI ranks: rank k runs the blocks of replications b with
 * b % size == k (every point is shared evenly, whatever its cost), then
 * every rank receives every block, and the result file is written with
 * parallel HDF5, each rank writing its own rows. Without MPI these are the
 * trivial versions for one process, so the rest of the code has one path.
 * HDF5 is only ever called from the thread that called bs_cluster_init
 * (MPI_THREAD_FUNNELED): the parallel HDF5 library is not thread-safe. */
#ifndef BS_CLUSTER_H
#define BS_CLUSTER_H

#include <hdf5.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct bs_run;

struct bs_cluster {
    int rank; /* 0 .. size - 1; rank 0 prints and names files */
    int size;
    FILE *log; /* where this rank reports its own failures (stderr on rank 0) */
};

/* Starts MPI (where built with it). The one-process build refuses to run
 * as one of several tasks of mpirun or srun. 0, or -1 after printing why. */
int bs_cluster_init(struct bs_cluster *cl, int *argc, char ***argv);
void bs_cluster_finalize(const struct bs_cluster *cl);
/* The worst status of every rank's (a collective call). */
int bs_cluster_agree(const struct bs_cluster *cl, int status);
/* A failure this rank met where the others may be inside collective calls
 * (which would then wait for ever): under MPI, prints err and what to do
 * next, and stops every rank (MPI_Abort, exit status 1). Returns with one
 * process, for the caller to report the error as usual. */
void bs_cluster_fail_alone(const struct bs_cluster *cl, const struct bs_error *err, const char *next_step);
/* The least and the most of every rank's value (a collective call). */
void bs_cluster_min_max(const struct bs_cluster *cl, double value, double *min, double *max);
/* Every rank's flags[i] becomes the least of every rank's (a collective call). */
void bs_cluster_all_flags(const struct bs_cluster *cl, unsigned char *flags, size_t n);
/* Rank 0's bytes to every rank. */
void bs_cluster_broadcast(const struct bs_cluster *cl, void *buf, size_t bytes);
/* Whether this rank runs block b (of run's blocks, point-major). */
static inline int bs_cluster_owns(int rank, int size, size_t block)
{
    return size <= 1 || block % (size_t)size == (size_t)rank;
}
/* After every rank ran its blocks: copies each block's values and series
 * sums to every rank and sums the ranks' pooled histograms, so each holds
 * the whole run. 0 or -1. */
int bs_cluster_share_results(const struct bs_cluster *cl, struct bs_run *run, struct bs_error *err);
/* A file-access property list for a file every rank opens together (MPI-IO
 * under MPI); the caller closes it. */
hid_t bs_cluster_file_access(const struct bs_cluster *cl);
/* The transfer property list for writes every rank takes part in
 * (collective under MPI, which compressed datasets need; H5P_DEFAULT
 * otherwise); bs_cluster_transfer_close releases it. */
hid_t bs_cluster_transfer(const struct bs_cluster *cl);
void bs_cluster_transfer_close(hid_t dxpl);
/* Rows [*first, *end) of n that this rank writes: an even contiguous share. */
void bs_cluster_rows(const struct bs_cluster *cl, size_t n, size_t *first, size_t *end);

#endif
