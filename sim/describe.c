/* `branchsim describe`: the summary table of an output file, read back
 * through the HDF5 contract only (so it also checks what was written).
 * The file may be anyone's: its structure is checked first (every
 * attribute, group and dataset read has the class, rank and dimensions of
 * the layout, and they agree with n_points), then only the tables shown
 * are read, and text from the file is escaped before it is printed. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cfg.h"
#include "h5attr.h"
#include "output.h"
#include "pooled.h"
#include "stats.h"
#include "text.h"

#define NAME_MAX_LEN BS_CFG_PATH_MAX /* a metric's or swept key's name, with its NUL */
#define METRICS_MAX 4096             /* far more than any model reports */
#define POINTS_MAX 1000000           /* sweep.c's bound: no run writes more */
#define VALUE_WIDTH 256              /* a swept value as text, escaped, cut to fit */
#define SHORT_TEXT_MAX 1024          /* branchsim_version, scenario_name, unit */
#define ESCAPED(n) (4 * (n) + 1)     /* bs_text_escape's worst case: \xHH per byte */

/* What describe reads of a file, once checked. */
struct view {
    const char *path;
    hid_t f, sum, sc, rep, cmp, pool;
    unsigned long long points, reps, seed, baseline;
    char *version, *name;
    long n_metrics, n_keys, n_pooled;
    char (*metrics)[NAME_MAX_LEN], (*keys)[NAME_MAX_LEN], (*pooled)[NAME_MAX_LEN];
    int compare;
};

/* A required non-negative integer attribute of obj (at `where`, "" for the root). */
static int need_uint(const struct view *v, hid_t obj, const char *where, const char *name, unsigned long long *out,
                     struct bs_error *err)
{
    char why[BS_H5_WHY_MAX];
    int got = bs_h5_get_uint(obj, name, out, why, sizeof why);
    if (got == BS_H5_ABSENT)
        return bs_error_set(err, BS_ERR_INPUT, "%s: not a branchsim result file (no attribute %s%s)", v->path,
                            where, name);
    if (got == BS_H5_BAD)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %s%s %s", v->path, where, name, why);
    return 0;
}

/* An optional text attribute: NULL when absent, an error when malformed. */
static int opt_text(const struct view *v, hid_t obj, const char *where, const char *name, char **out,
                    struct bs_error *err)
{
    char why[BS_H5_WHY_MAX];
    *out = NULL;
    if (bs_h5_get_string(obj, name, SHORT_TEXT_MAX, out, why, sizeof why) == BS_H5_BAD)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %s%s %s", v->path, where, name, why);
    return 0;
}

/* parent/name as an object of the wanted kind (H5I_GROUP or H5I_DATASET),
 * reached by a hard link: a soft or external link could lead anywhere,
 * even into another file, and the writer makes none. -1 with err set. */
static hid_t open_member(const struct view *v, hid_t parent, const char *ppath, const char *name, H5I_type_t want,
                         struct bs_error *err)
{
    const char *kind = want == H5I_GROUP ? "group" : "dataset";
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0) {
        bs_error_set(err, BS_ERR_INPUT, "%s: %s holds a member named '%s', which HDF5 cannot look up", v->path,
                     ppath, name);
        return -1;
    }
    htri_t there = H5Lexists(parent, name, H5P_DEFAULT);
    H5L_info_t link;
    if (there <= 0 || H5Lget_info(parent, name, &link, H5P_DEFAULT) < 0) {
        bs_error_set(err, BS_ERR_INPUT, "%s: no %s %s/%s: not a branchsim result file", v->path, kind, ppath, name);
        return -1;
    }
    if (link.type != H5L_TYPE_HARD) {
        const char *what = link.type == H5L_TYPE_SOFT       ? "a soft"
                           : link.type == H5L_TYPE_EXTERNAL ? "an external"
                                                            : "a user-defined";
        bs_error_set(err, BS_ERR_INPUT, "%s: %s/%s is %s link, where a result file has a %s", v->path, ppath, name,
                     what, kind);
        return -1;
    }
    hid_t id = H5Oopen(parent, name, H5P_DEFAULT);
    if (id >= 0 && H5Iget_type(id) == want)
        return id;
    if (id >= 0)
        H5Oclose(id);
    bs_error_set(err, BS_ERR_INPUT, "%s: %s/%s is not a%s %s", v->path, ppath, name, id >= 0 ? "" : " readable",
                 kind);
    return -1;
}

/* The names of a group's members, in creation order where the group keeps
 * it (files from other writers may not), else by name; count or -1. */
static long member_names(const struct view *v, hid_t g, const char *gpath, long most, char (**names)[NAME_MAX_LEN],
                         struct bs_error *err)
{
    H5G_info_t info;
    if (H5Gget_info(g, &info) < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: %s cannot be read", v->path, gpath), -1;
    if (info.nlinks > (hsize_t)most)
        return bs_error_set(err, BS_ERR_INPUT, "%s: %s holds %llu members, more than a result file's (at most %ld)",
                            v->path, gpath, (unsigned long long)info.nlinks, most), -1;
    *names = calloc(info.nlinks ? info.nlinks : 1, sizeof **names);
    if (!*names)
        return bs_error_set(err, BS_ERR_RUN, "%s: out of memory", v->path), -1;
    H5_index_t index = H5_INDEX_CRT_ORDER;
    if (info.nlinks && H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, 0, NULL, 0, H5P_DEFAULT) < 0)
        index = H5_INDEX_NAME;
    for (hsize_t i = 0; i < info.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT);
        if (len >= NAME_MAX_LEN)
            return bs_error_set(err, BS_ERR_INPUT, "%s: %s: member %llu has a name of %zd bytes, too long for a "
                                "metric or key (at most %d)", v->path, gpath, (unsigned long long)i, len,
                                NAME_MAX_LEN - 1), -1;
        if (len < 0 ||
            H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, (*names)[i], NAME_MAX_LEN, H5P_DEFAULT) != len)
            return bs_error_set(err, BS_ERR_INPUT, "%s: %s: member %llu has an unreadable name", v->path, gpath,
                                (unsigned long long)i), -1;
        if (strlen((*names)[i]) != (size_t)len)
            return bs_error_set(err, BS_ERR_INPUT, "%s: %s: member %llu has a name with a NUL in it", v->path, gpath,
                                (unsigned long long)i), -1;
    }
    return (long)info.nlinks;
}

/* 1 when g/name is a hard-linked dataset that is a dimension scale (a
 * netCDF coordinate variable: point, stat, ...), read with our checks. */
static int is_scale(hid_t g, const char *name)
{
    H5L_info_t link;
    if (H5Lget_info(g, name, &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
        return 0;
    hid_t id = H5Oopen(g, name, H5P_DEFAULT);
    char *class = NULL, why[BS_H5_WHY_MAX];
    int scale = id >= 0 && H5Iget_type(id) == H5I_DATASET &&
                bs_h5_get_string(id, "CLASS", 32, &class, why, sizeof why) == BS_H5_READ &&
                strcmp(class, "DIMENSION_SCALE") == 0;
    free(class);
    if (id >= 0)
        H5Oclose(id);
    return scale;
}

/* Drops from names[n] the group's coordinate variables, which are no
 * metrics: its dimension scales and, with keys, the swept keys' copies on
 * point (files before netCDF coordinates have neither). The count kept. */
static long drop_coordinates(hid_t g, char (*names)[NAME_MAX_LEN], long n, char (*keys)[NAME_MAX_LEN], long n_keys)
{
    long kept = 0;
    for (long i = 0; i < n; i++) {
        int coordinate = is_scale(g, names[i]);
        for (long k = 0; !coordinate && k < n_keys; k++)
            coordinate = strcmp(names[i], keys[k]) == 0;
        if (!coordinate)
            memmove(names[kept++], names[i], NAME_MAX_LEN);
    }
    return kept;
}

static int is_ieee_float(hid_t t)
{
    const hid_t plain[] = {H5T_IEEE_F64LE, H5T_IEEE_F64BE, H5T_IEEE_F32LE, H5T_IEEE_F32BE};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (H5Tequal(t, plain[i]) > 0)
            return 1;
    return 0;
}

#define FIXED_TEXT_MAX 65536 /* widest fixed-length string read (HDF5 cuts it to VALUE_WIDTH) */

static void shape_text(char *out, size_t cap, int rank, const hsize_t *dims)
{
    size_t n = (size_t)snprintf(out, cap, rank == 0 ? "a scalar" : "(");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (rank > 0 && n < cap)
        snprintf(out + n, cap - n, ")");
}

/* parent/name as a dataset of IEEE floats (with text: or of strings) of
 * exactly the given shape, so that reading it fills the caller's buffer
 * and no more. -1 with err set. */
static hid_t open_dataset(const struct view *v, hid_t parent, const char *ppath, const char *name, int rank,
                          const hsize_t *dims, int text, struct bs_error *err)
{
    hid_t d = open_member(v, parent, ppath, name, H5I_DATASET, err);
    if (d < 0)
        return -1;
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    hsize_t got[H5S_MAX_RANK];
    int r = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    int shape_ok = r == rank && H5Sget_simple_extent_dims(s, got, NULL) == rank;
    for (int i = 0; shape_ok && i < rank; i++)
        shape_ok = got[i] == dims[i];
    int type_ok = t >= 0 && (is_ieee_float(t) || (text && H5Tget_class(t) == H5T_STRING &&
                                                  (H5Tis_variable_str(t) > 0 || H5Tget_size(t) <= FIXED_TEXT_MAX)));
    char want[128], have[128];
    shape_text(want, sizeof want, rank, dims);
    if (r >= 0 && r <= H5S_MAX_RANK && H5Sget_simple_extent_dims(s, got, NULL) == r)
        shape_text(have, sizeof have, r, got);
    else
        snprintf(have, sizeof have, "of no readable shape");
    if (!shape_ok)
        bs_error_set(err, BS_ERR_INPUT, "%s: %s/%s is %s, where n_points and replications make it %s", v->path, ppath,
                     name, have, want);
    else if (!type_ok)
        bs_error_set(err, BS_ERR_INPUT, "%s: %s/%s %s", v->path, ppath, name,
                     text ? "holds neither float numbers nor text (of at most 65536 bytes a value)"
                          : "does not hold float numbers");
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (shape_ok && type_ok)
        return d;
    H5Dclose(d);
    return -1;
}

/* The attribute stats, where a table has it, must name our columns. */
static int check_stats(const struct view *v, hid_t d, const char *where, struct bs_error *err)
{
    char *names[BS_STAT_COUNT], why[BS_H5_WHY_MAX];
    int got = bs_h5_get_strings(d, "stats", BS_STAT_COUNT, NAME_MAX_LEN, names, why, sizeof why);
    int same = 1;
    for (int i = 0; got == BS_H5_READ && i < BS_STAT_COUNT; i++) {
        same = same && strcmp(names[i], bs_stat_names[i]) == 0;
        free(names[i]);
    }
    if (got == BS_H5_BAD)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %sstats %s", v->path, where, why);
    if (!same)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %sstats names other columns than mean, sd, ... n",
                            v->path, where);
    return 0;
}

/* The attribute stats of a /pooled table must name its columns. */
static int check_pooled_stats(const struct view *v, hid_t d, const char *where, struct bs_error *err)
{
    char *names[BS_PSTAT_COUNT], why[BS_H5_WHY_MAX];
    int got = bs_h5_get_strings(d, "stats", BS_PSTAT_COUNT, NAME_MAX_LEN, names, why, sizeof why);
    int same = got == BS_H5_READ;
    for (int i = 0; got == BS_H5_READ && i < BS_PSTAT_COUNT; i++) {
        same = same && strcmp(names[i], bs_pooled_stat_names[i]) == 0;
        free(names[i]);
    }
    if (got == BS_H5_BAD)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %sstats %s", v->path, where, why);
    if (!same)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute %sstats does not name mean, ci95_low, ... n", v->path,
                            where);
    return 0;
}

/* The unit a reader says: the counted noun of a count ("customers"),
 * else the CF units ("min", "1"); files before CF name it `unit`. Each
 * attribute there is read (and checked). */
static int unit_text(const struct view *v, hid_t d, const char *where, char **unit, struct bs_error *err)
{
    char *units = NULL, *counted = NULL;
    if (opt_text(v, d, where, "units", &units, err) || (!units && opt_text(v, d, where, "unit", &units, err)) ||
        opt_text(v, d, where, "counted", &counted, err)) {
        free(units);
        return err->status;
    }
    *unit = counted ? counted : units;
    if (counted)
        free(units);
    return 0;
}

/* Checks /<ppath>/<name> is a (points, cols) float table (and its stats
 * when a summary); with table, reads it there (and its unit). */
static int table(const struct view *v, hid_t g, const char *ppath, const char *name, hsize_t cols, double *table,
                 char **unit, struct bs_error *err)
{
    const hsize_t dims[2] = {v->points, cols};
    hid_t d = open_dataset(v, g, ppath, name, 2, dims, 0, err);
    if (d < 0)
        return err->status;
    char where[NAME_MAX_LEN + 32];
    snprintf(where, sizeof where, "%s/%s ", ppath, name);
    int st = cols == BS_STAT_COUNT    ? check_stats(v, d, where, err)
             : cols == BS_PSTAT_COUNT ? check_pooled_stats(v, d, where, err)
                                      : 0;
    if (!st && table && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, table) < 0)
        st = bs_error_set(err, BS_ERR_INPUT, "%s: %s/%s cannot be read (a damaged file?)", v->path, ppath, name);
    if (!st && unit)
        st = unit_text(v, d, where, unit, err);
    H5Dclose(d);
    return st;
}

/* /pooled (files before it lack it): the names of its datasets; its
 * groups (per entity) are not shown. */
static int open_pooled(struct view *v, struct bs_error *err)
{
    htri_t has = H5Lexists(v->f, "pooled", H5P_DEFAULT);
    if (has < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: the root group cannot be read (a damaged file?)", v->path);
    if (has == 0)
        return 0;
    char (*names)[NAME_MAX_LEN] = NULL;
    if ((v->pool = open_member(v, v->f, "", "pooled", H5I_GROUP, err)) < 0 ||
        (v->n_pooled = member_names(v, v->pool, "/pooled", METRICS_MAX, &names, err)) < 0) {
        free(names);
        v->n_pooled = 0;
        return err->status;
    }
    long kept = 0;
    v->n_pooled = drop_coordinates(v->pool, names, v->n_pooled, v->keys, v->n_keys);
    for (long i = 0; i < v->n_pooled; i++) {
        H5L_info_t link;
        if (H5Lget_info(v->pool, names[i], &link, H5P_DEFAULT) < 0 || link.type != H5L_TYPE_HARD)
            continue; /* open_member says why, below */
        hid_t id = H5Oopen(v->pool, names[i], H5P_DEFAULT);
        int group = id >= 0 && H5Iget_type(id) == H5I_GROUP;
        if (id >= 0)
            H5Oclose(id);
        if (!group)
            memmove(names[kept++], names[i], NAME_MAX_LEN);
    }
    v->pooled = names;
    v->n_pooled = kept;
    return 0;
}

/* Opens the file's groups and reads its attributes: every check that
 * needs no table. */
static int open_view(struct view *v, struct bs_error *err)
{
    v->f = H5Fopen(v->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (v->f < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot open as an HDF5 file", v->path);
    if (need_uint(v, v->f, "", "n_points", &v->points, err) || need_uint(v, v->f, "", "replications", &v->reps, err) ||
        need_uint(v, v->f, "", "seed", &v->seed, err) || opt_text(v, v->f, "", "branchsim_version", &v->version, err) ||
        opt_text(v, v->f, "", "scenario_name", &v->name, err))
        return err->status;
    if (v->points == 0 || v->points > POINTS_MAX)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute n_points is %llu: a run writes 1 to %d points", v->path,
                            v->points, POINTS_MAX);
    if (v->reps == 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute replications is 0: a run writes at least one", v->path);
    if ((v->sum = open_member(v, v->f, "", "summary", H5I_GROUP, err)) < 0 ||
        (v->sc = open_member(v, v->f, "", "scenarios", H5I_GROUP, err)) < 0 ||
        (v->rep = open_member(v, v->f, "", "replications", H5I_GROUP, err)) < 0)
        return err->status;
    if ((v->n_keys = member_names(v, v->sc, "/scenarios", BS_CFG_OVERRIDES_MAX + 1, &v->keys, err)) < 0 ||
        (v->n_metrics = member_names(v, v->sum, "/summary", METRICS_MAX, &v->metrics, err)) < 0)
        return err->status;
    v->n_keys = drop_coordinates(v->sc, v->keys, v->n_keys, NULL, 0);
    v->n_metrics = drop_coordinates(v->sum, v->metrics, v->n_metrics, v->keys, v->n_keys);
    if (v->n_keys > BS_CFG_OVERRIDES_MAX)
        return bs_error_set(err, BS_ERR_INPUT, "%s: /scenarios holds %ld keys, more than a sweep has (at most %d)",
                            v->path, v->n_keys, BS_CFG_OVERRIDES_MAX);
    if (v->n_metrics == 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: /summary holds no metric: not a branchsim result file", v->path);
    htri_t has_cmp = H5Lexists(v->f, "compare", H5P_DEFAULT);
    if (has_cmp < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: the root group cannot be read (a damaged file?)", v->path);
    if (has_cmp > 0 && ((v->cmp = open_member(v, v->f, "", "compare", H5I_GROUP, err)) < 0 ||
                        need_uint(v, v->cmp, "/compare ", "baseline", &v->baseline, err)))
        return err->status;
    if (has_cmp > 0 && v->baseline >= v->points)
        return bs_error_set(err, BS_ERR_INPUT, "%s: attribute /compare baseline is %llu, not a point (0 to %llu)",
                            v->path, v->baseline, v->points - 1);
    v->compare = v->cmp >= 0 && v->points > 1;
    return open_pooled(v, err);
}

/* Every dataset describe may read has the shape n_points gives it, and
 * /replications agrees with replications: checked before any is read. */
static int check_shapes(const struct view *v, struct bs_error *err)
{
    for (long m = 0; m < v->n_metrics; m++)
        if (table(v, v->sum, "/summary", v->metrics[m], BS_STAT_COUNT, NULL, NULL, err) ||
            (v->compare && table(v, v->cmp, "/compare", v->metrics[m], BS_STAT_COUNT, NULL, NULL, err)))
            return err->status;
    char (*reps)[NAME_MAX_LEN] = NULL;
    long n = member_names(v, v->rep, "/replications", METRICS_MAX, &reps, err);
    n = n < 0 ? n : drop_coordinates(v->rep, reps, n, v->keys, v->n_keys);
    for (long m = 0; m < n; m++)
        if (table(v, v->rep, "/replications", reps[m], v->reps, NULL, NULL, err))
            break;
    free(reps);
    for (long q = 0; !err->status && q < v->n_pooled; q++)
        table(v, v->pool, "/pooled", v->pooled[q], BS_PSTAT_COUNT, NULL, NULL, err);
    const hsize_t dims[1] = {v->points};
    for (long k = 0; !err->status && k < v->n_keys; k++) {
        hid_t d = open_dataset(v, v->sc, "/scenarios", v->keys[k], 1, dims, 1, err);
        if (d >= 0)
            H5Dclose(d);
    }
    return err->status;
}

/* Marks the metrics of --metric (all without it) in wanted; a name the
 * file lacks is an error naming it, and the nearest name in the file. */
static int select_metrics(const struct view *v, const char *list, unsigned char *wanted, struct bs_error *err)
{
    if (!list) {
        memset(wanted, 1, (size_t)v->n_metrics);
        return 0;
    }
    const char **names = malloc((size_t)v->n_metrics * sizeof *names);
    if (!names)
        return bs_error_set(err, BS_ERR_RUN, "%s: out of memory", v->path);
    for (long m = 0; m < v->n_metrics; m++)
        names[m] = v->metrics[m];
    for (const char *p = list; !err->status;) {
        size_t n = strcspn(p, ",");
        char word[NAME_MAX_LEN];
        snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
        long found = -1;
        for (long m = 0; n < sizeof word && m < v->n_metrics && found < 0; m++)
            found = strcmp(word, names[m]) == 0 ? m : -1;
        if (n == 0) {
            bs_error_set(err, BS_ERR_INPUT, "--metric '%s': an empty name (names are separated by single commas)", list);
        } else if (found < 0) {
            const char *near = bs_text_nearest(word, names, (size_t)v->n_metrics);
            bs_error_set(err, BS_ERR_INPUT, "--metric %.*s: no such metric in %s%s%s%s", (int)n, p, v->path,
                         near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        } else
            wanted[found] = 1;
        if (!p[n])
            break;
        p += n + 1;
    }
    free(names);
    return err->status;
}

/* A swept key's values as text (escaped, cut to VALUE_WIDTH) into out[p * VALUE_WIDTH]. */
static int column_texts(const struct view *v, hid_t d, char *out)
{
    const size_t P = v->points;
    hid_t ft = H5Dget_type(d), space = H5Dget_space(d), mt = H5Tcopy(H5T_C_S1);
    int ok = 0;
    if (ft >= 0 && H5Tget_class(ft) == H5T_FLOAT) {
        double *x = malloc(P * sizeof *x);
        ok = x && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0;
        for (size_t p = 0; ok && p < P; p++)
            snprintf(out + p * VALUE_WIDTH, VALUE_WIDTH, "%g", x[p]);
        free(x);
    } else if (ft >= 0 && H5Tis_variable_str(ft) > 0) {
        char **s = calloc(P, sizeof *s);
        ok = s && mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 &&
             H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) >= 0;
        for (size_t p = 0; ok && p < P; p++)
            bs_text_escape(out + p * VALUE_WIDTH, VALUE_WIDTH, s[p] ? s[p] : "");
        if (ok)
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, s);
        free(s);
    } else if (ft >= 0) { /* fixed length, of any width: HDF5 cuts each to VALUE_WIDTH - 1 and a NUL */
        char *raw = malloc(P * VALUE_WIDTH);
        ok = raw && mt >= 0 && H5Tset_size(mt, VALUE_WIDTH) >= 0 && H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 &&
             H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0;
        for (size_t p = 0; ok && p < P; p++) {
            raw[(p + 1) * VALUE_WIDTH - 1] = '\0';
            bs_text_escape(out + p * VALUE_WIDTH, VALUE_WIDTH, raw + p * VALUE_WIDTH);
        }
        free(raw);
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (space >= 0)
        H5Sclose(space);
    if (ft >= 0)
        H5Tclose(ft);
    return ok ? 0 : -1;
}

/* What is read for the tables: per metric shown, its /summary (and
 * /compare) rows and unit; the swept keys' values as text. */
struct tables {
    unsigned char *wanted, *shown;
    double **sums, **diffs;
    char **units;
    double *pooled; /* [quantity][point][BS_PSTAT_COUNT], without --metric */
    char **pooled_units;
    char *key_text;
};

static size_t mul(size_t a, size_t b)
{
    size_t r;
    return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r; /* SIZE_MAX: no malloc succeeds */
}

/* Refuses (exit 2) a file whose tables would not fit in this machine's
 * memory, before allocating them; out of memory otherwise is exit 1. */
static int alloc_tables(const struct view *v, struct tables *t, struct bs_error *err)
{
    const size_t P = (size_t)v->points, row = mul(P, BS_STAT_COUNT * sizeof(double));
    long n_wanted = 0;
    for (long m = 0; m < v->n_metrics; m++)
        n_wanted += t->wanted[m];
    double need = (double)n_wanted * (v->compare ? 2 : 1) * (double)row + (v->n_keys + 1.0) * P * VALUE_WIDTH +
                  (double)v->n_pooled * (double)P * BS_PSTAT_COUNT * sizeof(double);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && need > (double)pages * (double)page)
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: describing %llu points needs %.1f GB, more than this machine's %.1f GB (--metric "
                            "reads fewer tables)",
                            v->path, v->points, need / 1e9, (double)pages * (double)page / 1e9);
    t->sums = calloc((size_t)v->n_metrics, sizeof *t->sums);
    t->diffs = calloc((size_t)v->n_metrics, sizeof *t->diffs);
    t->units = calloc((size_t)v->n_metrics, sizeof *t->units);
    t->key_text = malloc(mul(mul(v->n_keys > 0 ? (size_t)v->n_keys : 1, P), VALUE_WIDTH));
    t->pooled = malloc(mul(mul((size_t)v->n_pooled + 1, P), BS_PSTAT_COUNT * sizeof(double)));
    t->pooled_units = calloc((size_t)v->n_pooled + 1, sizeof *t->pooled_units);
    int ok = t->sums && t->diffs && t->units && t->key_text && t->pooled && t->pooled_units;
    for (long m = 0; ok && m < v->n_metrics; m++) {
        if (!t->wanted[m])
            continue;
        ok = (t->sums[m] = malloc(row)) != NULL && (!v->compare || (t->diffs[m] = malloc(row)) != NULL);
    }
    return ok ? 0 : bs_error_set(err, BS_ERR_RUN, "%s: out of memory", v->path);
}

static void free_tables(const struct view *v, struct tables *t)
{
    for (long m = 0; m < v->n_metrics; m++) {
        free(t->sums ? t->sums[m] : NULL);
        free(t->diffs ? t->diffs[m] : NULL);
        free(t->units ? t->units[m] : NULL);
    }
    free(t->sums);
    free(t->diffs);
    free(t->units);
    free(t->key_text);
    for (long q = 0; t->pooled_units && q < v->n_pooled; q++)
        free(t->pooled_units[q]);
    free(t->pooled_units);
    free(t->pooled);
}

/* Reads every table shown, once, so describe stays linear in points x metrics. */
static int read_tables(const struct view *v, struct tables *t, struct bs_error *err)
{
    for (long m = 0; m < v->n_metrics; m++) {
        if (!t->wanted[m])
            continue;
        if (table(v, v->sum, "/summary", v->metrics[m], BS_STAT_COUNT, t->sums[m], &t->units[m], err) ||
            (v->compare && table(v, v->cmp, "/compare", v->metrics[m], BS_STAT_COUNT, t->diffs[m], NULL, err)))
            return err->status;
    }
    for (long q = 0; q < v->n_pooled; q++)
        if (table(v, v->pool, "/pooled", v->pooled[q], BS_PSTAT_COUNT,
                  t->pooled + (size_t)q * v->points * BS_PSTAT_COUNT, &t->pooled_units[q], err))
            return err->status;
    const hsize_t dims[1] = {v->points};
    for (long k = 0; k < v->n_keys; k++) {
        hid_t d = open_dataset(v, v->sc, "/scenarios", v->keys[k], 1, dims, 1, err);
        if (d < 0)
            return err->status;
        int st = column_texts(v, d, t->key_text + (size_t)k * v->points * VALUE_WIDTH);
        H5Dclose(d);
        if (st < 0)
            return bs_error_set(err, BS_ERR_INPUT, "%s: /scenarios/%s cannot be read (a damaged file?)", v->path,
                                v->keys[k]);
    }
    return 0;
}

/* A CSV field: quoted when it holds a comma or quote (text from the file
 * is escaped first, so it holds no newline). */
static void csv_field(char *out, size_t cap, const char *text)
{
    if (!strpbrk(text, ",\"\n")) {
        snprintf(out, cap, "%s", text);
        return;
    }
    size_t n = 0;
    if (cap < 3)
        return;
    out[n++] = '"';
    for (const char *p = text; *p && n + 3 < cap; p++) {
        if (*p == '"')
            out[n++] = '"';
        out[n++] = *p;
    }
    out[n++] = '"';
    out[n] = '\0';
}

typedef char escaped_name[ESCAPED(NAME_MAX_LEN)];

/* Text from the file, escaped for the terminal; as a CSV field with csv. */
static const char *shown_text(char *out, size_t cap, const char *text, int csv)
{
    escaped_name e;
    bs_text_escape(csv ? e : out, csv ? sizeof e : cap, text ? text : "");
    if (csv)
        csv_field(out, cap, e);
    return out;
}

static void print_header(const struct view *v, FILE *to, int csv)
{
    char a[2 * sizeof(escaped_name)], b[ESCAPED(SHORT_TEXT_MAX)], c[ESCAPED(SHORT_TEXT_MAX)];
    if (csv) {
        fprintf(to, "point");
        for (long k = 0; k < v->n_keys; k++)
            fprintf(to, ",%s", shown_text(a, sizeof a, v->keys[k], 1));
        fprintf(to, ",metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95%s\n",
                v->compare ? ",diff_mean,diff_ci95_low,diff_ci95_high" : "");
        return;
    }
    char path[ESCAPED(1024)];
    bs_text_escape(path, sizeof path, v->path);
    fprintf(to, "%s: scenario '%s', %llu point%s x %llu replications, seed %llu (branchsim %s)\n", path,
            v->name ? shown_text(b, sizeof b, v->name, 0) : "?", v->points, v->points == 1 ? "" : "s", v->reps,
            v->seed, v->version ? shown_text(c, sizeof c, v->version, 0) : "?");
    if (v->compare)
        fprintf(to, "differences are paired (same customers), point minus baseline point %llu\n", v->baseline);
}

/* The swept values of point p: ",v1,v2" (CSV) or "k1 = v1, k2 = v2". */
static void point_values(const struct view *v, const struct tables *t, size_t p, int csv, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (long k = 0; k < v->n_keys && used < cap; k++) {
        const char *value = t->key_text + ((size_t)k * v->points + p) * VALUE_WIDTH;
        char field[2 * VALUE_WIDTH + 3];
        escaped_name key;
        if (csv) {
            csv_field(field, sizeof field, value);
            used += (size_t)snprintf(out + used, cap - used, ",%s", field);
        } else {
            used += (size_t)snprintf(out + used, cap - used, "%s%s = %s", k ? ", " : "",
                                     bs_text_escape(key, sizeof key, v->keys[k]), value);
        }
    }
}

static void print_row(const struct view *v, const struct tables *t, long m, size_t p, const char *values, int csv,
                      FILE *to)
{
    const double *row = t->sums[m] + p * BS_STAT_COUNT;
    const double *d = v->compare ? t->diffs[m] + p * BS_STAT_COUNT : row;
    char name[2 * sizeof(escaped_name)], unit[ESCAPED(SHORT_TEXT_MAX) * 2];
    shown_text(name, sizeof name, v->metrics[m], csv);
    shown_text(unit, sizeof unit, t->units[m], csv);
    if (csv) {
        fprintf(to, "%zu%s,%s,%s,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g", p, values, name, unit, row[BS_STAT_MEAN],
                row[BS_STAT_SD], row[BS_STAT_CI95_LOW], row[BS_STAT_CI95_HIGH], row[BS_STAT_P05], row[BS_STAT_P50],
                row[BS_STAT_P95]);
        if (v->compare)
            fprintf(to, ",%.10g,%.10g,%.10g", d[BS_STAT_MEAN], d[BS_STAT_CI95_LOW], d[BS_STAT_CI95_HIGH]);
        fprintf(to, "\n");
        return;
    }
    fprintf(to, "%-28s %-10s %11.4g %11.4g %11.4g %11.4g", name, unit, row[BS_STAT_MEAN], row[BS_STAT_SD],
            row[BS_STAT_CI95_LOW], row[BS_STAT_CI95_HIGH]);
    if (v->compare && p != v->baseline)
        fprintf(to, "   %+.4g [%.4g, %.4g]", d[BS_STAT_MEAN], d[BS_STAT_CI95_LOW], d[BS_STAT_CI95_HIGH]);
    fprintf(to, "\n");
}

/* A table hides metrics undefined at every point (a feature the scenario
 * does not use); --metric or --csv shows them. Returns how many are hidden. */
static long choose_shown(const struct view *v, struct tables *t, const struct bs_describe_opts *opts)
{
    long hidden = 0;
    for (long m = 0; m < v->n_metrics; m++) {
        if (!t->wanted[m])
            continue;
        int defined = opts->csv || opts->metrics;
        for (size_t p = 0; !defined && p < v->points; p++)
            defined = !isnan(t->sums[m][p * BS_STAT_COUNT + BS_STAT_MEAN]);
        t->shown[m] = (unsigned char)defined;
        hidden += !defined;
    }
    return hidden;
}

/* The pooled figures of point p: every customer of every day counts once. */
static void print_pooled(const struct view *v, const struct tables *t, size_t p, FILE *to)
{
    if (v->n_pooled == 0)
        return;
    fprintf(to, "per customer (pooled over every customer of every day, not a mean of daily values):\n");
    fprintf(to, "%-28s %-10s %11s %11s %11s %9s %9s %9s %9s\n", "quantity", "unit", "mean", "ci95_low", "ci95_high",
            "p50", "p90", "p95", "p99");
    for (long q = 0; q < v->n_pooled; q++) {
        const double *r = t->pooled + ((size_t)q * v->points + p) * BS_PSTAT_COUNT;
        char name[2 * sizeof(escaped_name)], unit[ESCAPED(SHORT_TEXT_MAX) * 2];
        fprintf(to, "%-28s %-10s %11.4g %11.4g %11.4g %9.4g %9.4g %9.4g %9.4g\n",
                shown_text(name, sizeof name, v->pooled[q], 0), shown_text(unit, sizeof unit, t->pooled_units[q], 0),
                r[BS_PSTAT_MEAN], r[BS_PSTAT_CI95_LOW], r[BS_PSTAT_CI95_HIGH], r[BS_PSTAT_P50], r[BS_PSTAT_P90],
                r[BS_PSTAT_P95], r[BS_PSTAT_P99]);
    }
}

static void print_tables(const struct view *v, struct tables *t, const struct bs_describe_opts *opts, FILE *to)
{
    long hidden = choose_shown(v, t, opts);
    print_header(v, to, opts->csv);
    for (size_t p = 0; p < v->points; p++) {
        char values[4096];
        point_values(v, t, p, opts->csv, values, sizeof values);
        if (!opts->csv) {
            if (v->points > 1 || v->n_keys > 0)
                fprintf(to, "\npoint %zu%s%s%s\n", p, v->n_keys ? " (" : "", values, v->n_keys ? ")" : "");
            fprintf(to, "%-28s %-10s %11s %11s %11s %11s%s\n", "metric", "unit", "mean", "sd", "ci95_low",
                    "ci95_high", v->compare ? "   difference [95 % CI]" : "");
        }
        for (long m = 0; m < v->n_metrics; m++)
            if (t->shown[m])
                print_row(v, t, m, p, values, opts->csv, to);
        if (!opts->csv && !opts->metrics)
            print_pooled(v, t, p, to);
    }
    if (hidden > 0)
        fprintf(to, "(%ld metric%s undefined at every point, for features this scenario does not use, not shown; "
                    "--metric or --csv shows them)\n",
                hidden, hidden == 1 ? "" : "s");
}

/* Refuses what is not a regular file before HDF5 opens it: a FIFO would
 * block the open, a device is no result file. */
static int check_path(const char *path, struct bs_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bs_error_set(err, BS_ERR_INPUT, "%s: not a regular file (a result file is one)", path);
    return 0;
}

static void close_view(struct view *v)
{
    hid_t groups[] = {v->sum, v->sc, v->rep, v->cmp, v->pool};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i] >= 0)
            H5Gclose(groups[i]);
    if (v->f >= 0)
        H5Fclose(v->f);
    free(v->metrics);
    free(v->keys);
    free(v->pooled);
    free(v->version);
    free(v->name);
}

static int describe_here(const char *path, FILE *to, const struct bs_describe_opts *opts, struct bs_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct view v = {.path = path, .f = -1, .sum = -1, .sc = -1, .rep = -1, .cmp = -1, .pool = -1};
    struct tables t = {0};
    if (!check_path(path, err) && !open_view(&v, err) && !check_shapes(&v, err)) {
        t.wanted = calloc((size_t)v.n_metrics, 1);
        t.shown = calloc((size_t)v.n_metrics, 1);
        if (!t.wanted || !t.shown)
            bs_error_set(err, BS_ERR_RUN, "%s: out of memory", path);
        else if (!select_metrics(&v, opts->metrics, t.wanted, err) && !alloc_tables(&v, &t, err) &&
                 !read_tables(&v, &t, err)) {
            alarm(0); /* read: the child's time limit is for reading, not for a slow reader of its output */
            print_tables(&v, &t, opts, to); /* only once all is read: an error prints no table */
        }
    }
    free_tables(&v, &t);
    free(t.wanted);
    free(t.shown);
    close_view(&v);
    return err->status;
}

static size_t read_full(int fd, void *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, (char *)buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static void copy_log(FILE *log)
{
    char buf[4096];
    size_t n;
    rewind(log);
    while ((n = fread(buf, 1, sizeof buf, log)) > 0)
        fwrite(buf, 1, n, stderr);
}

/* The child: describes, checks its own output reached `to` (main's check
 * of stdout cannot see it) and sends its error report up the pipe. */
_Noreturn static void describe_child(const char *path, FILE *to, const struct bs_describe_opts *opts, int report,
                                     FILE *log)
{
    dup2(fileno(log), STDERR_FILENO);
    alarm(bs_h5_read_limit_s(path, 10e6)); /* libhdf5 may also loop for ever on a damaged file */
    struct bs_error child = {0};
    describe_here(path, to, opts, &child);
    errno = 0;
    if ((fflush(to) != 0 || ferror(to)) && child.status == BS_OK)
        bs_error_set(&child, BS_ERR_RUN, "cannot write to standard output: %s", errno ? strerror(errno) : "write error");
    ssize_t n = write(report, &child, sizeof child);
    _exit(n == (ssize_t)sizeof child ? 0 : 3);
}

/* The signals a crash inside libhdf5 ends in. */
static int crash_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP;
}

/* The parent: the child's report, or what its end says about the file. */
static int child_outcome(const char *path, pid_t pid, int report, FILE *log, struct bs_error *err)
{
    struct bs_error child = {0};
    size_t got = read_full(report, &child, sizeof child);
    close(report);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* What the C library says as libhdf5 brings the child down ("free():
     * invalid pointer") is noise next to our message; anything else it
     * wrote (a sanitizer's report) is passed on. */
    if (!WIFSIGNALED(status))
        copy_log(log);
    fclose(log);
    if (got == sizeof child && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (child.status != BS_OK && err->status == BS_OK)
            *err = child; /* its message is escaped already */
        return err->status;
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) /* `describe | head`: the reader left, the file is fine */
        return bs_error_set(err, BS_ERR_RUN, "cannot write to standard output: the reader closed it");
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return bs_error_set(err, BS_ERR_INPUT, "%s: a damaged file: reading it did not end in %u s", path,
                            bs_h5_read_limit_s(path, 10e6));
    if (WIFSIGNALED(status) && !crash_signal(WTERMSIG(status))) /* killed from outside: the OOM killer, kill */
        return bs_error_set(err, BS_ERR_RUN, "%s: reading it was stopped by signal %d", path, WTERMSIG(status));
    if (WIFSIGNALED(status))
        return bs_error_set(err, BS_ERR_INPUT, "%s: a damaged file: libhdf5 crashed reading it (signal %d)", path,
                            WTERMSIG(status));
    return bs_error_set(err, BS_ERR_INPUT, "%s: a damaged file: reading it failed (status %d)", path,
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* libhdf5 1.10 trusts some lengths and indices in a file (a global heap
 * object's size, read for every variable-length string; a dense link
 * table's pointers) and can crash on a damaged one, before any check of
 * ours can see them. A file given to describe is read in a child process:
 * if libhdf5 crashes there, the file is refused as damaged (exit 2)
 * instead of branchsim dying. The child prints only once everything is
 * read, so a crash prints no table. */
static int describe_isolated(const char *path, FILE *to, const struct bs_describe_opts *opts, struct bs_error *err)
{
    int fds[2];
    fflush(to);
    fflush(stderr);
    FILE *log = tmpfile(); /* the child's stderr: see child_outcome */
    if (log && pipe(fds) != 0) {
        fclose(log);
        log = NULL;
    }
    pid_t pid = log ? fork() : -1;
    if (pid < 0) { /* no process to spare: read it here, as the checks allow */
        if (log) {
            fclose(log);
            close(fds[0]);
            close(fds[1]);
        }
        return describe_here(path, to, opts, err);
    }
    if (pid == 0) {
        close(fds[0]);
        describe_child(path, to, opts, fds[1], log);
    }
    close(fds[1]);
    return child_outcome(path, pid, fds[0], log, err);
}

int bs_output_describe(const char *path, FILE *to, const struct bs_describe_opts *opts, struct bs_error *err)
{
    return opts->isolate ? describe_isolated(path, to, opts, err) : describe_here(path, to, opts, err);
}
