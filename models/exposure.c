/* Airborne exposure in the hall (Wells-Riley, well-mixed box): the quanta
 * concentration n obeys dn/dt = E(t)/V - k n, and E changes only at events
 * (an infectious person comes in, starts or ends speaking at a counter,
 * leaves), so n and its running integral advance in closed form between
 * events: no time steps. A person's far-field dose is inhalation x (1 -
 * inward mask efficiency) x the integral over their stay; service adds a
 * near-field dose across the counter. Risk is 1 - exp(-dose). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/rng.h"
#include "branch.h"

static inline double waiting_emission(const struct bs_exposure *ex)
{
    return ex->emission_waiting_quanta_per_h * (1 - ex->mask_out_customer);
}

static inline double speaking_emission(const struct bs_exposure *ex)
{
    return ex->emission_speaking_quanta_per_h * (1 - ex->mask_out_customer);
}

static inline double staff_emission(const struct bs_exposure *ex)
{
    return ex->emission_speaking_quanta_per_h * (1 - ex->mask_out_staff);
}

void bs_exposure_draw_health(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    const struct bs_exposure *ex = &sc->ex;
    struct bs_stream *own = bs_rng_stream(day->customer_rng);
    for (size_t i = 0; i < day->n_customers; i++) {
        bs_stream_seek(own, BS_STREAM_HEALTH, i);
        double u_infectious = bs_stream_uniform(own), u_symptoms = bs_stream_uniform(own);
        double u_screen = bs_stream_uniform(own);
        int infectious = u_infectious < ex->prevalence_customers;
        int symptomatic = infectious && u_symptoms < ex->symptomatic_share;
        day->cust.infectious[i] = (uint8_t)infectious;
        day->cust.flagged[i] = (uint8_t)(ex->screening &&
                                    u_screen < (symptomatic ? ex->sensitivity : ex->false_positive_rate));
        day->cust.dose[i] = 0;
        day->cust.enter_min[i] = NAN;
    }
}

/* Advances n and its integral from the last change to now, closing off
 * concentration time-series bins on the way. */
static void advance_to(struct bs_day *day, double t_min)
{
    const struct bs_scenario *sc = day->sc;
    const double k = sc->ex.removal_per_h, n_ss = day->expo.emission / (k * sc->ex.volume_m3);
    double dt_h = (t_min - day->expo.last_min) / 60.0;
    if (dt_h <= 0)
        return;
    double decay = exp(-k * dt_h);
    day->expo.conc_integral += n_ss * dt_h + (day->expo.conc - n_ss) * (1 - decay) / k;
    day->expo.conc = n_ss + (day->expo.conc - n_ss) * decay;
    day->expo.last_min = t_min;
}

void bs_exposure_advance(struct bs_day *day, double now_min)
{
    const struct bs_scenario *sc = day->sc;
    while (day->expo.conc_bin < sc->n_bins && now_min >= day->expo.conc_bin_end_min) {
        advance_to(day, day->expo.conc_bin_end_min);
        day->tl.series[BS_TS_CONCENTRATION * sc->n_bins + day->expo.conc_bin] =
            (day->expo.conc_integral - day->expo.conc_bin_start_integral) / (sc->bin_min / 60.0);
        day->expo.conc_bin_start_integral = day->expo.conc_integral;
        day->expo.conc_bin++;
        day->expo.conc_bin_end_min = (double)(day->expo.conc_bin + 1) * sc->bin_min;
    }
    advance_to(day, now_min);
}

void bs_exposure_emission(struct bs_day *day, double delta_quanta_per_h)
{
    bs_exposure_advance(day, day->now_min);
    day->expo.emission += delta_quanta_per_h;
    if (day->expo.emission < 1e-12) /* no drift below 0 from adding and removing */
        day->expo.emission = 0;
}

int bs_exposure_fit(struct bs_exposure_state *xs, long n_counters)
{
    if (n_counters <= xs->cap)
        return 0;
    int failed = 0;
    xs->staff_infectious = bs_resize(xs->staff_infectious, (size_t)n_counters, sizeof *xs->staff_infectious, &failed);
    xs->staff_near_dose = bs_resize(xs->staff_near_dose, (size_t)n_counters, sizeof *xs->staff_near_dose, &failed);
    if (failed)
        return -1;
    xs->cap = n_counters;
    return 0;
}

void bs_exposure_free(struct bs_exposure_state *xs)
{
    free(xs->staff_infectious);
    free(xs->staff_near_dose);
    *xs = (struct bs_exposure_state){0};
}

void bs_exposure_reset(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->expo.conc = day->expo.conc_integral = day->expo.emission = day->expo.last_min = 0;
    day->expo.conc_bin = 0;
    day->expo.conc_bin_end_min = sc->bin_min;
    day->expo.conc_bin_start_integral = 0;
    for (long k = 0; k < sc->n_counters; k++) {
        day->expo.staff_near_dose[k] = 0;
        if (day->ctr.counter_present[k] && day->expo.staff_infectious[k])
            day->expo.emission += staff_emission(&sc->ex); /* staff are in from opening */
    }
}

void bs_exposure_enter(struct bs_day *day, int32_t i)
{
    day->cust.enter_min[i] = day->now_min;
    if (day->cust.infectious[i])
        bs_exposure_emission(day, waiting_emission(&day->sc->ex));
    else
        bs_exposure_advance(day, day->now_min);
    day->cust.integral_at_entry[i] = day->expo.conc_integral;
}

void bs_exposure_start_service(struct bs_day *day, int32_t i, int32_t k, double service_min)
{
    const struct bs_exposure *ex = &day->sc->ex;
    const double kv = ex->removal_per_h * ex->volume_m3, service_h = service_min / 60.0;
    if (day->cust.infectious[i]) {
        bs_exposure_emission(day, speaking_emission(ex) - waiting_emission(ex));
        /* Near field: the emitter's well-mixed steady state, times the factor. */
        if (!day->expo.staff_infectious[k])
            day->expo.staff_near_dose[k] += ex->inhalation_staff_m3_per_h * (1 - ex->mask_in_staff) *
                                       ex->near_field_factor * speaking_emission(ex) / kv * service_h;
    } else if (day->expo.staff_infectious[k]) {
        day->cust.dose[i] += ex->inhalation_customer_m3_per_h * (1 - ex->mask_in_customer) * ex->near_field_factor *
                        staff_emission(ex) / kv * service_h;
    }
}

void bs_exposure_end_service(struct bs_day *day, int32_t i)
{
    const struct bs_exposure *ex = &day->sc->ex;
    if (day->cust.infectious[i])
        bs_exposure_emission(day, waiting_emission(ex) - speaking_emission(ex));
}

void bs_exposure_leave(struct bs_day *day, int32_t i)
{
    const struct bs_exposure *ex = &day->sc->ex;
    if (day->cust.infectious[i])
        bs_exposure_emission(day, -waiting_emission(ex));
    else
        bs_exposure_advance(day, day->now_min);
    day->cust.dose[i] += ex->inhalation_customer_m3_per_h * (1 - ex->mask_in_customer) *
                    (day->expo.conc_integral - day->cust.integral_at_entry[i]);
}
