/* Sweep expansion over the YAML document: no copies, only node indices. */
#include "sweep.h"

#include <string.h>

#define SWEEP_POINTS_MAX 1000000

int bs_sweep_parse(struct bs_cfg *cfg, struct bs_sweep *sw)
{
    memset(sw, 0, sizeof *sw);
    sw->n_points = 1;
    yaml_node_t *map = bs_cfg_node(cfg, "sweep");
    if (!map)
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return bs_cfg_fail_node(cfg, map, "sweep", "expected a mapping of dotted keys to lists of values");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&cfg->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&cfg->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return bs_cfg_fail_node(cfg, k, "sweep", "keys must be dotted scenario keys");
        const char *name = (const char *)k->data.scalar.value;
        cfg->used[p->key] = 1;
        if (strcmp(name, "baseline") == 0) {
            sw->baseline_node = p->value;
            continue;
        }
        if (strcmp(name, "mode") == 0) {
            const char *m = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
            if (strcmp(m, "grid") && strcmp(m, "zip"))
                return bs_cfg_fail_node(cfg, v, "sweep.mode", "must be grid or zip");
            sw->zip = strcmp(m, "zip") == 0;
            continue;
        }
        if (strcmp(name, "sweep") == 0 || strcmp(name, "seed") == 0 || strcmp(name, "replications") == 0 ||
            strncmp(name, "sweep.", 6) == 0)
            return bs_cfg_fail_node(cfg, k, name, "cannot be swept (it applies to the whole run)");
        if (strlen(name) >= BS_CFG_PATH_MAX)
            return bs_cfg_fail_node(cfg, k, "sweep", "key too long");
        if (sw->n_keys == BS_CFG_OVERRIDES_MAX)
            return bs_cfg_fail_node(cfg, k, "sweep", "at most %d swept keys", BS_CFG_OVERRIDES_MAX);
        if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
            return bs_cfg_fail_node(cfg, v, name, "sweep values must be a non-empty list");
        for (size_t j = 0; j < sw->n_keys; j++)
            if (strcmp(sw->keys[j], name) == 0)
                return bs_cfg_fail_node(cfg, k, name, "swept twice");
        size_t i = sw->n_keys++;
        strcpy(sw->keys[i], name);
        sw->key_node[i] = p->key;
        sw->list_node[i] = p->value;
        sw->n_values[i] = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        /* The base value a sweep replaces is read by no point: it is not unknown. */
        bs_cfg_mark_used(cfg, bs_cfg_node(cfg, name));
    }
    if (sw->n_keys == 0)
        return 0;
    size_t n = sw->zip ? sw->n_values[0] : 1;
    for (size_t i = 0; i < sw->n_keys; i++) {
        if (sw->zip && sw->n_values[i] != n)
            return bs_cfg_fail_node(cfg, yaml_document_get_node(&cfg->doc, sw->list_node[i]), sw->keys[i],
                                    "zip sweep lists must have equal lengths (%zu here, %zu for %s)",
                                    sw->n_values[i], n, sw->keys[0]);
        if (!sw->zip) {
            n *= sw->n_values[i];
            if (n > SWEEP_POINTS_MAX)
                return bs_cfg_fail_node(cfg, map, "sweep", "more than %d points", SWEEP_POINTS_MAX);
        }
    }
    sw->n_points = n;
    return 0;
}

int bs_sweep_value_node(const struct bs_cfg *cfg, const struct bs_sweep *sw, size_t point, size_t k)
{
    size_t idx;
    if (sw->zip) {
        idx = point;
    } else {
        size_t stride = 1;
        for (size_t j = sw->n_keys; j-- > k + 1;)
            stride *= sw->n_values[j];
        idx = (point / stride) % sw->n_values[k];
    }
    yaml_node_t *list = yaml_document_get_node((yaml_document_t *)&cfg->doc, sw->list_node[k]);
    return list->data.sequence.items.start[idx];
}

int bs_sweep_apply(struct bs_cfg *cfg, const struct bs_sweep *sw, size_t point)
{
    bs_cfg_clear_overrides(cfg);
    for (size_t k = 0; k < sw->n_keys; k++)
        if (bs_cfg_add_override(cfg, sw->keys[k], bs_sweep_value_node(cfg, sw, point, k)))
            return cfg->err->status;
    return 0;
}

int bs_sweep_resolve_baseline(struct bs_cfg *cfg, struct bs_sweep *sw)
{
    sw->baseline = 0;
    if (!sw->baseline_node)
        return 0;
    yaml_node_t *b = yaml_document_get_node(&cfg->doc, sw->baseline_node);
    if (b->type == YAML_SCALAR_NODE) {
        char *end;
        const char *text = (const char *)b->data.scalar.value;
        long idx = strtol(text, &end, 10);
        if (end == text || *end || idx < 0 || (size_t)idx >= sw->n_points)
            return bs_cfg_fail_node(cfg, b, "sweep.baseline", "expected a point index in [0, %zu], got '%s'",
                                    sw->n_points - 1, text);
        sw->baseline = (size_t)idx;
        return 0;
    }
    if (b->type != YAML_MAPPING_NODE)
        return bs_cfg_fail_node(cfg, b, "sweep.baseline", "expected a point index or {swept key: value, ...}");
    /* The first point whose values match every key given. */
    for (size_t p = 0; p < sw->n_points; p++) {
        int match = 1;
        for (yaml_node_pair_t *pr = b->data.mapping.pairs.start; match && pr < b->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(&cfg->doc, pr->key);
            cfg->used[pr->key] = 1;
            size_t key = sw->n_keys;
            for (size_t j = 0; j < sw->n_keys; j++)
                if (k->type == YAML_SCALAR_NODE && strcmp(sw->keys[j], (const char *)k->data.scalar.value) == 0)
                    key = j;
            if (key == sw->n_keys)
                return bs_cfg_fail_node(cfg, k, "sweep.baseline", "'%s' is not a swept key",
                                        k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?");
            char want[256], have[256];
            bs_cfg_render(cfg, yaml_document_get_node(&cfg->doc, pr->value), want, sizeof want);
            bs_cfg_render(cfg, yaml_document_get_node(&cfg->doc, bs_sweep_value_node(cfg, sw, p, key)), have,
                          sizeof have);
            match = strcmp(want, have) == 0;
        }
        if (match) {
            sw->baseline = p;
            return 0;
        }
    }
    return bs_cfg_fail_node(cfg, b, "sweep.baseline", "names no point of the sweep");
}

int bs_sweep_check_used(struct bs_cfg *cfg, const struct bs_sweep *sw)
{
    for (size_t k = 0; k < sw->n_keys; k++) {
        int used = 0;
        for (size_t i = 0; i < cfg->n_ov; i++)
            if (strcmp(cfg->ov[i].key, sw->keys[k]) == 0)
                used = cfg->ov[i].used;
        if (!used)
            return bs_cfg_fail_node(cfg, yaml_document_get_node(&cfg->doc, sw->key_node[k]), sw->keys[k],
                                    "swept key is not a scenario key that this scenario reads");
    }
    return 0;
}
