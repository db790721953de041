/* Scenario files: a YAML document (libyaml) read by dotted key paths.
 *
 * Keys are addressed as "demand.customers_per_day" or "counters.0.count".
 * Every key that is read is marked used; bs_cfg_check_unknown then reports
 * any key nobody read, so a typo is an error, never a silent default.
 * Overrides (from a sweep) replace the node at a path for one scenario point.
 * Every error names file:line:column and the key, with status BS_ERR_INPUT. */
#ifndef BS_CFG_H
#define BS_CFG_H

#include <stddef.h>
#include <yaml.h>

#include "error.h"

#define BS_CFG_PATH_MAX 256
#define BS_CFG_OVERRIDES_MAX 16
/* Limits that keep reading a file cheap whatever it holds: its size, the
 * nesting of collections, and its values with every alias expanded (so an
 * alias "bomb" is refused before anything walks it). libyaml takes about
 * 160 bytes a value: 2 000 000 are 330 MB (a 16 MiB list of 8 million
 * took 1.4 GB); a sweep that a machine could run has far fewer. */
#define BS_CFG_FILE_MAX (16 << 20)
#define BS_CFG_DEPTH_MAX 64
#define BS_CFG_NODES_MAX 2000000

struct bs_cfg_override {
    char key[BS_CFG_PATH_MAX];
    int node; /* index in the document */
    int used;
};

struct bs_cfg {
    char file[512];
    char *text; /* the whole file, kept for the output's provenance */
    size_t text_len;
    yaml_document_t doc;
    int has_doc;
    unsigned char *used; /* per node index: this key node was read */
    size_t n_nodes;
    struct bs_cfg_override ov[BS_CFG_OVERRIDES_MAX];
    size_t n_ov;
    size_t n_set; /* ov[0..n_set) come from --set and stay for every point */
    struct bs_error *err;
    struct bs_cfg_asked *asked; /* the names looked up in each mapping (cfg_asked.c) */
    struct bs_cfg_index *index; /* the keys of large mappings (cfg_index.c) */
    int no_record;              /* set: lookups are not the model's, not recorded */
};

/* Reads and parses `file`; errors go to *err, which cfg keeps for later calls. */
int bs_cfg_load(struct bs_cfg *cfg, const char *file, struct bs_error *err);
void bs_cfg_fini(struct bs_cfg *cfg);
/* The pass over cfg->text before it is loaded: refuses nesting, alias
 * expansion or cycles past the limits above, and tags (cfg_scan.c). */
int bs_cfg_scan(struct bs_cfg *cfg);

/* The node at key (overrides first), or NULL when absent. Marks keys used. */
yaml_node_t *bs_cfg_node(struct bs_cfg *cfg, const char *key);
int bs_cfg_has(struct bs_cfg *cfg, const char *key);
int bs_cfg_is_scalar(struct bs_cfg *cfg, const char *key);

/* Typed getters: when the key is absent, a required one is an error and an
 * optional one gives dflt. Values outside [lo, hi] are errors. Return 0 or
 * the error status. */
int bs_cfg_number(struct bs_cfg *cfg, const char *key, double lo, double hi,
                  double dflt, int required, double *out);
int bs_cfg_int(struct bs_cfg *cfg, const char *key, long lo, long hi,
               long dflt, int required, long *out);
int bs_cfg_string(struct bs_cfg *cfg, const char *key, const char *dflt,
                  char *out, size_t cap);
int bs_cfg_bool(struct bs_cfg *cfg, const char *key, int dflt, int *out);
/* One of names[0..n); dflt < 0 makes the key required. */
int bs_cfg_enum(struct bs_cfg *cfg, const char *key, const char *const *names,
                int n, int dflt, int *out);
/* Length of the list at key: 0 when absent, -1 (error set) when not a list. */
long bs_cfg_list_len(struct bs_cfg *cfg, const char *key);
/* Keys of the mapping at key, in file order: count, or -1 when not a mapping.
 * Marks them used. keys_out[i] points into the document. */
long bs_cfg_map_keys(struct bs_cfg *cfg, const char *key, const char **keys_out, long cap);

/* Values several sections share (cfg_read.c), with the getters' contract.
 * A clock time "H:MM" or "HH:MM" (00:00 to 24:00) at key, in minutes
 * after midnight. */
int bs_cfg_clock(struct bs_cfg *cfg, const char *key, const char *dflt, double *min_of_day);
/* A name (of a segment, transaction or role) of at most cap - 1
 * characters: non-empty and without dots, since names appear in dotted
 * keys. dflt NULL: required. */
int bs_cfg_name(struct bs_cfg *cfg, const char *key, const char *dflt, char *out, size_t cap);
/* A required text of at most cap - 1 characters that is one of
 * names[0..n): its index out. A miss names `what` ("a quantity"), the
 * list, and the nearest name. */
int bs_cfg_one_of(struct bs_cfg *cfg, const char *key, const char *what, const char *const *names, size_t n,
                  size_t cap, int *out);

/* Reports an input error located at key (or at its nearest present parent). */
int bs_cfg_fail(struct bs_cfg *cfg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Error located at a node of the document. */
int bs_cfg_fail_node(struct bs_cfg *cfg, const yaml_node_t *node, const char *key,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Marks every key below node used (a value that a sweep replaces). */
void bs_cfg_mark_used(struct bs_cfg *cfg, const yaml_node_t *node);
/* Errors for any mapping key never read (or given twice), in file order. */
int bs_cfg_check_unknown(struct bs_cfg *cfg);

/* Key lookup in constant time however large the mapping (cfg_index.c):
 * the pair of map whose key is s[0..len) (the first, if given twice), or NULL. */
int bs_cfg_index_build(struct bs_cfg *cfg);
yaml_node_pair_t *bs_cfg_index_find(struct bs_cfg *cfg, yaml_node_t *map, const char *s, size_t len);
void bs_cfg_index_free(struct bs_cfg *cfg);

/* What a mapping may hold: each name looked up in it (cfg_asked.c). */
void bs_cfg_asked_add(struct bs_cfg *cfg, int node, const char *name, size_t len);
/* The names asked at node, in the order first asked: count (at most cap). */
size_t bs_cfg_asked_at(const struct bs_cfg *cfg, int node, const char **out, size_t cap);
void bs_cfg_asked_free(struct bs_cfg *cfg);

/* An error for a section or value (in the file or --set) given as a
 * scalar or list where the model asked for keys in it: "output: expected
 * a mapping with keys warmup_min, bin_min". 0 when there is none. */
int bs_cfg_check_kinds(struct bs_cfg *cfg);

/* Writes a hint for key, which names nothing in the document: "; did you
 * mean demand.customers_per_day?" or where the path stops ("" if none). */
void bs_cfg_hint_missing(struct bs_cfg *cfg, const char *key, char *out, size_t cap);
/* After a failed read of a point: an error for an unknown key that is a
 * near miss of a key the model asked for and did not find (a misspelling
 * explains the failure better than the key it made missing). Replaces
 * the error then and returns its status; 0 when there is none. */
int bs_cfg_check_misspelt(struct bs_cfg *cfg);

/* Adds a key and a list of plain scalar values to the document (not to its
 * mapping): how a command-line range becomes a sweep. Node indices out. */
int bs_cfg_add_list(struct bs_cfg *cfg, const char *key, const char *const *values, size_t n, int *key_node,
                    int *list_node);

/* Clears the overrides of a sweep point; those of --set stay. */
/* The same for several keys over explicit points (a `sweep: points:` list
 * of {key: value, ...}): values[point * n_keys + key]. */
int bs_cfg_add_points(struct bs_cfg *cfg, const char *const *keys, size_t n_keys, const char *const *values,
                      size_t n_points, int *key_nodes, int *points_node);

void bs_cfg_clear_overrides(struct bs_cfg *cfg);
/* --set KEY=VALUE: VALUE (a plain scalar) replaces KEY in every point, as a
 * one-value sweep would; errors about it name the --set. */
int bs_cfg_add_set(struct bs_cfg *cfg, const char *key, const char *value);
int bs_cfg_add_override(struct bs_cfg *cfg, const char *key, int node);

/* v as the fewest digits that read back as v (so 1.000002 is never "1"),
 * into buf (at least 32 bytes); returns buf. For messages that compare a
 * value with a bound. */
const char *bs_cfg_num(char *buf, double v);

/* Writes a compact one-line rendering of a node (scalar text, [..], {..}). */
void bs_cfg_render(struct bs_cfg *cfg, const yaml_node_t *node, char *out, size_t cap);

#endif
