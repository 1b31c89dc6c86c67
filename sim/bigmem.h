/* Memory for a simulation's pools: blocks that live until the arena is
 * freed, carved from 2 MiB-aligned regions advised for transparent huge
 * pages once the pools are large.
 *
 * A large model's per-event state (transactions, connections, paths, the
 * event set's chunks) is tens of MiB touched in no order: on 4 KiB pages
 * most of its accesses miss the TLB.  Blocks are carved in order from
 * anonymous mappings of 2 MiB (or whole multiples for a larger block)
 * aligned to 2 MiB.  Once the arena has handed out SIM_BIGMEM_SMALL bytes
 * its mappings are given madvise(MADV_HUGEPAGE), which in the kernel's
 * "madvise" mode backs each with one huge page (bench/README.md has the
 * numbers); before that they are small pages, touched only where used, so
 * small runs use the memory they did.  Where mmap() or that advice is
 * missing, and in AddressSanitizer builds (so that an overrun past a
 * block is caught), each block is an ordinary aligned allocation. */
#ifndef CNISIM_SIM_BIGMEM_H
#define CNISIM_SIM_BIGMEM_H

#include <stdbool.h>
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
/* Whether blocks come from the 2 MiB mappings here (see above). */
bool sim_bigmem_maps(void);
/* Bytes handed out, and bytes of it in 2 MiB regions (advised huge). */
size_t sim_bigmem_bytes(const sim_bigmem *m);
size_t sim_bigmem_region_bytes(const sim_bigmem *m);

#endif
