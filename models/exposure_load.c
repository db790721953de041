/* Reads the entrance (screening, occupancy cap) and the exposure section:
 * prevalence, the hall's air, emission and inhalation rates, masks. */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

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
