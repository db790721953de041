/* Counter-based random streams (Philox4x64-10 from Random123).
 *
 * Why Philox and not a seeded GSL generator: a Philox stream is a pure
 * function of (key, counter), so a stream for (master seed, replication,
 * purpose, entity) costs nothing to create or to jump to, needs no seeding
 * hash, and gives each customer a stream of its own: the same customer draws
 * the same numbers in every scenario point (common random numbers). Measured
 * with `make bench` (bench_rng): Philox with 53-bit doubles is on par with
 * GSL's taus2 and faster than mt19937 for the draws a day makes, while
 * re-seeding taus2 per customer would cost a full seeding per customer.
 *
 * key = (master seed, replication); counter = (purpose, entity, block, 0).
 * Each block yields four 64-bit words; a uniform uses the top 53 bits. */
#ifndef BS_RNG_H
#define BS_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

struct bs_stream {
    uint64_t key[2];
    uint64_t ctr[4];
    uint64_t out[4];
    unsigned next; /* index of the next unused word of out; 4 = none left */
};

/* Points the stream at (seed, replication, purpose, entity), first draw. */
void bs_stream_set(struct bs_stream *s, uint64_t seed, uint64_t replication,
                   uint64_t purpose, uint64_t entity);
/* Same key, another (purpose, entity): how a customer's stream is chosen. */
static inline void bs_stream_seek(struct bs_stream *s, uint64_t purpose, uint64_t entity)
{
    s->ctr[0] = purpose;
    s->ctr[1] = entity;
    s->ctr[2] = 0;
    s->ctr[3] = 0;
    s->next = 4;
}
/* Computes the next block of four words (the slow path of the draws). */
void bs_stream_refill(struct bs_stream *s);

static inline uint64_t bs_stream_u64(struct bs_stream *s)
{
    if (s->next == 4)
        bs_stream_refill(s);
    return s->out[s->next++];
}

/* Uniform on the open interval (0, 1) with 53 random bits. */
static inline double bs_stream_uniform(struct bs_stream *s)
{
    return ((double)(bs_stream_u64(s) >> 11) + 0.5) * 0x1p-53;
}

/* A gsl_rng whose state is a bs_stream, so GSL's samplers run on Philox.
 * Allocate outside the event loop; free with gsl_rng_free. NULL on failure. */
gsl_rng *bs_rng_alloc(void);
static inline struct bs_stream *bs_rng_stream(gsl_rng *r) { return (struct bs_stream *)r->state; }

extern const gsl_rng_type *const bs_rng_philox4x64;

#endif
