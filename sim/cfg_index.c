/* A hash index of the keys of every large mapping in the document, so that
 * looking a key up costs the same in a mapping of a million keys as in one
 * of ten: every sweep point looks up its keys again, and a file may hold
 * a million unknown keys next to them. The first of duplicate keys is the
 * one found, as a walk along the pairs would. */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* Mappings up to this many pairs are searched along their pairs. */
#define SMALL_MAPPING 16

struct bs_cfg_index {
    struct entry {
        int map;  /* the mapping's node index; 0: a free slot */
        int pair; /* the pair's position in it */
    } *slots;
    size_t n_slots; /* a power of two */
};

static size_t hash_key(int map, const char *s, size_t len)
{
    size_t h = 1469598103934665603u ^ (size_t)(unsigned)map;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static const yaml_node_t *key_at(yaml_document_t *doc, int map, int pair)
{
    yaml_node_t *m = yaml_document_get_node(doc, map);
    return yaml_document_get_node(doc, m->data.mapping.pairs.start[pair].key);
}

static int same_key(const yaml_node_t *k, const char *s, size_t len)
{
    return k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == len && memcmp(k->data.scalar.value, s, len) == 0;
}

/* The slot holding key s of map, or the free slot where it would go. */
static struct entry *find(struct bs_cfg_index *ix, yaml_document_t *doc, int map, const char *s, size_t len)
{
    size_t i = hash_key(map, s, len) & (ix->n_slots - 1);
    while (ix->slots[i].map && !(ix->slots[i].map == map && same_key(key_at(doc, map, ix->slots[i].pair), s, len)))
        i = (i + 1) & (ix->n_slots - 1);
    return &ix->slots[i];
}

int bs_cfg_index_build(struct bs_cfg *cfg)
{
    yaml_document_t *doc = &cfg->doc;
    size_t pairs = 0;
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
        if (n->type == YAML_MAPPING_NODE && n->data.mapping.pairs.top - n->data.mapping.pairs.start > SMALL_MAPPING)
            pairs += (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (pairs == 0)
        return 0;
    struct bs_cfg_index *ix = calloc(1, sizeof *ix);
    for (ix && (ix->n_slots = 64); ix && ix->n_slots < 2 * pairs;)
        ix->n_slots *= 2;
    if (!ix || !(ix->slots = calloc(ix->n_slots, sizeof *ix->slots))) {
        free(ix);
        return bs_error_set(cfg->err, BS_ERR_RUN, "%s: out of memory", cfg->file);
    }
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
        long count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
        if (n->type != YAML_MAPPING_NODE || count <= SMALL_MAPPING)
            continue;
        int map = (int)(n - doc->nodes.start) + 1;
        for (long p = 0; p < count; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, n->data.mapping.pairs.start[p].key);
            if (!k || k->type != YAML_SCALAR_NODE)
                continue;
            struct entry *e = find(ix, doc, map, (const char *)k->data.scalar.value, k->data.scalar.length);
            if (!e->map) /* the first of duplicates */
                *e = (struct entry){map, (int)p};
        }
    }
    cfg->index = ix;
    return 0;
}

yaml_node_pair_t *bs_cfg_index_find(struct bs_cfg *cfg, yaml_node_t *map, const char *s, size_t len)
{
    long count = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
    if (count <= SMALL_MAPPING || !cfg->index) {
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
            if (same_key(yaml_document_get_node(&cfg->doc, p->key), s, len))
                return p;
        return NULL;
    }
    struct entry *e = find(cfg->index, &cfg->doc, (int)(map - cfg->doc.nodes.start) + 1, s, len);
    return e->map ? &map->data.mapping.pairs.start[e->pair] : NULL;
}

void bs_cfg_index_free(struct bs_cfg *cfg)
{
    if (cfg->index)
        free(cfg->index->slots);
    free(cfg->index);
    cfg->index = NULL;
}
