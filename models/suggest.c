#include "suggest.h"

#include <string.h>

/* Levenshtein distance with transpositions counted as one edit (the usual
 * typo: "serivces"), over bytes; names are short, two rows suffice. */
static gsize edit_distance(const char *a, gsize la, const char *b, gsize lb)
{
    g_autofree gsize *prev2 = g_new0(gsize, lb + 1);
    g_autofree gsize *prev = g_new0(gsize, lb + 1);
    g_autofree gsize *cur = g_new0(gsize, lb + 1);
    for (gsize j = 0; j <= lb; j++)
        prev[j] = j;
    for (gsize i = 1; i <= la; i++) {
        cur[0] = i;
        for (gsize j = 1; j <= lb; j++) {
            gsize cost = a[i - 1] == b[j - 1] ? 0 : 1;
            gsize d = MIN(prev[j] + 1, cur[j - 1] + 1);
            d = MIN(d, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d = MIN(d, prev2[j - 2] + 1);
            cur[j] = d;
        }
        gsize *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *cn_suggest(const char *word, gssize len, const char *const *candidates, gsize n)
{
    gsize lw = len < 0 ? strlen(word) : (gsize)len;
    if (lw == 0)
        return NULL;
    gsize limit = CLAMP(lw / 3, 1, 3);
    const char *best = NULL;
    gsize best_d = G_MAXSIZE;
    for (gsize i = 0; i < n; i++) {
        const char *c = candidates[i];
        gsize lc = strlen(c);
        if (lc == lw && strncmp(c, word, lw) == 0)
            return NULL; /* not a typo at all */
        gsize d = edit_distance(word, lw, c, lc);
        if (lw >= 3 && lc > lw && strncmp(c, word, lw) == 0)
            d = MIN(d, 1); /* an abbreviation */
        if (d < best_d)
            best_d = d, best = c;
    }
    return best_d <= limit ? best : NULL;
}
