/* HDF5 output (the layout: docs/output.md). A run writes into
 * "OUT.partial-PID", created anew (never through a symbolic link), synced
 * and renamed to OUT only when everything is written: a file named OUT is
 * always complete. The path is checked before the run (bs_files_check_output). */
#ifndef BS_OUTPUT_H
#define BS_OUTPUT_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster.h"
#include "error.h"
#include "model.h"
#include "runner.h"

/* Under MPI every rank opens the file together (cluster.h): each writes the
 * rows of the points bs_cluster_rows gives it (their summaries computed
 * there), rank 0 the small datasets; metadata calls are made by all ranks
 * with the same values. */
struct bs_output {
    char path[1024];
    char partial_path[1100];
    hid_t file;
    hid_t transfer; /* dataset transfer property list */
    int fd;         /* rank 0: the partial file as created, to sync and to remove only it */
    const struct bs_cluster *cluster;
    /* Text datasets rank 0 writes after the parallel file closed (MPI,
     * output_text.h); text_later points at text_list (writers get a const out). */
    struct bs_text_list {
        struct bs_text_later *first;
    } text_list, *text_later;
};

/* A root attribute a command adds (plan's answer): text, or a number when
 * text is NULL. */
struct bs_output_attr {
    const char *name;
    const char *text;
    double number;
};

struct bs_output_data {
    const char *scenario_text;
    const char *scenario_file;
    const char *scenario_name;
    const struct bs_run *run; /* seed, points, layout and values */
    size_t baseline;          /* the point /compare differences are taken against */
    size_t n_keys;            /* swept keys */
    const char *const *keys;
    const char *const *key_values; /* [point * n_keys + key], rendered text */
    const char *const *sets;       /* --set KEY=VALUE: the root attribute `set` */
    size_t n_sets;
    const struct bs_output_attr *attrs;
    size_t n_attrs;
};

/* Creates the partial file. BS_ERR_RUN when it cannot be (the directory
 * went, the disk is full: the checkpoint keeps the replications). */
int bs_output_open(struct bs_output *out, const struct bs_cluster *cl, const char *path, struct bs_error *err);
int bs_output_write(struct bs_output *out, const struct bs_output_data *data, struct bs_error *err);
/* Closes, syncs the file, renames it into place (unless OUT became
 * something other than a regular file meanwhile) and syncs the directory. */
int bs_output_commit(struct bs_output *out, struct bs_error *err);
/* Closes and removes the partial file; safe to call after a failed commit. */
void bs_output_abort(struct bs_output *out);

struct bs_describe_opts {
    const char *metrics; /* comma-separated metric names; NULL: all */
    int csv;             /* CSV rows (point, swept keys, metric, stats) instead of tables */
    int isolate;         /* a file from anywhere: read in a child process (see describe.c) */
};

/* Prints the summary of an output file (describe.c): per point, each
 * metric's mean, sd and 95 % CI, and the paired difference against the
 * baseline point. */
int bs_output_describe(const char *path, FILE *to, const struct bs_describe_opts *opts, struct bs_error *err);

#endif
