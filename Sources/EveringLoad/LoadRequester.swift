#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Histogram

/// The requester loop: keeps up to `concurrency` ops in flight over any
/// `RequesterTransport`, paces them (`rate`), verifies every completion, records
/// latency, and shuts down by draining.
///
/// Verification: ops are numbered 0, 1, 2...; each completion must be for the oldest
/// outstanding op (else it is counted reordered, or duplicate if it is not outstanding at
/// all), carry a response whose check bytes hold and whose tag is "response to this
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
        let config = configuration
        let transport = self.transport
        let payload = config.payloadBytes
        let expectedResponse = config.responseBytes
        let concurrency = UInt64(config.concurrency)
        var windowSize = 1
        while windowSize < config.concurrency { windowSize <<= 1 }
        let mask = UInt64(windowSize - 1)
        // Send times and "done" marks of the outstanding window [oldest, next), indexed
        // by sequence & mask: never more than `concurrency` <= windowSize apart.
        let sendTimes = UnsafeMutablePointer<UInt64>.allocate(capacity: windowSize)
        sendTimes.initialize(repeating: 0, count: windowSize)
        let done = UnsafeMutablePointer<Bool>.allocate(capacity: windowSize)
        done.initialize(repeating: false, count: windowSize)
        defer { sendTimes.deallocate(); done.deallocate() }

        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
                                          numberOfSignificantValueDigits: .three)
        var interval = histogram
        var errors = LoadSummary.Errors()
        var verified: UInt64 = 0
        var completed: UInt64 = 0
        var cancelled: UInt64 = 0
        var failure: String? = nil
        var stopReason = "failure"

        var stallRequesterAfter: UInt64? = nil
        for case .stallRequester(let after) in config.faults { stallRequesterAfter = UInt64(after.nanoseconds) }

        let start = ev_monotonic_ns()
        var oldest: UInt64 = 0
        var next: UInt64 = 0

        // leak-cancel: ops 0..<N go out first and are cancelled at once; the responder
        // sees them in sequence but never answers, so they never enter the window.
        let leaks = UInt64(config.leakCount)
        if leaks > 0 {
            do {
                try transport.leakCancelled(sequences: 0..<leaks, length: payload) { sequence, buffer in
                    PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: false), into: buffer)
                }
                cancelled = leaks
            } catch {
                failure = error.description
            }
            oldest = leaks
            next = leaks
        }
        let first = next
        let countLimit: UInt64? = if case .count(let n) = config.limit { n } else { nil }
        let durationLimit: UInt64? = if case .duration(let d) = config.limit { UInt64(d.nanoseconds) } else { nil }
        let rate = config.rate
        let verify = config.verify

        func handle(_ completion: LoadCompletion) {
            completed &+= 1
            let sequence = completion.sequence
            guard sequence >= oldest, sequence < next, !done[Int(sequence & mask)] else {
                errors.duplicate += 1
                return
            }
            if sequence != oldest { errors.reordered += 1 }
            let index = Int(sequence & mask)
            done[index] = true
            let latency = ev_monotonic_ns() &- sendTimes[index]
            _ = histogram.record(latency)
            if progress != nil { _ = interval.record(latency) }
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
            while oldest < next, done[Int(oldest & mask)] {
                done[Int(oldest & mask)] = false
                oldest += 1
            }
        }

        var draining = failure != nil
        var drainDeadline: UInt64 = 0
        var nextSupervise = start &+ 100_000_000
        var nextProgress = start &+ 1_000_000_000
        var lastProgressCompleted: UInt64 = 0
        var lastProgressTime = start
        var idle = 0
        var lastCompletion = start

        mainLoop: while failure == nil {
            var now = ev_monotonic_ns()
            var progressed = false
            do {
                // Reap, unless the stall-requester fault is active (drain always reaps).
                if draining || stallRequesterAfter.map({ now &- start < $0 }) ?? true {
                    let count = try transport.poll(handle)
                    if count > 0 { progressed = true; lastCompletion = ev_monotonic_ns() }
                }
                if !draining {
                    var reason: String? = nil
                    if shouldStop() { reason = "signal" }
                    else if let durationLimit, now &- start >= durationLimit { reason = "duration" }
                    else if let countLimit, next &- first >= countLimit { reason = "count" }
                    if let reason {
                        stopReason = reason
                        draining = true
                        drainDeadline = now &+ UInt64(config.drainTimeout.nanoseconds)
                    }
                }
                if !draining {
                    var budget = concurrency &- (next &- oldest)
                    if let countLimit { budget = min(budget, countLimit &- (next &- first)) }
                    if let rate {
                        let allowed = UInt64(Double(now &- start) * rate / 1e9) + 1
                        budget = min(budget, allowed > next &- first ? allowed &- (next &- first) : 0)
                    }
                    var sent: UInt64 = 0
                    while sent < budget {
                        let sequence = next
                        let sendTime = ev_monotonic_ns()
                        let accepted = try transport.trySend(sequence: sequence, opcode: .echo, length: payload) { buffer in
                            PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: false), into: buffer)
                        }
                        if !accepted { break }
                        sendTimes[Int(sequence & mask)] = sendTime
                        next += 1
                        sent += 1
                    }
                    if sent > 0 { try transport.flush(); progressed = true }
                } else {
                    if oldest == next { break mainLoop }
                    if ev_monotonic_ns() > drainDeadline {
                        failure = "\(next - oldest) ops still in flight \(DurationText.format(config.drainTimeout)) after the run stopped; the responder is not answering"
                        break mainLoop
                    }
                }
                now = ev_monotonic_ns()
                if now >= nextSupervise {
                    nextSupervise = now &+ 100_000_000
                    try transport.checkPeer()
                    try supervise()
                }
            } catch {
                failure = error.description
                break mainLoop
            }
            if let progress, now >= nextProgress {
                let seconds = Double(now &- lastProgressTime) / 1e9
                let ops = Double(completed &- lastProgressCompleted) / seconds
                let fill = transport.queueFill
                progress(LoadProgress(elapsedSeconds: Double(now &- start) / 1e9, opsPerSecond: ops,
                                      megabytesPerSecond: ops * Double(payload) / 1e6,
                                      p50Nanoseconds: interval.valueAtPercentile(50), p99Nanoseconds: interval.valueAtPercentile(99),
                                      inFlight: Int(next &- oldest), queueUsed: fill?.used, queueCapacity: fill?.capacity,
                                      errors: errors.total))
                interval.reset()
                lastProgressCompleted = completed
                lastProgressTime = now
                nextProgress = now &+ 1_000_000_000
            }
            // Wait strategy when nothing moved: spin (what ping-pong latency needs), then
            // yield the core, then sleep with backoff up to 1 ms.
            if progressed {
                idle = 0
            } else {
                idle += 1
                if idle < 2_000 { ev_cpu_relax() }
                else if idle < 2_100 { sched_yield() }
                else {
                    var request = timespec(tv_sec: 0, tv_nsec: min(1_000_000, 8_000 << min(idle - 2_100, 7)))
                    _ = nanosleep(&request, nil)
                }
            }
        }

        // Whatever is still outstanding now never got its answer.
        var outstanding: UInt64 = 0
        var sequence = oldest
        while sequence < next { if !done[Int(sequence & mask)] { outstanding += 1 }; sequence += 1 }
        errors.lost = outstanding
        let end = completed > 0 ? lastCompletion : ev_monotonic_ns()
        let elapsed = max(Double(end &- start) / 1e9, 1e-9)
        let latency = LoadSummary.Latency(
            p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99), p999: histogram.valueAtPercentile(99.9),
            max: histogram.totalCount > 0 ? histogram.max : 0, mean: histogram.totalCount > 0 ? histogram.mean : 0)
        return LoadSummary(
            name: config.name, transport: config.transport.rawValue, mode: config.mode.rawValue,
            payloadBytes: payload, concurrency: config.concurrency, faults: config.faults.map(\.description),
            elapsedSeconds: elapsed, operations: completed, opsPerSecond: Double(completed) / elapsed,
            megabytesPerSecond: Double(completed) * Double(payload) / elapsed / 1e6,
            latencyNanoseconds: latency, queueFullStalls: transport.fullStalls, verified: verified,
            errors: errors, cancelled: cancelled, stopReason: stopReason, failure: failure)
    }
}
