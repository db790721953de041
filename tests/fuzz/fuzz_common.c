/* See fuzz_common.h. */
#include "fuzz_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static char path[512];

/* Only the names the targets use: nothing else is ever in such a directory. */
static void remove_dir_at(const char *d)
{
    static const char *const names[] = {"scenario.yaml", "result.h5", "out.h5.partial", "out.h5", "checkpoint.h5", "fifo"};
    char p[600];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
}

static void remove_dir(void)
{
    remove_dir_at(dir);
}

/* A target that crashes exits without atexit: the directories of dead
 * targets ("bsfuzz-PID-*", ours) are removed when the next one starts. */
static void remove_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        long pid;
        char stale[512];
        struct stat sb;
        if (sscanf(e->d_name, "bsfuzz-%ld-", &pid) != 1 || pid <= 0)
            continue;
        int dead = kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        if (!dead)
            continue;
        snprintf(stale, sizeof stale, "%s/%s", tmp, e->d_name);
        if (lstat(stale, &sb) == 0 && S_ISDIR(sb.st_mode) && sb.st_uid == getuid())
            remove_dir_at(stale);
    }
    if (d)
        closedir(d);
}

const char *bsfuzz_path(const char *name)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        tmp = tmp && *tmp ? tmp : "/tmp";
        remove_stale(tmp);
        snprintf(dir, sizeof dir, "%s/bsfuzz-%ld-XXXXXX", tmp, (long)getpid());
        if (!mkdtemp(dir)) {
            perror("bsfuzz: mkdtemp");
            abort();
        }
        atexit(remove_dir);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

const char *bsfuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *p = bsfuzz_path(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(p);
        abort();
    }
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            perror(p);
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
    return p;
}

void bsfuzz_check_error(int status, const struct bs_error *err)
{
    if (status < 0 || status > 2 || (status && !err->msg[0])) {
        fprintf(stderr, "bsfuzz: status %d with message '%s'\n", status, err->msg);
        abort();
    }
    for (const char *c = err->msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            fprintf(stderr, "bsfuzz: raw control character 0x%02x in: %s\n", (unsigned char)*c, err->msg);
            abort();
        }
}

void bsfuzz_hdf5_start(void)
{
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
}

/* The kinds of identifier a reader opens; the library holds some of each
 * itself (predefined types, default property lists), counted once. */
static const H5I_type_t kinds[] = {H5I_FILE, H5I_GROUP, H5I_DATATYPE, H5I_DATASPACE, H5I_DATASET, H5I_ATTR,
                                   H5I_GENPROP_LST};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static void count_ids(hsize_t counts[N_KINDS])
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (H5Inmembers(kinds[i], &counts[i]) < 0)
            counts[i] = 0;
}

void bsfuzz_check_hdf5_closed(const char *what)
{
    static hsize_t baseline[N_KINDS];
    static int have_baseline;
    hsize_t now[N_KINDS];
    count_ids(now);
    if (!have_baseline) {
        memcpy(baseline, now, sizeof now);
        have_baseline = 1;
        return;
    }
    for (size_t i = 0; i < N_KINDS; i++)
        if (now[i] > baseline[i]) {
            fprintf(stderr, "bsfuzz: %s left %llu HDF5 identifiers of kind %d open\n", what,
                    (unsigned long long)(now[i] - baseline[i]), (int)kinds[i]);
            abort();
        }
}
