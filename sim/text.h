/* Text shown to a person: control characters made visible, and the nearest
 * valid name for a misspelt one. Config and report work only, never on a
 * hot path. */
#ifndef BS_TEXT_H
#define BS_TEXT_H

#include <stddef.h>

/* Copies in to out (cap bytes, always NUL-terminated, cut to fit) with
 * every control character (below 0x20, and 0x7f) written as \n, \t, \r or
 * \xHH, and a backslash as \\, so that text from a file can neither start
 * a new line of a message nor send escape sequences to a terminal. Valid
 * UTF-8 passes unchanged, but for the C1 controls (U+0080..U+009F); bytes
 * that are not UTF-8 are written as \xHH. Returns out. */
char *bs_text_escape(char *out, size_t cap, const char *in);

/* Edit distance (insertions, deletions, substitutions, and swaps of two
 * neighbouring characters) between a and b, capped at limit + 1. */
size_t bs_text_distance(const char *a, const char *b, size_t limit);

/* The candidate nearest to word, or NULL when none is near: at most 2
 * edits, and fewer than half of word's length (so "x" suggests nothing). */
const char *bs_text_nearest(const char *word, const char *const *candidates, size_t n);

#endif
