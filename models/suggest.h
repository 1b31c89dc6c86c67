/* "Did you mean": the known name closest to a mistyped one. */
#ifndef CN_SUGGEST_H
#define CN_SUGGEST_H

#include <glib.h>

/* The candidate nearest to word (its first len bytes; -1: all) by edit
 * distance, when near enough to be a likely typo: at most a third of the
 * word's length (at least 1, at most 3), or word is a prefix of it.  NULL
 * when none is. */
const char *cn_suggest(const char *word, gssize len, const char *const *candidates, gsize n);

#endif
