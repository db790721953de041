/* YAML scenario access by dotted paths, with used-key tracking and
 * file:line:column error reports. Config work only: never on a hot path. */
#include "cfg.h"

#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static yaml_node_t *node_at(struct bs_cfg *cfg, int index)
{
    return yaml_document_get_node(&cfg->doc, index);
}

static int node_index(struct bs_cfg *cfg, const yaml_node_t *n)
{
    return (int)(n - cfg->doc.nodes.start) + 1;
}

static void offset_to_line_col(const char *text, size_t offset, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static int vfail_at(struct bs_cfg *cfg, const yaml_node_t *node, const char *key,
                    const char *fmt, va_list ap)
{
    char what[700];
    vsnprintf(what, sizeof what, fmt, ap);
    /* A value from --set has no place in the file: say where it came from. */
    for (size_t i = 0; node && i < cfg->n_set; i++)
        if (node == node_at(cfg, cfg->ov[i].node)) {
            const char *value = (const char *)node->data.scalar.value;
            return bs_error_set(cfg->err, BS_ERR_INPUT, "%s: --set %s=%s: %s: %s", cfg->file, cfg->ov[i].key,
                                value, key && *key ? key : cfg->ov[i].key, what);
        }
    size_t line = node ? node->start_mark.line + 1 : 1;
    size_t col = node ? node->start_mark.column + 1 : 1;
    return bs_error_set(cfg->err, BS_ERR_INPUT, "%s:%zu:%zu: %s: %s", cfg->file, line, col,
                        key && *key ? key : "scenario", what);
}

int bs_cfg_fail_node(struct bs_cfg *cfg, const yaml_node_t *node, const char *key,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vfail_at(cfg, node, key, fmt, ap);
    va_end(ap);
    return st;
}

/* 0 when st is a file a scenario may come from, else the error. */
static int refuse_kind(struct bs_cfg *cfg, const struct stat *st)
{
    const char *file = cfg->file;
    if (S_ISDIR(st->st_mode))
        return bs_error_set(cfg->err, BS_ERR_INPUT, "%s:1:1: scenario: is a directory, not a scenario file", file);
    if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode))
        return bs_error_set(cfg->err, BS_ERR_INPUT, "%s:1:1: scenario: not a regular file or a pipe (a device?)",
                            file);
    if (S_ISREG(st->st_mode) && st->st_size > BS_CFG_FILE_MAX)
        return bs_error_set(cfg->err, BS_ERR_INPUT,
                            "%s:1:1: scenario: %lld bytes; a scenario file holds at most %d MiB", file,
                            (long long)st->st_size, BS_CFG_FILE_MAX >> 20);
    return 0;
}

/* Opens a regular file or a pipe. A device is refused before it is opened
 * (opening some has effects; /dev/zero would be read forever). A named
 * FIFO waits for its writer, as cat does; anything else is opened without
 * waiting, in case the path changed to a FIFO or device since stat. */
static FILE *open_scenario(struct bs_cfg *cfg, const char *file)
{
    struct stat st;
    if (stat(file, &st) != 0) {
        bs_error_set(cfg->err, BS_ERR_INPUT, "%s:1:1: scenario: cannot open: %s", file, strerror(errno));
        return NULL;
    }
    if (refuse_kind(cfg, &st))
        return NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC | (S_ISFIFO(st.st_mode) ? 0 : O_NONBLOCK));
    if (fd < 0) {
        bs_error_set(cfg->err, BS_ERR_INPUT, "%s:1:1: scenario: cannot open: %s", file, strerror(errno));
        return NULL;
    }
    FILE *f = NULL;
    /* What was opened, not what was looked at: the path may have changed. */
    if (fstat(fd, &st) != 0 || refuse_kind(cfg, &st) || fcntl(fd, F_SETFL, 0) != 0 || !(f = fdopen(fd, "rb"))) {
        bs_error_set(cfg->err, BS_ERR_INPUT, "%s:1:1: scenario: cannot open: %s", file, strerror(errno));
        close(fd);
    }
    return f;
}

/* Reads the whole file into cfg->text: at most BS_CFG_FILE_MAX bytes (a
 * pipe that goes on is refused once past it). */
static int read_text(struct bs_cfg *cfg, const char *file)
{
    struct bs_error *err = cfg->err;
    FILE *f = open_scenario(cfg, file);
    if (!f)
        return err->status;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return bs_error_set(err, BS_ERR_RUN, "%s: out of memory", file);
        }
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1 || len > BS_CFG_FILE_MAX)
            break;
        cap *= 2;
        char *bigger = realloc(buf, cap);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    int read_failed = ferror(f);
    fclose(f);
    cfg->text = buf;
    buf[len] = '\0';
    cfg->text_len = len;
    if (read_failed)
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: scenario: cannot read: %s", file, strerror(errno));
    if (len > BS_CFG_FILE_MAX) /* a pipe that went on */
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: scenario: more than %d MiB; a scenario file holds at most that",
                            file, BS_CFG_FILE_MAX >> 20);
    if (memchr(buf, '\0', len))
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: scenario: not a YAML text file", file);
    return 0;
}

int bs_cfg_load(struct bs_cfg *cfg, const char *file, struct bs_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->err = err;
    snprintf(cfg->file, sizeof cfg->file, "%s", file);
    if (read_text(cfg, file))
        return err->status;
    const char *buf = cfg->text;
    size_t len = cfg->text_len;
    if (bs_cfg_scan(cfg))
        return err->status;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot start the YAML parser", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &cfg->doc)) {
        size_t line = parser.problem_mark.line + 1, col = parser.problem_mark.column + 1;
        if (parser.error == YAML_READER_ERROR) /* encoding errors carry a byte offset only */
            offset_to_line_col(buf, parser.problem_offset, &line, &col);
        bs_error_set(err, BS_ERR_INPUT, "%s:%zu:%zu: scenario: YAML syntax error: %s%s%s", file, line, col,
                     parser.problem ? parser.problem : "unreadable",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return err->status;
    }
    cfg->has_doc = 1;
    /* One scenario per file: a second document would be stored but never read. */
    yaml_document_t extra;
    if (!yaml_parser_load(&parser, &extra)) {
        bs_error_set(err, BS_ERR_INPUT, "%s:%zu:%zu: scenario: YAML syntax error: %s", file,
                     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                     parser.problem ? parser.problem : "unreadable");
        yaml_parser_delete(&parser);
        return err->status;
    }
    yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
    if (extra_root) {
        bs_error_set(err, BS_ERR_INPUT, "%s:%zu:%zu: scenario: a second YAML document; a file holds one scenario",
                     file, extra.start_mark.line + 1, extra.start_mark.column + 1);
        yaml_document_delete(&extra);
        yaml_parser_delete(&parser);
        return err->status;
    }
    yaml_document_delete(&extra);
    yaml_parser_delete(&parser);
    cfg->n_nodes = (size_t)(cfg->doc.nodes.top - cfg->doc.nodes.start);
    cfg->used = calloc(cfg->n_nodes + 1, 1);
    if (!cfg->used)
        return bs_error_set(err, BS_ERR_RUN, "%s: out of memory", file);
    if (bs_cfg_index_build(cfg))
        return err->status;
    yaml_node_t *root = yaml_document_get_root_node(&cfg->doc);
    if (!root)
        return bs_error_set(err, BS_ERR_INPUT, "%s:1:1: scenario: the file is empty", file);
    if (root->type != YAML_MAPPING_NODE)
        return bs_cfg_fail_node(cfg, root, "scenario", "expected a mapping of keys (name:, day:, demand:, ...)");
    return 0;
}

void bs_cfg_fini(struct bs_cfg *cfg)
{
    if (cfg->has_doc)
        yaml_document_delete(&cfg->doc);
    free(cfg->used);
    free(cfg->text);
    bs_cfg_asked_free(cfg);
    bs_cfg_index_free(cfg);
    cfg->has_doc = 0;
    cfg->used = NULL;
    cfg->text = NULL;
}

/* used[] covers nodes added to the document since it was loaded. */
static int grow_used(struct bs_cfg *cfg)
{
    size_t n_nodes = (size_t)(cfg->doc.nodes.top - cfg->doc.nodes.start);
    unsigned char *used = realloc(cfg->used, n_nodes + 1);
    if (!used)
        return bs_error_set(cfg->err, BS_ERR_RUN, "out of memory adding values to the scenario");
    memset(used + cfg->n_nodes + 1, 0, n_nodes - cfg->n_nodes);
    cfg->used = used;
    cfg->n_nodes = n_nodes;
    return 0;
}

int bs_cfg_add_list(struct bs_cfg *cfg, const char *key, const char *const *values, size_t n, int *key_node,
                    int *list_node)
{
    yaml_document_t *doc = &cfg->doc;
    *key_node = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)key, (int)strlen(key), YAML_PLAIN_SCALAR_STYLE);
    *list_node = yaml_document_add_sequence(doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
    int ok = *key_node > 0 && *list_node > 0;
    for (size_t i = 0; ok && i < n; i++) {
        int item = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)values[i], (int)strlen(values[i]),
                                            YAML_PLAIN_SCALAR_STYLE);
        ok = item > 0 && yaml_document_append_sequence_item(doc, *list_node, item);
    }
    return ok ? grow_used(cfg) : bs_error_set(cfg->err, BS_ERR_RUN, "out of memory adding values to the scenario");
}

static int add_plain(struct bs_cfg *cfg, const char *text)
{
    return yaml_document_add_scalar(&cfg->doc, NULL, (yaml_char_t *)text, (int)strlen(text),
                                    YAML_PLAIN_SCALAR_STYLE);
}

int bs_cfg_add_points(struct bs_cfg *cfg, const char *const *keys, size_t n_keys, const char *const *values,
                      size_t n_points, int *key_nodes, int *points_node)
{
    yaml_document_t *doc = &cfg->doc;
    int ok = (*points_node = yaml_document_add_sequence(doc, NULL, YAML_FLOW_SEQUENCE_STYLE)) > 0;
    for (size_t k = 0; ok && k < n_keys; k++)
        ok = (key_nodes[k] = add_plain(cfg, keys[k])) > 0;
    for (size_t p = 0; ok && p < n_points; p++) {
        int point = yaml_document_add_mapping(doc, NULL, YAML_FLOW_MAPPING_STYLE);
        ok = point > 0 && yaml_document_append_sequence_item(doc, *points_node, point);
        for (size_t k = 0; ok && k < n_keys; k++) {
            int value = add_plain(cfg, values[p * n_keys + k]);
            ok = value > 0 && yaml_document_append_mapping_pair(doc, point, key_nodes[k], value);
        }
    }
    return ok ? grow_used(cfg) : bs_error_set(cfg->err, BS_ERR_RUN, "out of memory adding values to the scenario");
}

void bs_cfg_clear_overrides(struct bs_cfg *cfg)
{
    cfg->n_ov = cfg->n_set;
}

int bs_cfg_add_set(struct bs_cfg *cfg, const char *key, const char *value)
{
    if (cfg->n_set == BS_CFG_OVERRIDES_MAX / 2)
        return bs_error_set(cfg->err, BS_ERR_INPUT, "--set: at most %d keys", BS_CFG_OVERRIDES_MAX / 2);
    for (size_t i = 0; i < cfg->n_set; i++)
        if (strcmp(cfg->ov[i].key, key) == 0)
            return bs_error_set(cfg->err, BS_ERR_INPUT, "--set %s: given twice", key);
    /* The value in the file that this replaces is read by no point: it is
     * not unknown. (Looking it up is not the model asking for it.) */
    cfg->no_record = 1;
    bs_cfg_mark_used(cfg, bs_cfg_node(cfg, key));
    cfg->no_record = 0;
    int node = yaml_document_add_scalar(&cfg->doc, NULL, (yaml_char_t *)value, (int)strlen(value),
                                        YAML_PLAIN_SCALAR_STYLE);
    if (node <= 0 || grow_used(cfg))
        return bs_error_set(cfg->err, BS_ERR_RUN, "out of memory adding --set %s", key);
    cfg->n_ov = cfg->n_set;
    if (bs_cfg_add_override(cfg, key, node))
        return cfg->err->status;
    cfg->n_set++;
    return 0;
}

int bs_cfg_add_override(struct bs_cfg *cfg, const char *key, int node)
{
    if (cfg->n_ov == BS_CFG_OVERRIDES_MAX)
        return bs_error_set(cfg->err, BS_ERR_INPUT, "%s: sweep: at most %d keys", cfg->file,
                            BS_CFG_OVERRIDES_MAX);
    struct bs_cfg_override *o = &cfg->ov[cfg->n_ov++];
    snprintf(o->key, sizeof o->key, "%s", key);
    o->node = node;
    o->used = 0;
    return 0;
}

static yaml_node_t *override_for(struct bs_cfg *cfg, const char *key, size_t len)
{
    for (size_t i = 0; i < cfg->n_ov; i++) {
        if (strlen(cfg->ov[i].key) == len && memcmp(cfg->ov[i].key, key, len) == 0) {
            cfg->ov[i].used = 1;
            return node_at(cfg, cfg->ov[i].node);
        }
    }
    return NULL;
}

static int is_index(const char *seg, size_t len)
{
    size_t i = 0;
    while (i < len && seg[i] >= '0' && seg[i] <= '9')
        i++;
    return len > 0 && i == len;
}

/* Walks key from the root; a prefix that is overridden continues from the
 * override's node. stop_at_missing returns the deepest node found instead. */
static yaml_node_t *walk(struct bs_cfg *cfg, const char *key, int deepest_present)
{
    if (!cfg->has_doc)
        return NULL;
    yaml_node_t *n = yaml_document_get_root_node(&cfg->doc);
    const char *seg = key;
    while (n && *seg) {
        const char *dot = strchr(seg, '.');
        size_t seglen = dot ? (size_t)(dot - seg) : strlen(seg);
        size_t prefix_len = (size_t)(seg - key) + seglen;
        yaml_node_t *next = override_for(cfg, key, prefix_len);
        /* Asked for even when a sweep or --set answers: a hint for a
         * misspelt swept or set key names it. */
        /* A name asked in a scalar, or a list's non-index: the node was
         * meant as a mapping; bs_cfg_check_kinds reports it. */
        if (n->type == YAML_MAPPING_NODE || (!next && !is_index(seg, seglen)))
            bs_cfg_asked_add(cfg, node_index(cfg, n), seg, seglen);
        if (!next && n->type == YAML_MAPPING_NODE) {
            yaml_node_pair_t *p = bs_cfg_index_find(cfg, n, seg, seglen);
            if (p) {
                cfg->used[p->key] = 1;
                next = node_at(cfg, p->value);
            }
        } else if (!next && n->type == YAML_SEQUENCE_NODE) {
            char *end;
            long i = strtol(seg, &end, 10);
            long count = n->data.sequence.items.top - n->data.sequence.items.start;
            if (end == seg + seglen && i >= 0 && i < count)
                next = node_at(cfg, n->data.sequence.items.start[i]);
        }
        if (!next)
            return deepest_present ? n : NULL;
        n = next;
        seg = dot ? dot + 1 : seg + seglen;
    }
    return n;
}

yaml_node_t *bs_cfg_node(struct bs_cfg *cfg, const char *key)
{
    return walk(cfg, key, 0);
}

int bs_cfg_has(struct bs_cfg *cfg, const char *key)
{
    return bs_cfg_node(cfg, key) != NULL;
}

int bs_cfg_is_scalar(struct bs_cfg *cfg, const char *key)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    return n && n->type == YAML_SCALAR_NODE;
}

int bs_cfg_fail(struct bs_cfg *cfg, const char *key, const char *fmt, ...)
{
    yaml_node_t *n = walk(cfg, key, 1);
    va_list ap;
    va_start(ap, fmt);
    int st = vfail_at(cfg, n, key, fmt, ap);
    va_end(ap);
    return st;
}

/* The scalar's text, or NULL after reporting what was expected. */
static const char *scalar_text(struct bs_cfg *cfg, const char *key, yaml_node_t *n,
                               const char *expected)
{
    if (n->type != YAML_SCALAR_NODE) {
        bs_cfg_fail_node(cfg, n, key, "expected %s, got a %s", expected,
                         n->type == YAML_MAPPING_NODE ? "mapping" : "list");
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

int bs_cfg_number(struct bs_cfg *cfg, const char *key, double lo, double hi,
                  double dflt, int required, double *out)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n) {
        if (required)
            return bs_cfg_fail(cfg, key, "required: a number in [%g, %g]", lo, hi);
        *out = dflt;
        return 0;
    }
    const char *s = scalar_text(cfg, key, n, "a number");
    if (!s)
        return cfg->err->status;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v) || strpbrk(s, "xX") /* hex */ ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return bs_cfg_fail_node(cfg, n, key, "expected a number in [%g, %g], got '%s'", lo, hi, s);
    if (v < lo || v > hi)
        return bs_cfg_fail_node(cfg, n, key, "must be in [%g, %g], got %s", lo, hi, s);
    *out = v;
    return 0;
}

int bs_cfg_int(struct bs_cfg *cfg, const char *key, long lo, long hi,
               long dflt, int required, long *out)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n) {
        if (required)
            return bs_cfg_fail(cfg, key, "required: an integer in [%ld, %ld]", lo, hi);
        *out = dflt;
        return 0;
    }
    const char *s = scalar_text(cfg, key, n, "an integer");
    if (!s)
        return cfg->err->status;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return bs_cfg_fail_node(cfg, n, key, "expected an integer in [%ld, %ld], got '%s'", lo, hi, s);
    if (v < lo || v > hi)
        return bs_cfg_fail_node(cfg, n, key, "must be in [%ld, %ld], got %s", lo, hi, s);
    *out = v;
    return 0;
}

int bs_cfg_string(struct bs_cfg *cfg, const char *key, const char *dflt, char *out, size_t cap)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n) {
        if (!dflt)
            return bs_cfg_fail(cfg, key, "required: a text value");
        snprintf(out, cap, "%s", dflt);
        return 0;
    }
    const char *s = scalar_text(cfg, key, n, "a text value");
    if (!s)
        return cfg->err->status;
    if (strlen(s) >= cap)
        return bs_cfg_fail_node(cfg, n, key, "at most %zu characters", cap - 1);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

int bs_cfg_enum(struct bs_cfg *cfg, const char *key, const char *const *names, int n_names,
                int dflt, int *out)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    char allowed[400] = "";
    for (int i = 0; i < n_names; i++) {
        size_t used = strlen(allowed);
        snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", names[i]);
    }
    if (!n) {
        if (dflt < 0)
            return bs_cfg_fail(cfg, key, "required: one of %s", allowed);
        *out = dflt;
        return 0;
    }
    const char *s = scalar_text(cfg, key, n, "a name");
    if (!s)
        return cfg->err->status;
    for (int i = 0; i < n_names; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    const char *near = bs_text_nearest(s, names, (size_t)n_names);
    if (near)
        return bs_cfg_fail_node(cfg, n, key, "'%s' is not one of %s (did you mean %s?)", s, allowed, near);
    return bs_cfg_fail_node(cfg, n, key, "'%s' is not one of %s", s, allowed);
}

int bs_cfg_bool(struct bs_cfg *cfg, const char *key, int dflt, int *out)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n) {
        *out = dflt;
        return 0;
    }
    const char *s = scalar_text(cfg, key, n, "true or false");
    if (!s)
        return cfg->err->status;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
        *out = s[0] == 't';
        return 0;
    }
    return bs_cfg_fail_node(cfg, n, key, "expected true or false, got '%s'", s);
}

long bs_cfg_list_len(struct bs_cfg *cfg, const char *key)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n)
        return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        bs_cfg_fail_node(cfg, n, key, "expected a list");
        return -1;
    }
    return n->data.sequence.items.top - n->data.sequence.items.start;
}

long bs_cfg_map_keys(struct bs_cfg *cfg, const char *key, const char **keys_out, long cap)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n)
        return 0;
    if (n->type != YAML_MAPPING_NODE) {
        bs_cfg_fail_node(cfg, n, key, "expected a mapping");
        return -1;
    }
    long count = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(cfg, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) {
            bs_cfg_fail_node(cfg, k, key, "keys must be plain names");
            return -1;
        }
        if (count == cap) {
            bs_cfg_fail_node(cfg, k, key, "at most %ld entries", cap);
            return -1;
        }
        cfg->used[p->key] = 1;
        keys_out[count++] = (const char *)k->data.scalar.value;
    }
    return count;
}

static const char *key_name(struct bs_cfg *cfg, int key)
{
    yaml_node_t *k = node_at(cfg, key);
    return k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
}

static int has_key(struct bs_cfg *cfg, const yaml_node_t *map, const char *name)
{
    return bs_cfg_index_find(cfg, (yaml_node_t *)map, name, strlen(name)) != NULL;
}

#define HINT_NAMES_MAX 64

/* The asked name nearest to name among those map lacks (or, with
 * given_too, any), or NULL. */
static const char *near_asked(struct bs_cfg *cfg, const yaml_node_t *map, const char *name, int given_too)
{
    const char *asked[HINT_NAMES_MAX], *absent[HINT_NAMES_MAX];
    size_t n = bs_cfg_asked_at(cfg, node_index(cfg, map), asked, HINT_NAMES_MAX), m = 0;
    for (size_t i = 0; i < n; i++)
        if (!has_key(cfg, map, asked[i]))
            absent[m++] = asked[i];
    const char *near = bs_text_nearest(name, absent, m);
    return near || !given_too ? near : bs_text_nearest(name, asked, n);
}

/* A dotted key (demand.customers_per_day) written in the file where its
 * first part is a key of map: the hint to nest it, else 0. */
static int dotted_hint(struct bs_cfg *cfg, const yaml_node_t *map, const char *name, char *out, size_t cap)
{
    const char *dot = strchr(name, '.'), *asked[HINT_NAMES_MAX];
    size_t n = dot ? bs_cfg_asked_at(cfg, node_index(cfg, map), asked, HINT_NAMES_MAX) : 0;
    for (size_t i = 0; i < n; i++) {
        if (strlen(asked[i]) == (size_t)(dot - name) && strncmp(asked[i], name, (size_t)(dot - name)) == 0) {
            snprintf(out, cap, "; dotted keys are for sweeps: in the file, nest it (%.*s: {%s: ...})",
                     (int)(dot - name), name, dot + 1);
            return 1;
        }
    }
    return 0;
}

/* What to say after "unknown key" for name in map. */
static void hint_unknown(struct bs_cfg *cfg, const yaml_node_t *map, const char *name, char *out, size_t cap)
{
    if (strcmp(name, "<<") == 0) {
        snprintf(out, cap, ": YAML merge keys (<<) are not supported; write the keys out");
        return;
    }
    if (dotted_hint(cfg, map, name, out, cap))
        return;
    const char *near = near_asked(cfg, map, name, 1);
    if (near) {
        snprintf(out, cap, "; did you mean %s?", near);
        return;
    }
    const char *asked[HINT_NAMES_MAX];
    size_t n = bs_cfg_asked_at(cfg, node_index(cfg, map), asked, HINT_NAMES_MAX), len = 0;
    if (n == 0) {
        snprintf(out, cap, " (check its spelling and section in docs/scenario-keys.md)");
        return;
    }
    for (size_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%s", i ? ", " : "; the keys here are ", asked[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    if (len < cap)
        snprintf(out + len, cap - len, " (docs/scenario-keys.md)");
}

struct key_ref {
    const char *name;
    size_t pair;
};

static int key_ref_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->pair > y->pair) - (x->pair < y->pair);
}

/* For each pair of map, the pair that first gave its key, or -1: sorting
 * keeps this O(k log k) for a mapping of many keys. 0, or -1 out of memory. */
static int find_duplicates(struct bs_cfg *cfg, const yaml_node_t *map, long *first)
{
    size_t k = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start), n = 0;
    struct key_ref *refs = malloc((k + 1) * sizeof *refs);
    if (!refs)
        return -1;
    for (size_t i = 0; i < k; i++) {
        first[i] = -1;
        const char *name = key_name(cfg, map->data.mapping.pairs.start[i].key);
        if (name)
            refs[n++] = (struct key_ref){name, i};
    }
    qsort(refs, n, sizeof *refs, key_ref_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(refs[i].name, refs[i - 1].name) == 0)
            first[refs[i].pair] = first[refs[i - 1].pair] >= 0 ? first[refs[i - 1].pair] : (long)refs[i - 1].pair;
    free(refs);
    return 0;
}

/* Appends a segment to the dotted path (cut at BS_CFG_PATH_MAX); its new length. */
static size_t path_push(char *path, size_t path_len, const char *seg)
{
    int w = snprintf(path + path_len, BS_CFG_PATH_MAX - path_len, "%s%s", path_len ? "." : "", seg);
    size_t len = path_len + (size_t)(w > 0 ? w : 0);
    return len >= BS_CFG_PATH_MAX ? BS_CFG_PATH_MAX - 1 : len;
}

static int check_node(struct bs_cfg *cfg, yaml_node_t *n, char *path, size_t path_len, int depth);

static int check_pairs(struct bs_cfg *cfg, yaml_node_t *n, char *path, size_t path_len, int depth)
{
    size_t k = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    long *first = malloc((k + 1) * sizeof *first);
    if (!first || find_duplicates(cfg, n, first)) {
        free(first);
        return bs_error_set(cfg->err, BS_ERR_RUN, "out of memory checking %s", cfg->file);
    }
    int st = 0;
    for (size_t i = 0; !st && i < k; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        yaml_node_t *key = node_at(cfg, p->key);
        const char *name = key_name(cfg, p->key);
        size_t len = path_push(path, path_len, name ? name : "?");
        char hint[400];
        if (first[i] >= 0) {
            st = bs_cfg_fail_node(cfg, key, path, "duplicate key (first given on line %zu)",
                                  node_at(cfg, n->data.mapping.pairs.start[first[i]].key)->start_mark.line + 1);
        } else if (!cfg->used[p->key]) {
            hint_unknown(cfg, n, name ? name : "", hint, sizeof hint);
            st = bs_cfg_fail_node(cfg, key, path, "unknown key%s", hint);
        } else {
            st = check_node(cfg, node_at(cfg, p->value), path, len, depth + 1);
        }
        path[path_len] = '\0';
    }
    free(first);
    return st;
}

static int check_node(struct bs_cfg *cfg, yaml_node_t *n, char *path, size_t path_len, int depth)
{
    if (depth > BS_CFG_DEPTH_MAX)
        return bs_cfg_fail_node(cfg, n, path, "nested too deeply");
    if (n->type == YAML_MAPPING_NODE)
        return check_pairs(cfg, n, path, path_len, depth);
    if (n->type == YAML_SEQUENCE_NODE) {
        long i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
            char seg[24];
            snprintf(seg, sizeof seg, "%ld", i);
            size_t len = path_push(path, path_len, seg);
            if (check_node(cfg, node_at(cfg, *it), path, len, depth + 1))
                return cfg->err->status;
            path[path_len] = '\0';
        }
    }
    return 0;
}

static void mark_used(struct bs_cfg *cfg, const yaml_node_t *n, int depth)
{
    if (!n || depth > BS_CFG_DEPTH_MAX)
        return;
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            cfg->used[p->key] = 1;
            mark_used(cfg, node_at(cfg, p->value), depth + 1);
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            mark_used(cfg, node_at(cfg, *it), depth + 1);
    }
}

void bs_cfg_mark_used(struct bs_cfg *cfg, const yaml_node_t *n)
{
    mark_used(cfg, n, 0);
}

/* Node n (index node, at key) given as a scalar or list where the model
 * asked for names in it: an error listing them. */
static int check_kind(struct bs_cfg *cfg, yaml_node_t *n, int node, const char *key)
{
    const char *asked[24];
    size_t k = n && n->type != YAML_MAPPING_NODE ? bs_cfg_asked_at(cfg, node, asked, 24) : 0;
    if (k == 0)
        return 0;
    char keys[600], given[80];
    size_t len = 0;
    for (size_t i = 0; i < k && len < sizeof keys; i++) {
        int w = snprintf(keys + len, sizeof keys - len, "%s%s", i ? ", " : "", asked[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    bs_cfg_render(cfg, n, given, sizeof given);
    return bs_cfg_fail_node(cfg, n, key, "expected a mapping with keys %s (docs/scenario-keys.md), got %s %s", keys,
                            n->type == YAML_SCALAR_NODE ? "the value" : "the list", given);
}

/* Each value below map's keys that were read, at any depth through
 * mappings and the mappings in lists (not a list's scalars: a million of
 * them cost nothing to skip). */
static int check_kinds_below(struct bs_cfg *cfg, yaml_node_t *n, char *path, size_t path_len, int depth)
{
    if (depth > BS_CFG_DEPTH_MAX)
        return 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        long i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
            yaml_node_t *v = node_at(cfg, *it);
            char seg[24];
            snprintf(seg, sizeof seg, "%ld", i);
            size_t len = path_push(path, path_len, seg);
            int st = v && v->type != YAML_SCALAR_NODE ? check_kinds_below(cfg, v, path, len, depth + 1) : 0;
            path[path_len] = '\0';
            if (st)
                return st;
        }
        return 0;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *name = key_name(cfg, p->key);
        yaml_node_t *v = node_at(cfg, p->value);
        if (!name || !v || !cfg->used[p->key])
            continue;
        size_t len = path_push(path, path_len, name);
        int st = check_kind(cfg, v, p->value, path);
        if (!st && v->type != YAML_SCALAR_NODE)
            st = check_kinds_below(cfg, v, path, len, depth + 1);
        path[path_len] = '\0';
        if (st)
            return st;
    }
    return 0;
}

int bs_cfg_check_kinds(struct bs_cfg *cfg)
{
    yaml_node_t *root = cfg->has_doc ? yaml_document_get_root_node(&cfg->doc) : NULL;
    char path[BS_CFG_PATH_MAX] = "";
    if (root && root->type == YAML_MAPPING_NODE && check_kinds_below(cfg, root, path, 0, 0))
        return cfg->err->status;
    for (size_t i = 0; i < cfg->n_ov; i++) /* --set day=5 */
        if (check_kind(cfg, node_at(cfg, cfg->ov[i].node), cfg->ov[i].node, cfg->ov[i].key))
            return cfg->err->status;
    return 0;
}

int bs_cfg_check_unknown(struct bs_cfg *cfg)
{
    char path[BS_CFG_PATH_MAX] = "";
    if (bs_cfg_check_kinds(cfg))
        return cfg->err->status;
    return check_node(cfg, yaml_document_get_root_node(&cfg->doc), path, 0, 0);
}

/* The first key that nobody read and that is a near miss of a name asked
 * for in its mapping and not given there; only below keys that were read. */
static int find_misspelt(struct bs_cfg *cfg, yaml_node_t *n, char *path, size_t path_len, int depth)
{
    if (!n || depth > BS_CFG_DEPTH_MAX)
        return 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        long i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
            char seg[24];
            snprintf(seg, sizeof seg, "%ld", i);
            if (find_misspelt(cfg, node_at(cfg, *it), path, path_push(path, path_len, seg), depth + 1))
                return cfg->err->status;
            path[path_len] = '\0';
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            const char *name = key_name(cfg, p->key);
            size_t len = path_push(path, path_len, name ? name : "?");
            const char *near = name && !cfg->used[p->key] ? near_asked(cfg, n, name, 0) : NULL;
            char hint[BS_CFG_PATH_MAX + 80];
            if (near)
                snprintf(hint, sizeof hint, "; did you mean %s?", near);
            if (near || (name && !cfg->used[p->key] && dotted_hint(cfg, n, name, hint, sizeof hint))) {
                cfg->err->status = BS_OK; /* this explains the failure better */
                return bs_cfg_fail_node(cfg, node_at(cfg, p->key), path, "unknown key%s", hint);
            }
            if (cfg->used[p->key] && find_misspelt(cfg, node_at(cfg, p->value), path, len, depth + 1))
                return cfg->err->status;
            path[path_len] = '\0';
        }
    }
    return 0;
}

int bs_cfg_check_misspelt(struct bs_cfg *cfg)
{
    char path[BS_CFG_PATH_MAX] = "";
    int was = cfg->err->status;
    cfg->err->status = BS_OK; /* a section of the wrong kind explains the failure better */
    if (bs_cfg_check_kinds(cfg))
        return cfg->err->status;
    cfg->err->status = was;
    return cfg->has_doc ? find_misspelt(cfg, yaml_document_get_root_node(&cfg->doc), path, 0, 0) : 0;
}

/* The hint for a key naming nothing: the first segment the document lacks,
 * compared with the names asked for there. */
void bs_cfg_hint_missing(struct bs_cfg *cfg, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    yaml_node_t *n = cfg->has_doc ? yaml_document_get_root_node(&cfg->doc) : NULL;
    const char *seg = key;
    while (n && *seg) {
        const char *dot = strchr(seg, '.');
        size_t seglen = dot ? (size_t)(dot - seg) : strlen(seg), prefix = (size_t)(seg - key);
        char name[BS_CFG_PATH_MAX];
        snprintf(name, sizeof name, "%.*s", (int)seglen, seg);
        yaml_node_t *next = NULL;
        if (n->type == YAML_MAPPING_NODE) {
            yaml_node_pair_t *pair = bs_cfg_index_find(cfg, n, name, strlen(name));
            next = pair ? node_at(cfg, pair->value) : NULL;
            const char *asked[HINT_NAMES_MAX];
            size_t n_asked = bs_cfg_asked_at(cfg, node_index(cfg, n), asked, HINT_NAMES_MAX);
            const char *near = next ? NULL : bs_text_nearest(name, asked, n_asked);
            for (size_t i = 0; !next && i < n_asked; i++)
                if (strcmp(asked[i], name) == 0)
                    near = asked[i];
            if (near && strcmp(near, name) == 0)
                snprintf(out, cap, "; the scenario has no %.*s: a sweep replaces values, it adds no sections",
                         (int)(prefix + seglen), key);
            else if (near)
                snprintf(out, cap, "; did you mean %.*s%s%s?", (int)prefix, key, near, dot ? dot : "");
        } else if (n->type == YAML_SEQUENCE_NODE) {
            char *end;
            long i = strtol(name, &end, 10);
            long count = n->data.sequence.items.top - n->data.sequence.items.start;
            if (*end == '\0' && end != name && i >= 0 && i < count)
                next = node_at(cfg, n->data.sequence.items.start[i]);
            else
                snprintf(out, cap, "; %.*s has %ld entries, numbered from 0", (int)(prefix ? prefix - 1 : 0), key, count);
        }
        n = next;
        seg = dot ? dot + 1 : seg + seglen;
    }
}

/* Renders into out[*len..cap) and stops once it is full, so the work is
 * bounded by cap (and the nesting), however large the value. */
static void render_into(struct bs_cfg *cfg, const yaml_node_t *n, char *out, size_t cap, size_t *len)
{
#define PUT(text)                                                        \
    do {                                                                 \
        int w_ = snprintf(out + *len, cap - *len, "%s", text);           \
        *len += w_ > 0 ? (size_t)w_ : 0;                                 \
        if (*len >= cap - 1) {                                           \
            *len = cap - 1;                                              \
            return;                                                      \
        }                                                                \
    } while (0)
    if (!n || *len >= cap - 1)
        return;
    if (n->type == YAML_SCALAR_NODE) {
        PUT((const char *)n->data.scalar.value);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        PUT("[");
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            if (it != n->data.sequence.items.start)
                PUT(", ");
            render_into(cfg, node_at(cfg, *it), out, cap, len);
        }
        PUT("]");
    } else if (n->type == YAML_MAPPING_NODE) {
        PUT("{");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            if (p != n->data.mapping.pairs.start)
                PUT(", ");
            render_into(cfg, node_at(cfg, p->key), out, cap, len);
            PUT(": ");
            render_into(cfg, node_at(cfg, p->value), out, cap, len);
        }
        PUT("}");
    }
#undef PUT
}

const char *bs_cfg_num(char *buf, double v)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

void bs_cfg_render(struct bs_cfg *cfg, const yaml_node_t *n, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    render_into(cfg, n, out, cap, &len);
}
