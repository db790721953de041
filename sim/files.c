/* See files.h. Linux and POSIX file calls; open file description locks
 * (F_OFD_SETLK) need _GNU_SOURCE. */
#define _GNU_SOURCE
#include "files.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5attr.h"
#include "text.h"

#ifdef F_OFD_SETLK
#define LOCK_SET F_OFD_SETLK
#define LOCK_GET F_OFD_GETLK
#else
#define LOCK_SET F_SETLK
#define LOCK_GET F_GETLK
#endif

/* The one byte locked: far past any data, so that the byte-range locks
 * MPI-IO takes while writing (same process, traditional locks, which
 * conflict with ours) never meet it. */
#define LOCK_AT ((off_t)1 << (sizeof(off_t) * 8 - 2))

/* The longest -o (the bs_output and checkpoint name buffers), and the
 * room its temporary names need: ".partial-" and a PID (at most 10 digits). */
#define OUT_PATH_MAX 1023
#define TEMP_SUFFIX_MAX (sizeof ".partial-" - 1 + 10)

/* path's directory (".", "/" or the part before the last '/') into buf. */
static void dir_of(const char *path, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, cap, ".");
    else if (slash == path)
        snprintf(buf, cap, "/");
    else
        snprintf(buf, cap, "%.*s", (int)(slash - path), path);
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The PID in name when it is exactly prefix ".partial-" DIGITS (1 to 10),
 * else -1. */
static long partial_pid(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || strncmp(name + n, ".partial-", 9) != 0)
        return -1;
    const char *d = name + n + 9;
    size_t len = strlen(d);
    if (len == 0 || len > 10)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)d[i]))
            return -1;
    long pid = strtol(d, NULL, 10);
    return pid > 0 && pid <= INT_MAX ? pid : -1;
}

/* Names a run keeps for itself: a checkpoint or a temporary file. */
static int reserved_name(const char *base)
{
    size_t len = strlen(base);
    if (len >= 8 && strcmp(base + len - 8, ".partial") == 0)
        return 1;
    const char *dash = strrchr(base, '-');
    if (!dash)
        return 0;
    char prefix[NAME_MAX + 1];
    if ((size_t)(dash - base) < 8 || (size_t)(dash - base) - 8 > NAME_MAX)
        return 0;
    snprintf(prefix, sizeof prefix, "%.*s", (int)(dash - base) - 8, base);
    return partial_pid(base, prefix) > 0;
}

static int check_existing(const char *out_path, const char *scenario_file, const struct stat *sb,
                          struct bs_error *err)
{
    if (S_ISLNK(sb->st_mode))
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: is a symbolic link; -o takes the path of a regular file (the result would "
                            "replace the link, not its target): give the target's path, or remove the link",
                            out_path);
    if (S_ISDIR(sb->st_mode))
        return bs_error_set(err, BS_ERR_INPUT, "%s: is a directory; -o takes a file name", out_path);
    if (!S_ISREG(sb->st_mode))
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: exists and is not a regular file (a device, FIFO or socket): not replacing it; "
                            "choose another -o",
                            out_path);
    struct stat scen;
    if (stat(scenario_file, &scen) == 0 && scen.st_dev == sb->st_dev && scen.st_ino == sb->st_ino)
        return bs_error_set(err, BS_ERR_INPUT, "%s: is the scenario file itself; choose another -o", out_path);
    if (bs_files_locked_elsewhere(out_path))
        return bs_error_set(err, BS_ERR_INPUT, "%s: another run is using this file (it holds its lock); choose another -o",
                            out_path);
    /* Only our own output is replaced; an empty file (touch, mktemp) holds
     * nothing to lose. */
    if (sb->st_size > 0 && !bs_h5_is_result(out_path))
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: exists and is not a branchsim result file: not replacing it; remove it or choose "
                            "another -o",
                            out_path);
    return 0;
}

int bs_files_check_output(const char *out_path, const char *scenario_file, struct bs_error *err)
{
    if (!*out_path)
        return bs_error_set(err, BS_ERR_INPUT, "-o: empty file name");
    const char *base = base_of(out_path);
    if (strlen(out_path) > OUT_PATH_MAX || strlen(base) + TEMP_SUFFIX_MAX > NAME_MAX)
        return bs_error_set(err, BS_ERR_INPUT,
                            "%.80s...: output path too long (at most %d bytes, and %zu for the file's own name, "
                            "to leave room for its temporary names)",
                            out_path, OUT_PATH_MAX, (size_t)NAME_MAX - TEMP_SUFFIX_MAX);
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: is a directory; -o takes a file name", out_path);
    if (reserved_name(base))
        return bs_error_set(err, BS_ERR_INPUT,
                            "%s: names ending in .partial or .partial-DIGITS are a run's checkpoint and temporary "
                            "files; choose another -o",
                            out_path);
    struct stat sb;
    if (lstat(out_path, &sb) == 0) {
        if (check_existing(out_path, scenario_file, &sb, err))
            return err->status;
    } else if (errno != ENOENT) {
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot write output: %s", out_path, strerror(errno));
    }
    /* This run's temporary name: a regular file there is a killed run's
     * (removed as stale), anything else was planted. */
    char temp[OUT_PATH_MAX + TEMP_SUFFIX_MAX + 2];
    snprintf(temp, sizeof temp, "%s.partial-%ld", out_path, (long)getpid());
    if (lstat(temp, &sb) == 0 && !S_ISREG(sb.st_mode))
        return bs_error_set(err, BS_ERR_INPUT, "%s: is not a regular file but has this run's temporary name: "
                            "remove it", temp);
    return 0;
}

int bs_files_create(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    return fd >= 0 ? fd : -errno;
}

int bs_files_open_existing(const char *path, struct stat *st)
{
    /* Looked at before it is opened: opening a device or a FIFO can act. */
    if (lstat(path, st) != 0)
        return -errno;
    if (S_ISLNK(st->st_mode))
        return -ELOOP;
    if (!S_ISREG(st->st_mode))
        return -EINVAL;
    if (st->st_nlink > 1)
        return -EMLINK;
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat now;
    int same = fstat(fd, &now) == 0 && S_ISREG(now.st_mode) && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
    if (!same || fcntl(fd, F_SETFL, 0) != 0) {
        close(fd);
        return same ? -EIO : -ESTALE; /* swapped between the look and the open */
    }
    *st = now;
    return fd;
}

/* The run's lock: one byte at LOCK_AT, written. */
static struct flock run_lock(void)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = LOCK_AT;
    fl.l_len = 1;
    return fl;
}

int bs_files_lock(int fd)
{
    struct flock fl = run_lock();
    if (fcntl(fd, LOCK_SET, &fl) == 0)
        return 0;
    return errno == EACCES || errno == EAGAIN ? EAGAIN : errno;
}

int bs_files_locked_elsewhere(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = run_lock();
    struct stat sb;
    int held = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && fcntl(fd, LOCK_GET, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return held;
}

void bs_files_h5_name(int fd, const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "/proc/self/fd/%d", fd);
    if (!bs_files_is(fd, buf)) /* no /proc: the path, checked again after HDF5 opened it */
        snprintf(buf, cap, "%s", path);
}

int bs_files_is(int fd, const char *path)
{
    struct stat a, b;
    if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || !S_ISREG(b.st_mode))
        return 0;
    if (strncmp(path, "/proc/self/fd/", 14) != 0) { /* the real path: not a link to the file */
        struct stat l;
        if (lstat(path, &l) != 0 || S_ISLNK(l.st_mode))
            return 0;
    }
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int bs_files_unlink_ours(int fd, const char *path)
{
    return fd >= 0 && bs_files_is(fd, path) ? unlink(path) : -1;
}

int bs_files_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int st = fsync(fd);
    close(fd);
    return st;
}

static int pid_alive(long pid)
{
    if (pid == (long)getpid())
        return 0; /* ours is made after this cleanup: that name is an earlier run's */
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

void bs_files_remove_stale(const char *out_path, FILE *log)
{
    char dir[PATH_MAX];
    dir_of(out_path, dir, sizeof dir);
    const char *base = base_of(out_path);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = partial_pid(e->d_name, base);
        struct stat sb;
        if (pid <= 0 || fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode) ||
            pid_alive(pid))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0 && log) {
            char shown[2 * PATH_MAX];
            char full[PATH_MAX + NAME_MAX + 2];
            snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
            fprintf(log, "branchsim: removed %s, the unfinished result file of a run (PID %ld) that was killed\n",
                    bs_text_escape(shown, sizeof shown, full), pid);
        }
    }
    closedir(d);
}
