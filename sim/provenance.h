/* The command line in the result file (root attributes command_argv,
 * command_line and history), and what `branchsim rerun` (rerun.c) tells
 * the run or plan it starts again. */
#ifndef BS_PROVENANCE_H
#define BS_PROVENANCE_H

#include <hdf5.h>

#include "cli.h"
#include "error.h"

/* Keeps argv as given, before a command parses it (getopt reorders argv):
 * called once by main(); bs_provenance_forget releases it. 0, or -1 out
 * of memory (the file then records no command). */
int bs_provenance_record(int argc, char **argv);
void bs_provenance_forget(void);

/* Writes command_argv, command_line and history at the root of file
 * (history's time is the `created` attribute's, when there is one). Under
 * MPI every rank calls it, with the same argv. 0, or -1 when HDF5 failed. */
herr_t bs_provenance_write(hid_t file, const struct bs_cluster *cl);

/* Under `branchsim rerun` (set in the environment it gives the run it
 * starts): the scenario is rerun's copy of the stored text, the output its
 * temporary file (or --keep), the threads rerun's -j, and nothing resumes.
 * scenario is the command's scenario argument; resume may be NULL (plan).
 * Does nothing in any other run: the variables without BS_RERUN_PARENT_ENV
 * (left in a shell) are ignored with a warning. 0, or BS_ERR_INPUT (said on
 * stderr) when BS_RERUN_PARENT_ENV is set but is not our parent: an
 * orphaned rerun child, or a copied environment, runs nothing. */
int bs_provenance_redirect(struct run_options *o, const char **scenario, int *resume);

/* Environment variables rerun sets for the run it starts (nothing else
 * does). They count only in a process whose parent's pid is in
 * BS_RERUN_PARENT_ENV (see bs_provenance_redirect). */
#define BS_RERUN_SCENARIO_ENV "BRANCHSIM_RERUN_SCENARIO"
#define BS_RERUN_OUTPUT_ENV "BRANCHSIM_RERUN_OUTPUT"
#define BS_RERUN_THREADS_ENV "BRANCHSIM_RERUN_THREADS"
#define BS_RERUN_PARENT_ENV "BRANCHSIM_RERUN_PARENT"

#endif
