/* `branchsim describe`: the summary table of an output file, read back
 * through the HDF5 contract only (so it also checks what was written). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "stats.h"

#define NAME_MAX_LEN 256

static char *read_string_attr(hid_t obj, const char *name)
{
    char *value = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0) {
        char *raw = NULL;
        if (H5Aread(a, t, &raw) >= 0 && raw) {
            value = strdup(raw);
            H5free_memory(raw);
        }
    }
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return value;
}

static int read_uint_attr(hid_t obj, const char *name, unsigned long long *out)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    herr_t st = H5Aread(a, H5T_NATIVE_ULLONG, out);
    H5Aclose(a);
    return st < 0 ? -1 : 0;
}

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

/* Prints the value of swept key `name` at point p. */
static void print_point_value(hid_t g_sc, const char *name, size_t p, FILE *to)
{
    hid_t d = H5Dopen2(g_sc, name, H5P_DEFAULT);
    if (d < 0)
        return;
    hid_t ft = H5Dget_type(d);
    hid_t space = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space, &n, NULL);
    if (H5Tget_class(ft) == H5T_FLOAT) {
        double *v = malloc(n * sizeof *v);
        if (v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 && p < n)
            fprintf(to, "  %s = %g\n", name, v[p]);
        free(v);
    } else {
        char **v = calloc(n, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            if (p < n)
                fprintf(to, "  %s = %s\n", name, v[p]);
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, v);
        }
        H5Tclose(mt);
        free(v);
    }
    H5Sclose(space);
    H5Tclose(ft);
    H5Dclose(d);
}

int bs_output_describe(const char *path, FILE *to, struct bs_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot open as an HDF5 file", path);
    int st = 0;
    hid_t g_sum = H5Gopen2(f, "summary", H5P_DEFAULT);
    hid_t g_sc = H5Gopen2(f, "scenarios", H5P_DEFAULT);
    hid_t g_rep = H5Gopen2(f, "replications", H5P_DEFAULT);
    char (*metrics)[NAME_MAX_LEN] = NULL, (*keys)[NAME_MAX_LEN] = NULL;
    double *table = NULL;
    long n_metrics = -1, n_keys = -1;
    unsigned long long reps = 0, points = 0, seed = 0;
    if (g_sum < 0 || g_sc < 0 || g_rep < 0 || read_uint_attr(f, "replications", &reps) < 0 ||
        read_uint_attr(f, "n_points", &points) < 0 || read_uint_attr(f, "seed", &seed) < 0 ||
        (n_metrics = member_names(g_sum, &metrics)) < 0 || (n_keys = member_names(g_sc, &keys)) < 0) {
        st = bs_error_set(err, BS_ERR_INPUT, "%s: not a branchsim output file", path);
        goto done;
    }
    table = malloc((size_t)points * BS_STAT_COUNT * sizeof *table + 1);
    if (!table) {
        st = bs_error_set(err, BS_ERR_RUN, "%s: out of memory", path);
        goto done;
    }
    char *version = read_string_attr(f, "branchsim_version");
    char *name = read_string_attr(f, "scenario_name");
    fprintf(to, "%s: scenario '%s', %llu point%s x %llu replications, seed %llu (branchsim %s)\n", path,
            name ? name : "?", points, points == 1 ? "" : "s", reps, seed, version ? version : "?");
    free(version);
    free(name);
    for (size_t p = 0; p < points; p++) {
        if (points > 1 || n_keys > 0) {
            fprintf(to, "\npoint %zu\n", p);
            for (long k = 0; k < n_keys; k++)
                print_point_value(g_sc, keys[k], p, to);
        }
        fprintf(to, "%-28s %-10s %12s %12s %12s %12s\n", "metric", "unit", "mean", "sd", "ci95_low", "ci95_high");
        for (long m = 0; m < n_metrics; m++) {
            hid_t d = H5Dopen2(g_sum, metrics[m], H5P_DEFAULT);
            if (d >= 0 && !dims_are(d, points, BS_STAT_COUNT)) {
                H5Dclose(d);
                d = -1;
            }
            if (d < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, table) < 0) {
                if (d >= 0)
                    H5Dclose(d);
                st = bs_error_set(err, BS_ERR_INPUT, "%s: cannot read /summary/%s as (%llu, %d)", path, metrics[m],
                                  points, BS_STAT_COUNT);
                goto done;
            }
            char *unit = read_string_attr(d, "unit");
            H5Dclose(d);
            const double *row = table + p * BS_STAT_COUNT;
            fprintf(to, "%-28s %-10s %12.4g %12.4g %12.4g %12.4g\n", metrics[m], unit ? unit : "",
                    row[BS_STAT_MEAN], row[BS_STAT_SD], row[BS_STAT_CI95_LOW], row[BS_STAT_CI95_HIGH]);
            free(unit);
        }
    }
done:
    free(table);
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
