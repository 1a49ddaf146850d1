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
#include <sys/prctl.h>
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


/* ---- the slot seqlock (ABI 1.1, docs/ABI.md "Slot records (a seqlock)") ----
 *
 * The requester is the only writer of a slot. A rewrite of more than the state word is
 * bracketed by ev_slot_write_begin/end: seq goes odd, the fields are stored (relaxed atomic
 * stores: an inspector may be loading them), seq goes even again, and then the state is
 * published with a release store as in 1.0. A change of the state word alone needs no
 * sequence: one atomic store is never seen torn, and the other fields do not change. */

static inline void ev_slot_write_begin(ev_slot *s) {
    /* Relaxed load: we are the only writer of seq. */
    uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
    /* Release fence: the odd seq is ordered before the field stores that follow, so a
     * reader that sees any of them (then fences with acquire) re-reads seq as changed. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void ev_slot_write_end(ev_slot *s) {
    uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    /* Release: pairs with the reader's acquire load of seq; the fields come first. */
    __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
}

/* The field stores of an allocation (generation bumped, request described, results zeroed). */
static inline void ev_slot_store_allocated(ev_slot *s, uint32_t generation, uint16_t opcode, uint32_t length,
                                           uint64_t submitted_ns, uint64_t user_data) {
    /* Relaxed stores: ordered by the seq bracket around them; they compile to plain moves. */
    __atomic_store_n(&s->generation, generation, __ATOMIC_RELAXED);
    __atomic_store_n(&s->opcode, opcode, __ATOMIC_RELAXED);
    __atomic_store_n(&s->flags, (uint16_t)0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->length, length, __ATOMIC_RELAXED);
    __atomic_store_n(&s->submitted_ns, submitted_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&s->completed_ns, (uint64_t)0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->result_length, (uint32_t)0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->result, (int32_t)0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->user_data, user_data, __ATOMIC_RELAXED);
}

/* The field stores of a completion: when it arrived and what it said. */
static inline void ev_slot_store_completion(ev_slot *s, uint64_t completed_ns, int32_t result, uint32_t result_length) {
    /* Relaxed stores: ordered by the seq bracket around them. */
    __atomic_store_n(&s->completed_ns, completed_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&s->result, result, __ATOMIC_RELAXED);
    __atomic_store_n(&s->result_length, result_length, __ATOMIC_RELAXED);
}

/* The record's fields, each loaded atomically (no data race with the writer) but not as one
 * instant's record: ev_slot_read brackets this with the seq checks. Alone, it is the 1.0
 * best-effort copy (seq, reserved0 and reserved1 of *out are left as they were). */
static inline void ev_slot_load_fields(const ev_slot *s, ev_slot *out) {
    /* Acquire on state, as in 1.0 (pairs with the release store of state after the fields). */
    out->state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
    /* Relaxed: a racing rewrite is caught by the caller's seq re-read. */
    out->generation = __atomic_load_n(&s->generation, __ATOMIC_RELAXED);
    out->opcode = __atomic_load_n(&s->opcode, __ATOMIC_RELAXED);
    out->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
    out->length = __atomic_load_n(&s->length, __ATOMIC_RELAXED);
    out->submitted_ns = __atomic_load_n(&s->submitted_ns, __ATOMIC_RELAXED);
    out->completed_ns = __atomic_load_n(&s->completed_ns, __ATOMIC_RELAXED);
    out->result_length = __atomic_load_n(&s->result_length, __ATOMIC_RELAXED);
    out->result = __atomic_load_n(&s->result, __ATOMIC_RELAXED);
    out->user_data = __atomic_load_n(&s->user_data, __ATOMIC_RELAXED);
}

/* Copies slot *s into *out as one instant's record, as the Linux seqcount reader does:
 * seq (acquire), the fields (relaxed loads), an acquire fence, seq again (relaxed); equal
 * and even means no rewrite overlapped the copy. Returns 1 on success, 0 if the record was
 * still changing after `attempts` tries (the caller reports the slot as "changing"). In a
 * 1.0 ring seq stays 0, so the first copy is taken as it is (best effort, as 1.0 says). */
static inline int ev_slot_read(const ev_slot *s, ev_slot *out, int attempts) {
    for (int i = 0; i < attempts; i++) {
        /* Acquire pairs with the writer's release store of the even seq (ev_slot_write_end). */
        uint32_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if (before & 1u) {  /* a rewrite is in progress: it takes nanoseconds */
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            continue;
        }
        ev_slot_load_fields(s, out);
        /* Acquire fence: the field loads above happen before the seq re-read below. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t after = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
        if (before == after) {
            out->seq = before;
            out->reserved0 = 0;
            out->reserved1 = 0;
            return 1;
        }
    }
    return 0;
}

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

/* Stores 0 into *word and wakes every waiter on it, in one system call (FUTEX_WAKE_OP with
 * FUTEX_OP_SET 0 on the same word). A third party that ends someone else's sleep (a stop
 * request, the heartbeat thread that saw the peer die) uses it: a sleeper that has not yet
 * entered FUTEX_WAIT then finds 0 there and returns at once, so that wake cannot fall in
 * the gap before the wait. The kernel does the store with fault handling, so a word whose
 * mapping was just unmapped costs -EFAULT, never a signal: safe in a signal handler. */
static inline int ev_futex_clear_and_wake(uint32_t *word) {
    long rc = syscall(SYS_futex, word, FUTEX_WAKE_OP, 0x7fffffff, (void *)0, word,
                      FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 0));
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

/* ---- timers (prctl is variadic, so Swift cannot call it) ----
 * The calling thread's timer slack: how late the kernel may end its sleeps to batch
 * wake-ups (50 µs by default). Returns 0 or -errno. */
static inline int ev_set_timer_slack_ns(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0) == 0 ? 0 : -errno;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time `deadline_ns` (returns early on a
 * signal: the caller re-checks its clock). */
static inline void ev_sleep_until_ns(uint64_t deadline_ns) {
    struct timespec until = { (time_t)(deadline_ns / 1000000000ull), (long)(deadline_ns % 1000000000ull) };
    (void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
}

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
static inline uint64_t *ev_side_owner_ptr(ev_side *s) { return &s->owner; }
static inline uint32_t *ev_side_claims_ptr(ev_side *s) { return &s->claims; }
static inline uint32_t *ev_slot_seq_ptr(ev_slot *s) { return &s->seq; }

#endif
