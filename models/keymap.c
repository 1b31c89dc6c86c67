#include "keymap.h"

#include <glib.h>

#define INITIAL 64 /* entries of a new map (a power of two) */

void cn_keymap_init(cn_keymap *m)
{
    m->e = g_new0(cn_keymap_entry, INITIAL);
    m->mask = INITIAL - 1;
    m->n = 0;
}

void cn_keymap_clear(cn_keymap *m, void (*free_value)(void *))
{
    if (free_value && m->e)
        for (uint32_t i = 0; i <= m->mask; i++)
            if (m->e[i].value)
                free_value(m->e[i].value);
    g_free(m->e);
    *m = (cn_keymap){0};
}

static void put(cn_keymap *m, uint64_t key, void *value)
{
    uint32_t i = cn_keymap_slot(m, key);
    while (m->e[i].value != NULL)
        i = (i + 1) & m->mask;
    m->e[i] = (cn_keymap_entry){key, value};
}

void cn_keymap_add(cn_keymap *m, uint64_t key, void *value)
{
    g_return_if_fail(value != NULL);
    if (2 * (m->n + 1) > m->mask + 1) {
        /* over half full: twice the entries, rehashed */
        cn_keymap old = *m;
        m->mask = old.mask * 2 + 1;
        m->e = g_new0(cn_keymap_entry, (size_t)m->mask + 1);
        for (uint32_t i = 0; i <= old.mask; i++)
            if (old.e[i].value)
                put(m, old.e[i].key, old.e[i].value);
        g_free(old.e);
    }
    put(m, key, value);
    m->n++;
}
