/* Service standards: their figures for a day, folded at its end from the
 * customers counted in the wait statistics (standards_load.c reads them).
 * Nothing here runs in the event loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branch.h"

static double ratio(uint64_t num, uint64_t den)
{
    return den > 0 ? (double)num / (double)den : NAN;
}

#ifdef __GNUC__
#define SPECIALISED static inline __attribute__((always_inline))
#else
#define SPECIALISED static inline
#endif

/* Customer i's quantity; sample k is its wait. A constant in each caller. */
SPECIALISED double quantity_of(const struct bs_day *day, int quantity, size_t k, int32_t i)
{
    switch (quantity) {
    case BS_SQ_WAIT:
        return day->cust.wait_sample_min[k];
    case BS_SQ_SERVICE:
        return day->cust.service_min[i];
    default:
        return day->cust.leave_min[i] - day->cust.arrival_min[i];
    }
}

/* One standard over the samples: *within of *covered customers met it;
 * cov[k] and miss[k] note sample k covered, and missing a standard (cov is
 * all ones already when a standard covers everyone). With quantity and
 * restricted constants, the loop of a standard covering everyone on its
 * wait is a compare, an add and an or. */
SPECIALISED void count_standard(const struct bs_day *day, const struct bs_standard *s, int quantity, int restricted,
                                uint8_t *cov, uint8_t *miss, uint64_t *covered, uint64_t *within)
{
    const size_t n = day->tally.n_wait_samples;
    const int32_t *who = day->cust.wait_sample_customer;
    const int by_tr = day->sc->standards_by_transaction;
    const double threshold_min = s->within_min;
    uint64_t c = 0, w = 0;
    for (size_t k = 0; k < n; k++) {
        int32_t i = quantity == BS_SQ_WAIT && !restricted ? 0 : who[k];
        if (restricted && !(s->segment[day->cust.segment[i]] && s->transaction[by_tr ? day->cust.transaction[i] : 0]))
            continue;
        int ok = quantity_of(day, quantity, k, i) <= threshold_min;
        c++;
        w += (uint64_t)ok;
        if (restricted)
            cov[k] = 1;
        miss[k] |= (uint8_t)!ok;
    }
    *covered = c;
    *within = w;
}

static void fold_standard(const struct bs_day *day, const struct bs_standard *s, uint8_t *cov, uint8_t *miss,
                          uint64_t *covered, uint64_t *within)
{
    switch (s->quantity * 2 + s->restricted) {
    case BS_SQ_WAIT * 2:
        count_standard(day, s, BS_SQ_WAIT, 0, cov, miss, covered, within);
        break;
    case BS_SQ_WAIT * 2 + 1:
        count_standard(day, s, BS_SQ_WAIT, 1, cov, miss, covered, within);
        break;
    case BS_SQ_SERVICE * 2:
        count_standard(day, s, BS_SQ_SERVICE, 0, cov, miss, covered, within);
        break;
    case BS_SQ_SERVICE * 2 + 1:
        count_standard(day, s, BS_SQ_SERVICE, 1, cov, miss, covered, within);
        break;
    case BS_SQ_TIME_IN_BRANCH * 2:
        count_standard(day, s, BS_SQ_TIME_IN_BRANCH, 0, cov, miss, covered, within);
        break;
    default:
        count_standard(day, s, BS_SQ_TIME_IN_BRANCH, 1, cov, miss, covered, within);
        break;
    }
}

/* How many k < n have a[k] & (b[k] ^ flip) set, for flags a, b of 0 or 1:
 * eight bytes a word, summed by a multiply (each byte at most 1, eight of
 * them at most 8: no carry between bytes). */
static uint64_t count_ones(const uint8_t *a, const uint8_t *b, size_t n, uint64_t flip)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t count = 0;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t x, y;
        memcpy(&x, a + k, 8);
        memcpy(&y, b + k, 8);
        count += ((x & (y ^ flip) & ones) * ones) >> 56;
    }
    for (; k < n; k++)
        count += (uint64_t)(a[k] & (b[k] ^ (uint8_t)flip) & 1);
    return count;
}

/* Per segment, the samples covered by a standard and those meeting every
 * standard covering them; wait_sample_segment is kept when there are several. */
static void count_segments(const struct bs_day *day, const uint8_t *cov, const uint8_t *miss, uint64_t *covered,
                           uint64_t *within)
{
    const size_t n = day->tally.n_wait_samples;
    if (day->sc->n_segments == 1) {
        covered[0] = count_ones(cov, cov, n, 0);
        within[0] = count_ones(cov, miss, n, ~(uint64_t)0);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        size_t seg = day->cust.wait_sample_segment[k];
        covered[seg] += cov[k];
        within[seg] += (uint64_t)(cov[k] & !miss[k]);
    }
}

/* Reads the wait samples (whole waits, outside included) before wait_stats
 * reorders them, one standard at a time; scratch, free until the segments'
 * wait statistics, holds each sample's cov and miss flags. A customer's
 * time in branch runs from arriving at the door (a line outside counts, as
 * in the whole wait) to leaving the counter. */
void bs_standards_fold(struct bs_day *day, const struct bs_day_out *out)
{
    const struct bs_scenario *sc = day->sc;
    const size_t n = day->tally.n_wait_samples;
    uint8_t *cov = (uint8_t *)day->cust.scratch, *miss = cov + n; /* 2n bytes of the n doubles */
    int everyone = 0; /* a standard covers every sample */
    for (size_t j = 0; j < sc->n_standards; j++)
        everyone |= !sc->standards[j].restricted;
    memset(cov, everyone, n);
    memset(miss, 0, n);
    double *std_out = out->breakdown[BS_BD_STANDARDS];
    size_t es = out->entity_stride[BS_BD_STANDARDS];
    for (size_t j = 0; j < sc->n_standards; j++) {
        uint64_t covered, within;
        fold_standard(day, &sc->standards[j], cov, miss, &covered, &within);
        double share = ratio(within, covered);
        std_out[BS_STM_SHARE_WITHIN * es + j] = share;
        std_out[BS_STM_MET * es + j] = share == share ? (double)(share >= sc->standards[j].share) : NAN;
        std_out[BS_STM_COVERED * es + j] = (double)covered;
    }
    uint64_t seg_covered[BS_SEGMENTS_MAX] = {0}, seg_within[BS_SEGMENTS_MAX] = {0};
    count_segments(day, cov, miss, seg_covered, seg_within);
    double *seg_out = out->breakdown[BS_BD_SEGMENTS];
    size_t ss = out->entity_stride[BS_BD_SEGMENTS];
    for (size_t s = 0; s < sc->n_segments; s++)
        seg_out[BS_SM_SHARE_WITHIN_STANDARDS * ss + s] = ratio(seg_within[s], seg_covered[s]);
}
