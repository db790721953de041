/* The files a run creates, replaces and removes (OUT.h5, its temporary
 * OUT.h5.partial-PID and the checkpoint OUT.h5.partial), made safe against
 * planted symbolic links, special files, concurrent runs and crashes:
 * files are created anew (never through a link, never over anything),
 * handed to HDF5 by descriptor where the system allows, locked while a run
 * uses them, synced before they are renamed, and removed only while they
 * are still the file this process made. POSIX calls only, no HDF5 but
 * bs_h5_is_result (whose libhdf5 runs in a child process). */
#ifndef BS_FILES_H
#define BS_FILES_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"

/* Checks -o before anything runs: not empty, short enough for its
 * temporary names, not a reserved name (*.partial, *.partial-DIGITS), not
 * the scenario file itself, and, if it exists, a regular file (not a
 * directory, device, FIFO, socket or symbolic link) that no live run
 * holds and that is empty or a branchsim result file (bs_h5_is_result).
 * 0, or BS_ERR_INPUT with a message naming out_path. */
int bs_files_check_output(const char *out_path, const char *scenario_file, struct bs_error *err);

/* Creates path as a new file (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0666
 * less the umask): a descriptor, or -errno (EEXIST for anything there,
 * a dangling symbolic link included). */
int bs_files_create(const char *path);
/* Opens an existing file read-write without following a symbolic link:
 * a descriptor, or -errno (ELOOP for a symbolic link, EINVAL for anything
 * but a regular file, EMLINK for a file with other hard links). st gets
 * its status. */
int bs_files_open_existing(const char *path, struct stat *st);
/* A write lock (on one byte far past the data) tied to fd (an open file description
 * lock where the system has them: closing another descriptor of the file,
 * as HDF5 does, keeps it). 0, EAGAIN when another process holds a lock,
 * or another errno. Released when fd is closed. */
int bs_files_lock(int fd);
/* Whether another process holds a lock on path (0 when none or unknown). */
int bs_files_locked_elsewhere(const char *path);
/* The name under which HDF5 opens fd's own file (/proc/self/fd/N: no
 * path lookup, so nothing swapped in at path is opened), else path. */
void bs_files_h5_name(int fd, const char *path, char *buf, size_t cap);
/* 1 when path still names fd's file (a regular file, not a link to it). */
int bs_files_is(int fd, const char *path);
/* Removes path only while it is still fd's file. 0, or -1. */
int bs_files_unlink_ours(int fd, const char *path);
/* Makes a rename or removal in path's directory durable. 0, or -1. */
int bs_files_sync_dir(const char *path);
/* Removes OUT.h5.partial-PID files (regular files with exactly that name
 * pattern) left by runs killed while writing, whose PID is not alive here;
 * says so on log unless log is NULL. The caller holds the checkpoint's
 * lock, which every live run writing OUT.h5 holds too. */
void bs_files_remove_stale(const char *out_path, FILE *log);

#endif
