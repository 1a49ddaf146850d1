/*
 * The few primitives Swift cannot express directly: C11 atomics on mapped memory
 * (callers name the ordering by picking the function), clocks, and pointers to
 * fields of the C structs (so Swift never forms them with its own offset arithmetic). Every function is static inline so it compiles into the caller.
 */
#ifndef EVERING_SYS_H
#define EVERING_SYS_H

#include <stdint.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include "evering_abi.h"

/* ---- atomics: one function per (width, operation, ordering) actually used ---- */

static inline uint64_t ev_load_relaxed_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline uint64_t ev_load_acquire_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void ev_store_relaxed_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void ev_store_release_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t ev_fetch_add_relaxed_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }

static inline uint32_t ev_load_relaxed_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline uint32_t ev_load_acquire_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void ev_store_release_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint32_t ev_fetch_add_acq_rel_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
static inline uint32_t ev_fetch_sub_acq_rel_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_sub(p, v, __ATOMIC_ACQ_REL); }
static inline void ev_store_relaxed_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
/* The waker's take of a waiter's `sleeping` word (docs/ABI.md "Wake-ups"): acq_rel, although
 * the protocol's ordering comes from the fences, so the reasoning needs no more than "the
 * exchange is ordered after the fence and before FUTEX_WAKE"; it runs only when a sleeper
 * was seen, never at full rate, so its cost does not matter. */
static inline uint32_t ev_exchange_acq_rel_u32(uint32_t *p, uint32_t v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL); }

/* The full fence of the wake-up protocol: orders a store (a published index, or an announced
 * sleep) before the load that follows (the other side's `sleeping` word, or its index) — the
 * store-buffering pattern, which acquire/release cannot forbid. Compiles to `lock or` (about
 * 7 ns on the project's EPYC machines; measured in docs/benchmarks/wakeup-notes.md). */
static inline void ev_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }


/* A CPU hint for spin loops (PAUSE on x86, YIELD on arm64). */
static inline void ev_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* ---- futex (syscall() is variadic, so Swift cannot call it) ----
 * Shared futexes: no FUTEX_PRIVATE_FLAG, because the word lives in a MAP_SHARED object that
 * several processes map; the kernel then keys the wait by the page, not by our mm. */

/* Sleeps while *word == expected, at most timeout_ns (relative, CLOCK_MONOTONIC).
 * Returns 0 when woken (or spuriously), else -errno: -EAGAIN (the word was no longer
 * `expected`), -ETIMEDOUT, -EINTR (a signal; never retried here: the caller re-checks
 * its condition and its stop flag, which is the point of being interrupted). */
static inline int ev_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns) {
    struct timespec timeout = { (time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull) };
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    return rc == 0 ? 0 : -errno;
}

/* Wakes up to `count` waiters on word. Returns how many it woke, or -errno. */
static inline int ev_futex_wake(uint32_t *word, int count) {
    long rc = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return rc >= 0 ? (int)rc : -errno;
}

/* ---- membarrier: the sleeper's side of an asymmetric fence ----
 * MEMBARRIER_CMD_GLOBAL_EXPEDITED makes every CPU that runs a thread of a process registered
 * with MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED execute a full barrier before it returns
 * (IPIs; about 0.4 µs here with nobody to interrupt). A sleeper that issues it between
 * announcing sleep and re-checking the index stands in for the fence its waker would
 * otherwise need after every publish. Both return 0 on success, else -errno. */
static inline int ev_membarrier_register_global_expedited(void) {
    long rc = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0);
    return rc == 0 ? 0 : -errno;
}
static inline int ev_membarrier_global_expedited(void) {
    long rc = syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
    return rc == 0 ? 0 : -errno;
}

/* A compiler-only barrier: with the peer's membarrier it orders our index store before our
 * load of its `sleeping` word (the CPU may not reorder them across the IPI's barrier). */
static inline void ev_compiler_barrier(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

/* The process-wide table of futex words being slept on (evering.c): a stop request wakes
 * them all. ev_sleepers_wake_all is async-signal-safe (atomic loads and raw syscalls). */
int ev_sleeper_register(uint32_t *word);
void ev_sleeper_unregister(int entry);
void ev_sleepers_wake_all(void);

/* The CPU this thread runs on now (glibc answers from rseq or the vDSO: a few ns), -1 if
 * unknown. Declared here because <sched.h> shows it only under _GNU_SOURCE. */
extern int sched_getcpu(void);
static inline int ev_current_cpu(void) { return sched_getcpu(); }

/* ---- clocks ---- */

static inline uint64_t ev_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ev_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- field addresses (the struct layout, not Swift, decides the offsets) ---- */

static inline uint64_t *ev_queue_head_ptr(ev_queue *q) { return &q->head; }
static inline uint64_t *ev_queue_tail_ptr(ev_queue *q) { return &q->tail; }
static inline uint64_t *ev_queue_full_stalls_ptr(ev_queue *q) { return &q->full_stalls; }
static inline uint64_t *ev_queue_empty_waits_ptr(ev_queue *q) { return &q->empty_waits; }
static inline uint32_t *ev_header_ready_ptr(ev_header *h) { return &h->ready; }
static inline uint32_t *ev_header_refcount_ptr(ev_header *h) { return &h->refcount; }
static inline uint32_t *ev_side_state_ptr(ev_side *s) { return &s->state; }
static inline uint64_t *ev_side_heartbeat_ptr(ev_side *s) { return &s->heartbeat_ns; }
static inline uint32_t *ev_slot_state_ptr(ev_slot *s) { return &s->state; }
static inline ev_waiter *ev_queue_consumer_wait_ptr(ev_queue *q) { return &q->consumer_wait; }
static inline ev_waiter *ev_queue_producer_wait_ptr(ev_queue *q) { return &q->producer_wait; }
static inline uint32_t *ev_waiter_sleeping_ptr(ev_waiter *w) { return &w->sleeping; }
static inline uint64_t *ev_waiter_since_ptr(ev_waiter *w) { return &w->since_ns; }
static inline uint32_t *ev_waiter_cpu_ptr(ev_waiter *w) { return &w->cpu; }
static inline uint64_t *ev_waiter_wakes_ptr(ev_waiter *w) { return &w->wakes; }
static inline uint64_t *ev_waiter_late_wakes_ptr(ev_waiter *w) { return &w->late_wakes; }
static inline uint32_t *ev_side_capabilities_ptr(ev_side *s) { return &s->capabilities; }

#endif
