/* Sweep expansion over the YAML document: no copies, only node indices. */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#define SWEEP_POINTS_MAX 1000000

/* "counters[0].count" and "counters.0.count" name the same key: the
 * bracket form is rewritten to the dotted one. 0, or -1 when too long. */
int bs_sweep_normalize_key(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '[') {
            if (n > 0 && out[n - 1] != '.')
                c = '.';
            else
                continue;
        } else if (c == ']') {
            continue;
        }
        if (n + 1 >= BS_CFG_PATH_MAX)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

static int add_key(struct bs_cfg *cfg, struct bs_sweep *sw, int key_node, const char *raw)
{
    yaml_node_t *k = yaml_document_get_node(&cfg->doc, key_node);
    char name[BS_CFG_PATH_MAX];
    if (bs_sweep_normalize_key(raw, name))
        return bs_cfg_fail_node(cfg, k, "sweep", "key too long");
    if (strcmp(name, "sweep") == 0 || strcmp(name, "seed") == 0 || strcmp(name, "replications") == 0 ||
        strncmp(name, "sweep.", 6) == 0)
        return bs_cfg_fail_node(cfg, k, name, "cannot be swept (it applies to the whole run)");
    if (sw->n_keys == BS_CFG_OVERRIDES_MAX)
        return bs_cfg_fail_node(cfg, k, "sweep", "at most %d swept keys", BS_CFG_OVERRIDES_MAX);
    size_t len = strlen(name);
    for (size_t j = 0; j < sw->n_keys; j++) {
        size_t other = strlen(sw->keys[j]);
        if (strcmp(sw->keys[j], name) == 0)
            return bs_cfg_fail_node(cfg, k, name, "swept twice");
        /* Which would win, the part's list or its parent's values? Neither. */
        if ((other < len && strncmp(sw->keys[j], name, other) == 0 && name[other] == '.') ||
            (len < other && strncmp(sw->keys[j], name, len) == 0 && sw->keys[j][len] == '.'))
            return bs_cfg_fail_node(cfg, k, name, "swept together with %s, which it %s; sweep one of them",
                                    sw->keys[j], other < len ? "is part of" : "contains");
    }
    size_t i = sw->n_keys++;
    strcpy(sw->keys[i], name);
    sw->key_node[i] = key_node;
    /* The base value a sweep replaces is read by no point: it is not unknown.
     * (Looking it up is not the model asking for it.) */
    cfg->no_record = 1;
    bs_cfg_mark_used(cfg, bs_cfg_node(cfg, name));
    cfg->no_record = 0;
    return 0;
}

/* points: [{key: value, ...}, ...]: every point names the same keys. */
static int parse_points(struct bs_cfg *cfg, struct bs_sweep *sw, yaml_node_t *list)
{
    if (list->type != YAML_SEQUENCE_NODE || list->data.sequence.items.top == list->data.sequence.items.start)
        return bs_cfg_fail_node(cfg, list, "sweep.points", "expected a non-empty list of {key: value, ...}");
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    for (size_t p = 0; p < n; p++) {
        yaml_node_t *pt = yaml_document_get_node(&cfg->doc, list->data.sequence.items.start[p]);
        if (pt->type != YAML_MAPPING_NODE || pt->data.mapping.pairs.top == pt->data.mapping.pairs.start)
            return bs_cfg_fail_node(cfg, pt, "sweep.points", "each point is a mapping {key: value, ...}");
        size_t count = 0;
        for (yaml_node_pair_t *pr = pt->data.mapping.pairs.start; pr < pt->data.mapping.pairs.top; pr++, count++) {
            yaml_node_t *k = yaml_document_get_node(&cfg->doc, pr->key);
            if (k->type != YAML_SCALAR_NODE)
                return bs_cfg_fail_node(cfg, k, "sweep.points", "keys must be dotted scenario keys");
            cfg->used[pr->key] = 1;
            if (p == 0) {
                if (add_key(cfg, sw, pr->key, (const char *)k->data.scalar.value))
                    return cfg->err->status;
                continue;
            }
            char name[BS_CFG_PATH_MAX];
            int known = bs_sweep_normalize_key((const char *)k->data.scalar.value, name) == 0;
            for (size_t j = 0; known && j < sw->n_keys; j++)
                if (strcmp(sw->keys[j], name) == 0)
                    known = 2;
            for (yaml_node_pair_t *q = pt->data.mapping.pairs.start; known == 2 && q < pr; q++) {
                char other[BS_CFG_PATH_MAX];
                yaml_node_t *qk = yaml_document_get_node(&cfg->doc, q->key);
                if (qk->type == YAML_SCALAR_NODE && bs_sweep_normalize_key((const char *)qk->data.scalar.value, other) == 0 &&
                    strcmp(other, name) == 0)
                    return bs_cfg_fail_node(cfg, k, "sweep.points", "'%s' given twice in one point", name);
            }
            if (known != 2)
                return bs_cfg_fail_node(cfg, k, "sweep.points",
                                        "'%s' is not among the keys of the first point: every point names the same keys",
                                        (const char *)k->data.scalar.value);
        }
        if (count != sw->n_keys)
            return bs_cfg_fail_node(cfg, pt, "sweep.points", "every point names the same %zu keys", sw->n_keys);
    }
    sw->points_node = (int)(list - cfg->doc.nodes.start) + 1;
    sw->n_points = n;
    return 0;
}

/* The points of lists of values per key: zipped (equal lengths) or their
 * grid (at most SWEEP_POINTS_MAX). */
static int count_points(struct bs_cfg *cfg, struct bs_sweep *sw, yaml_node_t *map)
{
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

int bs_sweep_parse(struct bs_cfg *cfg, struct bs_sweep *sw)
{
    memset(sw, 0, sizeof *sw);
    sw->n_points = 1;
    yaml_node_t *map = bs_cfg_node(cfg, "sweep");
    if (!map)
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return bs_cfg_fail_node(cfg, map, "sweep", "expected a mapping of dotted keys to lists of values");
    yaml_node_t *points = NULL;
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
        if (strcmp(name, "points") == 0) {
            points = v;
            continue;
        }
        if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
            return bs_cfg_fail_node(cfg, v, name, "sweep values must be a non-empty list");
        if (add_key(cfg, sw, p->key, name))
            return cfg->err->status;
        sw->list_node[sw->n_keys - 1] = p->value;
        sw->n_values[sw->n_keys - 1] = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    }
    if (points) {
        if (sw->zip)
            return bs_cfg_fail_node(cfg, points, "sweep.points", "mode: zip does not apply to explicit points");
        if (sw->n_keys > 0)
            return bs_cfg_fail_node(cfg, points, "sweep.points", "give either points or lists of values per key, not both");
        return parse_points(cfg, sw, points);
    }
    return sw->n_keys == 0 ? 0 : count_points(cfg, sw, map);
}

int bs_sweep_value_node(const struct bs_cfg *cfg, const struct bs_sweep *sw, size_t point, size_t k)
{
    if (sw->points_node) {
        yaml_document_t *doc = (yaml_document_t *)&cfg->doc;
        yaml_node_t *list = yaml_document_get_node(doc, sw->points_node);
        yaml_node_t *pt = yaml_document_get_node(doc, list->data.sequence.items.start[point]);
        for (yaml_node_pair_t *pr = pt->data.mapping.pairs.start; pr < pt->data.mapping.pairs.top; pr++) {
            char name[BS_CFG_PATH_MAX];
            yaml_node_t *key = yaml_document_get_node(doc, pr->key);
            if (bs_sweep_normalize_key((const char *)key->data.scalar.value, name) == 0 && strcmp(name, sw->keys[k]) == 0)
                return pr->value;
        }
        return 0; /* parse_points made sure every point names every key */
    }
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
            char name[BS_CFG_PATH_MAX];
            int ok = k->type == YAML_SCALAR_NODE && bs_sweep_normalize_key((const char *)k->data.scalar.value, name) == 0;
            for (size_t j = 0; ok && j < sw->n_keys; j++)
                if (strcmp(sw->keys[j], name) == 0)
                    key = j;
            if (key == sw->n_keys)
                return bs_cfg_fail_node(cfg, k, "sweep.baseline", "'%s' is not a swept key",
                                        k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?");
            char want[256], have[256];
            bs_cfg_render(cfg, yaml_document_get_node(&cfg->doc, pr->value), want, sizeof want);
            bs_cfg_render(cfg, yaml_document_get_node(&cfg->doc, bs_sweep_value_node(cfg, sw, p, key)), have,
                          sizeof have);
            /* Numbers match by value (2.0 names the point swept as 2), text as written. */
            char *end_w, *end_h;
            double w = strtod(want, &end_w), v = strtod(have, &end_h);
            int numbers = *want && *have && !*end_w && !*end_h;
            match = numbers ? w == v : strcmp(want, have) == 0;
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
        if (!used) {
            char hint[BS_CFG_PATH_MAX + 100];
            bs_cfg_hint_missing(cfg, sw->keys[k], hint, sizeof hint);
            return bs_cfg_fail_node(cfg, yaml_document_get_node(&cfg->doc, sw->key_node[k]), sw->keys[k],
                                    "swept key is not a scenario key that this scenario reads%s", hint);
        }
    }
    return 0;
}
