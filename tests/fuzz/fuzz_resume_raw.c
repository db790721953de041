/* libFuzzer target: `run --resume`'s reader on the input's bytes as the
 * checkpoint, byte-flipped HDF5 included (fuzz_resume.c, reading raw
 * bytes). Like describe_raw it tests libhdf5's parser as much as ours and
 * runs on demand only (make fuzz): see docs/development.md, "Fuzzing". */
#define BSFUZZ_RAW
#include "fuzz_resume.c"
