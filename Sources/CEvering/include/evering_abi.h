/*
 * evering ABI 1.1 — the layout of an evering ring pair in a POSIX shared-memory object.
 *
 * 1.1 adds fields only in bytes that 1.0 reserved (zero in 1.0 objects), so a 1.0 reader
 * reads a 1.1 ring and a 1.1 reader reads a 1.0 ring (docs/ABI.md, "ABI 1.1"). Every field
 * marked "1.1" below is zero in an object whose abi_minor is 0.
 *
 * This header is the single source of truth for offsets and sizes. docs/ABI.md explains
 * who writes each field and with which memory ordering; the Swift library and the tests
 * assert their view of the layout against the constants and _Static_asserts below.
 *
 * All integers are little-endian, naturally aligned. Offsets are bytes from the start of
 * the object. The object is a sequence of 4096-byte aligned sections:
 *
 *   [0, 4096)            header page: ev_header, two ev_side blocks, two ev_queue blocks
 *   sq_entries_offset    submission queue entries  (sq.capacity * sq.entry_size bytes)
 *   cq_entries_offset    completion queue entries  (cq.capacity * cq.entry_size bytes)
 *   slots_offset         driver slot table         (slot_count * EV_SLOT_SIZE bytes)
 *   buffers_offset       payload buffers           (slot_count * buffer_size bytes)
 *
 * Readers locate every section through the offsets stored in the header, never through
 * their own arithmetic, and validate each offset and size against total_size first.
 */
#ifndef EVERING_ABI_H
#define EVERING_ABI_H

#include <stdint.h>
#include <stddef.h>

#define EV_MAGIC            0x00474E4952455645ULL /* "EVERING\0" read as a little-endian u64 */
#define EV_ABI_MAJOR        1u
#define EV_ABI_MINOR        1u      /* the minor this library writes */
#define EV_ABI_MINOR_1_1    1u      /* the minor that defines the fields marked 1.1 */
#define EV_HEADER_PAGE      4096u   /* size of the header page; first section starts here */
#define EV_SECTION_ALIGN    4096u   /* every section offset is a multiple of this */
#define EV_CACHE_LINE       64u
#define EV_ENTRY_SIZE       32u     /* v1 queue entries are 32 bytes */
#define EV_SLOT_SIZE        64u     /* one cache line per driver slot */
#define EV_BUFFER_ALIGN     64u     /* buffer_size is a multiple of this */
#define EV_MAX_CAPACITY     (1u << 24)
#define EV_MAX_SLOTS        (1u << 20)
#define EV_MAX_BUFFER_SIZE  (1u << 24)  /* 16 MiB per slot */
#define EV_NAME_MAX         200u    /* bytes after the leading '/' */

/* ev_header.writer_features (1.1): duties a process must implement to attach as a side.
 * A writer refuses a ring with a bit it does not know; readers ignore the field. */
enum ev_writer_feature {
    EV_WRITER_OWNER_CLAIM = 1u << 0,  /* sides are claimed by CAS on ev_side.owner */
    EV_WRITER_SLOT_SEQ    = 1u << 1,  /* the requester keeps ev_slot.seq (a seqlock) */
};
#define EV_WRITER_FEATURES_1_1 (EV_WRITER_OWNER_CLAIM | EV_WRITER_SLOT_SEQ)

/* ev_side.capabilities (1.1): what this side's process does, advertised to its peer. */
enum ev_capability {
    EV_CAP_WAKES_PEER = 1u << 0,  /* follows the wake-up protocol: FUTEX_WAKEs a peer that announced sleep */
    EV_CAP_SLOT_SEQ   = 1u << 1,  /* (requester) writes slots under ev_slot.seq */
    EV_CAP_SLEEP_MEMBARRIER = 1u << 2,  /* issues membarrier(GLOBAL_EXPEDITED) when it announces sleep: a peer
                                           registered for it may publish without its seq_cst fence (docs/ABI.md) */
};

/* ev_waiter.sleeping (1.1): the futex word. */
enum ev_sleeping { EV_AWAKE = 0, EV_SLEEPING = 1 };

/* ev_header.ready */
enum ev_ready { EV_NOT_READY = 0, EV_READY = 1 };

/* ev_side.state */
enum ev_side_state { EV_SIDE_NEVER = 0, EV_SIDE_ATTACHED = 1, EV_SIDE_DETACHED = 2 };

/* index into ev_header.sides */
enum ev_side_index { EV_REQUESTER = 0, EV_RESPONDER = 1 };

/* ev_slot.state: free -> submitted -> waiting -> completed -> free,
 * or submitted/waiting -> cancelled -> free (when the completion arrives). */
enum ev_slot_state {
    EV_SLOT_FREE = 0,
    EV_SLOT_SUBMITTED = 1,
    EV_SLOT_WAITING = 2,
    EV_SLOT_COMPLETED = 3,
    EV_SLOT_CANCELLED = 4,
};

/* Per-side block, one cache line, written only by that side (the creator fills the
 * requester block when it creates as requester). */
typedef struct ev_side {
    int32_t  pid;               /*  0: pid of the attached process */
    uint32_t state;             /*  4: enum ev_side_state; release store after the fields below */
    uint64_t start_time;        /*  8: field 22 of /proc/PID/stat (clock ticks since boot) */
    uint64_t heartbeat_ns;      /* 16: CLOCK_MONOTONIC ns, relaxed store every 50 ms (docs/ABI.md "Heartbeat and liveness") */
    uint64_t attached_at_ns;    /* 24: CLOCK_REALTIME ns of the attach */
    uint64_t detached_at_ns;    /* 32: CLOCK_REALTIME ns of the detach, 0 while attached */
    /* 1.1 (zero in 1.0 objects) */
    uint64_t owner;             /* 40: claim word: pid | (start_time & 0xffffffff) << 32, 0 = unowned; CAS acq_rel */
    uint64_t pid_ns;            /* 48: inode of the owner's /proc/self/ns/pid, 0 = unknown; plain, before state */
    uint32_t capabilities;      /* 56: enum ev_capability bits; plain, before state */
    uint32_t claims;            /* 60: times this side block was claimed (takeovers included); relaxed */
} ev_side;

/* 1.1: one waiter of a queue (the consumer waiting for entries, or the producer waiting
 * for space). docs/ABI.md "Wake-ups" gives the protocol and why no wake-up is lost. */
typedef struct ev_waiter {
    uint32_t sleeping;          /*  0: futex word, enum ev_sleeping; waiter stores 1, the other side exchanges 0 */
    uint32_t cpu;               /*  4: 1 + the CPU the waiter last announced sleep on, 0 = unknown; waiter, relaxed (a spin hint) */
    uint64_t since_ns;          /*  8: CLOCK_MONOTONIC start of the current wait episode, 0 when running; waiter, relaxed */
    uint64_t wakes;             /* 16: FUTEX_WAKE calls made for this waiter by the other side; relaxed fetch-add */
    uint64_t late_wakes;        /* 24: waits that timed out although the condition already held; waiter, relaxed */
} ev_waiter;

/* Queue control block: three cache-line pairs so that the consumer's head and the
 * producer's tail are 128 bytes apart (adjacent-line prefetch never couples them). */
typedef struct ev_queue {
    /* line 0-1: immutable after creation */
    uint32_t capacity;          /*  0: power of two, 2 .. EV_MAX_CAPACITY */
    uint32_t mask;              /*  4: capacity - 1 */
    uint32_t entry_size;        /*  8: EV_ENTRY_SIZE in v1 */
    uint32_t reserved0;         /* 12 */
    uint64_t entries_offset;    /* 16: byte offset of the entry array in the object */
    uint8_t  reserved1[40];     /* 24 */
    /* line 1: 1.1 wait words, written only when a side goes to sleep or wakes one */
    ev_waiter consumer_wait;    /* 64: the consumer waiting for entries */
    ev_waiter producer_wait;    /* 96: the producer waiting for space */
    /* line 2-3: consumer-owned */
    uint64_t head;              /* 128: free-running count of dequeued entries; release store */
    uint64_t empty_waits;       /* 136: times the consumer blocked on empty; relaxed */
    uint8_t  reserved2[112];    /* 144 */
    /* line 4-5: producer-owned */
    uint64_t tail;              /* 256: free-running count of enqueued entries; release store */
    uint64_t full_stalls;       /* 264: times the producer found the queue full; relaxed */
    uint8_t  reserved3[112];    /* 272 */
} ev_queue;

/* Object header, at offset 0. */
typedef struct ev_header {
    uint64_t magic;             /*   0: EV_MAGIC */
    uint16_t abi_major;         /*   8 */
    uint16_t abi_minor;         /*  10 */
    uint32_t header_size;       /*  12: EV_HEADER_PAGE */
    uint64_t total_size;        /*  16: size the creator ftruncate'd the object to */
    uint32_t ready;             /*  24: enum ev_ready; release store, written last */
    uint32_t refcount;          /*  28: attached sides (0..2); atomic add/sub */
    uint64_t created_at_ns;     /*  32: CLOCK_REALTIME ns */
    int32_t  creator_pid;       /*  40 */
    uint32_t slot_count;        /*  44: driver slots, 1 .. EV_MAX_SLOTS */
    uint32_t buffer_size;       /*  48: payload bytes per slot, multiple of EV_BUFFER_ALIGN */
    uint32_t flags;             /*  52: 0 (no flags are defined) */
    uint64_t slots_offset;      /*  56 */
    uint64_t buffers_offset;    /*  64 */
    uint64_t sq_offset;         /*  72: offset of the SQ ev_queue block (512 in v1) */
    uint64_t cq_offset;         /*  80: offset of the CQ ev_queue block (896 in v1) */
    uint32_t writer_features;   /*  88: 1.1: enum ev_writer_feature bits; creator, plain */
    uint32_t reserved0;         /*  92 */
    uint8_t  reserved[32];      /*  96: zero; later minor versions add fields here */
    ev_side  sides[2];          /* 128: [EV_REQUESTER], [EV_RESPONDER] */
    uint8_t  reserved_tail[256];/* 256 */
} ev_header;

/* Queue entry, 32 bytes, used by both queues. */
typedef struct ev_entry {
    uint64_t op_id;             /*  0: slot index (low 32 bits) | generation << 32 */
    uint16_t opcode;            /*  8 */
    uint16_t flags;             /* 10 */
    uint32_t length;            /* 12: payload bytes in the slot's buffer */
    uint64_t user_data;         /* 16: opaque to the ring */
    int32_t  result;            /* 24: completion status (0 = ok, <0 = -errno); 0 in requests */
    uint32_t reserved;          /* 28 */
} ev_entry;

/* Driver slot, one cache line, written only by the requester. */
typedef struct ev_slot {
    uint32_t state;             /*  0: enum ev_slot_state; release store */
    uint32_t generation;        /*  4: bumped each time the slot is allocated */
    uint16_t opcode;            /*  8 */
    uint16_t flags;             /* 10 */
    uint32_t length;            /* 12: request payload bytes */
    uint64_t submitted_ns;      /* 16: CLOCK_MONOTONIC ns */
    uint64_t completed_ns;      /* 24: CLOCK_MONOTONIC ns, 0 until the completion arrives */
    uint32_t result_length;     /* 32: response payload bytes */
    int32_t  result;            /* 36 */
    uint64_t user_data;         /* 40 */
    /* 1.1 (zero in 1.0 objects) */
    uint32_t seq;               /* 48: seqlock: odd while the requester rewrites this record, +2 per rewrite */
    uint32_t reserved0;         /* 52 */
    uint64_t reserved1;         /* 56 */
} ev_slot;

#define EV_SQ_BLOCK_OFFSET 512u
#define EV_CQ_BLOCK_OFFSET 896u

_Static_assert(sizeof(ev_side) == 64, "ev_side is one cache line");
_Static_assert(sizeof(ev_queue) == 384, "ev_queue is three line pairs");
_Static_assert(offsetof(ev_queue, head) == 128, "head on its own line pair");
_Static_assert(offsetof(ev_queue, tail) == 256, "tail 128 bytes after head");
_Static_assert(sizeof(ev_header) == 512, "header struct");
_Static_assert(offsetof(ev_header, sides) == 128, "sides start at 128");
_Static_assert(EV_CQ_BLOCK_OFFSET + sizeof(ev_queue) <= EV_HEADER_PAGE, "queue blocks fit the header page");
_Static_assert(sizeof(ev_entry) == EV_ENTRY_SIZE, "entry size");
_Static_assert(sizeof(ev_waiter) == 32, "waiter record");
_Static_assert(offsetof(ev_queue, consumer_wait) == 64, "wait words on line 1 of the queue block");
_Static_assert(offsetof(ev_queue, producer_wait) == 96, "producer waiter after the consumer's");
_Static_assert(offsetof(ev_waiter, cpu) == 4, "cpu hint in the waiter's 4 spare bytes");
_Static_assert(offsetof(ev_side, owner) == 40, "owner word in 1.0's reserved bytes");
_Static_assert(offsetof(ev_header, writer_features) == 88, "writer features in 1.0's reserved bytes");
_Static_assert(offsetof(ev_slot, seq) == 48, "slot seq in 1.0's reserved bytes");
_Static_assert(sizeof(ev_slot) == EV_SLOT_SIZE, "slot size");

/* Offsets exported as functions so Swift tests can compare them with MemoryLayout. */
static inline size_t ev_offsetof_header_ready(void) { return offsetof(ev_header, ready); }
static inline size_t ev_offsetof_header_refcount(void) { return offsetof(ev_header, refcount); }
static inline size_t ev_offsetof_header_sides(void) { return offsetof(ev_header, sides); }
static inline size_t ev_offsetof_header_slots_offset(void) { return offsetof(ev_header, slots_offset); }
static inline size_t ev_offsetof_header_sq_offset(void) { return offsetof(ev_header, sq_offset); }
static inline size_t ev_offsetof_side_heartbeat(void) { return offsetof(ev_side, heartbeat_ns); }
static inline size_t ev_offsetof_side_state(void) { return offsetof(ev_side, state); }
static inline size_t ev_offsetof_queue_head(void) { return offsetof(ev_queue, head); }
static inline size_t ev_offsetof_queue_tail(void) { return offsetof(ev_queue, tail); }
static inline size_t ev_offsetof_queue_full_stalls(void) { return offsetof(ev_queue, full_stalls); }
static inline size_t ev_offsetof_entry_user_data(void) { return offsetof(ev_entry, user_data); }
static inline size_t ev_offsetof_slot_submitted_ns(void) { return offsetof(ev_slot, submitted_ns); }
static inline size_t ev_offsetof_slot_user_data(void) { return offsetof(ev_slot, user_data); }
static inline size_t ev_offsetof_header_writer_features(void) { return offsetof(ev_header, writer_features); }
static inline size_t ev_offsetof_side_owner(void) { return offsetof(ev_side, owner); }
static inline size_t ev_offsetof_side_pid_ns(void) { return offsetof(ev_side, pid_ns); }
static inline size_t ev_offsetof_side_capabilities(void) { return offsetof(ev_side, capabilities); }
static inline size_t ev_offsetof_side_claims(void) { return offsetof(ev_side, claims); }
static inline size_t ev_offsetof_queue_consumer_wait(void) { return offsetof(ev_queue, consumer_wait); }
static inline size_t ev_offsetof_queue_producer_wait(void) { return offsetof(ev_queue, producer_wait); }
static inline size_t ev_offsetof_slot_seq(void) { return offsetof(ev_slot, seq); }

#endif
