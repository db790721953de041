/* See text.h. */
#include "text.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at p (2 to 4), or 0: overlong
 * forms, surrogates and code points past U+10FFFF are not valid. */
static size_t utf8_length(const unsigned char *p)
{
    size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    if (n == 0 || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

char *bs_text_escape(char *out, size_t cap, const char *in)
{
    if (cap == 0)
        return out;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p;) {
        char piece[20];
        size_t take = 1, len;
        if (*p == '\\' || *p == '\n' || *p == '\t' || *p == '\r')
            snprintf(piece, sizeof piece, "\\%c", *p == '\\' ? '\\' : *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
        else if (*p < 0x20 || *p == 0x7f)
            snprintf(piece, sizeof piece, "\\x%02x", *p);
        else if (*p < 0x80)
            piece[0] = (char)*p, piece[1] = '\0';
        else if ((take = utf8_length(p)) == 0 || (p[0] == 0xc2 && p[1] <= 0x9f)) {
            /* Not UTF-8, or a C1 control (U+0080..U+009F: 0x9b is CSI to some
             * terminals): the bytes as \xHH. */
            take = take ? take : 1;
            for (size_t i = 0; i < take; i++)
                snprintf(piece + 4 * i, sizeof piece - 4 * i, "\\x%02x", p[i]);
        } else {
            memcpy(piece, p, take);
            piece[take] = '\0';
        }
        len = strlen(piece);
        if (n + len >= cap)
            break;
        memcpy(out + n, piece, len);
        n += len;
        p += take;
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
