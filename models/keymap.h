/* A map from 64-bit keys to pointers for lookups made per connection: the
 * SNAT pool of (node, destination), an open-loop client's idle connections
 * to one peer.  Open addressing with linear probing, each key beside its
 * value: a lookup reads one or two cache lines and calls nothing, where a
 * GHashTable calls its hash and equality functions and reads the hash,
 * key and value arrays and the key itself.  Values are never NULL; nothing
 * is ever removed (the keys are a run's peers, which only accumulate). */
#ifndef CN_KEYMAP_H
#define CN_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t key;
    void *value; /* NULL: the entry is empty */
} cn_keymap_entry;

typedef struct {
    cn_keymap_entry *e; /* mask + 1 entries, at most half of them used */
    uint32_t mask;
    uint32_t n; /* keys held */
} cn_keymap;

void cn_keymap_init(cn_keymap *m);
/* Frees the entries; free_value (may be NULL) is called on every value. */
void cn_keymap_clear(cn_keymap *m, void (*free_value)(void *));

/* The entries' home: the key's bits mixed (splitmix64's finaliser), as
 * (node << 32 | destination) keys would otherwise crowd a few slots. */
static inline uint32_t cn_keymap_slot(const cn_keymap *m, uint64_t key)
{
    uint64_t z = key;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31)) & m->mask;
}

/* The value of key, or NULL. */
static inline void *cn_keymap_get(const cn_keymap *m, uint64_t key)
{
    for (uint32_t i = cn_keymap_slot(m, key);; i = (i + 1) & m->mask) {
        const cn_keymap_entry *x = &m->e[i];
        if (x->value == NULL || x->key == key)
            return x->value;
    }
}

/* Add key (not yet in the map) with value (not NULL). */
void cn_keymap_add(cn_keymap *m, uint64_t key, void *value);

#endif
