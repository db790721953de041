/* branchsim rerun OUT.h5 [-j N] [--keep NEW.h5]: runs again the command
 * that made a result file (its root attribute command_argv, parsed again
 * by branchsim's own option parser in a child branchsim), on a copy of the
 * scenario text the file holds, into a temporary file, and checks that
 * every dataset of the new file is bitwise the old one's.
 *
 * Everything temporary lives in one private directory (mkdtemp under
 * $TMPDIR), removed on every path, an interruption included. OUT.h5 may be
 * anyone's file: it is read in child processes with a time limit, as
 * describe reads one, so a file that crashes libhdf5 is refused as damaged
 * (exit 2). The run itself is a child branchsim: the stored argv goes
 * through the real getopt tables of run and plan, and the environment
 * (provenance.h) tells that child where the scenario copy is, where to
 * write, and rerun's -j. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "files.h"
#include "h5attr.h"
#include "provenance.h"
#include "text.h"
#include "version.h"

#define ARGV_MAX 4096               /* arguments of a stored command */
#define ARG_MAX_LEN 65536           /* bytes of one */
#define SCENARIO_MAX (16u << 20)    /* the loader's limit on a scenario file */
#ifdef BS_MPI
#define BS_MPI_BUILD 1
#else
#define BS_MPI_BUILD 0
#endif
#define DIR_MAX 900                 /* the temporary directory's path, leaving room for names */

/* What a child that reads OUT.h5 reports up its pipe. */
struct report {
    struct bs_error err;
    int differs;          /* compare: 1 when a dataset differs */
    size_t n_datasets;    /* compare: how many were compared */
    char version[64];     /* read: the file's branchsim_version */
    char revision[128];   /* read: the revision in its build, "" if none */
    char differences[700]; /* compare: the first datasets that differ, and how */
};

struct rerun {
    const char *path; /* OUT.h5 */
    const char *keep; /* --keep NEW.h5, or NULL */
    long threads;     /* -j, 0: the stored command's */
    const char *self; /* rerun's argv[0], should /proc/self/exe be missing */
    char dir[DIR_MAX + 1], scenario[DIR_MAX + 32], result[DIR_MAX + 32], argv_file[DIR_MAX + 32];
    char *argv_text;  /* the stored argv, NUL-separated */
    char **argv;      /* into argv_text, NULL-terminated */
    pid_t child;      /* the running branchsim, 0 when none */
};

/* The one piece of file-scope state: a signal handler reaches nothing else. */
static volatile sig_atomic_t stopped_by;

static void on_signal(int sig)
{
    stopped_by = sig;
}

/* SIGINT, SIGTERM and SIGHUP are noted, and handled once the child ends:
 * the temporary directory is removed first. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* In a child: the signals as they were before rerun took them. */
static void default_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
}

/* Blocks (SIG_BLOCK) or unblocks those three: around fork, so that a
 * signal coming before the run has its own handlers is not lost. */
static void hold_signals(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(how, &set, NULL);
}

/* ---- the temporary directory ---- */

static int make_dir(struct rerun *r, struct bs_error *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (strlen(tmp) + sizeof "/branchsim-rerun-XXXXXX" > sizeof r->dir)
        return bs_error_set(err, BS_ERR_INPUT, "TMPDIR: path too long (%s)", tmp);
    snprintf(r->dir, sizeof r->dir, "%s/branchsim-rerun-XXXXXX", tmp);
    if (!mkdtemp(r->dir)) {
        int why = errno;
        char shown[sizeof r->dir];
        snprintf(shown, sizeof shown, "%s", r->dir);
        r->dir[0] = '\0';
        return bs_error_set(err, BS_ERR_RUN, "cannot make a temporary directory %s: %s (set TMPDIR?)", shown,
                            strerror(why));
    }
    snprintf(r->scenario, sizeof r->scenario, "%s/scenario.yaml", r->dir);
    snprintf(r->result, sizeof r->result, "%s/result.h5", r->dir);
    snprintf(r->argv_file, sizeof r->argv_file, "%s/argv", r->dir);
    return 0;
}

/* Removes the directory and all in it: rerun's own (mode 0700), holding
 * only what rerun and its run wrote. */
static void remove_dir(struct rerun *r)
{
    if (!r->dir[0])
        return;
    DIR *d = opendir(r->dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    rmdir(r->dir);
    r->dir[0] = '\0';
}

/* --keep: the checkpoint and temporary file the run left beside NEW.h5
 * after a failure (rerun refused to start where the checkpoint existed). */
static void remove_keep_leftovers(const struct rerun *r, pid_t pid)
{
    char name[2200];
    if (!r->keep)
        return;
    snprintf(name, sizeof name, "%s.partial", r->keep);
    unlink(name);
    snprintf(name, sizeof name, "%s.partial-%ld", r->keep, (long)pid);
    unlink(name);
}

/* ---- reading OUT.h5 in a child process ---- */

/* The crash signals of a library reading a damaged file. */
static int crash_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP;
}

/* The parent's view of a reading child: its report, or what its end says. */
static int child_report(const struct rerun *r, pid_t pid, int fd, struct report *rep, struct bs_error *err)
{
    ssize_t got = 0, n;
    while ((size_t)got < sizeof *rep && ((n = read(fd, (char *)rep + got, sizeof *rep - (size_t)got)) > 0 ||
                                         (n < 0 && errno == EINTR)))
        got += n > 0 ? n : 0;
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if ((size_t)got == sizeof *rep && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (rep->err.status)
            *err = rep->err; /* escaped already */
        return rep->err.status;
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (stopped_by || sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
        return bs_error_set(err, BS_ERR_RUN, "interrupted");
    if (sig == SIGALRM)
        return bs_error_set(err, BS_ERR_INPUT, "%s: a damaged file: reading it did not end in %u s", r->path,
                            bs_h5_read_limit_s(r->path, 10e6));
    if (sig && crash_signal(sig))
        return bs_error_set(err, BS_ERR_INPUT, "%s: a damaged file: libhdf5 crashed reading it (signal %d)", r->path,
                            sig);
    return bs_error_set(err, BS_ERR_RUN, "%s: reading it failed (%s %d)", r->path, sig ? "signal" : "status",
                        sig ? sig : WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Runs fn in a child process with the read time limit; its report comes
 * back in rep. 0, or the error status (err says why). */
static int isolated(struct rerun *r, void (*fn)(struct rerun *, struct report *), struct report *rep,
                    struct bs_error *err)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    memset(rep, 0, sizeof *rep);
    if (pipe(fds) != 0)
        return bs_error_set(err, BS_ERR_RUN, "cannot make a pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return bs_error_set(err, BS_ERR_RUN, "cannot start a process: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        default_signals();
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDERR_FILENO); /* what the C library says as libhdf5 dies is noise next to ours */
        alarm(bs_h5_read_limit_s(r->path, 10e6));
        fn(r, rep);
        ssize_t n = write(fds[1], rep, sizeof *rep);
        _exit(n == (ssize_t)sizeof *rep ? 0 : 3);
    }
    close(fds[1]);
    return child_report(r, pid, fds[0], rep, err);
}

/* What OUT.h5's first bytes are: 1 the HDF5 signature (at 0, where
 * branchsim writes it), 0 anything else, -1 unreadable (errno). */
static int hdf5_signature(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n == (ssize_t)sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

/* Opens a result file read-only, or says why it is none. */
static hid_t open_result(const char *path, struct bs_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return bs_error_set(err, BS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno)), -1;
    if (!S_ISREG(st.st_mode))
        return bs_error_set(err, BS_ERR_INPUT, "%s: not a regular file (a result file is one)", path), -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int signed_hdf5 = hdf5_signature(path);
    hid_t f = signed_hdf5 == 1 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (f >= 0)
        return f;
    if (signed_hdf5 < 0)
        bs_error_set(err, BS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    else if (signed_hdf5 == 0)
        bs_error_set(err, BS_ERR_INPUT, "%s: not an HDF5 file, so not a branchsim result file", path);
    else
        bs_error_set(err, BS_ERR_INPUT, "%s: a damaged HDF5 file (cut short?): libhdf5 cannot open it", path);
    return -1;
}

/* The number of values of a 1-D attribute (0 when it is not one). */
static size_t list_length(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    hsize_t n = 0;
    if (s < 0 || H5Sget_simple_extent_type(s) != H5S_SIMPLE || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Sget_simple_extent_dims(s, &n, NULL) != 1)
        n = 0;
    if (s >= 0)
        H5Sclose(s);
    if (a >= 0)
        H5Aclose(a);
    return n <= ARGV_MAX ? (size_t)n : 0;
}

/* Writes len bytes of text to a new file in the private directory. 0 or -1. */
static int write_new(const char *path, const char *text, size_t len)
{
    int fd = bs_files_create(path);
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    int st = fd >= 0 && done == len && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0 && close(fd) != 0)
        st = -1;
    return st;
}

/* The stored command into the argv file (NUL after each argument). */
static int save_argv(struct rerun *r, hid_t f, struct report *rep)
{
    char why[BS_H5_WHY_MAX], *words[ARGV_MAX];
    size_t n = list_length(f, "command_argv");
    int got = n ? bs_h5_get_strings(f, "command_argv", n, ARG_MAX_LEN, words, why, sizeof why) : BS_H5_BAD;
    if (got != BS_H5_READ)
        return bs_error_set(&rep->err, BS_ERR_INPUT, "%s: attribute command_argv is not a list of 1 to %d texts",
                            r->path, ARGV_MAX);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(words[i]) + 1;
    char *all = malloc(total + 1), *at = all;
    for (size_t i = 0; all && i < n; i++)
        at += strlen(strcpy(at, words[i])) + 1;
    int ok = n >= 3 && (strcmp(words[1], "run") == 0 || strcmp(words[1], "plan") == 0);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s", n >= 2 ? words[1] : "");
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    if (!ok) {
        free(all);
        return bs_error_set(&rep->err, BS_ERR_INPUT, "%s: attribute command_argv is not a run or a plan (command '%s')",
                            r->path, cmd);
    }
    int st = all ? write_new(r->argv_file, all, total) : -1;
    free(all);
    return st ? bs_error_set(&rep->err, BS_ERR_RUN, "%s: cannot write: %s", r->argv_file, strerror(errno)) : 0;
}

/* The version, and the revision at the end of the build attribute. */
static void save_build(hid_t f, struct report *rep)
{
    char *version = NULL, *build = NULL, why[BS_H5_WHY_MAX];
    if (bs_h5_get_string(f, "branchsim_version", sizeof rep->version - 1, &version, why, sizeof why) == BS_H5_READ)
        snprintf(rep->version, sizeof rep->version, "%s", version);
    if (bs_h5_get_string(f, "build", 4096, &build, why, sizeof why) == BS_H5_READ) {
        const char *at = strstr(build, "revision ");
        snprintf(rep->revision, sizeof rep->revision, "%s", at ? at + 9 : "");
    }
    free(version);
    free(build);
}

/* The reading child: the file's version, its command into the argv file
 * and its scenario text into scenario.yaml, or why it has none. */
static void read_stored(struct rerun *r, struct report *rep)
{
    hid_t f = open_result(r->path, &rep->err);
    if (f < 0)
        return;
    char *yaml = NULL, why[BS_H5_WHY_MAX];
    save_build(f, rep);
    int got = bs_h5_get_string(f, "scenario_yaml", SCENARIO_MAX, &yaml, why, sizeof why);
    if (!rep->version[0] || got == BS_H5_ABSENT)
        bs_error_set(&rep->err, BS_ERR_INPUT, "%s: not a branchsim result file (no attribute %s)", r->path,
                     rep->version[0] ? "scenario_yaml" : "branchsim_version");
    else if (got != BS_H5_READ)
        bs_error_set(&rep->err, BS_ERR_INPUT, "%s: attribute scenario_yaml %s", r->path, why);
    else if (H5Aexists(f, "command_argv") <= 0)
        bs_error_set(&rep->err, BS_ERR_INPUT,
                     "%s: made by branchsim %s before result files recorded their command line (no "
                     "attribute command_argv): rerun cannot know the command; run it again by hand from the "
                     "attributes scenario_yaml, seed, replications and set",
                     r->path, rep->version);
    else if (!save_argv(r, f, rep) && write_new(r->scenario, yaml, strlen(yaml)) != 0)
        bs_error_set(&rep->err, BS_ERR_RUN, "%s: cannot write: %s", r->scenario, strerror(errno));
    free(yaml);
    H5Fclose(f);
}

/* The argv file into r->argv (NULL-terminated). 0 or the error status. */
static int load_argv(struct rerun *r, struct bs_error *err)
{
    size_t len = 0, n = 0;
    struct stat st;
    FILE *in = fopen(r->argv_file, "rb");
    if (in && fstat(fileno(in), &st) == 0 && st.st_size > 0 && st.st_size <= (off_t)ARGV_MAX * (ARG_MAX_LEN + 1))
        r->argv_text = malloc((size_t)st.st_size + 1);
    if (r->argv_text)
        len = fread(r->argv_text, 1, (size_t)st.st_size, in);
    if (in)
        fclose(in);
    if (!r->argv_text || len == 0)
        return bs_error_set(err, BS_ERR_RUN, "%s: cannot read it back", r->argv_file);
    r->argv_text[len] = '\0';
    for (size_t i = 0; i < len; i++)
        n += r->argv_text[i] == '\0';
    r->argv = calloc(n + 1, sizeof *r->argv);
    if (!r->argv)
        return bs_error_set(err, BS_ERR_RUN, "out of memory");
    for (size_t i = 0, k = 0; k < n; i += strlen(r->argv_text + i) + 1)
        r->argv[k++] = r->argv_text + i;
    return 0;
}

/* ---- comparing the two files, dataset by dataset ---- */

#define DATASETS_MAX 100000     /* far more than any run writes */
#define SET_NAME_MAX 1024       /* a dataset's path, with its NUL */
#define SLAB_BYTES (16u << 20)  /* read at a time from each file */

struct names {
    char (*v)[SET_NAME_MAX];
    size_t n, cap;
    int too_many;
};

/* H5Lvisit's visitor: the path of every dataset reached by a hard link
 * (a soft or external link is not followed: it could name another file). */
static herr_t collect(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    struct names *ns = data;
    if (info->type != H5L_TYPE_HARD)
        return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    int dataset = o >= 0 && H5Iget_type(o) == H5I_DATASET;
    if (o >= 0)
        H5Oclose(o);
    if (!dataset)
        return 0;
    if (strlen(name) >= SET_NAME_MAX || ns->n == DATASETS_MAX) {
        ns->too_many = 1;
        return 1; /* stops the visit */
    }
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 64;
        void *v = realloc(ns->v, cap * sizeof *ns->v);
        if (!v) {
            ns->too_many = 1;
            return 1;
        }
        ns->v = v;
        ns->cap = cap;
    }
    snprintf(ns->v[ns->n++], SET_NAME_MAX, "%s", name);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Every dataset's path in f, sorted. 0, or -1 (the file is not one we can compare). */
static int dataset_names(hid_t f, struct names *ns)
{
    memset(ns, 0, sizeof *ns);
    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, collect, ns) < 0 || ns->too_many)
        return -1;
    if (ns->n)
        qsort(ns->v, ns->n, sizeof *ns->v, by_name);
    return 0;
}

/* Reads rows [first, first + count) of dataset d (all of a scalar) into buf. */
static herr_t read_rows(hid_t d, hid_t mem_type, int rank, const hsize_t *dims, hsize_t first, hsize_t count,
                        void *buf, hid_t *mem_space)
{
    hsize_t start[H5S_MAX_RANK] = {0}, size[H5S_MAX_RANK];
    for (int i = 0; i < rank; i++)
        size[i] = dims[i];
    start[0] = first;
    size[0] = count;
    hid_t fs = H5Dget_space(d);
    *mem_space = rank ? H5Screate_simple(rank, size, NULL) : H5Screate(H5S_SCALAR);
    herr_t st = fs >= 0 && *mem_space >= 0 ? 0 : -1;
    if (st >= 0 && rank)
        st = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, size, NULL);
    if (st >= 0)
        st = H5Dread(d, mem_type, *mem_space, fs, H5P_DEFAULT, buf);
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

/* Whether n values read as mem_type are the same: variable-length strings
 * by their text, anything else by its bytes. */
static int same_slab(const void *a, const void *b, size_t n, size_t size, int texts)
{
    if (!texts)
        return memcmp(a, b, n * size) == 0;
    const char *const *ta = a, *const *tb = b;
    for (size_t i = 0; i < n; i++)
        if ((ta[i] == NULL) != (tb[i] == NULL) || (ta[i] && strcmp(ta[i], tb[i]) != 0))
            return 0;
    return 1;
}

/* The memory type values of file type t are read as (its own, so the bytes
 * are the file's; a char * per variable-length string), or -1 for data
 * rerun cannot compare (other variable-length data). */
static hid_t memory_type(hid_t t, int *texts)
{
    *texts = H5Tis_variable_str(t) > 0;
    if (!*texts)
        return H5Tdetect_class(t, H5T_VLEN) != 0 ? -1 : H5Tcopy(t);
    hid_t m = H5Tcopy(H5T_C_S1);
    if (m >= 0 && (H5Tset_size(m, H5T_VARIABLE) < 0 || H5Tset_cset(m, H5Tget_cset(t)) < 0)) {
        H5Tclose(m);
        m = -1;
    }
    return m;
}

/* 0 when every value of da and db (same type t and shape) is the same, 1
 * when one is not, -1 when they cannot be read. */
static int same_values(hid_t da, hid_t db, hid_t t, int rank, const hsize_t *dims)
{
    int texts;
    hid_t mt = memory_type(t, &texts);
    size_t size = texts ? sizeof(char *) : mt >= 0 ? H5Tget_size(mt) : 0;
    hsize_t rows = rank ? dims[0] : 1, row = 1;
    for (int i = 1; i < rank; i++)
        row *= dims[i];
    if (mt < 0 || size == 0 || (row && size > SLAB_BYTES / row)) {
        if (mt >= 0)
            H5Tclose(mt);
        return -1; /* no branchsim dataset has rows past SLAB_BYTES */
    }
    hsize_t per = row ? SLAB_BYTES / (row * size) : rows;
    per = per < 1 ? 1 : per > rows ? rows : per;
    void *a = malloc(per * row * size + 1), *b = malloc(per * row * size + 1);
    int st = a && b ? 0 : -1;
    for (hsize_t first = 0; st == 0 && row && first < rows; first += per) {
        hsize_t count = rows - first < per ? rows - first : per;
        hid_t ma = -1, mb = -1;
        if (read_rows(da, mt, rank, dims, first, count, a, &ma) < 0 ||
            read_rows(db, mt, rank, dims, first, count, b, &mb) < 0)
            st = -1;
        else if (!same_slab(a, b, count * row, size, texts))
            st = 1;
        if (texts && ma >= 0 && st >= 0)
            H5Dvlen_reclaim(mt, ma, H5P_DEFAULT, a);
        if (texts && mb >= 0 && st >= 0)
            H5Dvlen_reclaim(mt, mb, H5P_DEFAULT, b);
        if (ma >= 0)
            H5Sclose(ma);
        if (mb >= 0)
            H5Sclose(mb);
    }
    free(a);
    free(b);
    H5Tclose(mt);
    return st;
}

/* Dataset name of fa against fb's: 0 the same, 1 not (*why: what differs),
 * -1 unreadable. */
static int compare_dataset(hid_t fa, hid_t fb, const char *name, const char **why)
{
    hid_t da = H5Dopen2(fa, name, H5P_DEFAULT), db = H5Dopen2(fb, name, H5P_DEFAULT);
    hid_t ta = da >= 0 ? H5Dget_type(da) : -1, tb = db >= 0 ? H5Dget_type(db) : -1;
    hid_t sa = da >= 0 ? H5Dget_space(da) : -1, sb = db >= 0 ? H5Dget_space(db) : -1;
    hsize_t dims_a[H5S_MAX_RANK], dims_b[H5S_MAX_RANK];
    int ra = sa >= 0 ? H5Sget_simple_extent_dims(sa, dims_a, NULL) : -1;
    int rb = sb >= 0 ? H5Sget_simple_extent_dims(sb, dims_b, NULL) : -1;
    int st = 0;
    *why = "values";
    if (ta < 0 || tb < 0 || ra < 0 || rb < 0)
        st = -1;
    else if (H5Tequal(ta, tb) <= 0)
        *why = "dtype", st = 1;
    else if (ra != rb || memcmp(dims_a, dims_b, (size_t)ra * sizeof *dims_a) != 0)
        *why = "shape", st = 1;
    else
        st = same_values(da, db, ta, ra, dims_a);
    hid_t ids[] = {sa, sb, ta, tb};
    for (size_t i = 0; i < 4; i++)
        if (ids[i] >= 0)
            (i < 2 ? H5Sclose : H5Tclose)(ids[i]);
    if (da >= 0)
        H5Dclose(da);
    if (db >= 0)
        H5Dclose(db);
    return st;
}

/* Adds one difference to the first few named. */
static void note(struct report *rep, size_t *n, const char *name, const char *why)
{
    size_t len = strlen(rep->differences);
    if ((*n)++ < 3)
        snprintf(rep->differences + len, sizeof rep->differences - len, "%s%s (%s)", len ? ", " : "", name, why);
}

/* Every dataset of both files, by sorted name. */
static void compare_names(hid_t fa, hid_t fb, const struct names *na, const struct names *nb, struct report *rep,
                          const char *path)
{
    size_t i = 0, j = 0, n_diff = 0;
    while (i < na->n || j < nb->n) {
        int c = i == na->n ? 1 : j == nb->n ? -1 : strcmp(na->v[i], nb->v[j]);
        const char *why = "";
        int st = c == 0 ? compare_dataset(fa, fb, na->v[i], &why) : 0;
        if (st < 0) {
            bs_error_set(&rep->err, BS_ERR_INPUT, "%s: dataset %s cannot be read, or not compared (a damaged "
                         "file, or not branchsim's layout)", path, na->v[i]);
            return;
        }
        char only[300];
        snprintf(only, sizeof only, "only in %s", path);
        if (c < 0)
            note(rep, &n_diff, na->v[i++], only);
        else if (c > 0)
            note(rep, &n_diff, nb->v[j++], "only in the new file");
        else if (i++, j++, st > 0)
            note(rep, &n_diff, na->v[i - 1], why);
    }
    rep->n_datasets = na->n;
    rep->differs = n_diff > 0;
    if (n_diff > 3) {
        size_t len = strlen(rep->differences);
        snprintf(rep->differences + len, sizeof rep->differences - len, " and %zu more", n_diff - 3);
    }
}

/* The comparing child: OUT.h5 against the new file. */
static void compare_files(struct rerun *r, struct report *rep)
{
    const char *made = r->keep ? r->keep : r->result;
    hid_t fa = open_result(r->path, &rep->err);
    hid_t fb = fa >= 0 ? H5Fopen(made, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    struct names na = {0}, nb = {0};
    if (fa >= 0 && fb < 0)
        bs_error_set(&rep->err, BS_ERR_RUN, "%s: the new file cannot be opened", made);
    else if (fa >= 0 && (dataset_names(fa, &na) != 0 || dataset_names(fb, &nb) != 0))
        bs_error_set(&rep->err, BS_ERR_INPUT, "%s: its datasets cannot be listed (a damaged file, more than %d "
                     "datasets or a name longer than %d bytes)", r->path, DATASETS_MAX, SET_NAME_MAX - 1);
    else if (fa >= 0)
        compare_names(fa, fb, &na, &nb, rep, r->path);
    free(na.v);
    free(nb.v);
    if (fb >= 0)
        H5Fclose(fb);
    if (fa >= 0)
        H5Fclose(fa);
}

/* ---- running the stored command again ---- */

/* The child: the stored argv, parsed by branchsim's own run or plan, told
 * by the environment to read the scenario copy and write the new file. */
_Noreturn static void exec_stored(const struct rerun *r)
{
    char threads[32], parent[32];
    snprintf(parent, sizeof parent, "%ld", (long)getppid()); /* rerun: we are its forked child */
    default_signals();
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDOUT_FILENO); /* the run's table, plan's answer: rerun says what matters */
    snprintf(threads, sizeof threads, "%ld", r->threads);
    if (setenv(BS_RERUN_SCENARIO_ENV, r->scenario, 1) == 0 &&
        setenv(BS_RERUN_OUTPUT_ENV, r->keep ? r->keep : r->result, 1) == 0 &&
        (r->threads ? setenv(BS_RERUN_THREADS_ENV, threads, 1) : unsetenv(BS_RERUN_THREADS_ENV)) == 0 &&
        setenv(BS_RERUN_PARENT_ENV, parent, 1) == 0) {
        hold_signals(SIG_UNBLOCK); /* one that came meanwhile ends the child now */
        execv("/proc/self/exe", r->argv);
        execvp(r->self, r->argv);
    }
    fprintf(stderr, "branchsim: rerun: cannot start branchsim again: %s\n", strerror(errno));
    _exit(BS_ERR_RUN);
}

/* Waits for the run; a signal rerun caught is passed on to it once. */
static int wait_run(pid_t pid)
{
    int status = 0, passed_on = 0;
    for (;;) {
        if (stopped_by && !passed_on) {
            kill(pid, stopped_by); /* one sent to rerun alone; from a terminal the run has it too */
            passed_on = 1;
        }
        if (waitpid(pid, &status, 0) >= 0)
            return status;
        if (errno != EINTR)
            return -1;
    }
}

/* The inode of path, 0 when there is none. */
static ino_t inode_of(const char *path)
{
    struct stat st;
    return path && lstat(path, &st) == 0 ? st.st_ino : 0;
}

/* Runs the stored command again. 0 when it wrote the new file (a plan
 * that found no answer exits 1 having written it), else the status. */
static int run_again(struct rerun *r, struct bs_error *err)
{
    ino_t before = inode_of(r->keep);
    fflush(stdout);
    fflush(stderr);
    hold_signals(SIG_BLOCK);
    pid_t pid = fork();
    if (pid == 0)
        exec_stored(r);
    int why = errno;
    hold_signals(SIG_UNBLOCK);
    if (pid < 0)
        return bs_error_set(err, BS_ERR_RUN, "cannot start a process: %s", strerror(why));
    int status = wait_run(pid);
    int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ino_t after = inode_of(r->keep ? r->keep : r->result);
    if (code == 0 && !stopped_by && (!after || after == before))
        return bs_error_set(err, BS_ERR_INPUT, "%s: the command the file records wrote no result file (a "
                            "--help in it?)", r->path);
    if (code == 0 || (code == BS_ERR_RUN && after && after != before && strcmp(r->argv[1], "plan") == 0))
        return stopped_by ? bs_error_set(err, BS_ERR_RUN, "interrupted") : 0;
    remove_keep_leftovers(r, pid);
    if (stopped_by)
        return bs_error_set(err, BS_ERR_RUN, "interrupted");
    if (status >= 0 && WIFSIGNALED(status))
        return bs_error_set(err, BS_ERR_RUN, "%s: running its command again ended by signal %d", r->path,
                            WTERMSIG(status));
    if (code == BS_ERR_INPUT)
        return bs_error_set(err, BS_ERR_INPUT, "%s: this branchsim refuses the command the file records (its "
                            "message is above)", r->path);
    return bs_error_set(err, BS_ERR_RUN, "%s: running its command again failed (its message is above)", r->path);
}

/* ---- the command ---- */

/* A file made by another version or revision may differ for that reason
 * alone: said before the run, and the verdict still stands. */
static void warn_build(const struct rerun *r, const struct report *rep)
{
    if (strcmp(rep->version, BS_VERSION) == 0 && strcmp(rep->revision, BS_REVISION) == 0)
        return;
    char path[1100], version[sizeof rep->version * 4], revision[sizeof rep->revision * 4];
    fprintf(stderr,
            "branchsim: warning: %s was made by branchsim %s (revision %s), this is %s (revision %s): a difference "
            "may come from the build, not the run\n",
            bs_text_escape(path, sizeof path, r->path), bs_text_escape(version, sizeof version, rep->version),
            rep->revision[0] ? bs_text_escape(revision, sizeof revision, rep->revision) : "not recorded", BS_VERSION,
            BS_REVISION);
}

/* --keep NEW.h5: checked as -o is, never OUT.h5 itself, and with no
 * checkpoint beside it (rerun removes the one its run leaves). */
static int check_keep(const struct rerun *r, struct bs_error *err)
{
    struct stat a, b;
    char partial[1100];
    if (!r->keep)
        return 0;
    if (stat(r->path, &a) == 0 && stat(r->keep, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return bs_error_set(err, BS_ERR_INPUT, "--keep: %s is the file checked; rerun never replaces it", r->keep);
    struct bs_error why = {0};
    if (bs_files_check_output(r->keep, r->path, &why))
        return bs_error_set(err, why.status, "--keep: %s", why.msg);
    snprintf(partial, sizeof partial, "%s.partial", r->keep);
    if (lstat(partial, &a) == 0)
        return bs_error_set(err, BS_ERR_INPUT, "--keep: %s exists (a checkpoint of another run?): remove it or keep "
                            "the new file under another name", partial);
    return 0;
}

/* st, or once a signal came (to rerun alone, while a step ran to its end)
 * "interrupted": no further step starts. */
static int unless_stopped(int st, struct bs_error *err)
{
    return !st && stopped_by ? bs_error_set(err, BS_ERR_RUN, "interrupted") : st;
}

/* Reads OUT.h5's command, runs it again and compares; prints the verdict.
 * 0 identical, 1 not (or the run failed), 2 bad input. */
static int rerun_steps(struct rerun *r, struct bs_error *err)
{
    struct report rep;
    int st = unless_stopped(isolated(r, read_stored, &rep, err), err);
    if (!st) {
        warn_build(r, &rep);
        st = unless_stopped(load_argv(r, err), err);
    }
    if (!st)
        st = unless_stopped(run_again(r, err), err);
    if (!st)
        st = unless_stopped(isolated(r, compare_files, &rep, err), err);
    if (st)
        return st;
    char shown[sizeof rep.differences * 4];
    if (rep.differs) {
        printf("different: %s\n", bs_text_escape(shown, sizeof shown, rep.differences));
        return BS_ERR_RUN;
    }
    printf("identical: %zu datasets\n", rep.n_datasets);
    return 0;
}

int bs_cmd_rerun(const struct bs_cluster *cl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 'j'}, {"keep", required_argument, NULL, 'k'}, {NULL, 0, NULL, 0},
    };
    struct run_options o = {.replications = 0, .seed = -1};
    const char *keep = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":j:", opts, NULL)) != -1) {
        int known = c == 'j' ? run_option(c, optarg, 1, &o) : 0;
        if (known < 0)
            return BS_ERR_INPUT;
        if (c == 'k')
            keep = optarg;
        else if (!known)
            return bad_option("rerun", c, argv);
    }
    if (optind != argc - 1)
        return usage_error_for("rerun", "rerun takes one result file");
    struct bs_error err = {0};
    if (cl->size > 1 || BS_MPI_BUILD)
        return fail(&(struct bs_error){BS_ERR_INPUT, "rerun runs in the one-process build (branchsim, not "
                                                     "branchsim-mpi); results do not depend on the ranks"});
    struct rerun r = {.path = argv[optind], .keep = keep, .threads = o.threads, .self = argv[0]};
    catch_signals();
    int st = check_keep(&r, &err);
    if (!st)
        st = make_dir(&r, &err);
    if (!st)
        st = rerun_steps(&r, &err);
    remove_dir(&r);
    free(r.argv);
    free(r.argv_text);
    if (stopped_by && !err.msg[0])
        bs_error_set(&err, BS_ERR_RUN, "interrupted");
    if (st && stopped_by)
        fprintf(stderr, "branchsim: rerun interrupted; its temporary files are removed\n");
    else if (st)
        fail(&err);
    return st ? st : stopped_by ? BS_ERR_RUN : 0;
}
