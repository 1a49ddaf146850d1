/*
 * The control block the benchmark's two processes share (at offset 0 of the benchmark's
 * own shm object, never inside a ring): the peer announces it is ready, and reports how
 * its side of the run went. Written only by the peer, read by the driver after the peer
 * has exited (waitpid orders it), except `peer_ready`, which the driver polls.
 */
#ifndef EVERING_BENCH_CONTROL_H
#define EVERING_BENCH_CONTROL_H

#include <stdint.h>

typedef struct evbench_control {
    uint32_t peer_ready;        /*  0: 1 once the peer is attached and about to consume; release store */
    uint32_t reserved0;         /*  4 */
    uint64_t peer_end_ns;       /*  8: CLOCK_MONOTONIC ns after the peer handled its last entry */
    uint64_t transferred;       /* 16: entries the peer received and checked */
    uint64_t errors;            /* 24: entries with a wrong sequence or check word */
    uint64_t timed_out;         /* 32: 1 if the peer gave up at its deadline */
    uint8_t  reserved[24];      /* 40 */
} evbench_control;

_Static_assert(sizeof(evbench_control) == 64, "one cache line");

static inline uint32_t *evbench_peer_ready_ptr(evbench_control *c) { return &c->peer_ready; }

#endif
