/*
 * UringFixture: a test helper that creates a real io_uring and leaves it in a chosen
 * state for the inspector's tests to read through /proc/PID/fdinfo/FD:
 *   --unreaped M     M NOPs submitted and completed, their CQEs left unreaped
 *   --overflow       submit NOPs until the CQ overflows (completions go to the overflow list)
 *   --unsubmitted K  K NOPs written into the SQ and the SQ tail published, but never
 *                    io_uring_enter()ed, so the kernel does not consume them
 *   --sqpoll         use an SQPOLL thread; unsubmitted entries are published only after
 *                    the thread has gone idle (NEED_WAKEUP) and it is never woken: a
 *                    stalled-SQPOLL picture
 *   --busy           keep submitting and reaping NOP batches until killed (for rates)
 *   --entries N      SQ size (the kernel rounds up to a power of two; CQ is twice that)
 *   --extra-rings N  also open N idle rings (a process with several io_urings)
 * It prints "ready pid=P fd=F sq=S cq=C" once the state is in place, then waits until
 * killed. Tests parse that line instead of sleeping.
 */
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, int err) {
    fprintf(stderr, "UringFixture: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(1);
}

static void usage(void) {
    fprintf(stderr, "usage: UringFixture [--entries N] [--unreaped M] [--unsubmitted K] [--overflow] [--sqpoll] [--busy] [--extra-rings N]\n");
    exit(2);
}

/* Queues `count` NOPs tagged base+i and submits them (waking SQPOLL if needed). */
static void submit_nops(struct io_uring *ring, unsigned count, unsigned long long base) {
    unsigned done = 0;
    while (done < count) {
        unsigned batch = 0;
        struct io_uring_sqe *sqe;
        while (done + batch < count && (sqe = io_uring_get_sqe(ring)) != NULL) {
            io_uring_prep_nop(sqe);
            io_uring_sqe_set_data64(sqe, base + done + batch);
            batch++;
        }
        if (batch == 0) die("SQ full", EBUSY);
        int ret = io_uring_submit(ring);
        if (ret < 0) die("io_uring_submit", ret);
        done += batch;
    }
}

/* Waits (bounded, 5 s) until the CQ holds at least `count` entries, without reaping them. */
static void await_ready_cqes(struct io_uring *ring, unsigned count) {
    for (int i = 0; i < 5000 && io_uring_cq_ready(ring) < count; i++) usleep(1000);
    if (io_uring_cq_ready(ring) < count) die("completions did not arrive", ETIMEDOUT);
}

int main(int argc, char **argv) {
    unsigned entries = 8, unreaped = 0, unsubmitted = 0, extra_rings = 0;
    int overflow = 0, sqpoll = 0, busy = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--entries") && i + 1 < argc) entries = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--unreaped") && i + 1 < argc) unreaped = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--unsubmitted") && i + 1 < argc) unsubmitted = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--extra-rings") && i + 1 < argc) extra_rings = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--overflow")) overflow = 1;
        else if (!strcmp(argv[i], "--sqpoll")) sqpoll = 1;
        else if (!strcmp(argv[i], "--busy")) busy = 1;
        else usage();
    }

    struct io_uring ring;
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    if (sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = 5; /* ms: go idle (and ask for a wakeup) quickly */
    }
    int ret = io_uring_queue_init_params(entries, &ring, &params);
    if (ret < 0) die("io_uring_queue_init_params", ret);
    if (unsubmitted > params.sq_entries || unreaped > params.cq_entries) usage();

    if (unreaped > 0) {
        submit_nops(&ring, unreaped, 1000);
        await_ready_cqes(&ring, unreaped);
    }
    if (overflow) {
        /* Fill the CQ and then some: with IORING_FEAT_NODROP the extra completions wait
           on the kernel's overflow list until the application reaps. */
        unsigned room = params.cq_entries - io_uring_cq_ready(&ring);
        unsigned extra = params.sq_entries < 4 ? params.sq_entries : 4;
        submit_nops(&ring, room, 3000);
        await_ready_cqes(&ring, params.cq_entries);
        submit_nops(&ring, extra, 4000);
    }
    if (unsubmitted > 0) {
        if (sqpoll) {
            /* Wait (bounded) until the SQPOLL thread has gone to sleep and asked to be woken. */
            for (int i = 0; i < 5000 && !(IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_NEED_WAKEUP); i++) usleep(1000);
            if (!(IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_NEED_WAKEUP)) die("SQPOLL thread never went idle", ETIMEDOUT);
        }
        for (unsigned i = 0; i < unsubmitted; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            if (!sqe) die("SQ full", EBUSY);
            io_uring_prep_nop(sqe);
            io_uring_sqe_set_data64(sqe, 2000 + i);
        }
        /* Publish the tail the way io_uring_submit would (release store: the SQEs written
           above become visible first), but never call io_uring_enter: the kernel leaves them. */
        io_uring_smp_store_release(ring.sq.ktail, ring.sq.sqe_tail);
    }

    for (unsigned i = 0; i < extra_rings && i < 8; i++) {
        static struct io_uring extra[8]; /* kept open until the process dies */
        ret = io_uring_queue_init(4, &extra[i], 0);
        if (ret < 0) die("io_uring_queue_init (extra ring)", ret);
    }

    printf("ready pid=%d fd=%d sq=%u cq=%u\n", (int)getpid(), ring.ring_fd, params.sq_entries, params.cq_entries);
    fflush(stdout);

    if (busy) {
        unsigned long long tag = 10000;
        for (;;) {
            submit_nops(&ring, 4, tag);
            tag += 4;
            struct io_uring_cqe *cqe;
            for (int n = 0; n < 4; n++) {
                ret = io_uring_wait_cqe(&ring, &cqe);
                if (ret < 0) die("io_uring_wait_cqe", ret);
                io_uring_cqe_seen(&ring, cqe);
            }
            struct timespec pause_for = {0, 1000000}; /* ~1 ms between batches: steady, visible rates */
            nanosleep(&pause_for, NULL);
        }
    }
    for (;;) pause(); /* until killed */
}
