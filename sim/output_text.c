/* See output_text.h. */
#include "output_text.h"

#include "files.h"
#include "h5attr.h"
#include "output.h"

#include <stdlib.h>
#include <string.h>

/* Text kept back for rank 0 to write (MPI): the dataset's path and a
 * copy of its strings, in one allocation. */
struct bs_text_later {
    struct bs_text_later *next;
    char *path;
    hsize_t n;
    char **texts;
};

#ifdef BS_MPI
/* The dataset's path and a copy of its text, ahead of out's list. */
static herr_t keep_back(const struct bs_output *out, hid_t d, hsize_t n, const char *const *texts)
{
    if (out->cluster->rank != 0)
        return 0;
    ssize_t path_len = H5Iget_name(d, NULL, 0);
    size_t bytes = sizeof(struct bs_text_later) + n * sizeof(char *) + (size_t)(path_len > 0 ? path_len : 0) + 1;
    for (hsize_t i = 0; i < n; i++)
        bytes += strlen(texts[i]) + 1;
    struct bs_text_later *k = path_len > 0 ? malloc(bytes) : NULL;
    if (!k)
        return -1;
    k->texts = (char **)(k + 1);
    k->path = (char *)(k->texts + n);
    k->n = n;
    H5Iget_name(d, k->path, (size_t)path_len + 1);
    char *at = k->path + path_len + 1;
    for (hsize_t i = 0; i < n; i++) {
        k->texts[i] = at;
        at = stpcpy(at, texts[i]) + 1;
    }
    k->next = out->text_later->first;
    out->text_later->first = k;
    return 0;
}
#endif

hid_t bs_output_strings(const struct bs_output *out, hid_t parent, const char *name, hsize_t n,
                        const char *const *texts)
{
    hid_t t = bs_h5_string_type(), s = H5Screate_simple(1, &n, NULL), d = -1;
    if (t >= 0 && s >= 0)
        d = H5Dcreate2(parent, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
#ifdef BS_MPI
    herr_t st = d >= 0 ? keep_back(out, d, n, texts) : -1;
#else
    herr_t st = d >= 0 && n > 0 ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, out->transfer, texts) : 0;
#endif
    if (d >= 0 && st < 0) {
        H5Dclose(d);
        d = -1;
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return d;
}

herr_t bs_output_rank0_write(const struct bs_output *out, hid_t d, hid_t mem_type, hsize_t n, const void *data)
{
    if (n == 0) /* parallel HDF5 fails the write of an empty dataspace */
        return 0;
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &n, NULL);
    herr_t st = fs >= 0 && ms >= 0 ? 0 : -1;
    if (st >= 0 && out->cluster->rank != 0 && (H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0))
        st = -1;
    if (st >= 0)
        st = H5Dwrite(d, mem_type, ms, fs, out->transfer, data);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

herr_t bs_output_strings_finish(const struct bs_output *out)
{
    if (out->cluster->rank != 0 || !out->text_later->first)
        return 0;
    char name[sizeof out->partial_path + 32];
    bs_files_h5_name(out->fd, out->partial_path, name, sizeof name);
    hid_t f = H5Fopen(name, H5F_ACC_RDWR, H5P_DEFAULT), t = bs_h5_string_type();
    herr_t st = f >= 0 && t >= 0 ? 0 : -1;
    for (const struct bs_text_later *k = out->text_later->first; st >= 0 && k; k = k->next) {
        hid_t d = H5Dopen2(f, k->path, H5P_DEFAULT);
        st = d >= 0 && (k->n == 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, k->texts) >= 0) ? 0 : -1;
        if (d >= 0)
            H5Dclose(d);
    }
    if (t >= 0)
        H5Tclose(t);
    if (f >= 0 && H5Fclose(f) < 0)
        st = -1;
    return st;
}

void bs_output_strings_free(struct bs_output *out)
{
    while (out->text_later->first) {
        struct bs_text_later *k = out->text_later->first;
        out->text_later->first = k->next;
        free(k);
    }
}
