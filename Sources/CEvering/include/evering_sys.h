/*
 * The few primitives Swift cannot express directly: C11 atomics on mapped memory
 * (callers name the ordering by picking the function), clocks, and pointers to
 * fields of the C structs (so Swift never forms them with its own offset arithmetic). Every function is static inline so it compiles into the caller.
 */
#ifndef EVERING_SYS_H
#define EVERING_SYS_H

#include <stdint.h>
#include <time.h>
#include "evering_abi.h"

/* ---- atomics: one function per (width, operation, ordering) actually used ---- */

static inline uint64_t ev_load_relaxed_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline uint64_t ev_load_acquire_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void ev_store_relaxed_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void ev_store_release_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t ev_fetch_add_relaxed_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
static inline uint64_t ev_fetch_add_acq_rel_u64(uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }

static inline uint32_t ev_load_relaxed_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline uint32_t ev_load_acquire_u32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void ev_store_release_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint32_t ev_fetch_add_acq_rel_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
static inline uint32_t ev_fetch_sub_acq_rel_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_sub(p, v, __ATOMIC_ACQ_REL); }
static inline uint32_t ev_fetch_add_relaxed_u32(uint32_t *p, uint32_t v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
static inline void ev_store_relaxed_u32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

/* Compare-and-swap, strong, acq_rel on success and acquire on failure: returns 1 if *p held
 * *expected and now holds desired; otherwise 0 with *expected updated to what *p held.
 * (The side claim of ABI 1.1: docs/ABI.md "Claiming a side".) */
static inline int ev_compare_exchange_acq_rel_u64(uint64_t *p, uint64_t *expected, uint64_t desired) {
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline int ev_compare_exchange_acq_rel_u32(uint32_t *p, uint32_t *expected, uint32_t desired) {
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Fences for the slot seqlock (docs/ABI.md "Slot records"). */
static inline void ev_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void ev_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }


/* A CPU hint for spin loops (PAUSE on x86, YIELD on arm64). */
static inline void ev_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

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
static inline uint64_t *ev_side_owner_ptr(ev_side *s) { return &s->owner; }
static inline uint32_t *ev_side_claims_ptr(ev_side *s) { return &s->claims; }
static inline uint32_t *ev_slot_seq_ptr(ev_slot *s) { return &s->seq; }

#endif
