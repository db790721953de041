/* What the commands share (main.c), and the commands in files of their
 * own. Exit statuses as in error.h: 0 ok, 1 a run failed, 2 bad input. */
#ifndef BS_CLI_H
#define BS_CLI_H

#include <stddef.h>

#include "cluster.h"
#include "error.h"
#include "load.h"
#include "runner.h"

/* Options run and plan share. */
struct run_options {
    const char *out_path;
    long replications, seed, threads; /* 0, -1, 0: the scenario's, its seed, all cores */
    int quiet;
};

/* SIGINT, SIGTERM and SIGHUP stop a run at a wave, keeping its checkpoint. */
void catch_interrupts(void);
/* Prints err's message; returns its status. */
int fail(const struct bs_error *err);
/* Prints what, then the usage; returns BS_ERR_INPUT. */
int usage_error(const char *what);
/* getopt's error c for command, in one line. */
int bad_option(const char *command, int c, char **argv);
/* Parses one of -o -r -s -j -q into o: 1 when c was one of them, 0 when not,
 * -1 after reporting a bad value. */
int run_option(int c, const char *arg, long min_replications, struct run_options *o);
/* Loads the scenario (vary_key over values, when given), applies o, checks memory. */
int load_for_run(const struct bs_cluster *cl, struct bs_loaded *ld, const char *file, const char *vary_key,
                 const char *const *values, size_t n_values, const struct run_options *o, struct bs_error *err);
/* SCENARIO's name with .h5 for .yaml. */
void default_output(const char *scenario, char *out, size_t cap);
/* Runs every point of ld and writes out_path; the caller frees run. */
int execute(const struct bs_cluster *cl, struct bs_loaded *ld, const char *scenario_file, const char *out_path,
            int threads, int quiet, int resume, struct bs_run *run, struct bs_error *err);

int bs_cmd_plan(const struct bs_cluster *cl, int argc, char **argv);

#endif
