/* HDF5 attributes as the output layout uses them: UTF-8 variable-length
 * strings and scalar numbers. Every call is checked; failures return < 0
 * (or NULL) and leave the caller to report them. */
#include "h5attr.h"

#include <stdlib.h>
#include <string.h>

hid_t bs_h5_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

herr_t bs_h5_attr_strings(hid_t obj, const char *name, const char *const *values, hsize_t n, int scalar)
{
    hid_t t = bs_h5_string_type();
    hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = (t >= 0 && s >= 0) ? H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t st = a >= 0 ? H5Awrite(a, t, values) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return st;
}

herr_t bs_h5_attr_string(hid_t obj, const char *name, const char *value)
{
    return bs_h5_attr_strings(obj, name, &value, 1, 1);
}

herr_t bs_h5_attr_number(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = s >= 0 ? H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t st = a >= 0 ? H5Awrite(a, type, value) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    return st;
}

char *bs_h5_read_string_attr(hid_t obj, const char *name)
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

int bs_h5_read_uint_attr(hid_t obj, const char *name, unsigned long long *out)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    herr_t st = H5Aread(a, H5T_NATIVE_ULLONG, out);
    H5Aclose(a);
    return st < 0 ? -1 : 0;
}

