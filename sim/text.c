/* See text.h. */
#include "text.h"

#include <stdio.h>
#include <string.h>

char *bs_text_escape(char *out, size_t cap, const char *in)
{
    if (cap == 0)
        return out;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char piece[5];
        int ctrl = *p < 0x20 || *p == 0x7f;
        if (*p == '\\')
            snprintf(piece, sizeof piece, "\\\\");
        else if (*p == '\n')
            snprintf(piece, sizeof piece, "\\n");
        else if (*p == '\t')
            snprintf(piece, sizeof piece, "\\t");
        else if (*p == '\r')
            snprintf(piece, sizeof piece, "\\r");
        else if (ctrl)
            snprintf(piece, sizeof piece, "\\x%02x", *p);
        else
            piece[0] = (char)*p, piece[1] = '\0';
        size_t len = strlen(piece);
        if (n + len >= cap)
            break;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return out;
}

#define DISTANCE_MAX_LEN 128

size_t bs_text_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > DISTANCE_MAX_LEN || lb > DISTANCE_MAX_LEN)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    /* Three rows of the optimal-string-alignment table. */
    size_t rows[3][DISTANCE_MAX_LEN + 1];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = before;
        before = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb] > limit ? limit + 1 : prev[lb];
}

const char *bs_text_nearest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    size_t limit = len / 2 > 0 ? (len - 1) / 2 : 0;
    if (limit > 2)
        limit = 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = bs_text_distance(word, candidates[i], limit);
        if (d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}
