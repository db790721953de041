/* The files a run creates, replaces and removes (OUT.h5, its temporary
 * OUT.h5.partial-PID and the checkpoint OUT.h5.partial), made safe against
 * planted symbolic links, special files, concurrent runs and crashes:
 * files are created anew (never through a link, never over anything),
 * handed to HDF5 by descriptor where the system allows, locked while a run
 * uses them, synced before they are renamed, and removed only while they
 * are still the file this process made. POSIX calls only, no HDF5. */
#ifndef BS_FILES_H
#define BS_FILES_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"

/* Checks -o before anything runs: not empty, short enough for its
 * temporary names, not a reserved name (*.partial, *.partial-DIGITS), not
 * the scenario file itself, and, if it exists, a regular file (not a
 * directory, device, FIFO, socket or symbolic link). 0, or BS_ERR_INPUT with a message naming out_path. */
int bs_files_check_output(const char *out_path, const char *scenario_file, struct bs_error *err);

#endif
