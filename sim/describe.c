/* `branchsim describe`: the summary table of an output file, read back
 * through the HDF5 contract only (so it also checks what was written). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h5attr.h"
#include "output.h"
#include "stats.h"

#define NAME_MAX_LEN 256

/* Whether dataset d is a (rows, cols) array: reading it then fits the buffer. */
static int dims_are(hid_t d, unsigned long long rows, hsize_t cols)
{
    hid_t space = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == 2 &&
             H5Sget_simple_extent_dims(space, dims, NULL) == 2 && dims[0] == rows && dims[1] == cols;
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

/* Names of a group's members in creation order; count or -1. */
static long member_names(hid_t group, char (**names)[NAME_MAX_LEN])
{
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0)
        return -1;
    *names = calloc(info.nlinks ? info.nlinks : 1, sizeof **names);
    if (!*names)
        return -1;
    for (hsize_t i = 0; i < info.nlinks; i++)
        if (H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, (*names)[i], NAME_MAX_LEN,
                               H5P_DEFAULT) < 0)
            return -1;
    return (long)info.nlinks;
}

#define VALUE_WIDTH 256

/* The values of swept key `name` at every point, as text, into
 * out[p * VALUE_WIDTH]; "?" where the dataset is not a column of ours. */
static void column_texts(hid_t g_sc, const char *name, size_t points, char *out)
{
    for (size_t p = 0; p < points; p++)
        snprintf(out + p * VALUE_WIDTH, VALUE_WIDTH, "?");
    hid_t d = H5Dopen2(g_sc, name, H5P_DEFAULT);
    if (d < 0)
        return;
    hid_t ft = H5Dget_type(d);
    hid_t space = H5Dget_space(d);
    hsize_t n = 0;
    if (H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, &n, NULL) == 1) {
        size_t k = n < points ? (size_t)n : points;
        if (H5Tget_class(ft) == H5T_FLOAT) {
            double *v = malloc((n ? n : 1) * sizeof *v);
            if (v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
                for (size_t p = 0; p < k; p++)
                    snprintf(out + p * VALUE_WIDTH, VALUE_WIDTH, "%g", v[p]);
            free(v);
        } else if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
            char **v = calloc(n ? n : 1, sizeof *v);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5T_CSET_UTF8);
            if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
                for (size_t p = 0; p < k; p++)
                    snprintf(out + p * VALUE_WIDTH, VALUE_WIDTH, "%s", v[p] ? v[p] : "");
                H5Dvlen_reclaim(mt, space, H5P_DEFAULT, v);
            }
            H5Tclose(mt);
            free(v);
        } else if (H5Tget_class(ft) == H5T_STRING) { /* fixed length: read NUL-terminated, cut to VALUE_WIDTH */
            char *v = malloc((n ? n : 1) * VALUE_WIDTH);
            hid_t mt = H5Tcopy(H5T_C_S1);
            if (v && mt >= 0 && H5Tset_size(mt, VALUE_WIDTH) >= 0 && H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0 &&
                H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0)
                memcpy(out, v, k * VALUE_WIDTH);
            if (mt >= 0)
                H5Tclose(mt);
            free(v);
        }
    }
    H5Sclose(space);
    H5Tclose(ft);
    H5Dclose(d);
}

/* Reads /<group>/<metric> as (points, n_stats) into table; 0 or -1. */
static int read_table(hid_t group, const char *metric, unsigned long long points, double *table, char **unit)
{
    hid_t d = H5Dopen2(group, metric, H5P_DEFAULT);
    if (d < 0)
        return -1;
    int ok = dims_are(d, points, BS_STAT_COUNT) &&
             H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, table) >= 0;
    if (ok && unit)
        *unit = bs_h5_read_string_attr(d, "unit");
    H5Dclose(d);
    return ok ? 0 : -1;
}

/* A CSV field: quoted when it holds a comma, quote or newline. */
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

/* Whether metric is among the comma-separated names (all when NULL). */
static int wanted(const char *list, const char *metric)
{
    if (!list)
        return 1;
    size_t len = strlen(metric);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, metric, n) == 0)
            return 1;
        p += n + (comma ? 1 : 0);
    }
    return 0;
}

int bs_output_describe(const char *path, FILE *to, const struct bs_describe_opts *opts, struct bs_error *err)
{
    int opts_seen = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot open as an HDF5 file", path);
    int st = 0;
    hid_t g_sum = H5Gopen2(f, "summary", H5P_DEFAULT);
    hid_t g_sc = H5Gopen2(f, "scenarios", H5P_DEFAULT);
    hid_t g_rep = H5Gopen2(f, "replications", H5P_DEFAULT);
    char (*metrics)[NAME_MAX_LEN] = NULL, (*keys)[NAME_MAX_LEN] = NULL;
    long n_metrics = -1, n_keys = -1;
    unsigned long long reps = 0, points = 0, seed = 0;
    if (g_sum < 0 || g_sc < 0 || g_rep < 0 || bs_h5_read_uint_attr(f, "replications", &reps) < 0 ||
        bs_h5_read_uint_attr(f, "n_points", &points) < 0 || bs_h5_read_uint_attr(f, "seed", &seed) < 0 ||
        (n_metrics = member_names(g_sum, &metrics)) < 0 || (n_keys = member_names(g_sc, &keys)) < 0) {
        st = bs_error_set(err, BS_ERR_INPUT, "%s: not a branchsim output file", path);
        goto done;
    }
    hid_t g_cmp = H5Lexists(f, "compare", H5P_DEFAULT) > 0 ? H5Gopen2(f, "compare", H5P_DEFAULT) : -1;
    unsigned long long baseline = 0;
    if (g_cmp >= 0)
        bs_h5_read_uint_attr(g_cmp, "baseline", &baseline);
    int compare = g_cmp >= 0 && points > 1;
    for (long m = 0; opts->metrics && m < n_metrics; m++)
        opts_seen |= wanted(opts->metrics, metrics[m]);
    if (opts->metrics && !opts_seen) {
        st = bs_error_set(err, BS_ERR_INPUT, "--metric %s: no such metric in %s", opts->metrics, path);
        goto close_cmp;
    }
    if (opts->csv) {
        fprintf(to, "point");
        for (long k = 0; k < n_keys; k++)
            fprintf(to, ",%s", keys[k]);
        fprintf(to, ",metric,unit,mean,sd,ci95_low,ci95_high,p05,p50,p95%s\n",
                compare ? ",diff_mean,diff_ci95_low,diff_ci95_high" : "");
    } else {
        char *version = bs_h5_read_string_attr(f, "branchsim_version");
        char *name = bs_h5_read_string_attr(f, "scenario_name");
        fprintf(to, "%s: scenario '%s', %llu point%s x %llu replications, seed %llu (branchsim %s)\n", path,
                name ? name : "?", points, points == 1 ? "" : "s", reps, seed, version ? version : "?");
        if (compare)
            fprintf(to, "differences are paired (same customers), point minus baseline point %llu\n", baseline);
        free(version);
        free(name);
    }
    /* Every table is read once, so describe stays linear in points x metrics. */
    const size_t P = (size_t)points, S = BS_STAT_COUNT;
    double *sums = calloc((size_t)n_metrics * P * S + 1, sizeof *sums);
    double *diffs = compare ? calloc((size_t)n_metrics * P * S + 1, sizeof *diffs) : NULL;
    char **units = calloc((size_t)n_metrics + 1, sizeof *units);
    char *key_text = malloc((size_t)(n_keys > 0 ? n_keys : 1) * P * VALUE_WIDTH + 1);
    if (!sums || (compare && !diffs) || !units || !key_text) {
        st = bs_error_set(err, BS_ERR_RUN, "%s: out of memory", path);
        goto free_tables;
    }
    for (long m = 0; m < n_metrics; m++) {
        if (!wanted(opts->metrics, metrics[m]))
            continue;
        if (read_table(g_sum, metrics[m], points, sums + (size_t)m * P * S, &units[m]) < 0 ||
            (compare && read_table(g_cmp, metrics[m], points, diffs + (size_t)m * P * S, NULL) < 0)) {
            st = bs_error_set(err, BS_ERR_INPUT, "%s: cannot read /summary or /compare of %s as (%llu, %d)", path,
                              metrics[m], points, BS_STAT_COUNT);
            goto free_tables;
        }
    }
    for (long k = 0; k < n_keys; k++)
        column_texts(g_sc, keys[k], P, key_text + (size_t)k * P * VALUE_WIDTH);
    /* A table hides metrics undefined at every point (a feature the
     * scenario does not use); --metric or --csv shows them. */
    unsigned char *shown = calloc((size_t)n_metrics + 1, 1);
    long hidden = 0;
    if (!shown) {
        st = bs_error_set(err, BS_ERR_RUN, "%s: out of memory", path);
        goto free_tables;
    }
    for (long m = 0; m < n_metrics; m++) {
        if (!wanted(opts->metrics, metrics[m]))
            continue;
        int defined = opts->csv || opts->metrics;
        for (size_t p = 0; !defined && p < P; p++)
            defined = !isnan(sums[((size_t)m * P + p) * S + BS_STAT_MEAN]);
        shown[m] = (unsigned char)defined;
        hidden += !defined;
    }
    for (size_t p = 0; p < P; p++) {
        char values[2048] = "";
        for (long k = 0; k < n_keys; k++) {
            const char *v = key_text + ((size_t)k * P + p) * VALUE_WIDTH;
            char quoted[2 * VALUE_WIDTH + 3];
            size_t used = strlen(values);
            if (opts->csv) {
                csv_field(quoted, sizeof quoted, v);
                snprintf(values + used, sizeof values - used, ",%s", quoted);
            } else {
                snprintf(values + used, sizeof values - used, "%s%s = %s", k ? ", " : "", keys[k], v);
            }
        }
        if (!opts->csv) {
            if (points > 1 || n_keys > 0)
                fprintf(to, "\npoint %zu%s%s%s\n", p, n_keys ? " (" : "", values, n_keys ? ")" : "");
            fprintf(to, "%-28s %-10s %11s %11s %11s %11s%s\n", "metric", "unit", "mean", "sd", "ci95_low", "ci95_high",
                    compare ? "   difference [95 % CI]" : "");
        }
        for (long m = 0; m < n_metrics; m++) {
            if (!shown[m])
                continue;
            const char *unit = units[m] ? units[m] : "";
            const double *row = sums + ((size_t)m * P + p) * S;
            const double *d = compare ? diffs + ((size_t)m * P + p) * S : row;
            if (opts->csv) {
                fprintf(to, "%zu%s,%s,%s,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g", p, values, metrics[m], unit,
                        row[BS_STAT_MEAN], row[BS_STAT_SD], row[BS_STAT_CI95_LOW], row[BS_STAT_CI95_HIGH],
                        row[BS_STAT_P05], row[BS_STAT_P50], row[BS_STAT_P95]);
                if (compare)
                    fprintf(to, ",%.10g,%.10g,%.10g", d[BS_STAT_MEAN], d[BS_STAT_CI95_LOW], d[BS_STAT_CI95_HIGH]);
                fprintf(to, "\n");
            } else {
                fprintf(to, "%-28s %-10s %11.4g %11.4g %11.4g %11.4g", metrics[m], unit, row[BS_STAT_MEAN],
                        row[BS_STAT_SD], row[BS_STAT_CI95_LOW], row[BS_STAT_CI95_HIGH]);
                if (compare && p != baseline)
                    fprintf(to, "   %+.4g [%.4g, %.4g]", d[BS_STAT_MEAN], d[BS_STAT_CI95_LOW], d[BS_STAT_CI95_HIGH]);
                fprintf(to, "\n");
            }
        }
    }
    if (hidden > 0)
        fprintf(to, "(%ld metric%s undefined at every point, for features this scenario does not use, not shown; "
                    "--metric or --csv shows them)\n",
                hidden, hidden == 1 ? "" : "s");
    free(shown);
free_tables:
    for (long m = 0; units && m < n_metrics; m++)
        free(units[m]);
    free(units);
    free(sums);
    free(diffs);
    free(key_text);
close_cmp:
    if (g_cmp >= 0)
        H5Gclose(g_cmp);
done:
    free(metrics);
    free(keys);
    if (g_sum >= 0)
        H5Gclose(g_sum);
    if (g_sc >= 0)
        H5Gclose(g_sc);
    if (g_rep >= 0)
        H5Gclose(g_rep);
    H5Fclose(f);
    return st;
}
