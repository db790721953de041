/* Reads a scenario file: run keys, sweep, then every point through the model. */
#include "load.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "text.h"

#define RENDER_MAX 256

/* Adds which sweep point an error belongs to, e.g. "(sweep point 2:
 * counters.0.count=0)", since one base file holds every point. */
static void name_point(struct bs_loaded *ld, size_t p, struct bs_error *err)
{
    if (ld->sweep.n_keys == 0)
        return;
    size_t len = strlen(err->msg);
    int w = snprintf(err->msg + len, sizeof err->msg - len, " (sweep point %zu:", p);
    for (size_t k = 0; w > 0 && k < ld->sweep.n_keys; k++) {
        len = strlen(err->msg);
        char value[RENDER_MAX], key[RENDER_MAX], shown[RENDER_MAX];
        int node = bs_sweep_value_node(&ld->cfg, &ld->sweep, p, k);
        bs_cfg_render(&ld->cfg, yaml_document_get_node(&ld->cfg.doc, node), value, sizeof value);
        /* Escaped as every message is (bs_error_set): text from the file. */
        w = snprintf(err->msg + len, sizeof err->msg - len, " %s=%s",
                     bs_text_escape(key, sizeof key, ld->sweep.keys[k]), bs_text_escape(shown, sizeof shown, value));
    }
    len = strlen(err->msg);
    if (len + 1 < sizeof err->msg)
        snprintf(err->msg + len, sizeof err->msg - len, ")");
}

static int load(struct bs_loaded *ld, const char *file, const char *vary_key, const char *const *values,
                size_t n_values, struct bs_error *err);

int bs_load(struct bs_loaded *ld, const char *file, struct bs_error *err)
{
    return load(ld, file, NULL, NULL, 0, err);
}

int bs_load_varying(struct bs_loaded *ld, const char *file, const char *key, const char *const *values, size_t n,
                    struct bs_error *err)
{
    return load(ld, file, key, values, n, err);
}

static int load(struct bs_loaded *ld, const char *file, const char *vary_key, const char *const *values,
                size_t n_values, struct bs_error *err)
{
    memset(ld, 0, sizeof *ld);
    struct bs_cfg *cfg = &ld->cfg;
    if (bs_cfg_load(cfg, file, err))
        return err->status;
    long seed;
    if (bs_cfg_string(cfg, "name", "unnamed", ld->name, sizeof ld->name) ||
        bs_cfg_int(cfg, "seed", 0, LONG_MAX, 1, 0, &seed) ||
        bs_cfg_int(cfg, "replications", 1, 100000000, 100, 0, &ld->replications) ||
        bs_sweep_parse(cfg, &ld->sweep))
        return err->status;
    ld->seed = (uint64_t)seed;
    if (vary_key) {
        if (ld->sweep.n_keys > 0)
            return bs_cfg_fail(cfg, "sweep", "plan varies one key itself: remove the sweep section");
        struct bs_sweep *sw = &ld->sweep;
        char key[BS_CFG_PATH_MAX];
        if (bs_sweep_normalize_key(vary_key, key))
            return bs_error_set(err, BS_ERR_INPUT, "--vary: key too long");
        if (n_values == 0)
            return bs_error_set(err, BS_ERR_INPUT, "--range: no values");
        if (bs_cfg_add_list(cfg, key, values, n_values, &sw->key_node[0], &sw->list_node[0]))
            return err->status;
        strcpy(sw->keys[0], key);
        sw->n_values[0] = n_values;
        sw->n_keys = 1;
        sw->n_points = n_values;
        cfg->no_record = 1;
        bs_cfg_mark_used(cfg, bs_cfg_node(cfg, key));
        cfg->no_record = 0;
    }
    if (bs_sweep_resolve_baseline(cfg, &ld->sweep))
        return err->status;
    size_t n = ld->sweep.n_points, k_n = ld->sweep.n_keys;
    ld->points = calloc(n, sizeof *ld->points);
    ld->key_values = calloc(n * k_n + 1, sizeof *ld->key_values);
    if (!ld->points || !ld->key_values)
        return bs_error_set(err, BS_ERR_RUN, "out of memory for %zu sweep points", n);
    for (size_t p = 0; p < n; p++) {
        if (bs_sweep_apply(cfg, &ld->sweep, p))
            return err->status;
        ld->points[p] = bs_scenario_load(cfg);
        ld->n_points = p + 1;
        if (!ld->points[p] || bs_sweep_check_used(cfg, &ld->sweep)) {
            if (err->status == BS_ERR_INPUT)
                bs_cfg_check_misspelt(cfg);
            name_point(ld, p, err);
            return err->status;
        }
        for (size_t k = 0; k < k_n; k++) {
            char *text = malloc(RENDER_MAX);
            if (!text)
                return bs_error_set(err, BS_ERR_RUN, "out of memory");
            int node = bs_sweep_value_node(cfg, &ld->sweep, p, k);
            bs_cfg_render(cfg, yaml_document_get_node(&cfg->doc, node), text, RENDER_MAX);
            ld->key_values[p * k_n + k] = text;
        }
    }
    bs_cfg_clear_overrides(cfg);
    if (bs_cfg_check_unknown(cfg))
        return err->status;
    /* One file holds one set of entity names and one bin width. */
    size_t n_breakdowns;
    const struct bs_breakdown_def *bd = bs_model_breakdowns(&n_breakdowns);
    double bin0, bin;
    bs_scenario_bins(ld->points[0], &bin0);
    for (size_t p = 1; p < n; p++) {
        bs_scenario_bins(ld->points[p], &bin);
        if (bin != bin0)
            return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: sweep: point %zu changes output.bin_min; it must be "
                                "the same in every point", cfg->file, p);
        for (size_t b = 0; b < n_breakdowns; b++) {
            size_t e = bs_scenario_entities(ld->points[p], b);
            int same = e == bs_scenario_entities(ld->points[0], b);
            for (size_t i = 0; same && i < e; i++)
                same = strcmp(bs_scenario_entity_name(ld->points[p], b, i),
                              bs_scenario_entity_name(ld->points[0], b, i)) == 0;
            if (!same)
                return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: sweep: point %zu changes the %s; they must be the "
                                    "same in every point", cfg->file, p, bd[b].group);
        }
    }
    return 0;
}

void bs_load_fini(struct bs_loaded *ld)
{
    for (size_t p = 0; p < ld->n_points; p++)
        bs_scenario_free(ld->points[p]);
    if (ld->key_values)
        for (size_t i = 0; i < ld->n_points * ld->sweep.n_keys; i++)
            free(ld->key_values[i]);
    free(ld->points);
    free(ld->key_values);
    bs_cfg_fini(&ld->cfg);
    memset(ld, 0, sizeof *ld);
}
