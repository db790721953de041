/* Checkpoints: a run writes every finished block of replications to
 * OUT.h5.partial (values, time-series sums, a done flag per block),
 * flushed after each wave of blocks, so that an interrupted run (SIGTERM
 * from a batch scheduler, Ctrl-C) resumes where it stopped with
 * `run --resume` and ends bitwise identical to an uninterrupted run. The
 * file records the scenario text, seed and sizes; a resume with anything
 * else is refused. Each block's data carries a checksum, written before its
 * done flag: a resume runs a block whose data does not match it again.
 * The pooled histograms (runner.h) are summed per point, so they are kept
 * per point and process ("slot"), twice (the last two writes, with the
 * blocks each holds and a checksum): a resume takes, per slot, the newest
 * that holds only blocks done and intact, and runs again the done blocks
 * that no such write holds (counts cannot be taken apart). A process of
 * rank >= the slots of the run that made the file writes none: its blocks
 * are run again after a further interruption.
 * The file is created anew (never through a symbolic link) and locked for
 * the whole run, the final write included, so that a second run with the
 * same -o is told that another run holds it. */
#ifndef BS_CHECKPOINT_H
#define BS_CHECKPOINT_H

#include <hdf5.h>

#include "cluster.h"
#include "error.h"
#include "runner.h"

/* Under MPI every rank opens the file together and writes its own blocks
 * with independent I/O as they finish: the datasets are allocated in full
 * when created, so a block's write changes no HDF5 metadata and needs no
 * collective flush, and what a killed rank wrote stays readable. */
struct bs_checkpoint {
    char path[1100];
    hid_t file, values, sum, count, checksum, done;
    hid_t snap, snap_in, snap_meta; /* pooled sums: [slot][point][2] rows */
    unsigned long long slots;
    /* The file as this process opened it, to fsync blocks' data before their
     * done flags; on rank 0 the descriptor that made it and holds its lock. */
    int fd;
    int locked; /* rank 0 holds its lock (not where locks do not work) */
    const struct bs_cluster *cluster;
};

/* Creates OUT.h5.partial for run; BS_ERR_INPUT when the path cannot be
 * written or something is there already (an interrupted run's checkpoint,
 * a live run's, a symbolic link). run's layout must be set. */
int bs_checkpoint_create(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         const struct bs_run *run, const char *scenario_text, struct bs_error *err);
/* Opens OUT.h5.partial of an interrupted run and reads its finished blocks
 * (those this rank runs, under MPI) into run (allocated with bs_runner_alloc);
 * a block failing its checksum is left not done, to run again (said on the
 * cluster's log). BS_ERR_INPUT when there is none, it is empty, a symbolic
 * link or not a regular file, another live run holds it, it cannot be read,
 * or it belongs to another run. */
int bs_checkpoint_resume(struct bs_checkpoint *ck, const struct bs_cluster *cl, const char *out_path,
                         struct bs_run *run, const char *scenario_text, struct bs_error *err);
/* bs_run.after_wave: writes the blocks just done, makes their data durable
 * (fsync), then sets their done flags: after a crash, even of the machine,
 * a flag never stands for data that did not reach the disk. 0 or -1. */
int bs_checkpoint_write(struct bs_run *run, const long *blocks, size_t n, void *ck);
/* Both collective under MPI. */
void bs_checkpoint_close(struct bs_checkpoint *ck);
/* Closes and deletes the checkpoint (the run finished or failed), only
 * while its path still names the file this run made. */
void bs_checkpoint_remove(struct bs_checkpoint *ck);

#endif
