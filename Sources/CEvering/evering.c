/* Most of CEvering is static inline in include/; this file holds the one piece of state
 * that must exist once per process: the table of futex words this process sleeps on. */
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
        /* acquire pairs with the CAS in ev_sleeper_register. A word whose mapping was just
         * unmapped makes FUTEX_WAKE fail with EFAULT, which is harmless and ignored. */
        uint32_t *word = __atomic_load_n(&ev_sleepers[i], __ATOMIC_ACQUIRE);
        if (word) (void)ev_futex_wake(word, 0x7fffffff);
    }
}
