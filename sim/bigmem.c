/* The pools' arena (bigmem.h): blocks carved in order from 2 MiB-aligned
 * mappings, advised huge once the arena is past SIM_BIGMEM_SMALL. */
/* mmap()'s MAP_ANONYMOUS and madvise()'s MADV_HUGEPAGE (not POSIX) */
#define _DEFAULT_SOURCE

#include "bigmem.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* AddressSanitizer finds an overrun past a block only at an allocation's
 * end: in its builds every block is an allocation of its own. */
#if defined(__SANITIZE_ADDRESS__)
#define SIM__BIGMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM__BIGMEM_ASAN 1
#endif
#endif

#if defined(__linux__) && !defined(SIM__BIGMEM_ASAN)
#include <sys/mman.h>
#if defined(MADV_HUGEPAGE)
#define SIM__BIGMEM_MAP 1
/* Linux 6.1; older kernels refuse it (EINVAL), and the region stays on
 * small pages until khugepaged gets to it. */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#endif
#endif

typedef struct {
    void *p;
    size_t bytes;
    bool mapped; /* munmap(); else free() */
} region;

struct sim_bigmem {
    GArray *regions;     /* of region: the mappings (and, without mmap, the blocks) */
    char *cur, *end;     /* the free part of the last mapping */
    size_t given;        /* bytes handed out */
    size_t region_given; /* of them, after the mappings were advised huge */
    bool huge;           /* the mappings are advised huge */
};

sim_bigmem *sim_bigmem_new(void)
{
    sim_bigmem *m = g_new0(sim_bigmem, 1);
    m->regions = g_array_new(FALSE, FALSE, sizeof(region));
    return m;
}

void sim_bigmem_free(sim_bigmem *m)
{
    if (m == NULL)
        return;
    for (guint i = 0; i < m->regions->len; i++) {
        region *r = &g_array_index(m->regions, region, i);
#if SIM__BIGMEM_MAP
        if (r->mapped) {
            munmap(r->p, r->bytes);
            continue;
        }
#endif
        free(r->p);
    }
    g_array_free(m->regions, TRUE);
    g_free(m);
}

/* Without mmap(): one zeroed allocation per block. */
static void *plain(sim_bigmem *m, size_t bytes, size_t align)
{
    size_t n = (bytes + align - 1) & ~(align - 1); /* aligned_alloc wants a multiple */
    void *p = aligned_alloc(align, n);
    if (p == NULL)
        g_error("sim: out of memory (%zu bytes)", bytes);
    memset(p, 0, n);
    region r = {p, n, false};
    g_array_append_val(m->regions, r);
    return p;
}

#if SIM__BIGMEM_MAP
static void advise(void *p, size_t bytes, bool collapse)
{
    /* Advice only: with THP off ("never") the pages stay small. */
    (void)madvise(p, bytes, MADV_HUGEPAGE);
    if (collapse)
        (void)madvise(p, bytes, MADV_COLLAPSE);
}
#endif

/* A zeroed mapping of bytes (a multiple of 2 MiB), 2 MiB-aligned; NULL
 * where there is no mmap() or it failed. */
static char *map(sim_bigmem *m, size_t bytes)
{
#if SIM__BIGMEM_MAP
    /* Map 2 MiB more and trim both ends to the alignment. */
    size_t over = bytes + SIM_BIGMEM_REGION;
    char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p =
        (char *)(((uintptr_t)raw + SIM_BIGMEM_REGION - 1) & ~(uintptr_t)(SIM_BIGMEM_REGION - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + over > p + bytes)
        munmap(p + bytes, (size_t)(raw + over - (p + bytes)));
    if (m->huge)
        advise(p, bytes, false);
    region r = {p, bytes, true};
    g_array_append_val(m->regions, r);
    return p;
#else
    (void)m;
    (void)bytes;
    return NULL;
#endif
}

/* The arena is large: huge pages from now on, and for what it holds. */
static void go_huge(sim_bigmem *m)
{
    m->huge = true;
#if SIM__BIGMEM_MAP
    for (guint i = 0; i < m->regions->len; i++) {
        region *r = &g_array_index(m->regions, region, i);
        if (r->mapped)
            advise(r->p, r->bytes, true);
    }
#endif
}

void *sim_bigmem_alloc(sim_bigmem *m, size_t bytes, size_t align)
{
    g_return_val_if_fail(
        m != NULL && bytes > 0 && align > 0 && (align & (align - 1)) == 0 && align <= 4096, NULL);
    uintptr_t at = ((uintptr_t)m->cur + align - 1) & ~(uintptr_t)(align - 1);
    if (m->cur == NULL || at + bytes > (uintptr_t)m->end) {
        size_t n = (bytes + SIM_BIGMEM_REGION - 1) / SIM_BIGMEM_REGION * SIM_BIGMEM_REGION;
        char *p = map(m, n);
        if (p == NULL) {
            m->given += bytes;
            return plain(m, bytes, align);
        }
        m->cur = p;
        m->end = p + n;
        at = (uintptr_t)p;
    }
    m->cur = (char *)(at + bytes);
    m->given += bytes;
    if (m->huge)
        m->region_given += bytes;
    else if (m->given >= SIM_BIGMEM_SMALL) {
        go_huge(m);
        m->region_given = m->given;
    }
    return (void *)at;
}

size_t sim_bigmem_bytes(const sim_bigmem *m)
{
    return m->given;
}

bool sim_bigmem_maps(void)
{
#if SIM__BIGMEM_MAP
    return true;
#else
    return false;
#endif
}

size_t sim_bigmem_region_bytes(const sim_bigmem *m)
{
    return m->region_given;
}
