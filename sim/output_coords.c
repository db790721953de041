/* See output_coords.h. */
#include "output_coords.h"

#include "h5attr.h"
#include "output_text.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>

/* Makes d (or fails: -1) the dimension scale `name`, with its attributes
 * (units NULL for text). */
static hid_t as_scale(hid_t d, const char *name, const char *units, const char *long_name, const char *description)
{
    herr_t st = d >= 0 ? H5DSset_scale(d, name) : -1;
    if (st >= 0 && units)
        st = bs_h5_attr_string(d, "units", units);
    if (st >= 0)
        st = bs_h5_attr_string(d, "long_name", long_name);
    if (st >= 0)
        st = bs_h5_attr_string(d, "description", description);
    if (st < 0 && d >= 0)
        H5Dclose(d);
    return st < 0 ? -1 : d;
}

/* A 1-D numeric dataset of n values written by rank 0 (int64 or float64). */
static hid_t numbers(const struct bs_output *out, hid_t g, const char *name, hsize_t n, int integer, const void *v)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = s >= 0 ? H5Dcreate2(g, name, integer ? H5T_STD_I64LE : H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT)
                     : -1;
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0 && bs_output_rank0_write(out, d, integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, n, v) < 0) {
        H5Dclose(d);
        d = -1;
    }
    return d;
}

/* 0 .. n-1 as an int64 scale. */
static hid_t index_scale(const struct bs_output *out, hid_t g, const char *name, hsize_t n, const char *long_name,
                         const char *description)
{
    int64_t *v = malloc((n ? n : 1) * sizeof *v);
    for (hsize_t i = 0; v && i < n; i++)
        v[i] = (int64_t)i;
    hid_t d = v ? numbers(out, g, name, n, 1, v) : -1;
    free(v);
    return as_scale(d, name, "1", long_name, description);
}

/* 1 when every point opens at point 0's time of day. */
static int same_opening(const struct bs_run *run)
{
    double open = bs_scenario_open_min_of_day(run->points[0]);
    for (size_t p = 1; p < run->n_points; p++)
        if (bs_scenario_open_min_of_day(run->points[p]) != open)
            return 0;
    return 1;
}

/* The time-series bins' starts in minutes of the day, and bin_start, the
 * same as "HH:MM" (an auxiliary coordinate); where the points open at
 * different times, minutes after opening and no bin_start. */
static hid_t bin_scale(const struct bs_output *out, const struct bs_run *run, hid_t g, char *coordinates,
                       size_t cap)
{
    const size_t B = run->layout.n_bins;
    const int of_day = same_opening(run);
    const double open = of_day ? bs_scenario_open_min_of_day(run->points[0]) : 0;
    double *v = malloc((B ? B : 1) * (sizeof *v + 8 + sizeof(char *)));
    const char **texts = v ? (const char **)(v + B) : NULL;
    char *clock = v ? (char *)(texts + B) : NULL;
    for (size_t b = 0; v && b < B; b++) {
        v[b] = open + (double)b * run->layout.bin_min;
        long m = lround(v[b]) % (24 * 60);
        snprintf(clock + 8 * b, 8, "%02ld:%02ld", m / 60, m % 60);
        texts[b] = clock + 8 * b;
    }
    hid_t d = v ? numbers(out, g, "bin", B, 0, v) : -1;
    d = as_scale(d, "bin", "min",
                 of_day ? "Start of the time bin (minutes after midnight)"
                        : "Start of the time bin (minutes after opening)",
                 of_day ? "time-series bin: its start, minutes after midnight (the time of day; bin_start as HH:MM)"
                        : "time-series bin: its start, minutes after opening (the points open at different times)");
    hid_t s = d >= 0 && of_day ? bs_output_strings(out, g, "bin_start", B, texts) : -1;
    herr_t st = d < 0 || (of_day && s < 0) ? -1 : 0;
    if (s >= 0) {
        if (H5DSattach_scale(s, d, 0) < 0 || bs_h5_attr_string(s, "long_name", "Start of the time bin (HH:MM)") < 0 ||
            bs_h5_attr_string(s, "description", "the bin's start as a time of day, HH:MM (24 h)") < 0)
            st = -1;
        H5Dclose(s);
        snprintf(coordinates + strlen(coordinates), cap - strlen(coordinates), "%sbin_start",
                 *coordinates ? " " : "");
    }
    free(v);
    if (st < 0 && d >= 0)
        H5Dclose(d);
    return st < 0 ? -1 : d;
}

/* 1 when every point has point 0's entities of breakdown b. */
int bs_output_entities_agree(const struct bs_run *run, size_t b)
{
    const struct bs_scenario *first = run->points[0];
    size_t n = bs_scenario_entities(first, b);
    for (size_t p = 1; p < run->n_points; p++) {
        if (bs_scenario_entities(run->points[p], b) != n)
            return 0;
        for (size_t e = 0; e < n; e++)
            if (strcmp(bs_scenario_entity_name(run->points[p], b, e), bs_scenario_entity_name(first, b, e)))
                return 0;
    }
    return 1;
}

#define LABEL_MAX 48

/* Breakdown b's entity names as the file gives them, in one allocation to
 * free: the model's where every point has the same entities, else by
 * position ("slot 0", ...), what each is at a point being then in the
 * breakdown's position dataset. NULL when out of memory. */
const char **bs_output_entity_labels(const struct bs_run *run, size_t b)
{
    const size_t E = run->layout.entities[b];
    const int agree = bs_output_entities_agree(run, b);
    const char **labels = malloc((E ? E : 1) * (sizeof *labels + (agree ? 0 : LABEL_MAX)));
    char *own = (char *)(labels + E);
    for (size_t e = 0; labels && e < E; e++) {
        if (agree) {
            labels[e] = bs_scenario_entity_name(run->points[0], b, e);
            continue;
        }
        snprintf(own + e * LABEL_MAX, LABEL_MAX, "%s %zu", run->layout.breakdowns[b].dim, e);
        labels[e] = own + e * LABEL_MAX;
    }
    return labels;
}

/* The long names of the entity dimensions, by breakdown dim. */
static const char *entity_long_name(const char *dim)
{
    static const char *const names[][2] = {{"segment", "Customer segment"},
                                           {"role", "Counter role"},
                                           {"slot", "Appointment slot (its start, HH:MM)"},
                                           {"standard", "Service standard"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(dim, names[i][0]) == 0)
            return names[i][1];
    return dim;
}

static hid_t entity_scale(const struct bs_output *out, const struct bs_run *run, hid_t g, size_t b)
{
    const char **labels = bs_output_entity_labels(run, b);
    const char *dim = run->layout.breakdowns[b].dim;
    hid_t d = labels ? bs_output_strings(out, g, dim, run->layout.entities[b], labels) : -1;
    free(labels);
    return as_scale(d, dim, NULL, entity_long_name(dim),
                    bs_output_entities_agree(run, b)
                        ? "entity of the breakdown, by name"
                        : "entity of the breakdown, by position (the points' entities differ)");
}

/* 1 when a swept key's name is also a variable's or coordinate's name in
 * some group: it then gets no auxiliary coordinate (/scenarios has it). */
static int key_clashes(const struct bs_run *run, const char *key)
{
    static const char *const coords[] = {"point", "replication", "stat", "pooled_stat", "bin", "bin_start"};
    const struct bs_layout *L = &run->layout;
    for (size_t i = 0; i < sizeof coords / sizeof coords[0]; i++)
        if (strcmp(key, coords[i]) == 0)
            return 1;
    const struct bs_metric_def *lists[] = {L->metrics, L->series, L->pooled};
    const size_t counts[] = {L->n_metrics, L->n_series, L->n_pooled};
    for (size_t l = 0; l < 3; l++)
        for (size_t m = 0; m < counts[l]; m++)
            if (strcmp(key, lists[l][m].name) == 0)
                return 1;
    for (size_t b = 0; b < L->n_breakdowns; b++) {
        const struct bs_breakdown_def *bd = &L->breakdowns[b];
        if (strcmp(key, bd->dim) == 0 || (bd->position && strcmp(key, bd->position->name) == 0))
            return 1;
        for (size_t m = 0; m < bd->n_metrics; m++)
            if (strcmp(key, bd->metrics[m].name) == 0)
                return 1;
    }
    return 0;
}

/* 2 when every value of key k is an integer (of 64 bits), 1 when every
 * one is a number, else 0 (text). */
static int key_kind(const struct bs_output_data *data, size_t k)
{
    int kind = 2;
    for (size_t p = 0; kind && p < data->run->n_points; p++) {
        const char *s = data->key_values[p * data->n_keys + k];
        char *end;
        errno = 0;
        (void)strtoll(s, &end, 10);
        if (end == s || *end || errno)
            kind = 1;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || *end || errno || !isfinite(v))
            kind = 0;
    }
    return kind;
}

/* Swept key k's values at every point, as their kind asks. */
static hid_t key_values(const struct bs_output *out, const struct bs_output_data *data, hid_t g, size_t k)
{
    const size_t P = data->run->n_points, K = data->n_keys;
    const int kind = key_kind(data, k);
    void *v = malloc(P * (kind ? 8 : sizeof(char *)) + 8);
    for (size_t p = 0; v && p < P; p++) {
        const char *s = data->key_values[p * K + k];
        if (kind == 2)
            ((int64_t *)v)[p] = strtoll(s, NULL, 10);
        else if (kind == 1)
            ((double *)v)[p] = strtod(s, NULL);
        else
            ((const char **)v)[p] = s;
    }
    hid_t d = !v ? -1 : kind ? numbers(out, g, data->keys[k], P, kind == 2, v)
                             : bs_output_strings(out, g, data->keys[k], P, (const char *const *)v);
    free(v);
    return d;
}

/* One auxiliary coordinate per swept key on c->point, named by the key. */
static herr_t key_coords(const struct bs_output *out, const struct bs_output_data *data, hid_t g,
                         struct bs_coords *c)
{
    char long_name[BS_COORDINATES_MAX];
    for (size_t k = 0; k < data->n_keys; k++) {
        const char *key = data->keys[k];
        size_t used = strlen(c->coordinates);
        if (key_clashes(data->run, key) || used + strlen(key) + 2 > sizeof c->coordinates)
            continue;
        hid_t d = key_values(out, data, g, k);
        snprintf(long_name, sizeof long_name, "Swept key %s", key);
        herr_t st = d >= 0 && H5DSattach_scale(d, c->point, 0) >= 0 ? 0 : -1;
        if (st >= 0)
            st = bs_h5_attr_string(d, "long_name", long_name);
        if (st >= 0)
            st = bs_h5_attr_string(d, "description", "the swept key's value at each point, as /scenarios gives it "
                                                      "(docs/scenario-keys.md gives its unit)");
        if (d >= 0)
            H5Dclose(d);
        if (st < 0)
            return -1;
        snprintf(c->coordinates + used, sizeof c->coordinates - used, "%s%s", used ? " " : "", key);
    }
    return 0;
}

static hid_t stat_scale(const struct bs_output *out, hid_t g, int pooled)
{
    if (pooled)
        return as_scale(bs_output_strings(out, g, "pooled_stat", BS_PSTAT_COUNT, bs_pooled_stat_names), "pooled_stat",
                        NULL, "Statistic over customers",
                        "statistic over every customer of every replication (n: customers)");
    return as_scale(bs_output_strings(out, g, "stat", BS_STAT_COUNT, bs_stat_names), "stat", NULL,
                    "Statistic over replications",
                    "statistic over replications: mean, sd, ci95_low, ci95_high (Student t), p05, p50, p95, min, "
                    "max, n");
}

void bs_coords_init(struct bs_coords *c)
{
    c->point = c->replication = c->stat = c->pooled_stat = c->bin = -1;
    for (size_t b = 0; b < BS_BREAKDOWNS_MAX; b++)
        c->entity[b] = -1;
    c->coordinates[0] = '\0';
}

herr_t bs_coords_make(const struct bs_output *out, const struct bs_output_data *data, hid_t group, unsigned which,
                      struct bs_coords *c)
{
    const struct bs_run *run = data->run;
    bs_coords_init(c);
    int bad = 0;
    if (which & BS_CO_POINT)
        bad |= (c->point = index_scale(out, group, "point", run->n_points, "Scenario point",
                                       "scenario point (sweep order); /scenarios holds its key values")) < 0;
    if (which & BS_CO_REPLICATION)
        bad |= (c->replication = index_scale(out, group, "replication", run->n_replications,
                                             "Replication (simulated day)",
                                             "replication (a simulated day); the same customers at every point")) < 0;
    if (which & BS_CO_STAT)
        bad |= (c->stat = stat_scale(out, group, 0)) < 0;
    if (which & BS_CO_POOLED_STAT)
        bad |= (c->pooled_stat = stat_scale(out, group, 1)) < 0;
    if (which & BS_CO_BIN)
        bad |= (c->bin = bin_scale(out, run, group, c->coordinates, sizeof c->coordinates)) < 0;
    for (size_t b = 0; b < run->layout.n_breakdowns; b++)
        if (which & (BS_CO_ENTITY0 << b))
            bad |= (c->entity[b] = entity_scale(out, run, group, b)) < 0;
    if (!bad && (which & BS_CO_KEYS) && c->point >= 0)
        bad = key_coords(out, data, group, c) < 0;
    return bad ? -1 : 0;
}

void bs_coords_close(struct bs_coords *c)
{
    hid_t ids[] = {c->point, c->replication, c->stat, c->pooled_stat, c->bin};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] >= 0)
            H5Dclose(ids[i]);
    for (size_t b = 0; b < BS_BREAKDOWNS_MAX; b++)
        if (c->entity[b] >= 0)
            H5Dclose(c->entity[b]);
    bs_coords_init(c);
}

herr_t bs_coords_attach(const struct bs_coords *c, hid_t d, hid_t s0, hid_t s1, hid_t s2)
{
    hid_t s[3] = {s0, s1, s2};
    for (unsigned i = 0; i < 3; i++)
        if (s[i] >= 0 && H5DSattach_scale(d, s[i], i) < 0)
            return -1;
    return c->coordinates[0] ? bs_h5_attr_string(d, "coordinates", c->coordinates) : 0;
}
