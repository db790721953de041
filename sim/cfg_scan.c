/* A pass over the YAML event stream before the document is built: refuses
 * what would make later work unbounded. libyaml's scanner slows
 * quadratically with nesting (300 000 '[' take minutes), and the document it
 * builds shares an aliased node instead of copying it, so an alias inside
 * its own anchor is a cycle and ten aliases of ten aliases ... are a
 * "billion laughs": both only show when someone walks the tree. Here every
 * node counts as often as aliases repeat it, and the walk stops at the
 * first limit passed, naming file:line:column. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "invariant.h"

struct anchor {
    char *name;     /* NULL: a free slot */
    uint64_t nodes; /* the anchored node with everything under it, aliases expanded */
    int height;     /* its levels of nesting (a scalar: 0) */
    int open;       /* still being read: an alias to it is a cycle */
    size_t line;
};

struct scan {
    struct bs_cfg *cfg;
    struct anchor *anchors; /* open addressing, a power of two slots */
    size_t n_slots, n_used;
    uint64_t nodes; /* the whole stream, aliases expanded */
    struct {
        struct anchor *anchor; /* the collection's own anchor, or NULL */
        uint64_t nodes;
        int height;
    } stack[BS_CFG_DEPTH_MAX + 1];
    int depth;
};

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static struct anchor *slot(struct scan *s, const char *name)
{
    size_t i = hash(name) & (s->n_slots - 1);
    while (s->anchors[i].name && strcmp(s->anchors[i].name, name) != 0)
        i = (i + 1) & (s->n_slots - 1);
    return &s->anchors[i];
}

static void forget_anchors(struct scan *s)
{
    for (size_t i = 0; i < s->n_slots; i++)
        free(s->anchors[i].name);
    if (s->anchors)
        memset(s->anchors, 0, s->n_slots * sizeof *s->anchors);
    s->n_used = 0;
}

/* The anchor named (a new one, or one redefined), or NULL when out of memory. */
static struct anchor *define(struct scan *s, const char *name, size_t line)
{
    if (2 * (s->n_used + 1) > s->n_slots) {
        struct scan bigger = *s;
        bigger.n_slots = s->n_slots ? 2 * s->n_slots : 64;
        bigger.anchors = calloc(bigger.n_slots, sizeof *bigger.anchors);
        if (!bigger.anchors)
            return NULL;
        for (size_t i = 0; i < s->n_slots; i++)
            if (s->anchors[i].name)
                *slot(&bigger, s->anchors[i].name) = s->anchors[i];
        free(s->anchors);
        *s = bigger;
    }
    struct anchor *a = slot(s, name);
    if (!a->name) {
        a->name = strdup(name);
        if (!a->name)
            return NULL;
        s->n_used++;
    }
    a->nodes = 1;
    a->height = 0;
    a->open = 1;
    a->line = line;
    return a;
}

static int fail(struct scan *s, const yaml_event_t *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct scan *s, const yaml_event_t *e, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bs_error_set(s->cfg->err, BS_ERR_INPUT, "%s:%zu:%zu: scenario: %s", s->cfg->file,
                        e->start_mark.line + 1, e->start_mark.column + 1, what);
}

/* Counts a node of `nodes` nodes (aliases expanded) and `height` levels of
 * collections (a scalar: 0) in the collection open at the current depth. */
static int add(struct scan *s, const yaml_event_t *e, uint64_t nodes, int height)
{
    int alias = e->type == YAML_ALIAS_EVENT;
    s->nodes += nodes;
    if (s->nodes > BS_CFG_NODES_MAX)
        return alias ? fail(s, e, "this alias makes it more than %d values with aliases expanded (an alias "
                            "\"bomb\"?); a scenario holds at most that", BS_CFG_NODES_MAX)
                     : fail(s, e, "the file holds more than %d values (aliases expanded); a scenario holds at most "
                            "that", BS_CFG_NODES_MAX);
    if (s->depth + height > BS_CFG_DEPTH_MAX)
        return fail(s, e, "%s more than %d levels deep; a scenario needs a few",
                    alias ? "this alias nests the document" : "nested", BS_CFG_DEPTH_MAX);
    if (s->depth > 0) {
        s->stack[s->depth].nodes += nodes;
        if (1 + height > s->stack[s->depth].height)
            s->stack[s->depth].height = 1 + height;
    }
    return 0;
}

static const yaml_char_t *tag_of(const yaml_event_t *e)
{
    if (e->type == YAML_SCALAR_EVENT)
        return e->data.scalar.tag;
    if (e->type == YAML_SEQUENCE_START_EVENT)
        return e->data.sequence_start.tag;
    return e->type == YAML_MAPPING_START_EVENT ? e->data.mapping_start.tag : NULL;
}

static const yaml_char_t *anchor_of(const yaml_event_t *e)
{
    if (e->type == YAML_SCALAR_EVENT)
        return e->data.scalar.anchor;
    if (e->type == YAML_SEQUENCE_START_EVENT)
        return e->data.sequence_start.anchor;
    return e->type == YAML_MAPPING_START_EVENT ? e->data.mapping_start.anchor : NULL;
}

/* A collection opens one deeper (add refused any deeper than the stack). */
static void open_node(struct scan *s, struct anchor *a)
{
    s->depth++;
    BS_INVARIANT(s->depth <= BS_CFG_DEPTH_MAX);
    s->stack[s->depth].anchor = a;
    s->stack[s->depth].nodes = 1;
    s->stack[s->depth].height = 1;
}

/* The collection open at the current depth ends: its anchor learns its
 * size, and its parent counts it. */
static void close_node(struct scan *s)
{
    BS_INVARIANT(s->depth > 0); /* libyaml's events are balanced */
    uint64_t nodes = s->stack[s->depth].nodes;
    int height = s->stack[s->depth].height;
    struct anchor *own = s->stack[s->depth].anchor;
    s->depth--;
    if (own) {
        own->nodes = nodes;
        own->height = height;
        own->open = 0;
    }
    if (s->depth > 0) { /* counted as it came, except in the parent's tally */
        s->stack[s->depth].nodes += nodes - 1;
        if (1 + height > s->stack[s->depth].height)
            s->stack[s->depth].height = 1 + height;
    }
}

/* One event: 0, 1 at the stream's end, or the error status. */
static int step(struct scan *s, const yaml_event_t *e)
{
    const yaml_char_t *tag = tag_of(e), *name = anchor_of(e);
    if (tag)
        return fail(s, e, "the tag %s is not used in scenario files: write the value plainly (quote text)",
                    (const char *)tag);
    struct anchor *a = NULL;
    if (name && !(a = define(s, (const char *)name, e->start_mark.line + 1)))
        return bs_error_set(s->cfg->err, BS_ERR_RUN, "out of memory reading %s", s->cfg->file);
    switch (e->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        forget_anchors(s); /* anchors name nodes of their own document only */
        return 0;
    case YAML_SCALAR_EVENT:
        /* "\0" in a quoted value: C strings would end there, unseen. */
        if (strlen((const char *)e->data.scalar.value) != e->data.scalar.length)
            return fail(s, e, "a NUL character in a value (C text would end there)");
        if (a)
            a->open = 0;
        return add(s, e, 1, 0);
    case YAML_ALIAS_EVENT: {
        struct anchor *to = s->n_slots ? slot(s, (const char *)e->data.alias.anchor) : NULL;
        if (!to || !to->name)
            return 0; /* an undefined alias: libyaml names it when it loads */
        if (to->open)
            return fail(s, e, "the alias *%s is inside the node it names (anchored on line %zu): it would repeat "
                        "forever", to->name, to->line);
        return add(s, e, to->nodes, to->height);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (add(s, e, 1, 1)) /* the depth it opens, and its own node */
            return s->cfg->err->status;
        open_node(s, a);
        return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        close_node(s);
        return 0;
    default:
        return 0;
    }
}

int bs_cfg_scan(struct bs_cfg *cfg)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return bs_error_set(cfg->err, BS_ERR_RUN, "%s: cannot start the YAML parser", cfg->file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)cfg->text, cfg->text_len);
    struct scan s = {.cfg = cfg};
    int st = 0;
    while (st == 0) {
        yaml_event_t e;
        if (!yaml_parser_parse(&parser, &e))
            break; /* a syntax error: yaml_parser_load reports it, at the same place */
        st = step(&s, &e);
        yaml_event_delete(&e);
    }
    forget_anchors(&s);
    free(s.anchors);
    yaml_parser_delete(&parser);
    return st < 0 || st > 1 ? st : 0;
}
