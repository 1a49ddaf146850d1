#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Dispatch
import Synchronization

/// Serves `Requester.completion(of:)`: a FUTEX_WAIT on a thread of Swift's cooperative
/// pool would block that thread (the pool has one per core), so async waits are handed to
/// one dedicated thread per requester, which sleeps on the completion queue with the
/// wake-up protocol and resumes the task when entries arrive. The task then reaps them
/// itself. While a task waits, the thread acts as the completion queue's consumer (the
/// task is suspended: one consumer at a time, as SPSC requires).
final class AsyncCompletionWaiter: @unchecked Sendable {
    // @unchecked: `jobs` is a Mutex; the thread is the only one to touch `completions`
    // while a job runs, and the semaphore plus the continuation order it with the task.
    private struct Job {
        var timeout: Duration?
        var continuation: CheckedContinuation<Result<Void, RingError>, Never>
    }

    private let completions: QueueConsumer<ev_entry>
    private let jobs = Mutex<(pending: [Job], closed: Bool)>(([], false))
    private let signal = DispatchSemaphore(value: 0)

    init(completions: QueueConsumer<ev_entry>) {
        self.completions = completions
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let waiter = Unmanaged<AsyncCompletionWaiter>.fromOpaque(raw!).takeRetainedValue()
            waiter.run()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create for the async completion waiter failed: \(rc)")
        pthread_detach(thread)
    }

    /// Suspends the calling task until the completion queue has an entry (or the wait
    /// fails: timeout, stop request, peer gone). Never blocks the calling thread.
    func waitForEntries(timeout: Duration?) async throws(RingError) {
        let result = await withCheckedContinuation { continuation in
            let accepted = jobs.withLock { state -> Bool in
                if state.closed { return false }
                state.pending.append(Job(timeout: timeout, continuation: continuation))
                return true
            }
            if accepted { signal.signal() } else { continuation.resume(returning: .failure(.stopRequested)) }
        }
        try result.get()
    }

    /// Lets the thread finish once its current job is done: a job asleep on the completion
    /// queue's futex is woken (its word cleared, so a sleep about to start ends too) and
    /// sees `closed` in its `giveUp`.
    func close() {
        jobs.withLock { $0.closed = true }
        signal.signal()
        SystemCalls.futexClearAndWake(completions.consumerWait.sleeping)
    }

    private func run() {
        while true {
            signal.wait()
            let next = jobs.withLock { state -> (Job?, Bool) in
                state.pending.isEmpty ? (nil, state.closed) : (state.pending.removeFirst(), state.closed)
            }
            guard let job = next.0 else {
                if next.1 { return }
                continue
            }
            let result = Result { () throws(RingError) in
                try completions.waitUntilNotEmpty(timeout: job.timeout, giveUp: { self.jobs.withLock { $0.closed } })
            }
            job.continuation.resume(returning: result)
        }
    }
}
