/* Reads the service standards: the `standards` section, or the defaults
 * the project's standards cite when it is absent. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define BS_STANDARD_SHARE_DEFAULT 0.95

static const char *const quantity_names[BS_SQ_COUNT] = {
    [BS_SQ_WAIT] = "wait_min",
    [BS_SQ_SERVICE] = "service_min",
    [BS_SQ_TIME_IN_BRANCH] = "time_in_branch_min",
};

/* Without a section: "waiting is kept short" and "an ordinary transaction
 * is done within 10 minutes" (docs/development.md, "What it is for"), read as
 * the 10 minutes of share_wait_over_10min and share_service_over_10min,
 * met by 95 % of customers; docs/model.md (Service standards) says why. */
static void defaults(struct bs_scenario *sc)
{
    static const struct {
        const char *name;
        int quantity;
    } d[] = {{"wait_10min", BS_SQ_WAIT}, {"service_10min", BS_SQ_SERVICE}};
    sc->n_standards = sizeof d / sizeof d[0];
    for (size_t j = 0; j < sc->n_standards; j++) {
        struct bs_standard *s = &sc->standards[j];
        snprintf(s->name, sizeof s->name, "%s", d[j].name);
        s->quantity = d[j].quantity;
        s->within_min = 10;
        s->share = BS_STANDARD_SHARE_DEFAULT;
        memset(s->segment, 1, sizeof s->segment);
        memset(s->transaction, 1, sizeof s->transaction);
        s->restricted = 0;
    }
}

/* A name that `plan --target standards/met[NAME]` can spell: letters,
 * digits and underscores, and unique among the standards. */
static int read_name(struct bs_cfg *cfg, struct bs_scenario *sc, size_t j)
{
    char key[BS_CFG_PATH_MAX];
    char *name = sc->standards[j].name;
    snprintf(key, sizeof key, "standards.%zu.name", j);
    if (!bs_cfg_has(cfg, key))
        return bs_cfg_fail(cfg, key, "required: a name of letters, digits and '_'");
    if (bs_cfg_string(cfg, key, NULL, name, BS_NAME_MAX))
        return cfg->err->status;
    int ok = name[0] != '\0';
    for (const char *c = name; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok)
        return bs_cfg_fail(cfg, key, "'%s': a standard's name is letters, digits and '_' only "
                           "(it names the standard in standards/met[NAME])", name);
    for (size_t k = 0; k < j; k++)
        if (strcmp(sc->standards[k].name, name) == 0)
            return bs_cfg_fail(cfg, key, "standard '%s' is named twice (standards.%zu.name)", name, k);
    return 0;
}

/* An optional list of names into flags; absent: all n are covered. */
static int read_cover(struct bs_cfg *cfg, size_t j, const char *list, const char *what,
                      const char *const *names, size_t n, uint8_t *flags)
{
    char key[BS_CFG_PATH_MAX], sub[BS_CFG_PATH_MAX + 24];
    snprintf(key, sizeof key, "standards.%zu.%s", j, list);
    long len = bs_cfg_list_len(cfg, key);
    if (len < 0)
        return cfg->err->status;
    if (len == 0 && bs_cfg_has(cfg, key))
        return bs_cfg_fail(cfg, key, "an empty list covers nobody; leave the key out to cover every %s", what);
    if (len > (long)n)
        return bs_cfg_fail(cfg, key, "at most %zu names (the scenario's %ss)", n, what);
    memset(flags, len == 0, n);
    for (long k = 0; k < len; k++) {
        int found;
        snprintf(sub, sizeof sub, "%s.%ld", key, k);
        char article[64];
        snprintf(article, sizeof article, "a %s", what);
        if (bs_cfg_one_of(cfg, sub, article, names, n, BS_NAME_MAX, &found))
            return cfg->err->status;
        flags[found] = 1;
    }
    return 0;
}

/* A number in (0, hi] at key (a plain scalar, as bs_cfg_number reads). */
static int read_positive(struct bs_cfg *cfg, const char *key, double hi, int required, double dflt, double *out)
{
    yaml_node_t *n = bs_cfg_node(cfg, key);
    if (!n) {
        if (required)
            return bs_cfg_fail(cfg, key, "required: a number in (0, %g]", hi);
        *out = dflt;
        return 0;
    }
    if (n->type != YAML_SCALAR_NODE) /* its message for a list or a mapping */
        return bs_cfg_number(cfg, key, 0, hi, dflt, required, out);
    const char *text = (const char *)n->data.scalar.value;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || end == text ||
        *end != '\0' || errno == ERANGE || !isfinite(v) || strpbrk(text, "xX"))
        return bs_cfg_fail_node(cfg, n, key, "expected a number in (0, %g], got '%s'", hi, text);
    if (!(v > 0 && v <= hi))
        return bs_cfg_fail_node(cfg, n, key, "must be in (0, %g], got %s", hi, text);
    *out = v;
    return 0;
}

static int read_standard(struct bs_cfg *cfg, struct bs_scenario *sc, size_t j)
{
    struct bs_standard *s = &sc->standards[j];
    char key[BS_CFG_PATH_MAX];
    if (read_name(cfg, sc, j))
        return cfg->err->status;
    snprintf(key, sizeof key, "standards.%zu.quantity", j);
    if (bs_cfg_one_of(cfg, key, "a quantity", quantity_names, BS_SQ_COUNT, BS_NAME_MAX, &s->quantity))
        return cfg->err->status;
    snprintf(key, sizeof key, "standards.%zu.within_min", j);
    if (read_positive(cfg, key, 1e6, 1, 0, &s->within_min))
        return cfg->err->status;
    snprintf(key, sizeof key, "standards.%zu.share", j);
    if (read_positive(cfg, key, 1, 0, BS_STANDARD_SHARE_DEFAULT, &s->share))
        return cfg->err->status;
    const char *names[BS_TRANSACTIONS_MAX]; /* at least BS_SEGMENTS_MAX */
    for (size_t i = 0; i < sc->n_segments; i++)
        names[i] = sc->segments[i].name;
    if (read_cover(cfg, j, "segments", "segment", names, sc->n_segments, s->segment))
        return cfg->err->status;
    for (size_t i = 0; i < sc->n_transactions; i++)
        names[i] = sc->transactions[i].name;
    if (read_cover(cfg, j, "transactions", "transaction", names, sc->n_transactions, s->transaction))
        return cfg->err->status;
    s->restricted = 0;
    for (size_t i = 0; i < sc->n_segments; i++)
        s->restricted |= !s->segment[i];
    for (size_t i = 0; i < sc->n_transactions; i++)
        s->restricted |= !s->transaction[i], sc->standards_by_transaction |= !s->transaction[i];
    return 0;
}

int bs_standards_load(struct bs_cfg *cfg, struct bs_scenario *sc)
{
    sc->standards_by_transaction = 0;
    if (!bs_cfg_has(cfg, "standards")) {
        defaults(sc);
        return 0;
    }
    long n = bs_cfg_list_len(cfg, "standards");
    if (n < 0)
        return cfg->err->status;
    if (n == 0)
        return bs_cfg_fail(cfg, "standards", "a list of at least one {name, quantity, within_min, share}; "
                           "leave the section out for the default standards");
    if (n > BS_STANDARDS_MAX)
        return bs_cfg_fail(cfg, "standards", "at most %d standards", BS_STANDARDS_MAX);
    sc->n_standards = (size_t)n;
    for (size_t j = 0; j < sc->n_standards; j++)
        if (read_standard(cfg, sc, j))
            return cfg->err->status;
    return 0;
}
