/* Reads a scenario file: run keys, sweep, then every point through the model. */
#include "load.h"

#include <limits.h>
#include <stdio.h>
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

static int read_run_keys(struct bs_loaded *ld, const char *file, const struct bs_load_how *how,
                         struct bs_error *err);
static int check_points(struct bs_loaded *ld);

int bs_load_ex(struct bs_loaded *ld, const char *file, const struct bs_load_how *how, int hold,
               struct bs_error *err)
{
    static const struct bs_load_how plain;
    if (read_run_keys(ld, file, how ? how : &plain, err) || check_points(ld))
        return err->status;
    return hold ? bs_load_points(ld, err) : 0;
}

int bs_load(struct bs_loaded *ld, const char *file, struct bs_error *err)
{
    return bs_load_ex(ld, file, NULL, 1, err);
}

const char *bs_load_text(const struct bs_loaded *ld)
{
    return ld->recorded_text ? ld->recorded_text : ld->cfg.text;
}

/* Whether text up to end (NULL: its end) holds a byte below 0x20 or 0x7f. */
static int has_control(const char *text, const char *end)
{
    for (const unsigned char *p = (const unsigned char *)text; *p && (!end || p < (const unsigned char *)end); p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* --set KEY=VALUE, each before anything reads the file, so it applies to
 * the run keys too; recorded after the file's text as comment lines. */
static int apply_sets(struct bs_loaded *ld, const struct bs_load_how *how, struct bs_error *err)
{
    struct bs_cfg *cfg = &ld->cfg;
    size_t len = strlen(cfg->text) + 64;
    for (size_t i = 0; i < how->n_sets; i++) {
        const char *eq = strchr(how->sets[i], '=');
        char raw[BS_CFG_PATH_MAX], key[BS_CFG_PATH_MAX];
        if (!eq || eq == how->sets[i] || (size_t)(eq - how->sets[i]) >= sizeof raw)
            return bs_error_set(err, BS_ERR_INPUT, "--set '%s': expected KEY=VALUE, e.g. counters.0.count=3",
                                how->sets[i]);
        /* A newline would end the comment line recording it in
         * scenario_yaml and forge a key there; no YAML value needs one. */
        if (has_control(how->sets[i], eq))
            return bs_error_set(err, BS_ERR_INPUT, "--set: control character in the key");
        if (has_control(eq + 1, NULL))
            return bs_error_set(err, BS_ERR_INPUT, "--set: control character in the value");
        snprintf(raw, sizeof raw, "%.*s", (int)(eq - how->sets[i]), how->sets[i]);
        if (bs_sweep_normalize_key(raw, key))
            return bs_error_set(err, BS_ERR_INPUT, "--set: key too long");
        if (strcmp(key, "sweep") == 0 || strncmp(key, "sweep.", 6) == 0)
            return bs_error_set(err, BS_ERR_INPUT, "--set %s: the sweep cannot be set; edit the file", key);
        if (bs_cfg_add_set(cfg, key, eq + 1))
            return err->status;
        if (!(ld->sets[i] = malloc(strlen(key) + strlen(eq) + 1)))
            return bs_error_set(err, BS_ERR_RUN, "out of memory");
        sprintf(ld->sets[i], "%s%s", key, eq);
        ld->n_sets = i + 1;
        len += strlen(ld->sets[i]) + 16;
    }
    if (how->n_sets == 0)
        return 0;
    if (!(ld->recorded_text = malloc(len)))
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    size_t at = (size_t)sprintf(ld->recorded_text, "%s%s# branchsim --set, over the keys above:\n", cfg->text,
                                *cfg->text && cfg->text[strlen(cfg->text) - 1] != '\n' ? "\n" : "");
    for (size_t i = 0; i < ld->n_sets; i++)
        at += (size_t)sprintf(ld->recorded_text + at, "# --set %s\n", ld->sets[i]);
    return 0;
}

/* A key both set and swept: which would win? Neither. */
static int set_and_swept(struct bs_loaded *ld, const char *swept, const char *what)
{
    size_t len = strlen(swept);
    for (size_t i = 0; i < ld->cfg.n_set; i++) {
        const char *set = ld->cfg.ov[i].key;
        size_t other = strlen(set);
        if (strcmp(set, swept) == 0 || (other < len && strncmp(set, swept, other) == 0 && swept[other] == '.') ||
            (len < other && strncmp(set, swept, len) == 0 && set[len] == '.'))
            return bs_error_set(ld->cfg.err, BS_ERR_INPUT, "--set %s: %s %s too; set it or vary it, not both",
                                set, what, swept);
    }
    return 0;
}

/* plan's keys over its values: a one-key list, or explicit points. */
static int add_varied(struct bs_loaded *ld, const struct bs_load_how *how, struct bs_error *err)
{
    struct bs_cfg *cfg = &ld->cfg;
    struct bs_sweep *sw = &ld->sweep;
    if (sw->n_keys > 0)
        return bs_cfg_fail(cfg, "sweep", "plan varies keys itself: remove the sweep section");
    if (how->n_points == 0)
        return bs_error_set(err, BS_ERR_INPUT, "--range: no values");
    for (size_t k = 0; k < how->n_vary; k++) {
        char key[BS_CFG_PATH_MAX];
        if (bs_sweep_normalize_key(how->vary_keys[k], key))
            return bs_error_set(err, BS_ERR_INPUT, "--vary: key too long");
        if (set_and_swept(ld, key, "--vary varies"))
            return err->status;
        strcpy(sw->keys[k], key);
        cfg->no_record = 1;
        bs_cfg_mark_used(cfg, bs_cfg_node(cfg, key));
        cfg->no_record = 0;
    }
    sw->n_keys = how->n_vary;
    sw->n_points = how->n_points;
    if (!how->explicit) {
        sw->n_values[0] = how->n_points;
        return bs_cfg_add_list(cfg, sw->keys[0], how->values, how->n_points, &sw->key_node[0], &sw->list_node[0]);
    }
    const char *names[BS_CFG_OVERRIDES_MAX];
    for (size_t k = 0; k < how->n_vary; k++)
        names[k] = sw->keys[k];
    return bs_cfg_add_points(cfg, names, how->n_vary, how->values, how->n_points, sw->key_node, &sw->points_node);
}

/* name, seed, replications, the sweep (or plan's varied keys) and its baseline. */
static int read_run_keys(struct bs_loaded *ld, const char *file, const struct bs_load_how *how,
                         struct bs_error *err)
{
    memset(ld, 0, sizeof *ld);
    struct bs_cfg *cfg = &ld->cfg;
    if (bs_cfg_load(cfg, file, err) || apply_sets(ld, how, err))
        return err->status;
    long seed;
    if (bs_cfg_string(cfg, "name", "unnamed", ld->name, sizeof ld->name) ||
        bs_cfg_int(cfg, "seed", 0, LONG_MAX, 1, 0, &seed) ||
        bs_cfg_int(cfg, "replications", 1, 100000000, 100, 0, &ld->replications) ||
        bs_sweep_parse(cfg, &ld->sweep))
        return err->status;
    ld->seed = (uint64_t)seed;
    for (size_t k = 0; k < ld->sweep.n_keys; k++)
        if (set_and_swept(ld, ld->sweep.keys[k], "the sweep varies"))
            return err->status;
    if (how->n_vary && add_varied(ld, how, err))
        return err->status;
    return bs_sweep_resolve_baseline(cfg, &ld->sweep);
}

/* Point p through the model, or NULL with the error naming the point. */
static struct bs_scenario *load_point(struct bs_loaded *ld, size_t p)
{
    struct bs_cfg *cfg = &ld->cfg;
    if (bs_sweep_apply(cfg, &ld->sweep, p))
        return NULL;
    struct bs_scenario *sc = bs_scenario_load(cfg);
    if (!sc || bs_sweep_check_used(cfg, &ld->sweep)) {
        if (cfg->err->status == BS_ERR_INPUT)
            bs_cfg_check_misspelt(cfg);
        name_point(ld, p, cfg->err);
        bs_scenario_free(sc);
        return NULL;
    }
    return sc;
}

/* 0 when point sc has point 0's bin width and entity names (one file holds
 * one set), else 1 + the breakdown that differs (0: the bins). A breakdown
 * whose entities may vary by point is only noted in ld. */
static size_t differs(struct bs_loaded *ld, const struct bs_scenario *sc)
{
    const struct bs_scenario *first = ld->points[0];
    double bin0, bin;
    bs_scenario_bins(first, &bin0);
    bs_scenario_bins(sc, &bin);
    if (bin != bin0)
        return 1;
    size_t n_breakdowns;
    const struct bs_breakdown_def *bd = bs_model_breakdowns(&n_breakdowns);
    for (size_t b = 0; b < n_breakdowns; b++) {
        size_t e = bs_scenario_entities(sc, b);
        int same = e == bs_scenario_entities(first, b);
        for (size_t i = 0; same && i < e; i++)
            same = strcmp(bs_scenario_entity_name(sc, b, i), bs_scenario_entity_name(first, b, i)) == 0;
        if (!same && bd[b].position)
            ld->entities_differ[b] = 1;
        else if (!same)
            return 2 + b;
    }
    return 0;
}

/* A --set key that no point read names nothing: say so, with the nearest
 * key the scenario does read. */
static int check_sets_used(struct bs_loaded *ld)
{
    struct bs_cfg *cfg = &ld->cfg;
    for (size_t i = 0; i < cfg->n_set; i++) {
        if (cfg->ov[i].used)
            continue;
        char hint[BS_CFG_PATH_MAX + 100];
        bs_cfg_hint_missing(cfg, cfg->ov[i].key, hint, sizeof hint);
        return bs_error_set(cfg->err, BS_ERR_INPUT, "%s: --set %s: not a key this scenario reads%s", cfg->file,
                            ld->sets[i], hint);
    }
    return 0;
}

/* Every point through the model, one at a time (a point is freed once
 * checked, so checking a large sweep costs one point's memory): point 0
 * is kept, and what a run's memory depends on noted. Unknown keys are
 * reported before points that differ in their bins or names. */
static int check_points(struct bs_loaded *ld)
{
    struct bs_cfg *cfg = &ld->cfg;
    struct bs_error *err = cfg->err;
    size_t n = ld->sweep.n_points, bad_point = 0, bad = 0;
    if (!(ld->points = calloc(1, sizeof *ld->points)))
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    ld->n_points = n;
    for (size_t p = 0; p < n; p++) {
        struct bs_scenario *sc = load_point(ld, p);
        if (!sc)
            return err->status;
        double bin_min;
        size_t bins = bs_scenario_bins(sc, &bin_min), day = bs_scenario_day_bytes(sc);
        ld->max_bins = bins > ld->max_bins ? bins : ld->max_bins;
        ld->max_day_bytes = day > ld->max_day_bytes ? day : ld->max_day_bytes;
        ld->scenario_bytes = bs_scenario_bytes(sc);
        size_t n_breakdowns;
        bs_model_breakdowns(&n_breakdowns);
        for (size_t b = 0; b < n_breakdowns; b++) {
            size_t e = bs_scenario_entities(sc, b);
            ld->max_entities[b] = e > ld->max_entities[b] ? e : ld->max_entities[b];
        }
        if (p == 0) {
            ld->points[0] = sc;
            ld->n_held = 1;
            continue;
        }
        size_t d = differs(ld, sc);
        if (d && !bad)
            bad = d, bad_point = p;
        bs_scenario_free(sc);
    }
    bs_cfg_clear_overrides(cfg);
    if (check_sets_used(ld) || bs_cfg_check_unknown(cfg))
        return err->status;
    size_t n_breakdowns;
    const struct bs_breakdown_def *bd = bs_model_breakdowns(&n_breakdowns);
    if (bad == 1)
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: sweep: point %zu changes output.bin_min; it must be "
                            "the same in every point", cfg->file, bad_point);
    if (bad)
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: sweep: point %zu changes the %s; they must be the "
                            "same in every point", cfg->file, bad_point, bd[bad - 2].group);
    return 0;
}

int bs_load_points(struct bs_loaded *ld, struct bs_error *err)
{
    struct bs_cfg *cfg = &ld->cfg;
    size_t n = ld->n_points, k_n = ld->sweep.n_keys;
    struct bs_scenario **points = realloc(ld->points, n * sizeof *points);
    if (points)
        ld->points = points;
    ld->key_values = calloc(n * k_n + 1, sizeof *ld->key_values);
    if (!points || !ld->key_values)
        return bs_error_set(err, BS_ERR_RUN, "out of memory for %zu sweep points", n);
    for (size_t p = 0; p < n; p++) {
        if (p > 0) {
            if (!(ld->points[p] = load_point(ld, p)))
                return err->status;
            ld->n_held = p + 1;
        }
        for (size_t k = 0; k < k_n; k++) {
            char text[RENDER_MAX];
            bs_load_value(ld, p, k, text, sizeof text);
            if (!(ld->key_values[p * k_n + k] = strdup(text)))
                return bs_error_set(err, BS_ERR_RUN, "out of memory");
        }
    }
    bs_cfg_clear_overrides(cfg);
    return 0;
}

void bs_load_value(struct bs_loaded *ld, size_t p, size_t k, char *out, size_t cap)
{
    int node = bs_sweep_value_node(&ld->cfg, &ld->sweep, p, k);
    bs_cfg_render(&ld->cfg, yaml_document_get_node(&ld->cfg.doc, node), out, cap);
}

struct bs_scenario *bs_load_point(struct bs_loaded *ld, size_t p, struct bs_error *err)
{
    ld->cfg.err = err;
    struct bs_scenario *sc = load_point(ld, p);
    bs_cfg_clear_overrides(&ld->cfg);
    return sc;
}

static void free_points(struct bs_loaded *ld)
{
    for (size_t p = 0; p < ld->n_held; p++)
        bs_scenario_free(ld->points[p]);
    if (ld->key_values)
        for (size_t i = 0; i < ld->n_points * ld->sweep.n_keys; i++)
            free(ld->key_values[i]);
    free(ld->points);
    free(ld->key_values);
    ld->points = NULL;
    ld->key_values = NULL;
    ld->n_held = ld->n_points = 0;
    ld->max_bins = ld->max_day_bytes = ld->scenario_bytes = 0;
    memset(ld->max_entities, 0, sizeof ld->max_entities);
    memset(ld->entities_differ, 0, sizeof ld->entities_differ);
}

int bs_load_repoint(struct bs_loaded *ld, const char *const *values, size_t n_points, struct bs_error *err)
{
    struct bs_sweep *sw = &ld->sweep;
    free_points(ld);
    const char *names[BS_CFG_OVERRIDES_MAX];
    for (size_t k = 0; k < sw->n_keys; k++)
        names[k] = sw->keys[k];
    sw->n_points = n_points;
    if (bs_cfg_add_points(&ld->cfg, names, sw->n_keys, values, n_points, sw->key_node, &sw->points_node) ||
        check_points(ld))
        return err->status;
    return bs_load_points(ld, err);
}

void bs_load_fini(struct bs_loaded *ld)
{
    free_points(ld);
    for (size_t i = 0; i < ld->n_sets; i++)
        free(ld->sets[i]);
    free(ld->recorded_text);
    bs_cfg_fini(&ld->cfg);
    memset(ld, 0, sizeof *ld);
}
