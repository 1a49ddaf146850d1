/*
 * A SIGBUS guard for read-only mappings of ring objects (docs/ABI.md "Robustness rules").
 *
 * Another process may truncate a ring object while an inspector reads its mapping; a load
 * past the new end raises SIGBUS. The guard's handler recognises faults inside a registered
 * mapping and maps anonymous zero pages over the rest of it (MAP_FIXED, read-only), so the
 * faulting load re-executes and reads 0 instead of killing the process; it counts the fault,
 * and the reader, seeing the count move, discards what it read and reports the truncation.
 * Faults anywhere else are passed on to the handler that was installed before ours (the
 * Swift backtracer, a debugger's, or the default action, which then terminates as usual).
 *
 * Why not sigsetjmp/siglongjmp: a long jump out of the handler would skip the Swift frames
 * of the read in progress (their releases, and the thread's dynamic-exclusivity records,
 * whose stale entries can trap later). Re-mapping lets every frame finish normally, keeps
 * per-slot seqlock reads in place (no pread copy of the table), and costs nothing until a
 * fault happens.
 *
 * Writers (the two sides) are never guarded: truncating a live ring is outside the protocol.
 */
#ifndef EVERING_GUARD_H
#define EVERING_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Registers [base, base + length) and installs the handler on first use. Returns a guard
 * id (>= 0) or -1 when the fixed table of guards is full (the mapping is then unguarded). */
int ev_bus_guard_register(const void *base, size_t length);

/* How many mappings the table can guard at once. */
int ev_bus_guard_capacity(void);

/* Forgets a guard; call before unmapping its range. */
void ev_bus_guard_unregister(int id);

/* Faults the guard absorbed so far (0 while the object has kept its size). */
uint64_t ev_bus_guard_faults(int id);

#endif
