/* Test harness: loads a scenario from YAML text and runs single days of it
 * directly, giving tests the day's state as well as its results. Include
 * after cmocka.h. */
#ifndef BS_TEST_HARNESS_H
#define BS_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../models/branch.h"
#include "../sim/load.h"
#include "../sim/runner.h"

struct harness {
    struct bs_loaded ld;
    struct bs_run run;
    struct bs_day *day;
    double *slab;
    double *series;
    struct bs_day_out out;
    struct bs_error err;
};

/* Returns 0, or the load status with h->err set (h must be finished either way). */
static inline int harness_load(struct harness *h, const char *yaml)
{
    memset(h, 0, sizeof *h);
    char path[] = "/tmp/bs_harness_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, yaml, strlen(yaml)) != (ssize_t)strlen(yaml))
        return -1;
    close(fd);
    int st = bs_load(&h->ld, path, &h->err);
    unlink(path);
    if (st)
        return st;
    h->run = (struct bs_run){.n_points = h->ld.n_points, .n_replications = 1, .seed = h->ld.seed,
                             .points = h->ld.points};
    bs_runner_layout(&h->run);
    const struct bs_layout *L = &h->run.layout;
    h->slab = malloc(L->width * sizeof *h->slab);
    h->series = malloc((L->series_width ? L->series_width : 1) * sizeof *h->series);
    h->day = bs_day_alloc();
    if (!h->slab || !h->series || !h->day)
        return -1;
    h->out = (struct bs_day_out){.row = h->slab, .series = h->series, .bin_stride = L->n_bins};
    for (size_t b = 0; b < L->n_breakdowns; b++) {
        h->out.breakdown[b] = h->slab + L->breakdown_offset[b];
        h->out.entity_stride[b] = L->entities[b];
    }
    return 0;
}

/* Runs replication rep of point p; returns bs_day_run's status. */
static inline int harness_day(struct harness *h, size_t point, uint64_t seed, uint64_t rep)
{
    return bs_day_run(h->day, h->ld.points[point], seed, rep, &h->out, &h->err);
}

static inline double harness_metric(const struct harness *h, enum bs_metric m)
{
    return h->out.row[m];
}

static inline double harness_breakdown(const struct harness *h, size_t b, size_t metric, size_t entity)
{
    return h->out.breakdown[b][metric * h->out.entity_stride[b] + entity];
}

static inline double harness_series(const struct harness *h, size_t series, size_t bin)
{
    return h->out.series[series * h->out.bin_stride + bin];
}

static inline void harness_fini(struct harness *h);

/* Loads yaml or fails the test with the loader's message. */
static inline void harness_load_ok(struct harness *h, const char *yaml)
{
    int st = harness_load(h, yaml);
    if (st)
        print_error("%s\n", h->err.msg);
    assert_int_equal(st, 0);
}

/* Loading yaml is an input error whose message holds where_key
 * (file:line:column: key: ...). */
static inline void harness_expect_input_error(const char *yaml, const char *where_key)
{
    struct harness h;
    int st = harness_load(&h, yaml);
    if (st != BS_ERR_INPUT || !strstr(h.err.msg, where_key))
        print_error("status %d: %s (wanted %s)\n", st, h.err.msg, where_key);
    assert_int_equal(st, BS_ERR_INPUT);
    assert_non_null(strstr(h.err.msg, where_key));
    harness_fini(&h);
}

static inline void harness_fini(struct harness *h)
{
    bs_day_free(h->day);
    free(h->slab);
    free(h->series);
    bs_load_fini(&h->ld);
}

#endif
