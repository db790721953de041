/* Why the random streams are Philox: uniform doubles per second from
 * Philox4x64 (direct and through the gsl_rng adapter) against GSL's taus2
 * and mt19937, and the cost of giving each customer a stream of its own
 * (a Philox seek against re-seeding a GSL generator per customer). */
#include <stdio.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "../../sim/rng.h"

#define DRAWS 50000000
#define CUSTOMERS 2000000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report(const char *what, double count, double seconds, double sink)
{
    printf("  %-44s %8.1f M/s   (checksum %.3f)\n", what, count / seconds / 1e6, sink);
}

static void uniforms_gsl(const char *what, gsl_rng *r)
{
    double sum = 0, t0 = now_s();
    for (long i = 0; i < DRAWS; i++)
        sum += gsl_rng_uniform(r);
    report(what, DRAWS, now_s() - t0, sum / DRAWS);
}

static void per_customer_gsl(const char *what, gsl_rng *r)
{
    double sum = 0, t0 = now_s();
    for (long c = 0; c < CUSTOMERS; c++) {
        gsl_rng_set(r, (unsigned long)c * 2654435761UL + 1);
        for (int k = 0; k < 4; k++)
            sum += gsl_rng_uniform(r);
    }
    report(what, CUSTOMERS, now_s() - t0, sum / CUSTOMERS);
}

int main(void)
{
    printf("random streams (uniform doubles / customer streams per second, one thread)\n");
    struct bs_stream s;
    bs_stream_set(&s, 1, 0, 1, 0);
    double sum = 0, t0 = now_s();
    for (long i = 0; i < DRAWS; i++)
        sum += bs_stream_uniform(&s);
    report("philox4x64 direct, 53-bit", DRAWS, now_s() - t0, sum / DRAWS);

    gsl_rng *p = bs_rng_alloc(), *taus = gsl_rng_alloc(gsl_rng_taus2), *mt = gsl_rng_alloc(gsl_rng_mt19937);
    bs_stream_set(bs_rng_stream(p), 1, 0, 1, 0);
    uniforms_gsl("philox4x64 via gsl_rng adapter, 53-bit", p);
    uniforms_gsl("gsl taus2 (32-bit)", taus);
    uniforms_gsl("gsl mt19937 (32-bit)", mt);

    sum = 0;
    t0 = now_s();
    for (long c = 0; c < CUSTOMERS; c++) {
        bs_stream_seek(bs_rng_stream(p), 2, (uint64_t)c);
        for (int k = 0; k < 4; k++)
            sum += gsl_rng_uniform(p);
    }
    report("customer streams, 4 draws each: philox seek", CUSTOMERS, now_s() - t0, sum / CUSTOMERS);
    per_customer_gsl("customer streams, 4 draws each: taus2 reseed", taus);
    per_customer_gsl("customer streams, 4 draws each: mt19937 reseed", mt);
    gsl_rng_free(p);
    gsl_rng_free(taus);
    gsl_rng_free(mt);
    return 0;
}
