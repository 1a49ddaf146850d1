/* The reference ring (see include/evering_reference.h for the design and why it exists). */
#include "evering_reference.h"
#include "evering_sys.h"

/* Process-local state of one end, like rigtorp::SPSCQueue's member fields. */
typedef struct producer {
    uint64_t *head;         /* shared, written by the consumer */
    uint64_t *tail;         /* shared, written by us */
    uint64_t mask, capacity;
    uint64_t local_tail;    /* authoritative copy of our tail */
    uint64_t cached_head;   /* the consumer's head as last seen */
} producer;

typedef struct consumer {
    uint64_t *head;
    uint64_t *tail;
    uint64_t mask;
    uint64_t local_head;
    uint64_t cached_tail;
} consumer;

static producer make_producer(ev_queue *q) {
    producer p = { &q->head, &q->tail, q->capacity - 1, q->capacity, 0, 0 };
    p.local_tail = __atomic_load_n(p.tail, __ATOMIC_RELAXED);  /* only we write tail */
    p.cached_head = __atomic_load_n(p.head, __ATOMIC_ACQUIRE); /* pairs with the consumer's release of head */
    return p;
}

static consumer make_consumer(ev_queue *q) {
    consumer c = { &q->head, &q->tail, q->capacity - 1, 0, 0 };
    c.local_head = __atomic_load_n(c.head, __ATOMIC_RELAXED);  /* only we write head */
    c.cached_tail = __atomic_load_n(c.tail, __ATOMIC_ACQUIRE); /* pairs with the producer's release of tail */
    return c;
}

/* Returns the index to write, or UINT64_MAX when full. Publication is a separate step
 * so the entry is written in place, as the Swift queue does. */
static inline uint64_t producer_reserve(producer *p) {
    uint64_t tail = p->local_tail;
    if (tail - p->cached_head == p->capacity) {
        /* Acquire pairs with the consumer's release store of head: freed slots were read. */
        p->cached_head = __atomic_load_n(p->head, __ATOMIC_ACQUIRE);
        if (tail - p->cached_head == p->capacity) return UINT64_MAX;
    }
    return tail;
}

static inline void producer_publish(producer *p, uint64_t tail) {
    p->local_tail = tail + 1;
    /* Release pairs with the consumer's acquire load of tail: the entry is visible first. */
    __atomic_store_n(p->tail, tail + 1, __ATOMIC_RELEASE);
}

static inline uint64_t consumer_peek(consumer *c) {
    uint64_t head = c->local_head;
    if (head == c->cached_tail) {
        /* Acquire pairs with the producer's release store of tail: entries below it are written. */
        c->cached_tail = __atomic_load_n(c->tail, __ATOMIC_ACQUIRE);
        if (head == c->cached_tail) return UINT64_MAX;
    }
    return head;
}

static inline void consumer_release(consumer *c, uint64_t head) {
    c->local_head = head + 1;
    /* Release pairs with the producer's acquire load of head: our read of the entry is done. */
    __atomic_store_n(c->head, head + 1, __ATOMIC_RELEASE);
}

/* Spinning waits look at the clock only every 64 Ki failed attempts. */
#define EVREF_CLOCK_EVERY 0xFFFFu

#define DEFINE_STREAM(BITS, ENTRY, SET, SEQ, CHECK)                                            \
evref_outcome evref_stream_produce##BITS(ev_queue *queue, ENTRY *entries, uint64_t first,     \
                                         uint64_t count, uint64_t deadline_ns) {              \
    producer p = make_producer(queue);                                                         \
    uint32_t spins = 0;                                                                        \
    for (uint64_t i = 0; i < count; i++) {                                                     \
        uint64_t seq = first + i, at;                                                          \
        while ((at = producer_reserve(&p)) == UINT64_MAX) {                                    \
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) {       \
                return (evref_outcome){ i, 0, 1 };                                             \
            }                                                                                  \
        }                                                                                      \
        ENTRY *e = &entries[at & p.mask];                                                      \
        SET;                                                                                   \
        producer_publish(&p, at);                                                              \
    }                                                                                          \
    return (evref_outcome){ count, 0, 0 };                                                     \
}                                                                                              \
evref_outcome evref_stream_consume##BITS(ev_queue *queue, const ENTRY *entries, uint64_t first,\
                                         uint64_t count, uint64_t deadline_ns) {              \
    consumer c = make_consumer(queue);                                                         \
    uint64_t errors = 0;                                                                       \
    uint32_t spins = 0;                                                                        \
    for (uint64_t i = 0; i < count; i++) {                                                     \
        uint64_t at;                                                                           \
        while ((at = consumer_peek(&c)) == UINT64_MAX) {                                       \
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) {       \
                return (evref_outcome){ i, errors, 1 };                                        \
            }                                                                                  \
        }                                                                                      \
        ENTRY copy = entries[at & c.mask];                                                     \
        consumer_release(&c, at);                                                              \
        uint64_t seq = first + i;                                                              \
        errors += (copy.SEQ != seq) | (copy.CHECK != evref_check(seq));                       \
    }                                                                                          \
    return (evref_outcome){ count, errors, 0 };                                                \
}

DEFINE_STREAM(16, evref_entry, (e->sequence = seq, e->check = evref_check(seq)), sequence, check)
DEFINE_STREAM(32, ev_entry,
              (e->op_id = evref_check(seq), e->opcode = 1, e->flags = 0, e->length = 0,
               e->user_data = seq, e->result = 0, e->reserved = 0),
              user_data, op_id)

evref_outcome evref_pingpong_initiate16(ev_queue *out_q, evref_entry *out_entries,
                                        ev_queue *in_q, const evref_entry *in_entries,
                                        uint64_t count, uint64_t *rtt_ns, uint64_t deadline_ns) {
    producer p = make_producer(out_q);
    consumer c = make_consumer(in_q);
    uint64_t errors = 0;
    uint32_t spins = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t start = ev_monotonic_ns(), at;
        while ((at = producer_reserve(&p)) == UINT64_MAX) {
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) return (evref_outcome){ i, errors, 1 };
        }
        out_entries[at & p.mask] = (evref_entry){ i, evref_check(i) };
        producer_publish(&p, at);
        while ((at = consumer_peek(&c)) == UINT64_MAX) {
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) return (evref_outcome){ i, errors, 1 };
        }
        evref_entry reply = in_entries[at & c.mask];
        consumer_release(&c, at);
        rtt_ns[i] = ev_monotonic_ns() - start;
        errors += (reply.sequence != i) | (reply.check != evref_check(i) + 1);
    }
    return (evref_outcome){ count, errors, 0 };
}

evref_outcome evref_pingpong_echo16(ev_queue *in_q, const evref_entry *in_entries,
                                    ev_queue *out_q, evref_entry *out_entries,
                                    uint64_t count, uint64_t deadline_ns) {
    consumer c = make_consumer(in_q);
    producer p = make_producer(out_q);
    uint64_t errors = 0;
    uint32_t spins = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t at;
        while ((at = consumer_peek(&c)) == UINT64_MAX) {
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) return (evref_outcome){ i, errors, 1 };
        }
        evref_entry request = in_entries[at & c.mask];
        consumer_release(&c, at);
        errors += (request.sequence != i) | (request.check != evref_check(i));
        while ((at = producer_reserve(&p)) == UINT64_MAX) {
            if ((++spins & EVREF_CLOCK_EVERY) == 0 && ev_monotonic_ns() > deadline_ns) return (evref_outcome){ i, errors, 1 };
        }
        /* Echo what arrived (not what was expected), so the initiator checks the round trip. */
        out_entries[at & p.mask] = (evref_entry){ request.sequence, request.check + 1 };
        producer_publish(&p, at);
    }
    return (evref_outcome){ count, errors, 0 };
}
