/* Airborne exposure in the hall (Wells-Riley, well-mixed box): the quanta
 * concentration n obeys dn/dt = E(t)/V - k n, and E changes only at events
 * (an infectious person comes in, starts or ends speaking at a counter,
 * leaves), so n and its running integral advance in closed form between
 * events: no time steps. A person's far-field dose is inhalation x (1 -
 * inward mask efficiency) x the integral over their stay; service adds a
 * near-field dose across the counter. Risk is 1 - exp(-dose). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../sim/rng.h"
#include "scenario.h"

/* ---- scenario ---- */

struct mask_kind {
    const char *name;
    double in, out; /* filtration efficiency, inhaled and exhaled */
};

/* Typical filtration of aerosols around 1 um, rounded; docs/model.md (Masks)
 * gives the sources. */
static const struct mask_kind mask_kinds[] = {
    {"none", 0.0, 0.0}, {"cloth", 0.3, 0.5}, {"surgical", 0.5, 0.7}, {"ffp2", 0.9, 0.9},
};

static int read_mask(struct bs_cfg *cfg, const char *who, double *in, double *out)
{
    char key[2 * BS_CFG_PATH_MAX], base[BS_CFG_PATH_MAX];
    snprintf(base, sizeof base, "exposure.masks.%s", who);
    const char *names[4];
    for (int k = 0; k < 4; k++)
        names[k] = mask_kinds[k].name;
    int kind;
    double compliance, eff_in, eff_out;
    snprintf(key, sizeof key, "%s.kind", base);
    if (bs_cfg_enum(cfg, key, names, 4, 0, &kind))
        return cfg->err->status;
    snprintf(key, sizeof key, "%s.efficiency_in", base);
    if (bs_cfg_number(cfg, key, 0, 1, mask_kinds[kind].in, 0, &eff_in))
        return cfg->err->status;
    snprintf(key, sizeof key, "%s.efficiency_out", base);
    if (bs_cfg_number(cfg, key, 0, 1, mask_kinds[kind].out, 0, &eff_out))
        return cfg->err->status;
    snprintf(key, sizeof key, "%s.compliance", base);
    if (bs_cfg_number(cfg, key, 0, 1, kind == 0 ? 0 : 1, 0, &compliance))
        return cfg->err->status;
    *in = eff_in * compliance;
    *out = eff_out * compliance;
    return 0;
}

int bs_exposure_load(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    struct bs_exposure *ex = &sc->ex;
    memset(ex, 0, sizeof *ex);
    ex->screening = bs_cfg_has(cfg, "entrance.screening");
    if (ex->screening && (bs_cfg_number(cfg, "entrance.screening.sensitivity", 0, 1, 0, 1, &ex->sensitivity) ||
                          bs_cfg_number(cfg, "entrance.screening.false_positive_rate", 0, 1, 0, 0,
                                        &ex->false_positive_rate)))
        return cfg->err->status;
    if (bs_cfg_int(cfg, "entrance.occupancy_cap", 1, 100000, 0, 0, &ex->occupancy_cap))
        return cfg->err->status;
    ex->on = bs_cfg_has(cfg, "exposure");
    if (ex->screening && !ex->on)
        return bs_cfg_fail(cfg, "entrance.screening", "needs an exposure section (the prevalence to screen for)");
    if (!ex->on)
        return 0;
    double ach, deposition, decay;
    if (bs_cfg_number(cfg, "exposure.prevalence_customers", 0, 1, 0, 1, &ex->prevalence_customers) ||
        bs_cfg_number(cfg, "exposure.symptomatic_share", 0, 1, 0.5, 0, &ex->symptomatic_share) ||
        bs_cfg_number(cfg, "exposure.prevalence_staff", 0, 1, 0, 0, &ex->prevalence_staff) ||
        bs_cfg_number(cfg, "exposure.hall_volume_m3", 1, 1e6, 0, 1, &ex->volume_m3) ||
        bs_cfg_number(cfg, "exposure.air_changes_per_h", 0, 100, 1, 0, &ach) ||
        bs_cfg_number(cfg, "exposure.deposition_per_h", 0, 100, 0.24, 0, &deposition) ||
        bs_cfg_number(cfg, "exposure.decay_per_h", 0, 100, 0.63, 0, &decay) ||
        bs_cfg_number(cfg, "exposure.emission_waiting_quanta_per_h", 0, 1e6, 10, 0, &ex->emission_waiting_quanta_per_h) ||
        bs_cfg_number(cfg, "exposure.emission_speaking_quanta_per_h", 0, 1e6, 50, 0, &ex->emission_speaking_quanta_per_h) ||
        bs_cfg_number(cfg, "exposure.inhalation_customer_m3_per_h", 0, 10, 0.54, 0, &ex->inhalation_customer_m3_per_h) ||
        bs_cfg_number(cfg, "exposure.inhalation_staff_m3_per_h", 0, 10, 0.54, 0, &ex->inhalation_staff_m3_per_h) ||
        bs_cfg_number(cfg, "exposure.near_field_factor", 0, 1000, 5, 0, &ex->near_field_factor) ||
        bs_cfg_number(cfg, "exposure.close_contact_min", 0, 1440, 15, 0, &ex->contact_min) ||
        read_mask(cfg, "customers", &ex->mask_in_customer, &ex->mask_out_customer) ||
        read_mask(cfg, "staff", &ex->mask_in_staff, &ex->mask_out_staff))
        return cfg->err->status;
    ex->removal_per_h = ach + deposition + decay;
    if (!(ex->removal_per_h > 0))
        return bs_cfg_fail(cfg, "exposure.air_changes_per_h", "air changes, deposition and decay cannot all be 0");
    return 0;
}

/* ---- the day ---- */

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
        day->infectious[i] = (uint8_t)infectious;
        day->flagged[i] = (uint8_t)(ex->screening &&
                                    u_screen < (symptomatic ? ex->sensitivity : ex->false_positive_rate));
        day->dose[i] = 0;
        day->enter_min[i] = NAN;
    }
}

/* Advances n and its integral from the last change to now, closing off
 * concentration time-series bins on the way. */
static void advance_to(struct bs_day *day, double t_min)
{
    const struct bs_scenario *sc = day->sc;
    const double k = sc->ex.removal_per_h, n_ss = day->emission / (k * sc->ex.volume_m3);
    double dt_h = (t_min - day->exposure_last_min) / 60.0;
    if (dt_h <= 0)
        return;
    double decay = exp(-k * dt_h);
    day->conc_integral += n_ss * dt_h + (day->conc - n_ss) * (1 - decay) / k;
    day->conc = n_ss + (day->conc - n_ss) * decay;
    day->exposure_last_min = t_min;
}

void bs_exposure_advance(struct bs_day *day, double now_min)
{
    const struct bs_scenario *sc = day->sc;
    while (day->conc_bin < sc->n_bins && now_min >= day->conc_bin_end_min) {
        advance_to(day, day->conc_bin_end_min);
        day->series[BS_TS_CONCENTRATION * sc->n_bins + day->conc_bin] =
            (day->conc_integral - day->conc_bin_start_integral) / (sc->bin_min / 60.0);
        day->conc_bin_start_integral = day->conc_integral;
        day->conc_bin++;
        day->conc_bin_end_min = (double)(day->conc_bin + 1) * sc->bin_min;
    }
    advance_to(day, now_min);
}

void bs_exposure_emission(struct bs_day *day, double delta_quanta_per_h)
{
    bs_exposure_advance(day, day->now_min);
    day->emission += delta_quanta_per_h;
    if (day->emission < 1e-12) /* no drift below 0 from adding and removing */
        day->emission = 0;
}

void bs_exposure_reset(struct bs_day *day)
{
    const struct bs_scenario *sc = day->sc;
    day->conc = day->conc_integral = day->emission = day->exposure_last_min = 0;
    day->conc_bin = 0;
    day->conc_bin_end_min = sc->bin_min;
    day->conc_bin_start_integral = 0;
    for (long k = 0; k < sc->n_counters; k++) {
        day->staff_near_dose[k] = 0;
        if (day->counter_present[k] && day->staff_infectious[k])
            day->emission += staff_emission(&sc->ex); /* staff are in from opening */
    }
}

void bs_exposure_enter(struct bs_day *day, int32_t i)
{
    day->enter_min[i] = day->now_min;
    if (day->infectious[i])
        bs_exposure_emission(day, waiting_emission(&day->sc->ex));
    else
        bs_exposure_advance(day, day->now_min);
    day->integral_at_entry[i] = day->conc_integral;
}

void bs_exposure_start_service(struct bs_day *day, int32_t i, int32_t k, double service_min)
{
    const struct bs_exposure *ex = &day->sc->ex;
    const double kv = ex->removal_per_h * ex->volume_m3, service_h = service_min / 60.0;
    if (day->infectious[i]) {
        bs_exposure_emission(day, speaking_emission(ex) - waiting_emission(ex));
        /* Near field: the emitter's well-mixed steady state, times the factor. */
        if (!day->staff_infectious[k])
            day->staff_near_dose[k] += ex->inhalation_staff_m3_per_h * (1 - ex->mask_in_staff) *
                                       ex->near_field_factor * speaking_emission(ex) / kv * service_h;
    } else if (day->staff_infectious[k]) {
        day->dose[i] += ex->inhalation_customer_m3_per_h * (1 - ex->mask_in_customer) * ex->near_field_factor *
                        staff_emission(ex) / kv * service_h;
    }
}

void bs_exposure_end_service(struct bs_day *day, int32_t i)
{
    const struct bs_exposure *ex = &day->sc->ex;
    if (day->infectious[i])
        bs_exposure_emission(day, waiting_emission(ex) - speaking_emission(ex));
}

void bs_exposure_leave(struct bs_day *day, int32_t i)
{
    const struct bs_exposure *ex = &day->sc->ex;
    if (day->infectious[i])
        bs_exposure_emission(day, -waiting_emission(ex));
    else
        bs_exposure_advance(day, day->now_min);
    day->dose[i] += ex->inhalation_customer_m3_per_h * (1 - ex->mask_in_customer) *
                    (day->conc_integral - day->integral_at_entry[i]);
}
