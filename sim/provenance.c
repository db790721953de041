/* See provenance.h. The command line is the process's own, like argv: kept
 * once by main() and read when the result file is written, so that run,
 * both kinds of plan and resumed and MPI runs record it by one path
 * (write_result) without passing it through every layer between. */
#include "provenance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "h5attr.h"

static int given_argc;
static char **given_argv; /* the pointers as given; the strings are argv's */

int bs_provenance_record(int argc, char **argv)
{
    bs_provenance_forget();
    given_argv = malloc(((size_t)argc + 1) * sizeof *given_argv);
    if (!given_argv)
        return -1;
    memcpy(given_argv, argv, (size_t)argc * sizeof *argv);
    given_argv[argc] = NULL;
    given_argc = argc;
    return 0;
}

void bs_provenance_forget(void)
{
    free(given_argv);
    given_argv = NULL;
    given_argc = 0;
}

/* The length of the UTF-8 sequence at p (1 to 4), or 0 when p does not
 * start a valid one (overlong forms and surrogates included). */
static size_t utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* A growing string; on running out of memory it stays NULL. */
struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *t, const char *bytes, size_t n)
{
    if (t->s && t->len + n + 1 > t->cap) {
        size_t cap = 2 * (t->len + n + 1);
        char *s = realloc(t->s, cap);
        if (!s)
            free(t->s);
        t->s = s;
        t->cap = cap;
    }
    if (t->s) {
        memcpy(t->s + t->len, bytes, n);
        t->len += n;
        t->s[t->len] = '\0';
    }
}

static void text_init(struct text *t)
{
    *t = (struct text){.s = malloc(64), .cap = 64};
    if (t->s)
        t->s[0] = '\0';
}

/* arg as UTF-8 text: valid UTF-8 as it is, any other byte (a file name in
 * another encoding) as \xHH, so every reader can decode the attribute. */
static void put_utf8(struct text *t, const char *arg)
{
    for (const unsigned char *p = (const unsigned char *)arg; *p;) {
        size_t n = utf8_length(p);
        char hex[8];
        if (n)
            put(t, (const char *)p, n);
        else
            put(t, hex, (size_t)snprintf(hex, sizeof hex, "\\x%02x", *p));
        p += n ? n : 1;
    }
}

/* word as one POSIX shell word: bare when it is plain, else in single
 * quotes (a quote in it as '\''), so shlex.split gives it back. */
static void put_shell_word(struct text *t, const char *word)
{
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:/=+-@%";
    if (*word && word[strspn(word, plain)] == '\0') {
        put(t, word, strlen(word));
        return;
    }
    put(t, "'", 1);
    for (const char *p = word; *p; p++)
        put(t, *p == '\'' ? "'\\''" : p, *p == '\'' ? 4 : 1);
    put(t, "'", 1);
}

/* history's one line: created, ": ", the command line with its control
 * characters (a newline inside a quoted argument) written as \n, \xHH. */
static void history_line(struct text *t, const char *created, const char *command_line)
{
    put(t, created, strlen(created));
    put(t, ": ", 2);
    for (const char *p = command_line; *p; p++) {
        char esc[8];
        unsigned char c = (unsigned char)*p;
        if (c == '\n')
            put(t, "\\n", 2);
        else if (c < 0x20 || c == 0x7f)
            put(t, esc, (size_t)snprintf(esc, sizeof esc, "\\x%02x", c));
        else
            put(t, p, 1);
    }
}

/* These attributes are provenance's: one the layout wrote already (a
 * history of its own) is replaced, not a reason to fail the run. */
static herr_t replace(hid_t file, const char *name)
{
    htri_t there = H5Aexists(file, name);
    return there > 0 ? H5Adelete(file, name) : there < 0 ? -1 : 0;
}

/* command_argv (one UTF-8 text per argument), command_line and history. */
static herr_t write_texts(hid_t file, char **words, const char *created)
{
    struct text line, history;
    text_init(&line);
    text_init(&history);
    for (int i = 0; i < given_argc; i++) {
        if (i)
            put(&line, " ", 1);
        put_shell_word(&line, words[i]);
    }
    if (line.s)
        history_line(&history, created, line.s);
    herr_t st = line.s && history.s ? 0 : -1;
    const char *names[] = {"command_argv", "command_line", "history"};
    for (size_t i = 0; st >= 0 && i < 3; i++)
        st = replace(file, names[i]);
    if (st >= 0)
        st = bs_h5_attr_strings(file, "command_argv", (const char *const *)words, (hsize_t)given_argc, 0);
    if (st >= 0)
        st = bs_h5_attr_string(file, "command_line", line.s);
    if (st >= 0)
        st = bs_h5_attr_string(file, "history", history.s);
    free(line.s);
    free(history.s);
    return st;
}

herr_t bs_provenance_write(hid_t file, const struct bs_cluster *cl)
{
    if (!given_argv || given_argc < 1)
        return 0; /* out of memory at the start: the file records no command */
    char *created = NULL, now[32], why[BS_H5_WHY_MAX];
    if (bs_h5_get_string(file, "created", 64, &created, why, sizeof why) != BS_H5_READ)
        created = NULL;
    if (!created) { /* the same second on every rank */
        long long now_s = (long long)time(NULL);
        bs_cluster_broadcast(cl, &now_s, sizeof now_s);
        time_t t = (time_t)now_s;
        struct tm tm_utc;
        gmtime_r(&t, &tm_utc);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
    }
    char **words = calloc((size_t)given_argc, sizeof *words);
    herr_t st = words ? 0 : -1;
    for (int i = 0; st >= 0 && i < given_argc; i++) {
        struct text t;
        text_init(&t);
        put_utf8(&t, given_argv[i]);
        words[i] = t.s;
        st = t.s ? 0 : -1;
    }
    if (st >= 0)
        st = write_texts(file, words, created ? created : now);
    for (int i = 0; words && i < given_argc; i++)
        free(words[i]);
    free(words);
    free(created);
    return st;
}

/* Whether BS_RERUN_PARENT_ENV names this process's parent: set by rerun
 * for the run it forks. */
static int started_by_rerun(const char *parent)
{
    char *end;
    errno = 0;
    long pid = strtol(parent, &end, 10);
    return *parent && *end == '\0' && errno == 0 && pid >= 1 && (pid_t)pid == getppid();
}

int bs_provenance_redirect(struct run_options *o, const char **scenario, int *resume)
{
    const char *in = getenv(BS_RERUN_SCENARIO_ENV), *out = getenv(BS_RERUN_OUTPUT_ENV);
    const char *threads = getenv(BS_RERUN_THREADS_ENV), *parent = getenv(BS_RERUN_PARENT_ENV);
    if (!parent) {
        if (in || out || threads) /* left in a shell: rerun always sets the parent too */
            fprintf(stderr, "branchsim: warning: ignoring %s, %s and %s: only branchsim rerun sets them, for "
                    "the run it starts\n", BS_RERUN_SCENARIO_ENV, BS_RERUN_OUTPUT_ENV, BS_RERUN_THREADS_ENV);
        return 0;
    }
    if (!in || !out || !started_by_rerun(parent)) {
        /* Not rerun's child, or one whose rerun died before it got here:
         * running the stored command unredirected could replace its -o. */
        fprintf(stderr, "branchsim: %s is set, but this is not a run that branchsim rerun started (it "
                "ended?): nothing is run; unset %s, %s, %s and %s\n", BS_RERUN_PARENT_ENV, BS_RERUN_PARENT_ENV,
                BS_RERUN_SCENARIO_ENV, BS_RERUN_OUTPUT_ENV, BS_RERUN_THREADS_ENV);
        return BS_ERR_INPUT;
    }
    *scenario = in;
    o->out_path = out;
    if (resume)
        *resume = 0;
    char *end;
    errno = 0;
    long j = threads ? strtol(threads, &end, 10) : 0;
    if (threads && *end == '\0' && errno == 0 && j >= 1 && j <= BS_THREADS_MAX)
        o->threads = j; /* checked by rerun; threads never change results */
    return 0;
}
