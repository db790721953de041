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
