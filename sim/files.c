/* See files.h. POSIX file calls. */
#include "files.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The longest -o (the bs_output and checkpoint name buffers), and the
 * room its temporary names need: ".partial-" and a PID (at most 10 digits). */
#define OUT_PATH_MAX 1023
#define TEMP_SUFFIX_MAX (sizeof ".partial-" - 1 + 10)

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
    return 0;
}

