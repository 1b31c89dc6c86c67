/* Memory for a simulation's pools: blocks that live until the arena is
 * freed, carved from 2 MiB-aligned regions advised for transparent huge
 * pages once the pools are large.
 *
 * A large model's per-event state (transactions, connections, paths, the
 * event set's chunks) is tens of MiB touched in no order: on 4 KiB pages
 * most of its accesses miss the TLB.  The first SIM_BIGMEM_SMALL bytes an
 * arena hands out are ordinary allocations, one per block, so small runs
 * use the memory they did; past that, blocks come from regions of 2 MiB (or
 * whole multiples for a larger block) aligned to 2 MiB and given
 * madvise(MADV_HUGEPAGE), which in the kernel's "madvise" mode backs each
 * with one huge page (bench/README.md has the numbers).  Where that call or
 * mmap() is missing, the regions are ordinary aligned allocations. */
#ifndef CNISIM_SIM_BIGMEM_H
#define CNISIM_SIM_BIGMEM_H

#include <stddef.h>

#define SIM_BIGMEM_REGION ((size_t)2 << 20) /* a huge page: region size and alignment */
#define SIM_BIGMEM_SMALL  ((size_t)1 << 20) /* bytes handed out on small pages */

typedef struct sim_bigmem sim_bigmem;

sim_bigmem *sim_bigmem_new(void);
/* Frees every block the arena handed out; NULL is a no-op. */
void sim_bigmem_free(sim_bigmem *m);
/* bytes (> 0) of zeroed memory aligned to align (a power of two, at most
 * 4096), valid until sim_bigmem_free(m).  Aborts when out of memory. */
void *sim_bigmem_alloc(sim_bigmem *m, size_t bytes, size_t align);
/* Bytes handed out, and bytes of it in 2 MiB regions (advised huge). */
size_t sim_bigmem_bytes(const sim_bigmem *m);
size_t sim_bigmem_region_bytes(const sim_bigmem *m);

#endif
