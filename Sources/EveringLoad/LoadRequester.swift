#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering
import Histogram

/// The requester loop: keeps up to `concurrency` ops in flight over any
/// `RequesterTransport`, paces them (`rate`), verifies every completion, records
/// latency, and shuts down by draining.
///
/// Verification: ops are numbered 0, 1, 2...; each completion must be for an outstanding
/// op (else duplicate), not older than one already completed (else reordered), carry a response whose check bytes hold and whose tag is "response to this
/// sequence" (else corrupt), and not be rejected by the responder. Ops still outstanding
/// after the drain count as lost.
public final class LoadRequester {
    public let configuration: LoadConfiguration
    public let transport: RequesterTransport

    public init(configuration: LoadConfiguration, transport: RequesterTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// Runs until the count or duration is reached, `shouldStop` returns true (checked
    /// every iteration: make it cheap), or the responder fails.
    ///
    /// - Parameters:
    ///   - supervise: called about every 100 ms; throw to end the run as failed (e.g. the
    ///     responder child exited). The transport's own `checkPeer` is called as well.
    ///   - progress: called about once a second with the last second's rates.
    public func run(shouldStop: () -> Bool,
                    supervise: () throws(LoadError) -> Void = {},
                    progress: ((LoadProgress) -> Void)? = nil) -> LoadSummary {
        // The ring gets a copy of the loop specialised for it: its sends, polls and the
        // completion handler are then direct calls the optimiser inlines, not a witness-table
        // call and a closure call per op (measured in docs/LOAD.md).
        if let ring = transport as? RingRequesterTransport {
            return run(over: ring, shouldStop: shouldStop, supervise: supervise, progress: progress)
        }
        return run(over: transport, shouldStop: shouldStop, supervise: supervise, progress: progress)
    }

    func run<Transport: RequesterTransport>(over transport: Transport, shouldStop: () -> Bool,
                                           supervise: () throws(LoadError) -> Void,
                                           progress: ((LoadProgress) -> Void)?) -> LoadSummary {
        let config = configuration
        let payload = config.payloadBytes
        let expectedResponse = config.responseBytes
        let concurrency = UInt64(config.concurrency)
        var windowSize = 1
        while windowSize < config.concurrency { windowSize <<= 1 }

        var cancelled: UInt64 = 0
        var failure: LoadError? = nil
        var stopReason = "failure"

        var stallRequesterAfter: UInt64? = nil
        for case .stallRequester(let after) in config.faults { stallRequesterAfter = UInt64(after.nanoseconds) }
        var stallRequesterLogged = false

        let start = ev_monotonic_ns()
        // leak-cancel: ops 0..<N go out first and are cancelled at once; the responder
        // sees them in sequence but never answers, so they never enter the window.
        let leaks = UInt64(config.leakCount)
        let first = leaks
        // Latency is timed from when each op was ready (OpReadiness: the window's rule, or
        // a paced run's schedule), the same for every transport.
        var book = CompletionBook(readiness: OpReadiness(first: first, concurrency: config.concurrency, windowSize: windowSize,
                                                         start: start),
                                  verify: config.verify, expectedResponse: expectedResponse, recordInterval: progress != nil)
        defer { book.deallocate() }
        if leaks > 0 {
            FaultInjectionLog.injected(.leakCancel(count: config.leakCount))
            do {
                try transport.leakCancelled(sequences: 0..<leaks, length: payload) { sequence, buffer in
                    PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: false), into: buffer)
                }
                cancelled = leaks
            } catch {
                failure = error
            }
        }
        book.oldest = first
        book.next = first
        book.completedBeyond = first
        let countLimit: UInt64? = if case .count(let n) = config.limit { n } else { nil }
        let durationLimit: UInt64? = if case .duration(let d) = config.limit { UInt64(d.nanoseconds) } else { nil }
        let rate = config.rate
        let verify = config.verify

        var draining = failure != nil
        var drainDeadline: UInt64 = 0
        var nextSupervise = start &+ 100_000_000
        var nextProgress = start &+ 1_000_000_000
        var lastProgressCompleted: UInt64 = 0
        var lastProgressTime = start
        var waiter = Backoff()
        let pacer = rate.map { Pacer(start: start, rate: $0) }
        /// Paced: when the next op is due, if the schedule (not the window) holds it back.
        var nextOpDue: UInt64 = 0
        var lastCompletion = start

        mainLoop: while failure == nil {
            var now = ev_monotonic_ns()
            var progressed = false
            nextOpDue = 0
            // Reap, unless the stall-requester fault is active (drain always reaps).
            let reaping = draining || stallRequesterAfter.map({ now &- start < $0 }) ?? true
            do {
                if let after = stallRequesterAfter, !stallRequesterLogged, now &- start >= after {
                    stallRequesterLogged = true
                    FaultInjectionLog.injected(.stallRequester(after: .nanoseconds(Int64(after))))
                }
                if reaping {
                    let count = try transport.poll { book.handle($0) }
                    if count > 0 { progressed = true; lastCompletion = ev_monotonic_ns() }
                } else {
                    // Stalled: still push out anything sent but buffered (poll would have).
                    try transport.flush()
                }
                if !draining {
                    var reason: String? = nil
                    if shouldStop() { reason = "signal" }
                    else if let durationLimit, now &- start >= durationLimit { reason = "duration" }
                    else if let countLimit, book.next &- first >= countLimit { reason = "count" }
                    if let reason {
                        stopReason = reason
                        draining = true
                        drainDeadline = now &+ UInt64(config.drainTimeout.nanoseconds)
                    }
                }
                if !draining {
                    var budget = concurrency &- (book.next &- book.oldest)
                    if let countLimit { budget = min(budget, countLimit &- (book.next &- first)) }
                    if let pacer {
                        let issued = book.next &- first
                        let due = pacer.opsDue(at: now)
                        let allowed = due > issued ? due &- issued : 0
                        if allowed < budget {
                            budget = allowed
                            // The window has room but the schedule does not: the loop
                            // must be awake again when the next op is due.
                            nextOpDue = pacer.due(issued &+ allowed)
                        }
                        // The ops allowed out now (due, with room in the window) are ready
                        // as of this pass unless the window held them past their time.
                        book.readiness.allowed(through: book.next &+ budget, at: now, schedule: pacer)
                    }
                    var sent: UInt64 = 0
                    while sent < budget {
                        let sequence = book.next
                        // No clock read here: the op's latency started when it was ready
                        // (OpReadiness), whether the transport takes it now or refuses it
                        // (ring full, socket or pipe buffer full) and it waits.
                        let accepted = try transport.trySend(sequence: sequence, opcode: .echo, length: payload) { buffer in
                            // --no-verify measures the transport alone: the payload is whatever the buffer held.
                            if verify { PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: false), into: buffer) }
                        }
                        if !accepted { break }
                        book.next += 1
                        sent += 1
                    }
                    if sent > 0 { try transport.flush(); progressed = true }
                } else {
                    if book.oldest == book.next { break mainLoop }
                    // The drain gives up only after drainTimeout without any completion, so a
                    // slow but working responder is waited for.
                    if ev_monotonic_ns() > max(drainDeadline, lastCompletion &+ UInt64(config.drainTimeout.nanoseconds)) {
                        failure = .drainTimedOut(inFlight: book.next - book.oldest, after: config.drainTimeout)
                        break mainLoop
                    }
                }
                now = ev_monotonic_ns()
                if now >= nextSupervise {
                    nextSupervise = now &+ 100_000_000
                    // The supervisor first: a responder child that died is a zombie until
                    // reaped, and reaping it says how it died (the signal), which the ring's
                    // peer check (zombie = dead) cannot.
                    try supervise()
                    try transport.checkPeer()
                }
            } catch {
                failure = error
                break mainLoop
            }
            if let progress, now >= nextProgress {
                let seconds = Double(now &- lastProgressTime) / 1e9
                let ops = Double(book.completed &- lastProgressCompleted) / seconds
                let fill = transport.queueFill
                progress(LoadProgress(elapsedSeconds: Double(now &- start) / 1e9, opsPerSecond: ops,
                                      megabytesPerSecond: ops * Double(payload) / 1e6,
                                      p50Nanoseconds: book.interval.valueAtPercentile(50), p99Nanoseconds: book.interval.valueAtPercentile(99),
                                      inFlight: Int(book.next &- book.oldest), queueUsed: fill?.used, queueCapacity: fill?.capacity,
                                      errors: book.errors.total))
                book.interval.reset()
                lastProgressCompleted = book.completed
                lastProgressTime = now
                nextProgress = now &+ 1_000_000_000
            }
            if progressed {
                waiter.reset()
                continue
            }
            if nextOpDue > 0 && book.oldest == book.next {
                // Paced and idle: wait for the next op's time (mostly asleep), up to the next
                // supervision at most (a --rate 10 gap is 100 ms).
                Pacer.wait(until: nextOpDue, limit: max(nextSupervise, ev_monotonic_ns() &+ 1_000))
            } else if reaping && book.oldest != book.next {
                // Ops in flight and nothing else to do: block in the transport until an
                // answer may be there (futex for the ring, poll(2) for sockets and pipes),
                // waking for supervision at least every 100 ms and, paced, in time for the
                // next op (a sleep's wake margin before it; closer than that, spin for it).
                now = ev_monotonic_ns()
                var wakeAt = nextSupervise
                if nextOpDue > 0 {
                    wakeAt = min(wakeAt, nextOpDue > Pacer.wakeMarginNanoseconds ? nextOpDue &- Pacer.wakeMarginNanoseconds : 0)
                }
                if nextOpDue > 0 && wakeAt <= now &+ Pacer.shortestSleepNanoseconds {
                    ev_cpu_relax()
                } else {
                    do { try transport.waitForCompletions(timeoutNanoseconds: wakeAt > now ? min(wakeAt &- now, 100_000_000) : 1_000) } catch {
                        failure = error
                        break mainLoop
                    }
                }
            } else {
                waiter.pause()
            }
        }

        // Whatever is still outstanding now never got its answer.
        var outstanding: UInt64 = 0
        var sequence = book.oldest
        while sequence < book.next { if !book.done[Int(sequence & book.mask)] { outstanding += 1 }; sequence += 1 }
        book.errors.lost = outstanding
        let end = book.completed > 0 ? lastCompletion : ev_monotonic_ns()
        let elapsed = max(Double(end &- start) / 1e9, 1e-9)
        let latency = LoadSummary.Latency(
            p50: book.histogram.valueAtPercentile(50), p90: book.histogram.valueAtPercentile(90),
            p99: book.histogram.valueAtPercentile(99), p999: book.histogram.valueAtPercentile(99.9),
            max: book.histogram.totalCount > 0 ? book.histogram.max : 0, mean: book.histogram.totalCount > 0 ? book.histogram.mean : 0)
        return LoadSummary(
            name: config.name, transport: config.transport.rawValue, mode: config.mode.rawValue,
            payloadBytes: payload, concurrency: config.concurrency, faults: config.faults.map(\.description),
            elapsedSeconds: elapsed, operations: book.completed, opsPerSecond: Double(book.completed) / elapsed,
            megabytesPerSecond: Double(book.completed) * Double(payload) / elapsed / 1e6,
            latencyNanoseconds: latency, queueFullStalls: transport.fullStalls, verified: book.verified,
            errors: book.errors, cancelled: cancelled, stopReason: stopReason, failure: failure)
    }
}

/// The requester's record of outstanding ops and what their completions said. A struct
/// mutated in place (rather than locals captured by a nested function) so the hot path
/// pays no dynamic exclusivity checks.
struct CompletionBook {
    /// The outstanding window is [oldest, next); its "done" marks (and the readiness's
    /// ready times) are indexed by sequence & mask (never more than `concurrency` <=
    /// window size apart).
    var oldest: UInt64 = 0
    var next: UInt64 = 0
    /// One past the newest sequence completed so far.
    var completedBeyond: UInt64 = 0
    let mask: UInt64
    /// When each op was ready: where every latency starts.
    var readiness: OpReadiness
    let done: UnsafeMutablePointer<Bool>
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
                                      numberOfSignificantValueDigits: .three)
    /// The last second's latencies, for the progress line.
    var interval: Histogram<UInt64>
    let recordInterval: Bool
    var errors = LoadSummary.Errors()
    var verified: UInt64 = 0
    var completed: UInt64 = 0
    let verify: Bool
    let expectedResponse: Int

    init(readiness: OpReadiness, verify: Bool, expectedResponse: Int, recordInterval: Bool) {
        self.readiness = readiness
        mask = readiness.mask
        let windowSize = Int(mask) + 1
        done = .allocate(capacity: windowSize)
        done.initialize(repeating: false, count: windowSize)
        interval = histogram
        self.verify = verify
        self.expectedResponse = expectedResponse
        self.recordInterval = recordInterval
    }

    func deallocate() {
        readiness.deallocate()
        done.deallocate()
    }

    @inline(__always)
    mutating func handle(_ completion: LoadCompletion) {
        completed &+= 1
        let sequence = completion.sequence
        guard sequence >= oldest, sequence < next, !done[Int(sequence & mask)] else {
            errors.duplicate += 1
            return
        }
        // Reordered: a newer op completed before this one. (Counted on the late op, so
        // an op that never comes counts as lost only, not its successors as reordered.)
        if sequence < completedBeyond { errors.reordered += 1 } else { completedBeyond = sequence + 1 }
        let index = Int(sequence & mask)
        done[index] = true
        let latency = readiness.latency(of: sequence, receivedAt: completion.receivedAt)
        _ = histogram.record(latency)
        if recordInterval { _ = interval.record(latency) }
        if verify {
            if completion.status != 0 {
                errors.rejectedByResponder += 1
            } else if completion.response.count != expectedResponse {
                errors.corrupt += 1
            } else if completion.response.count > 0 {
                if let decoded = PayloadFormat.decode(completion.response), decoded.isResponse, decoded.matches(sequence) {
                    if decoded.isRejected { errors.rejectedByResponder += 1 } else { verified += 1 }
                } else {
                    errors.corrupt += 1
                }
            } else {
                verified += 1
            }
        }
        // The window moves on: each op leaving it lets the op `concurrency` after it be
        // issued from the moment this completion was received.
        while oldest < next, done[Int(oldest & mask)] {
            done[Int(oldest & mask)] = false
            readiness.released(oldest, at: completion.receivedAt)
            oldest += 1
        }
    }
}
