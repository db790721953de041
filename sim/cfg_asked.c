/* The names the model asked for in each mapping of the document, given or
 * not: what a key there may be. An unknown key is compared with them, so
 * the error can say "did you mean ...?" without a second list of keys
 * beside the model's own reading code. Two hash sets: the names (few: the
 * model's key names) and the (mapping node, name) pairs. */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

struct bs_cfg_asked {
    char **names; /* interned, in the order first asked */
    size_t n_names, names_cap;
    int *name_slots; /* open addressing over names: index + 1, 0 free */
    size_t n_name_slots;
    struct pair {
        int node, name; /* node 0: a free slot */
    } *pairs;
    size_t n_pairs, n_pair_slots;
};

static size_t hash_text(const char *s, size_t len)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static size_t hash_pair(int node, int name)
{
    return ((size_t)(unsigned)node * 2654435761u) ^ ((size_t)(unsigned)name * 40503u + 0x9e3779b9u);
}

/* Grows an open-addressing table to twice its size (at least 64). */
static int grow_names(struct bs_cfg_asked *a)
{
    size_t n = a->n_name_slots ? 2 * a->n_name_slots : 64;
    int *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < a->n_names; i++) {
        size_t j = hash_text(a->names[i], strlen(a->names[i])) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = (int)i + 1;
    }
    free(a->name_slots);
    a->name_slots = slots;
    a->n_name_slots = n;
    return 0;
}

/* The index of name (interned if new), or -1 when out of memory. */
static int intern(struct bs_cfg_asked *a, const char *name, size_t len)
{
    if (2 * (a->n_names + 1) > a->n_name_slots && grow_names(a))
        return -1;
    size_t j = hash_text(name, len) & (a->n_name_slots - 1);
    for (; a->name_slots[j]; j = (j + 1) & (a->n_name_slots - 1)) {
        const char *have = a->names[a->name_slots[j] - 1];
        if (strlen(have) == len && memcmp(have, name, len) == 0)
            return a->name_slots[j] - 1;
    }
    if (a->n_names == a->names_cap) {
        size_t cap = a->names_cap ? 2 * a->names_cap : 64;
        char **names = realloc(a->names, cap * sizeof *names);
        if (!names)
            return -1;
        a->names = names;
        a->names_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    a->names[a->n_names] = copy;
    a->name_slots[j] = (int)++a->n_names;
    return (int)a->n_names - 1;
}

static struct pair *pair_slot(struct pair *pairs, size_t n_slots, int node, int name)
{
    size_t j = hash_pair(node, name) & (n_slots - 1);
    while (pairs[j].node && !(pairs[j].node == node && pairs[j].name == name))
        j = (j + 1) & (n_slots - 1);
    return &pairs[j];
}

static int grow_pairs(struct bs_cfg_asked *a)
{
    size_t n = a->n_pair_slots ? 2 * a->n_pair_slots : 256;
    struct pair *pairs = calloc(n, sizeof *pairs);
    if (!pairs)
        return -1;
    for (size_t i = 0; i < a->n_pair_slots; i++)
        if (a->pairs[i].node)
            *pair_slot(pairs, n, a->pairs[i].node, a->pairs[i].name) = a->pairs[i];
    free(a->pairs);
    a->pairs = pairs;
    a->n_pair_slots = n;
    return 0;
}

void bs_cfg_asked_add(struct bs_cfg *cfg, int node, const char *name, size_t len)
{
    if (cfg->no_record)
        return;
    if (!cfg->asked && !(cfg->asked = calloc(1, sizeof *cfg->asked)))
        return; /* out of memory: only the suggestions are lost */
    struct bs_cfg_asked *a = cfg->asked;
    int id = intern(a, name, len);
    if (id < 0 || (2 * (a->n_pairs + 1) > a->n_pair_slots && grow_pairs(a)))
        return;
    struct pair *p = pair_slot(a->pairs, a->n_pair_slots, node, id);
    if (!p->node) {
        p->node = node;
        p->name = id;
        a->n_pairs++;
    }
}

size_t bs_cfg_asked_at(const struct bs_cfg *cfg, int node, const char **out, size_t cap)
{
    const struct bs_cfg_asked *a = cfg->asked;
    size_t n = 0;
    /* In the order the names were first asked: the model's reading order. */
    for (size_t id = 0; a && a->n_pair_slots && id < a->n_names && n < cap; id++)
        if (pair_slot(a->pairs, a->n_pair_slots, node, (int)id)->node)
            out[n++] = a->names[id];
    return n;
}

void bs_cfg_asked_free(struct bs_cfg *cfg)
{
    struct bs_cfg_asked *a = cfg->asked;
    if (!a)
        return;
    for (size_t i = 0; i < a->n_names; i++)
        free(a->names[i]);
    free(a->names);
    free(a->name_slots);
    free(a->pairs);
    free(a);
    cfg->asked = NULL;
}
