/* `make bench`: simulated customers per second per thread for the M/M/c
 * benchmark and the shipped scenarios (all their sweep points), with one
 * thread and with all cores.
 * Times the runner only (no file output); best of several repeats, since
 * the machine's other load can only slow a repeat down. Writes the M/M/c
 * figure to build/bench_mmc.txt for the SimPy comparison. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../models/metrics.h"
#include "../../sim/load.h"
#include "../../sim/model.h"
#include "../../sim/runner.h"

#define REPEATS 5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double last_replications_per_s;

/* Returns customers per second per thread (best repeat); -1 on error. */
static double bench_repeats(const char *file, int threads, int repeats, long replications)
{
    struct bs_loaded ld;
    struct bs_error err = {0};
    if (bs_load(&ld, file, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        bs_load_fini(&ld);
        return -1;
    }
    if (replications > 0)
        ld.replications = replications;
    struct bs_run run = {.n_points = ld.n_points, .n_replications = (size_t)ld.replications, .seed = ld.seed,
                         .points = ld.points};
    bs_runner_layout(&run);
    double best_s = 1e300, customers = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now_s();
        int st = bs_runner_run(&run, threads, &err);
        double s = now_s() - t0;
        if (st) {
            fprintf(stderr, "bench: %s\n", err.msg);
            bs_runner_free(&run);
            break;
        }
        best_s = s < best_s ? s : best_s;
        customers = 0;
        for (size_t i = 0; i < run.n_points * run.n_replications; i++)
            customers += run.values[i * run.layout.width + BS_M_INTENTS]; /* everyone simulated, online too */
        bs_runner_free(&run);
    }
    bs_load_fini(&ld);
    double rate = customers / best_s / threads;
    last_replications_per_s = (double)(run.n_points * run.n_replications) / best_s;
    printf("  %-30s %2d thread%s  %9.0f customers in %.3f s  %6.2f M customers/s per thread\n", file, threads,
           threads == 1 ? " " : "s", customers, best_s, rate / 1e6);
    return rate;
}

static double bench(const char *file, int threads)
{
    return bench_repeats(file, threads, REPEATS, 0);
}

int main(int argc, char **argv)
{
    int cores = omp_get_num_procs();
    printf("branchsim benchmark (best of %d repeats; %d cores)\n", REPEATS, cores);
    /* bench_mmc FILE...: those scenarios alone, one thread (to alternate
     * runs of two builds when comparing them). */
    for (int i = 1; i < argc; i++)
        if (bench(argv[i], 1) < 0)
            return 1;
    if (argc > 1)
        return 0;
    double mmc = bench("tests/bench/mmc-bench.yaml", 1);
    if (cores > 1)
        bench("tests/bench/mmc-bench.yaml", cores);
    static const char *const scenarios[] = {"scenarios/default.yaml", "scenarios/appointments.yaml",
                                            "scenarios/peak-shift.yaml", "scenarios/self-service.yaml"};
    for (size_t k = 0; k < sizeof scenarios / sizeof scenarios[0]; k++) {
        bench(scenarios[k], 1);
        if (cores > 1)
            bench(scenarios[k], cores);
    }
    /* What exposure costs: the epidemic day with and without it. */
    double with = bench("scenarios/epidemic.yaml", 1);
    double without = bench("tests/bench/epidemic-no-exposure.yaml", 1);
    if (with > 0 && without > 0)
        printf("  exposure on costs %.0f %% over the same day without it (target: at most 30 %%)\n",
               100.0 * (without / with - 1.0));
    /* A sweep's scheduling overhead: 100 points x 1000 replications against
     * one point with as many replications, all cores, customers per second
     * (the swept key changes no dynamics). */
    double single = bench_repeats("scenarios/default.yaml", cores, 1, 100000);
    double single_reps = last_replications_per_s;
    double sweep = bench_repeats("tests/bench/sweep-100.yaml", cores, 1, 0);
    if (single < 0 || sweep < 0)
        return 1;
    printf("  sweep of 100 points x 1000 replications: %.0f replications/s (one point: %.0f); time per customer "
           "%+.1f %% against one point (target: under +5 %%)\n",
           last_replications_per_s, single_reps, 100.0 * (single / sweep - 1.0));
    if (mmc < 0)
        return 1;
    FILE *f = fopen("build/bench_mmc.txt", "w");
    if (f) {
        fprintf(f, "customers_per_second_per_thread %.1f\n", mmc);
        fclose(f);
    }
    return 0;
}
