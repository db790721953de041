/* HDF5 writer (describe.c reads the file back). Every HDF5 call is
 * checked; HDF5's own error printing is off and failures become bs_error
 * messages. */
#include "h5attr.h"
#include "output.h"
#include "output_coords.h"
#include "output_text.h"

#include "files.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5_hl.h>

#include "stats.h"
#include "version.h"

/* What a failure to write the file tells: the checkpoint keeps every
 * replication. */
#define RESUME_HINT                                                                    \
    "The checkpoint keeps every replication: run again with --resume to write the file " \
    "(on a full disk, first free as much space as the checkpoint takes: the result needs no more)."

/* On rank 0: creates the partial file (out->fd). 0 or an errno. */
static int create_partial(struct bs_output *out)
{
    out->fd = bs_files_create(out->partial_path);
    return out->fd < 0 ? -out->fd : 0;
}

int bs_output_open(struct bs_output *out, const struct bs_cluster *cl, const char *path, struct bs_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    out->file = out->transfer = H5I_INVALID_HID;
    out->fd = -1;
    out->cluster = cl;
    out->text_list.first = NULL;
    out->text_later = &out->text_list;
    if (strlen(path) >= sizeof out->path)
        return bs_error_set(err, BS_ERR_INPUT, "%s: output path too long", path);
    snprintf(out->path, sizeof out->path, "%s", path);
    long pid = (long)getpid(); /* rank 0's: one name for every rank */
    bs_cluster_broadcast(cl, &pid, sizeof pid);
    snprintf(out->partial_path, sizeof out->partial_path, "%s.partial-%ld", path, pid);
    int why = cl->rank == 0 ? create_partial(out) : 0;
    bs_cluster_broadcast(cl, &why, sizeof why);
    if (why) {
        bs_output_abort(out);
        if (why == ENOENT || why == ENOTDIR) /* the checkpoint went with it */
            return bs_error_set(err, BS_ERR_RUN, "%s: cannot create %s: %s (was its directory removed during the run?)",
                                path, out->partial_path, strerror(why));
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot create %s: %s. " RESUME_HINT, path, out->partial_path,
                            strerror(why));
    }
    char name[sizeof out->partial_path + 32];
    if (cl->size == 1)
        bs_files_h5_name(out->fd, out->partial_path, name, sizeof name);
    else
        snprintf(name, sizeof name, "%s", out->partial_path);
    hid_t fapl = bs_cluster_file_access(cl);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fapl >= 0 && fcpl >= 0 && H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED) >= 0)
        out->file = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (out->file >= 0)
        out->transfer = bs_cluster_transfer(cl);
    int failed = out->file < 0 || out->transfer < 0 || (cl->rank == 0 && !bs_files_is(out->fd, out->partial_path));
    if (bs_cluster_agree(cl, failed)) {
        bs_output_abort(out);
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot create an HDF5 file there. " RESUME_HINT, path);
    }
    return 0;
}

/* Closes this process's descriptor of the partial file (after removing
 * the file when asked and it is still ours). */
static void drop_partial(struct bs_output *out, int remove)
{
    if (out->cluster->rank == 0 && remove)
        bs_files_unlink_ours(out->fd, out->partial_path);
    if (out->fd >= 0)
        close(out->fd);
    out->fd = -1;
}

void bs_output_abort(struct bs_output *out)
{
    bs_cluster_transfer_close(out->transfer);
    if (out->file >= 0)
        H5Fclose(out->file);
    out->file = out->transfer = H5I_INVALID_HID;
    bs_output_strings_free(out);
    drop_partial(out, 1);
}

/* On rank 0: the finished partial file made durable and renamed to OUT,
 * and the rename made durable. 0 or an errno. */
static int move_into_place(struct bs_output *out)
{
    struct stat sb;
    if (fsync(out->fd) != 0)
        return errno;
    if (lstat(out->path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return EEXIST; /* became a link, directory or device during the run */
    if (rename(out->partial_path, out->path) != 0)
        return errno;
    return bs_files_sync_dir(out->path) != 0 ? errno : 0;
}

int bs_output_commit(struct bs_output *out, struct bs_error *err)
{
    bs_cluster_transfer_close(out->transfer);
    out->transfer = H5I_INVALID_HID;
    /* A flush first: under MPI it syncs every rank's writes (MPI_File_sync). */
    herr_t closed = H5Fflush(out->file, H5F_SCOPE_GLOBAL);
    if (H5Fclose(out->file) < 0)
        closed = -1;
    out->file = H5I_INVALID_HID;
    if (closed >= 0 && bs_output_strings_finish(out) < 0)
        closed = -1;
    bs_output_strings_free(out);
    if (bs_cluster_agree(out->cluster, closed < 0)) {
        drop_partial(out, 1);
        return bs_error_set(err, BS_ERR_RUN, "%s: HDF5 failed to finish the file (is the disk full?). " RESUME_HINT,
                            out->path);
    }
    int why = out->cluster->rank == 0 ? move_into_place(out) : 0;
    bs_cluster_broadcast(out->cluster, &why, sizeof why);
    drop_partial(out, why != 0);
    if (why == EEXIST)
        return bs_error_set(err, BS_ERR_RUN, "%s: is no longer a regular file: not replacing it. " RESUME_HINT,
                            out->path);
    if (why)
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot move the finished file into place: %s. " RESUME_HINT,
                            out->path, strerror(why));
    return 0;
}

/* Which rows (along the first axis) of a dataset this process writes: its
 * share of the points, or all of a small dataset on rank 0 alone. */
struct rows {
    hsize_t first, end;
};

static struct rows rank0_rows(const struct bs_output *out, hsize_t n)
{
    return (struct rows){0, out->cluster->rank == 0 ? n : 0};
}

/* Selects rows [first, end) of a dataspace (every element of the other axes). */
static herr_t select_rows(hid_t space, int rank, const hsize_t *dims, struct rows rows)
{
    if (rows.end <= rows.first)
        return H5Sselect_none(space);
    hsize_t start[3] = {rows.first, 0, 0}, count[3] = {rows.end - rows.first, 0, 0};
    for (int i = 1; i < rank; i++)
        count[i] = dims[i];
    return H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
}

/* Writes the selected rows of data (laid out like the whole dataset). */
static herr_t write_rows(const struct bs_output *out, hid_t d, hid_t mem_type, int rank, const hsize_t *dims,
                         struct rows rows, const void *data)
{
    /* An empty dataset (a breakdown without entities: slots without
     * appointments) has nothing to write; parallel HDF5 fails the write of
     * a zero-sized dataspace. Every rank sees the same dims. */
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0)
            return 0;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, dims, NULL);
    herr_t st = fs >= 0 && ms >= 0 ? 0 : -1;
    if (st >= 0)
        st = select_rows(fs, rank, dims, rows);
    if (st >= 0)
        st = select_rows(ms, rank, dims, rows);
    if (st >= 0)
        st = H5Dwrite(d, mem_type, ms, fs, out->transfer, data);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

/* Datasets this large are chunked and compressed (shuffle + deflate): the
 * compression is deterministic, so datasets stay bitwise reproducible. */
#define COMPRESS_FROM_ELEMENTS 65536
#define CHUNK_ELEMENTS 65536

/* A float64 dataset of rank 1 to 3; this process writes `rows` of data. */
static hid_t write_doubles(const struct bs_output *out, hid_t parent, const char *name, int rank,
                           const hsize_t *dims, struct rows rows, const double *data)
{
    hid_t s = H5Screate_simple(rank, dims, NULL);
    if (s < 0)
        return -1;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    if (dcpl >= 0 && rank >= 2 && total >= COMPRESS_FROM_ELEMENTS) {
        /* Whole rows (replications of a point) where they fit; several
         * short rows (a point's statistics) per chunk. */
        hsize_t chunk[3] = {1, dims[1], rank == 3 ? dims[2] : 1};
        while (chunk[1] > 1 && chunk[1] * chunk[2] > CHUNK_ELEMENTS)
            chunk[1] = (chunk[1] + 1) / 2;
        hsize_t row = chunk[1] * chunk[2];
        chunk[0] = row < CHUNK_ELEMENTS ? CHUNK_ELEMENTS / row : 1;
        if (chunk[0] > dims[0])
            chunk[0] = dims[0];
        if (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, 4) < 0) {
            H5Pclose(dcpl);
            H5Sclose(s);
            return -1;
        }
    }
    hid_t d = dcpl >= 0 ? H5Dcreate2(parent, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Sclose(s);
    if (d < 0)
        return -1;
    if (write_rows(out, d, H5T_NATIVE_DOUBLE, rank, dims, rows, data) < 0) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

static hid_t make_group(hid_t parent, const char *name)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0)
        return -1;
    hid_t g = -1;
    if (H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
        g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(v);
}

static herr_t write_root_attrs(struct bs_output *out, const struct bs_output_data *data)
{
    char created[64], build[256];
    long long now_s = (long long)time(NULL);
    bs_cluster_broadcast(out->cluster, &now_s, sizeof now_s); /* attributes must match on every rank */
    time_t now = (time_t)now_s;
    struct tm tm_utc;
    gmtime_r(&now, &tm_utc);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(build, sizeof build, "compiler %s; HDF5 %u.%u.%u; GSL %s; revision %s",
             __VERSION__, maj, min, rel, GSL_VERSION, BS_REVISION);
    uint64_t reps = data->run->n_replications, points = data->run->n_points;
    hid_t f = out->file;
    if (bs_h5_attr_string(f, "branchsim_version", BS_VERSION) < 0 ||
        bs_h5_attr_number(f, "seed", H5T_NATIVE_UINT64, &data->run->seed) < 0 ||
        bs_h5_attr_number(f, "replications", H5T_NATIVE_UINT64, &reps) < 0 ||
        bs_h5_attr_number(f, "n_points", H5T_NATIVE_UINT64, &points) < 0 ||
        bs_h5_attr_string(f, "scenario_yaml", data->scenario_text) < 0 ||
        bs_h5_attr_string(f, "scenario_file", data->scenario_file) < 0 ||
        bs_h5_attr_string(f, "scenario_name", data->scenario_name) < 0 ||
        bs_h5_attr_string(f, "created", created) < 0 || bs_h5_attr_string(f, "build", build) < 0)
        return -1;
    if (data->n_sets && bs_h5_attr_strings(f, "set", data->sets, data->n_sets, 0) < 0)
        return -1;
    for (size_t i = 0; i < data->n_attrs; i++) {
        const struct bs_output_attr *a = &data->attrs[i];
        if ((a->text ? bs_h5_attr_string(f, a->name, a->text)
                     : bs_h5_attr_number(f, a->name, H5T_NATIVE_DOUBLE, &a->number)) < 0)
            return -1;
    }
    return 0;
}

/* /scenarios/<key> (n_points): each swept key's value, float64 or text,
 * on the group's own point coordinate. */
static herr_t key_attrs(hid_t d, const char *key)
{
    char long_name[BS_COORDINATES_MAX];
    snprintf(long_name, sizeof long_name, "Swept key %s", key);
    if (bs_h5_attr_string(d, "long_name", long_name) < 0)
        return -1;
    return bs_h5_attr_string(d, "description", "the swept key's value at each point (docs/scenario-keys.md gives its unit)");
}

/* The CF conventions' global attributes (netCDF readers show them first). */
static herr_t write_cf_attrs(struct bs_output *out, const struct bs_output_data *data)
{
    char title[512];
    snprintf(title, sizeof title, "branchsim results: scenario %s", data->scenario_name);
    hid_t f = out->file;
    if (bs_h5_attr_string(f, "Conventions", "CF-1.10") < 0 || bs_h5_attr_string(f, "title", title) < 0 ||
        bs_h5_attr_string(f, "source", "branchsim " BS_VERSION) < 0)
        return -1;
    return 0;
}

static herr_t write_scenarios(const struct bs_output *out, hid_t group, const struct bs_output_data *data,
                              double *scratch)
{
    hsize_t n = data->run->n_points;
    struct bs_coords c;
    herr_t made = bs_coords_make(out, data, group, BS_CO_POINT, &c);
    for (size_t k = 0; k < data->n_keys; k++) {
        int numeric = 1;
        for (size_t p = 0; p < n; p++)
            numeric = numeric && is_number(data->key_values[p * data->n_keys + k]);
        hid_t d = -1;
        if (made < 0)
            break;
        if (numeric) {
            for (size_t p = 0; p < n; p++)
                scratch[p] = strtod(data->key_values[p * data->n_keys + k], NULL);
            d = write_doubles(out, group, data->keys[k], 1, &n, rank0_rows(out, n), scratch);
        } else {
            const char **texts = malloc(n * sizeof *texts);
            for (size_t p = 0; texts && p < n; p++)
                texts[p] = data->key_values[p * data->n_keys + k];
            d = texts ? bs_output_strings(out, group, data->keys[k], n, texts) : -1;
            free(texts);
        }
        herr_t st = d < 0 || made < 0 ? -1 : bs_coords_attach(&c, d, c.point, -1, -1);
        if (st >= 0)
            st = key_attrs(d, data->keys[k]);
        if (d >= 0)
            H5Dclose(d);
        if (st < 0)
            made = -1;
    }
    bs_coords_close(&c);
    return made;
}

static herr_t metric_attrs(hid_t d, const struct bs_metric_def *def)
{
    return bs_h5_cf_attrs(d, def->unit, def->label, def->description);
}

/* /breakdown_summary/<group>/<metric> (n_points, n_entities, 10): the
 * statistics of /summary over replications, per entity, of the values in buf
 * (laid out as /<group>/<metric>): e.g. the share of days a standard was
 * met with its confidence interval. This process summarizes its rows. */
static herr_t write_entity_summary(const struct bs_output *out, const struct bs_run *run, hid_t g, size_t b,
                                   const struct bs_metric_def *def, const double *buf, double *scratch,
                                   struct rows rows, const struct bs_coords *c)
{
    const size_t P = run->n_points, R = run->n_replications, E = run->layout.entities[b];
    double *sum = calloc(P * E * BS_STAT_COUNT + 1, sizeof *sum);
    if (!sum)
        return -1;
    for (size_t p = rows.first; p < rows.end; p++)
        for (size_t e = 0; e < E; e++)
            bs_stats_summary(buf + p * R * E + e, E, R, scratch, sum + (p * E + e) * BS_STAT_COUNT);
    hsize_t dims[3] = {P, E, BS_STAT_COUNT};
    hid_t d = write_doubles(out, g, def->name, 3, dims, rows, sum);
    free(sum);
    herr_t st = d < 0 ? -1 : bs_h5_attr_strings(d, "stats", bs_stat_names, BS_STAT_COUNT, 0);
    if (st >= 0)
        st = metric_attrs(d, def);
    if (st >= 0)
        st = bs_coords_attach(c, d, c->point, c->entity[b], c->stat);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

/* /<group>/<position> (n_points, n_entities): what each entity named by
 * position is at each point (NaN beyond the point's own entities). */
static herr_t write_positions(const struct bs_output *out, const struct bs_run *run, size_t b, hid_t g,
                              double *buf, struct rows rows, const struct bs_coords *c)
{
    const size_t P = run->n_points, E = run->layout.entities[b];
    for (size_t p = 0; p < P; p++) {
        size_t own = bs_scenario_entities(run->points[p], b);
        for (size_t e = 0; e < E; e++)
            buf[p * E + e] = e < own ? bs_scenario_entity_position(run->points[p], b, e) : NAN;
    }
    hsize_t dims[2] = {P, E};
    hid_t d = write_doubles(out, g, run->layout.breakdowns[b].position->name, 2, dims, rows, buf);
    herr_t st = d < 0 ? -1 : metric_attrs(d, run->layout.breakdowns[b].position);
    if (st >= 0)
        st = bs_coords_attach(c, d, c->point, c->entity[b], -1);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

/* /<group>/<metric> (n_points, n_replications, n_entities), attr <group> =
 * entity names; and their summaries under g_sum (/breakdown_summary). */
static herr_t write_breakdown(const struct bs_output *out, const struct bs_output_data *data, size_t b, hid_t g_sum,
                              double *buf, double *scratch, struct rows rows)
{
    const struct bs_run *run = data->run;
    const struct bs_layout *L = &run->layout;
    const struct bs_breakdown_def *bd = &L->breakdowns[b];
    const size_t P = run->n_points, R = run->n_replications, E = L->entities[b];
    hid_t g = make_group(out->file, bd->group), gs = make_group(g_sum, bd->group);
    const char **names = bs_output_entity_labels(run, b);
    herr_t st = names && g >= 0 && gs >= 0 ? 0 : -1;
    const unsigned entity = BS_CO_ENTITY0 << b;
    struct bs_coords c, cs; /* of g and gs */
    bs_coords_init(&c);
    bs_coords_init(&cs);
    if (st >= 0)
        st = bs_coords_make(out, data, g, BS_CO_POINT | BS_CO_REPLICATION | entity | BS_CO_KEYS, &c);
    if (st >= 0)
        st = bs_coords_make(out, data, gs, BS_CO_POINT | entity | BS_CO_STAT | BS_CO_KEYS, &cs);
    if (st >= 0)
        st = bs_h5_attr_strings(g, bd->group, names, E, 0);
    if (st >= 0)
        st = bs_h5_attr_strings(gs, bd->group, names, E, 0);
    free(names);
    for (size_t m = 0; st >= 0 && m < bd->n_metrics; m++) {
        for (size_t i = 0; i < P * R; i++)
            for (size_t e = 0; e < E; e++)
                buf[i * E + e] = run->values[i * L->width + L->breakdown_offset[b] + m * E + e];
        hsize_t dims[3] = {P, R, E};
        hid_t d = write_doubles(out, g, bd->metrics[m].name, 3, dims, rows, buf);
        st = d < 0 ? -1 : metric_attrs(d, &bd->metrics[m]);
        if (st >= 0)
            st = bs_coords_attach(&c, d, c.point, c.replication, c.entity[b]);
        if (d >= 0)
            H5Dclose(d);
        if (st >= 0)
            st = write_entity_summary(out, run, gs, b, &bd->metrics[m], buf, scratch, rows, &cs);
    }
    if (st >= 0 && bd->position && !bs_output_entities_agree(run, b))
        st = write_positions(out, run, b, g, buf, rows, &c);
    bs_coords_close(&c);
    bs_coords_close(&cs);
    if (gs >= 0)
        H5Gclose(gs);
    if (g >= 0)
        H5Gclose(g);
    return st;
}

/* /timeseries/<series> (n_points, n_bins): mean over replications of the
 * finite values, summed in replication order (bitwise reproducible). */
static herr_t write_timeseries(const struct bs_output *out, const struct bs_output_data *data, double *buf,
                               struct rows rows)
{
    const struct bs_run *run = data->run;
    const struct bs_layout *L = &run->layout;
    const size_t P = run->n_points, B = L->n_bins;
    hid_t g = make_group(out->file, "timeseries");
    if (g < 0)
        return -1;
    struct bs_coords c;
    herr_t st = bs_coords_make(out, data, g, BS_CO_POINT | BS_CO_BIN | BS_CO_KEYS, &c);
    if (st >= 0)
        st = bs_h5_attr_number(g, "bin_min", H5T_NATIVE_DOUBLE, &L->bin_min);
    for (size_t s = 0; st >= 0 && s < L->n_series; s++) {
        for (size_t p = rows.first; p < rows.end; p++) {
            for (size_t b = 0; b < B; b++) {
                double sum = 0, n = 0; /* the blocks in order: independent of threads */
                for (size_t k = 0; k < run->blocks_per_point; k++) {
                    size_t at = (p * run->blocks_per_point + k) * L->series_width + s * B + b;
                    sum += run->series_sum[at];
                    n += run->series_count[at];
                }
                buf[p * B + b] = n > 0 ? sum / n : NAN;
            }
        }
        hsize_t dims[2] = {P, B};
        hid_t d = write_doubles(out, g, L->series[s].name, 2, dims, rows, buf);
        st = d < 0 ? -1 : metric_attrs(d, &L->series[s]);
        if (st >= 0)
            st = bs_coords_attach(&c, d, c.point, c.bin, -1);
        if (st >= 0)
            st = bs_h5_attr_number(d, "bin_min", H5T_NATIVE_DOUBLE, &L->bin_min);
        if (d >= 0)
            H5Dclose(d);
    }
    bs_coords_close(&c);
    H5Gclose(g);
    return st;
}

#define POOLED_NOTE                                                                                              \
    "per customer: every customer of every replication counts once (not a mean of daily values). mean: sum / "  \
    "customers, ci95 by the delta method over replications; percentiles from a histogram: within 1/16 min of "  \
    "the order statistic below 64 min, within 0.2 % below 1024 min, between 1024 min and max above"

/* The statistics of quantity q for entity e of every point of rows into
 * table (n_points x BS_PSTAT_COUNT); e == entities: all entities together. */
static void pooled_table(const struct bs_run *run, size_t q, size_t e, struct rows rows, uint64_t *counts,
                         double *sums, double *table)
{
    const struct bs_layout *L = &run->layout;
    const size_t R = run->n_replications, E = L->pool_entities;
    const size_t e0 = e < E ? e : 0, e1 = e < E ? e + 1 : E;
    for (size_t p = rows.first; p < rows.end; p++) {
        memset(counts, 0, BS_POOL_BINS * sizeof *counts);
        for (size_t k = e0; k < e1; k++) {
            const uint64_t *h = run->pool_hist + p * L->pool_hist_width + (q * E + k) * BS_POOL_BINS;
            for (size_t j = 0; j < BS_POOL_BINS; j++)
                counts[j] += h[j];
        }
        for (size_t r = 0; r < R; r++) { /* the entities in order: bitwise reproducible */
            const double *slab = run->values + (p * R + r) * L->width + L->pool_offset;
            double *to = sums + r * BS_POOL_PER_ENTITY;
            bs_pool_sums_clear(to, 1);
            for (size_t k = e0; k < e1; k++) {
                const double *from = slab + (q * E + k) * BS_POOL_PER_ENTITY;
                to[BS_POOL_SUM] += from[BS_POOL_SUM];
                to[BS_POOL_N] += from[BS_POOL_N];
                to[BS_POOL_MAX] = from[BS_POOL_MAX] > to[BS_POOL_MAX] ? from[BS_POOL_MAX] : to[BS_POOL_MAX];
            }
        }
        bs_pool_summary(counts, sums, BS_POOL_PER_ENTITY, R, table + p * BS_PSTAT_COUNT);
    }
}

static herr_t pooled_attrs(hid_t d, const struct bs_metric_def *def)
{
    herr_t st = metric_attrs(d, def);
    if (st >= 0)
        st = bs_h5_attr_strings(d, "stats", bs_pooled_stat_names, BS_PSTAT_COUNT, 0);
    if (st >= 0)
        st = bs_h5_attr_string(d, "pooling", POOLED_NOTE);
    return st;
}

/* /pooled/<quantity> (n_points, n_pooled_stats) and
 * /pooled/<entities>/<quantity> (n_points, n_entities, n_pooled_stats). */
static herr_t write_pooled(const struct bs_output *out, const struct bs_output_data *data, struct rows rows)
{
    const struct bs_run *run = data->run;
    const struct bs_layout *L = &run->layout;
    const size_t P = run->n_points, E = L->pool_entities, S = BS_PSTAT_COUNT;
    if (L->n_pooled == 0)
        return 0;
    hid_t g = make_group(out->file, "pooled");
    if (g < 0)
        return -1;
    const struct bs_breakdown_def *bd = &L->breakdowns[L->pool_breakdown];
    hid_t ge = make_group(g, bd->group);
    uint64_t *counts = malloc(BS_POOL_BINS * sizeof *counts);
    double *sums = malloc((run->n_replications + 1) * BS_POOL_PER_ENTITY * sizeof *sums);
    double *table = malloc((P * S + 1) * sizeof *table), *by_entity = malloc((P * E * S + 1) * sizeof *by_entity);
    herr_t st = ge >= 0 && counts && sums && table && by_entity ? bs_h5_attr_string(g, "pooling", POOLED_NOTE) : -1;
    const unsigned entity = BS_CO_ENTITY0 << L->pool_breakdown;
    struct bs_coords c, ce; /* of g and ge */
    bs_coords_init(&c);
    bs_coords_init(&ce);
    if (st >= 0)
        st = bs_coords_make(out, data, g, BS_CO_POINT | BS_CO_POOLED_STAT | BS_CO_KEYS, &c);
    if (st >= 0)
        st = bs_coords_make(out, data, ge, BS_CO_POINT | entity | BS_CO_POOLED_STAT | BS_CO_KEYS, &ce);
    for (size_t q = 0; st >= 0 && q < L->n_pooled; q++) {
        pooled_table(run, q, E, rows, counts, sums, table);
        hsize_t dims[2] = {P, S}, edims[3] = {P, E, S};
        hid_t d = write_doubles(out, g, L->pooled[q].name, 2, dims, rows, table);
        st = d < 0 ? -1 : pooled_attrs(d, &L->pooled[q]);
        if (st >= 0)
            st = bs_coords_attach(&c, d, c.point, c.pooled_stat, -1);
        if (d >= 0)
            H5Dclose(d);
        for (size_t e = 0; st >= 0 && e < E; e++) {
            pooled_table(run, q, e, rows, counts, sums, table);
            for (size_t p = rows.first; p < rows.end; p++)
                memcpy(by_entity + (p * E + e) * S, table + p * S, S * sizeof *table);
        }
        d = st < 0 ? -1 : write_doubles(out, ge, L->pooled[q].name, 3, edims, rows, by_entity);
        st = d < 0 ? -1 : pooled_attrs(d, &L->pooled[q]);
        if (st >= 0)
            st = bs_coords_attach(&ce, d, ce.point, ce.entity[L->pool_breakdown], ce.pooled_stat);
        if (d >= 0)
            H5Dclose(d);
    }
    bs_coords_close(&c);
    bs_coords_close(&ce);
    free(counts);
    free(sums);
    free(table);
    free(by_entity);
    if (ge >= 0)
        H5Gclose(ge);
    H5Gclose(g);
    return st;
}

static herr_t compare_attrs(hid_t d, const struct bs_metric_def *def)
{
    char long_name[256];
    snprintf(long_name, sizeof long_name, "%s, this point minus the baseline", def->label);
    return bs_h5_cf_attrs(d, def->unit, long_name, "paired difference, this point minus the baseline, over replications");
}

/* /compare/<metric> (n_points, n_stats): statistics over replications of
 * the paired difference point - baseline (common random numbers make
 * replication r of both the same customers). */
static herr_t write_compare(const struct bs_output *out, const struct bs_output_data *data, double *diff,
                            double *scratch, struct rows rows)
{
    const struct bs_run *run = data->run;
    const struct bs_layout *L = &run->layout;
    const size_t P = run->n_points, R = run->n_replications, base = data->baseline;
    hid_t g = make_group(out->file, "compare");
    if (g < 0)
        return -1;
    uint64_t base64 = base;
    herr_t st = bs_h5_attr_number(g, "baseline", H5T_NATIVE_UINT64, &base64);
    double *table = malloc(P * BS_STAT_COUNT * sizeof *table);
    if (!table)
        st = -1;
    struct bs_coords c;
    bs_coords_init(&c);
    if (st >= 0)
        st = bs_coords_make(out, data, g, BS_CO_POINT | BS_CO_STAT | BS_CO_KEYS, &c);
    for (size_t m = 0; st >= 0 && m < L->n_metrics; m++) {
        for (size_t p = rows.first; p < rows.end; p++) {
            for (size_t r = 0; r < R; r++)
                diff[r] = run->values[(p * R + r) * L->width + m] - run->values[(base * R + r) * L->width + m];
            bs_stats_summary(diff, 1, R, scratch, table + p * BS_STAT_COUNT);
        }
        hsize_t dims[2] = {P, BS_STAT_COUNT};
        hid_t d = write_doubles(out, g, L->metrics[m].name, 2, dims, rows, table);
        st = d < 0 ? -1 : bs_h5_attr_strings(d, "stats", bs_stat_names, BS_STAT_COUNT, 0);
        if (st >= 0)
            st = compare_attrs(d, &L->metrics[m]);
        if (st >= 0)
            st = bs_coords_attach(&c, d, c.point, c.stat, -1);
        if (d >= 0)
            H5Dclose(d);
    }
    bs_coords_close(&c);
    free(table);
    H5Gclose(g);
    return st;
}

/* What bs_output_write works with: the buffers it reuses from dataset to
 * dataset, this rank's rows, the scales, and where a failure goes. */
struct writing {
    const struct bs_output *out;
    const struct bs_output_data *data;
    double *col;     /* one metric of every point: the most of n_bins, R and R x entities per point */
    double *sum;     /* a metric's statistics per point */
    double *scratch; /* one point's replications */
    struct rows rows;
    struct bs_coords c_rep, c_sum; /* of /replications and /summary */
    struct bs_error *err;
};

static int buffers_alloc(struct writing *w)
{
    const struct bs_run *run = w->data->run;
    const struct bs_layout *L = &run->layout;
    const size_t P = run->n_points, R = run->n_replications;
    size_t biggest = L->n_bins > 1 ? L->n_bins : 1;
    for (size_t b = 0; b < L->n_breakdowns; b++)
        biggest = L->entities[b] * R > biggest ? L->entities[b] * R : biggest;
    biggest = R > biggest ? R : biggest;
    w->col = malloc(P * biggest * sizeof *w->col);
    w->sum = malloc(P * BS_STAT_COUNT * sizeof *w->sum);
    w->scratch = malloc((R ? R : 1) * sizeof *w->scratch);
    return w->col && w->sum && w->scratch ? 0 : -1;
}

/* st; when it is a failure, says that HDF5 failed at `doing`. Under MPI
 * the other ranks may be inside collective calls: the failure stops them
 * all, before anything is closed. */
static herr_t step(struct writing *w, herr_t st, const char *doing)
{
    if (st >= 0)
        return st;
    bs_error_set(w->err, BS_ERR_RUN, "%s: HDF5 failed to %s (is the disk full?). " RESUME_HINT, w->out->path,
                 doing);
    bs_cluster_fail_alone(w->out->cluster, w->err, "");
    return -1;
}

/* /replications/<metric m> (n_points, n_replications) and /summary/<metric
 * m> (n_points, n_stats), its statistics over replications. */
static herr_t write_metric(struct writing *w, size_t m, hid_t g_rep, hid_t g_sum)
{
    const struct bs_run *run = w->data->run;
    const struct bs_layout *L = &run->layout;
    const struct bs_metric_def *def = &L->metrics[m];
    const size_t P = run->n_points, R = run->n_replications;
    for (size_t i = 0; i < P * R; i++)
        w->col[i] = run->values[i * L->width + m];
    for (size_t p = w->rows.first; p < w->rows.end; p++)
        bs_stats_summary(w->col + p * R, 1, R, w->scratch, w->sum + p * BS_STAT_COUNT);
    hsize_t rep_dims[2] = {P, R}, sum_dims[2] = {P, BS_STAT_COUNT};
    hid_t d = write_doubles(w->out, g_rep, def->name, 2, rep_dims, w->rows, w->col);
    if (d < 0)
        return step(w, -1, "write /replications");
    herr_t st = metric_attrs(d, def);
    if (st >= 0)
        st = bs_coords_attach(&w->c_rep, d, w->c_rep.point, w->c_rep.replication, -1);
    H5Dclose(d);
    if (step(w, st, "write metric attributes") < 0)
        return -1;
    d = write_doubles(w->out, g_sum, def->name, 2, sum_dims, w->rows, w->sum);
    if (d < 0)
        return step(w, -1, "write /summary");
    st = bs_h5_attr_strings(d, "stats", bs_stat_names, BS_STAT_COUNT, 0);
    if (st >= 0)
        st = metric_attrs(d, def);
    if (st >= 0)
        st = bs_coords_attach(&w->c_sum, d, w->c_sum.point, w->c_sum.stat, -1);
    H5Dclose(d);
    return step(w, st, "write summary attributes");
}

/* A group at the root, or -1 after saying it could not be made. */
static hid_t root_group(struct writing *w, const char *name, const char *doing)
{
    hid_t g = make_group(w->out->file, name);
    step(w, g < 0 ? -1 : 0, doing);
    return g;
}

/* /scenarios, then /replications and /summary of every metric. */
static herr_t write_points_and_metrics(struct writing *w)
{
    hid_t g_sc = root_group(w, "scenarios", "create /scenarios"), g_rep = -1, g_sum = -1;
    herr_t st = g_sc < 0 ? -1 : step(w, write_scenarios(w->out, g_sc, w->data, w->col), "write /scenarios");
    if (st >= 0 && (g_rep = root_group(w, "replications", "create /replications")) < 0)
        st = -1;
    if (st >= 0 && (g_sum = root_group(w, "summary", "create /summary")) < 0)
        st = -1;
    const unsigned both = BS_CO_POINT | BS_CO_KEYS;
    if (st >= 0)
        st = step(w, bs_coords_make(w->out, w->data, g_rep, both | BS_CO_REPLICATION, &w->c_rep), "write coordinates");
    if (st >= 0)
        st = step(w, bs_coords_make(w->out, w->data, g_sum, both | BS_CO_STAT, &w->c_sum), "write coordinates");
    for (size_t m = 0; st >= 0 && m < w->data->run->layout.n_metrics; m++)
        st = write_metric(w, m, g_rep, g_sum);
    bs_coords_close(&w->c_rep);
    bs_coords_close(&w->c_sum);
    hid_t groups[] = {g_sc, g_rep, g_sum};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i] >= 0)
            H5Gclose(groups[i]);
    return st;
}

/* Every dataset after the root attributes and the scales, in the file's
 * order (links keep their creation order). */
static herr_t write_datasets(struct writing *w)
{
    const struct bs_run *run = w->data->run;
    herr_t st = write_points_and_metrics(w);
    hid_t g_bsum = st < 0 ? -1 : root_group(w, "breakdown_summary", "create /breakdown_summary");
    if (g_bsum < 0)
        st = -1;
    for (size_t b = 0; st >= 0 && b < run->layout.n_breakdowns; b++)
        st = step(w, write_breakdown(w->out, w->data, b, g_bsum, w->col, w->scratch, w->rows),
                  "write a per-entity breakdown");
    if (g_bsum >= 0)
        H5Gclose(g_bsum);
    if (st >= 0)
        st = step(w, write_timeseries(w->out, w->data, w->col, w->rows), "write /timeseries");
    if (st >= 0)
        st = step(w, write_pooled(w->out, w->data, w->rows), "write /pooled");
    if (st >= 0)
        st = step(w, write_compare(w->out, w->data, w->col, w->scratch, w->rows), "write /compare");
    return st;
}

int bs_output_write(struct bs_output *out, const struct bs_output_data *data, struct bs_error *err)
{
    struct writing w = {.out = out, .data = data, .err = err};
    size_t first_point, end_point; /* this rank's points: their rows and summaries */
    bs_cluster_rows(out->cluster, data->run->n_points, &first_point, &end_point);
    w.rows = (struct rows){first_point, end_point};
    bs_coords_init(&w.c_rep);
    bs_coords_init(&w.c_sum);
    herr_t st = 0;
    if (buffers_alloc(&w) != 0) {
        bs_error_set(err, BS_ERR_RUN, "%s: out of memory", out->path);
        bs_cluster_fail_alone(out->cluster, err, RESUME_HINT);
        st = -1;
    }
    if (st >= 0)
        st = step(&w, write_cf_attrs(out, data), "write the root attributes");
    if (st >= 0)
        st = step(&w, write_root_attrs(out, data), "write the root attributes");
    if (st >= 0)
        st = write_datasets(&w);
    free(w.col);
    free(w.sum);
    free(w.scratch);
    return st < 0 ? err->status : 0;
}
