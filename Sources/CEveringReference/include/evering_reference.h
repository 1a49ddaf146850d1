/*
 * A minimal C SPSC ring of the same design as evering's queues, used only by the
 * benchmark as the upper-bound reference the Swift ring is measured against.
 *
 * Same design means: the queue control block is an ev_queue (head and tail 128 bytes
 * apart), indices are free-running 64-bit counters, each side keeps its own index and a
 * cached copy of the other side's index in process-local memory and reads the shared
 * remote index (acquire) only when the cached copy says full/empty, and publishes its
 * own index with a release store. Entries are 16 bytes (evref_entry) or the 32-byte
 * ev_entry of ABI v1.
 *
 * Every function verifies what it receives (sequence numbers and a check word) so a
 * fast wrong answer cannot pass as a result, and gives up at `deadline_ns`
 * (CLOCK_MONOTONIC) so a dead peer cannot hang the benchmark.
 */
#ifndef EVERING_REFERENCE_H
#define EVERING_REFERENCE_H

#include <stdint.h>
#include "evering_abi.h"

/* The 16-byte entry both the C and the Swift streaming benchmarks send. */
typedef struct evref_entry {
    uint64_t sequence;
    uint64_t check;     /* evref_check(sequence) */
} evref_entry;

/* One multiply: cheap enough not to dominate, and any corrupted sequence or check word
 * is caught. The Swift side computes the same function. */
static inline uint64_t evref_check(uint64_t sequence) {
    return (sequence * 0x9E3779B97F4A7C15ull) ^ 0xA5A5A5A5A5A5A5A5ull;
}

/* What one side of a run reports. */
typedef struct evref_outcome {
    uint64_t transferred;   /* entries sent (producer) or received and checked (consumer) */
    uint64_t errors;        /* entries whose sequence or check word was wrong */
    uint64_t timed_out;     /* 1 if the deadline passed first */
} evref_outcome;

/* Streaming of `count` 16-byte entries with sequence numbers first .. first+count-1. */
evref_outcome evref_stream_produce16(ev_queue *queue, evref_entry *entries, uint64_t first,
                                     uint64_t count, uint64_t deadline_ns);
evref_outcome evref_stream_consume16(ev_queue *queue, const evref_entry *entries, uint64_t first,
                                     uint64_t count, uint64_t deadline_ns);

/* The same over 32-byte ev_entry records (user_data = sequence, op_id = check). */
evref_outcome evref_stream_produce32(ev_queue *queue, ev_entry *entries, uint64_t first,
                                     uint64_t count, uint64_t deadline_ns);
evref_outcome evref_stream_consume32(ev_queue *queue, const ev_entry *entries, uint64_t first,
                                     uint64_t count, uint64_t deadline_ns);

/* Ping-pong: the initiator sends sequence i on `out`, waits for i's echo on `in`
 * (check word evref_check(i) + 1), and stores the round trip in rtt_ns[i] (ns, taken
 * with ev_monotonic_ns around each exchange). The echoer receives on `in` and echoes on
 * `out`. */
evref_outcome evref_pingpong_initiate16(ev_queue *out, evref_entry *out_entries,
                                        ev_queue *in, const evref_entry *in_entries,
                                        uint64_t count, uint64_t *rtt_ns, uint64_t deadline_ns);
evref_outcome evref_pingpong_echo16(ev_queue *in, const evref_entry *in_entries,
                                    ev_queue *out, evref_entry *out_entries,
                                    uint64_t count, uint64_t deadline_ns);

#endif
