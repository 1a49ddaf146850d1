/* Most of CEvering is static inline in include/; this file holds what needs process-wide
 * state: the SIGBUS guard (include/evering_guard.h explains it), and the table of futex
 * words this process sleeps on (at the end). */
#define _GNU_SOURCE
#include "evering_guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Enough for the overview and exporter over every ring of a large machine (`bench fleet`
 * goes to 20,000). 24 bytes each, zero-initialised BSS: pages are touched only as entries
 * are used, and the handler's scan (only on a fault) reads at most this many entries. */
#define EV_GUARD_SLOTS 32768

/* One registered mapping. `base` is 0 for a free entry. The handler reads these with
 * acquire loads; registration publishes `end` before `base` with a release store. */
static struct {
    uintptr_t base;
    uintptr_t end;
    uint64_t faults;
} guards[EV_GUARD_SLOTS];

static struct sigaction previous_action;
static uintptr_t page_mask;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void chain_to_previous(int sig, siginfo_t *info, void *context) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction) { previous_action.sa_sigaction(sig, info, context); return; }
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
        return;
    }
    /* Default (or ignored, which a synchronous fault cannot be): restore the default action
     * and return; the load faults again and the process ends as it would have without us. */
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGBUS, &fallback, NULL);
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    int saved_errno = errno;
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < EV_GUARD_SLOTS; i++) {
        /* Acquire pairs with the release store of base in ev_bus_guard_register. */
        uintptr_t base = __atomic_load_n(&guards[i].base, __ATOMIC_ACQUIRE);
        uintptr_t end = __atomic_load_n(&guards[i].end, __ATOMIC_RELAXED);
        if (base <= 1 || address < base || address >= end) continue;  /* 1: an entry being registered */
        uintptr_t page = address & page_mask;
        /* Zero pages over the rest of the mapping: everything from the faulting page on is
         * past the object's new end. mmap is a plain system call on Linux. */
        void *zeros = mmap((void *)page, end - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (zeros != MAP_FAILED) {
            /* Relaxed: a counter the reader polls after its reads (same thread: program order). */
            __atomic_fetch_add(&guards[i].faults, 1, __ATOMIC_RELAXED);
            errno = saved_errno;
            return;
        }
        break;
    }
    errno = saved_errno;
    chain_to_previous(sig, info, context);
}

static void install(void) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
}

/* Where the next registration starts looking for a free entry, so registering n mappings
 * costs O(n), not O(n^2). A hint only: relaxed. */
static unsigned next_free_hint;

int ev_bus_guard_register(const void *base, size_t length) {
    if (base == NULL || length == 0) return -1;
    pthread_once(&install_once, install);
    unsigned start = __atomic_load_n(&next_free_hint, __ATOMIC_RELAXED);
    for (int k = 0; k < EV_GUARD_SLOTS; k++) {
        int i = (int)((start + (unsigned)k) % EV_GUARD_SLOTS);
        uintptr_t expected = 0;
        /* Claim a free entry with a placeholder (1 never matches a fault: no mapping is at 1). */
        if (__atomic_compare_exchange_n(&guards[i].base, &expected, (uintptr_t)1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            __atomic_store_n(&guards[i].faults, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&guards[i].end, (uintptr_t)base + length, __ATOMIC_RELAXED);
            /* Release: end is visible to the handler before base says the entry is live. */
            __atomic_store_n(&guards[i].base, (uintptr_t)base, __ATOMIC_RELEASE);
            __atomic_store_n(&next_free_hint, (unsigned)(i + 1) % EV_GUARD_SLOTS, __ATOMIC_RELAXED);
            return i;
        }
    }
    return -1;
}

void ev_bus_guard_unregister(int id) {
    if (id < 0 || id >= EV_GUARD_SLOTS) return;
    /* Release: a later registration of this entry is ordered after our last use. */
    __atomic_store_n(&guards[id].base, (uintptr_t)0, __ATOMIC_RELEASE);
}

int ev_bus_guard_capacity(void) { return EV_GUARD_SLOTS; }

uint64_t ev_bus_guard_faults(int id) {
    if (id < 0 || id >= EV_GUARD_SLOTS) return 0;
    /* Relaxed: see on_sigbus. */
    return __atomic_load_n(&guards[id].faults, __ATOMIC_RELAXED);
}

/* ---- The table of futex words this process sleeps on (issue 13) ---- */
#include "evering_sys.h"

/* The futex words threads of this process are asleep on (NULL = free entry). A stop
 * request (a SIGINT/SIGTERM handler) wakes every one of them, so a blocked call sees the
 * request at once instead of at the end of its capped wait: a signal is delivered to any
 * thread, not necessarily the sleeper, and a FUTEX_WAIT interrupted under SA_RESTART is
 * restarted by the kernel, so neither EINTR nor the handler alone would reach it. */
#define EV_SLEEPER_SLOTS 64
static uint32_t *ev_sleepers[EV_SLEEPER_SLOTS];

int ev_sleeper_register(uint32_t *word) {
    for (int i = 0; i < EV_SLEEPER_SLOTS; i++) {
        uint32_t *expected = NULL;
        /* acq_rel CAS: claims the entry; its release half publishes the word to the waking
         * handler's acquire load. */
        if (__atomic_compare_exchange_n(&ev_sleepers[i], &expected, word, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return i;
    }
    return -1;  /* table full: the sleeper still wakes by its capped timeout */
}

void ev_sleeper_unregister(int entry) {
    /* release: the entry is free for the next claimant once our use of it is over. */
    if (entry >= 0) __atomic_store_n(&ev_sleepers[entry], NULL, __ATOMIC_RELEASE);
}

void ev_sleepers_wake_all(void) {
    for (int i = 0; i < EV_SLEEPER_SLOTS; i++) {
        /* acquire pairs with the CAS in ev_sleeper_register. Clear-and-wake: a sleeper
         * between its flag check and FUTEX_WAIT then finds 0 and returns at once. A word
         * whose mapping was just unmapped makes it fail with EFAULT, harmless and ignored. */
        uint32_t *word = __atomic_load_n(&ev_sleepers[i], __ATOMIC_ACQUIRE);
        if (word) (void)ev_futex_clear_and_wake(word);
    }
}
