/* HDF5 attribute helpers shared by the output writer, describe and checkpoints. */
#ifndef BS_H5ATTR_H
#define BS_H5ATTR_H

#include <hdf5.h>

/* A UTF-8 variable-length string type; close with H5Tclose. < 0 on failure. */
hid_t bs_h5_string_type(void);
/* A string attribute (scalar), or an array of n strings. */
herr_t bs_h5_attr_strings(hid_t obj, const char *name, const char *const *values, hsize_t n, int scalar);
herr_t bs_h5_attr_string(hid_t obj, const char *name, const char *value);
/* A scalar number attribute of the given (native) type. */
herr_t bs_h5_attr_number(hid_t obj, const char *name, hid_t type, const void *value);
/* A string attribute read back; free() the result. NULL when absent or unreadable. */
char *bs_h5_read_string_attr(hid_t obj, const char *name);
/* An unsigned integer attribute read back: 0, or -1. */
int bs_h5_read_uint_attr(hid_t obj, const char *name, unsigned long long *out);

#endif
