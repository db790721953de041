/* Text datasets of the result file (output.c): variable-length UTF-8
 * strings, the only kind netCDF-4 readers take. Parallel HDF5 (1.10) cannot
 * write variable-length data, so under MPI every rank creates the dataset
 * and rank 0 writes its text after the parallel file is closed. */
#ifndef BS_OUTPUT_TEXT_H
#define BS_OUTPUT_TEXT_H

#include <hdf5.h>

struct bs_output;

/* A 1-D dataset of n strings in parent, opened (close it), or -1. */
hid_t bs_output_strings(const struct bs_output *out, hid_t parent, const char *name, hsize_t n,
                        const char *const *texts);
/* Rank 0 writes a whole 1-D dataset of n numbers (a coordinate); the
 * other ranks take part in the (collective) write with nothing. */
herr_t bs_output_rank0_write(const struct bs_output *out, hid_t d, hid_t mem_type, hsize_t n, const void *data);
/* Under MPI, on rank 0, once every rank closed the file: writes the text
 * kept back. 0 or -1 (nothing to do elsewhere). */
herr_t bs_output_strings_finish(const struct bs_output *out);
/* Frees the text kept back (after finishing, or on abort). */
void bs_output_strings_free(struct bs_output *out);

#endif
