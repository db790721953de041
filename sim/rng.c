/* Philox4x64-10 streams and their gsl_rng adapter. The adapter's get_double
 * hands GSL 53-bit uniforms, not Random123's 32-bit gsl_microrng doubles. */
#include "rng.h"

#include <Random123/philox.h>

void bs_stream_refill(struct bs_stream *s)
{
    philox4x64_ctr_t c = {{s->ctr[0], s->ctr[1], s->ctr[2], s->ctr[3]}};
    philox4x64_key_t k = {{s->key[0], s->key[1]}};
    philox4x64_ctr_t r = philox4x64(c, k);
    for (int i = 0; i < 4; i++)
        s->out[i] = r.v[i];
    s->ctr[2]++;
    s->next = 0;
}

void bs_stream_set(struct bs_stream *s, uint64_t seed, uint64_t replication,
                   uint64_t purpose, uint64_t entity)
{
    s->key[0] = seed;
    s->key[1] = replication;
    bs_stream_seek(s, purpose, entity);
}

static void philox_set(void *state, unsigned long seed)
{
    bs_stream_set(state, seed, 0, 0, 0);
}

static unsigned long philox_get(void *state)
{
    return (unsigned long)(bs_stream_u64(state) >> 32);
}

static double philox_get_double(void *state)
{
    return bs_stream_uniform(state);
}

static const gsl_rng_type philox_type = {
    "bs_philox4x64", 0xffffffffUL, 0, sizeof(struct bs_stream),
    philox_set, philox_get, philox_get_double,
};

const gsl_rng_type *const bs_rng_philox4x64 = &philox_type;

gsl_rng *bs_rng_alloc(void)
{
    return gsl_rng_alloc(bs_rng_philox4x64);
}
