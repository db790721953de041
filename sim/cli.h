/* What the commands share (cli.c), and the commands in files of their
 * own (plan.c, rerun.c; main.c has run, check and describe). Exit statuses as in error.h: 0 ok, 1 a run failed, 2 bad input. */
#ifndef BS_CLI_H
#define BS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "cluster.h"
#include "error.h"
#include "load.h"
#include "output.h"
#include "runner.h"

/* Options run and plan share (check: --set alone). */
struct run_options {
    const char *out_path;
    long replications, seed, threads; /* 0, -1, 0: the scenario's, its seed, all cores */
    int quiet;
    const char *sets[BS_CFG_OVERRIDES_MAX / 2]; /* --set KEY=VALUE, as given */
    size_t n_sets;
};

/* SIGINT, SIGTERM and SIGHUP stop a run at a wave, keeping its checkpoint. */
void catch_interrupts(void);
/* Prints err's message; returns its status. */
int fail(const struct bs_error *err);
/* command's usage and options (CMD --help), or with NULL every command's synopsis (--help). */
void print_usage(FILE *to, const char *command);
/* 1 when name is one of branchsim's commands. */
int is_command(const char *name);
/* Prints what, then the synopsis of every command; returns BS_ERR_INPUT. */
int usage_error(const char *what);
/* Prints what, then command's usage and options; returns BS_ERR_INPUT. */
int usage_error_for(const char *command, const char *what);
/* getopt's error c for command, in one line. */
int bad_option(const char *command, int c, char **argv);
/* Parses one of -o -r -s -j -q --set into o: 1 when c was one of them, 0 when not,
 * -1 after reporting a bad value. */
int run_option(int c, const char *arg, long min_replications, struct run_options *o);
/* Loads the scenario (vary_key over values, when given), applies o, checks memory. */
int load_for_run(const struct bs_cluster *cl, struct bs_loaded *ld, const char *file, const char *vary_key,
                 const char *const *values, size_t n_values, const struct run_options *o, struct bs_error *err);
/* The blocks of replications of a run of ld (its -r applied). */
size_t run_blocks(const struct bs_loaded *ld);
/* What a run of ld (its -r applied) on threads threads needs, before it
 * holds every point (bs_load_ex without hold). */
void run_need(const struct bs_loaded *ld, int threads, struct bs_need *need);
/* SCENARIO's name with .h5 for .yaml. */
void default_output(const char *scenario, char *out, size_t cap);
/* What a command adds once every point has run, before the file is
 * written: root attributes (plan's answer), which live until the write. */
struct execute_hook {
    int (*decide)(void *ctx, const struct bs_run *run, const struct bs_output_attr **attrs, size_t *n_attrs,
                  struct bs_error *err);
    void *ctx;
};
/* Runs every point of ld (checkpointing to OUT.h5.partial, or resuming
 * from it) and writes out_path; the caller frees run. hook may be NULL. */
int execute(const struct bs_cluster *cl, struct bs_loaded *ld, const char *scenario_file, const char *out_path,
            int threads, int quiet, int resume, const struct execute_hook *hook, struct bs_run *run,
            struct bs_error *err);
/* The output path checked before anything runs (rank 0's view): 0 or the status. */
int check_output(const struct bs_cluster *cl, const char *out_path, const char *scenario_file,
                 struct bs_error *err);
/* Runs every point of ld with no checkpoint and no file (plan's batches);
 * every rank then holds every result. The caller frees run. */
int run_points(const struct bs_cluster *cl, struct bs_loaded *ld, int threads, struct bs_run *run,
               struct bs_error *err);
/* Writes the results of run (the points of ld) to out_path, with attrs at the root. */
int write_result(const struct bs_cluster *cl, const struct bs_loaded *ld, const struct bs_run *run,
                 const char *scenario_file, const char *out_path, const struct bs_output_attr *attrs,
                 size_t n_attrs, struct bs_error *err);

int bs_cmd_plan(const struct bs_cluster *cl, int argc, char **argv);
/* branchsim rerun OUT.h5 (rerun.c). */
int bs_cmd_rerun(const struct bs_cluster *cl, int argc, char **argv);

#endif
