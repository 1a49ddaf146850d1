import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// What the responder saw, for its own summary line.
public struct ResponderReport: Codable, Sendable, Equatable {
    public var requests: UInt64 = 0
    /// Requests that failed verification (bad check bytes, wrong or out-of-order sequence).
    public var rejected: UInt64 = 0
    /// `leak-cancel` requests deliberately left unanswered.
    public var leaked: UInt64 = 0
    /// Why it stopped: requester-left, signal, stalled-requester-left, or the error.
    public var endReason: String = ""
    /// True when it ended by an error rather than the requester leaving or a signal.
    public var failed = false

    /// One JSON object (sorted keys, one line): `load --role responder --json`.
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// The responder loop: verifies each request (sequence in order, check bytes), answers
/// it with a tagged response, and carries out the responder-side faults.
public final class LoadResponder {
    public let configuration: LoadConfiguration
    public let transport: ResponderTransport

    public init(configuration: LoadConfiguration, transport: ResponderTransport) {
        self.configuration = configuration
        self.transport = transport
    }

    /// Runs until the requester leaves (normal end), `shouldStop` returns true, or a
    /// fault ends the process. Throws when the requester dies rather than leaves.
    public func run(shouldStop: () -> Bool) -> ResponderReport {
        // As in LoadRequester.run: a copy of the loop specialised for the ring, so receive,
        // respond and the request decoding are inlined rather than witness-table calls.
        if let ring = transport as? RingResponderTransport { return run(over: ring, shouldStop: shouldStop) }
        return run(over: transport, shouldStop: shouldStop)
    }

    func run<Transport: ResponderTransport>(over transport: Transport, shouldStop: () -> Bool) -> ResponderReport {
        let config = configuration
        var report = ResponderReport()
        var expected: UInt64 = 0
        let start = ev_monotonic_ns()
        var stallAfter: UInt64? = nil
        var hangAfter: UInt64? = nil
        var crashAfter: UInt64? = nil
        var slowDelay: Duration? = nil
        for fault in config.faults {
            switch fault {
            case .stallResponder(let after): stallAfter = UInt64(after.nanoseconds)
            case .hangResponder(let after): hangAfter = UInt64(after.nanoseconds)
            case .crashResponder(let after): crashAfter = UInt64(after.nanoseconds)
            case .slowResponder(let delay): slowDelay = delay
            case .leakCancel, .stallRequester: break
            }
        }
        let hasTimedFault = stallAfter != nil || hangAfter != nil || crashAfter != nil
        // Poll in short slices when a timed fault is pending so it fires on time.
        let sliceTimeout: Duration = hasTimedFault ? .milliseconds(10) : .milliseconds(100)
        if let slowDelay { FaultInjectionLog.injected(.slowResponder(delay: slowDelay), at: start) }

        do throws(LoadError) {
            while !shouldStop() {
                let elapsed = hasTimedFault ? ev_monotonic_ns() &- start : 0
                if let crashAfter, elapsed >= crashAfter {
                    // The honest crash: no detach, no cleanup, ops left in flight.
                    FaultInjectionLog.injected(.crashResponder(after: .nanoseconds(Int64(crashAfter))))
                    kill(getpid(), SIGKILL)
                }
                if let after = hangAfter, elapsed >= after {
                    hangAfter = nil
                    FaultInjectionLog.injected(.hangResponder(after: .nanoseconds(Int64(after))))
                    // Freezes every thread, the heartbeat ticker included, until SIGCONT.
                    kill(getpid(), SIGSTOP)
                }
                if let stallAfter, elapsed >= stallAfter {
                    FaultInjectionLog.injected(.stallResponder(after: .nanoseconds(Int64(stallAfter))))
                    // Alive (the heartbeat thread keeps beating) but not draining: wait
                    // only for the requester to go away.
                    while !shouldStop() {
                        try transport.checkPeer()
                        FileDescriptorIO.sleep(milliseconds: 20)
                    }
                    report.endReason = "signal"
                    return report
                }
                guard let request = try transport.receive(timeout: sliceTimeout) else { continue }
                report.requests += 1
                var sequence = request.userData ?? expected
                var accepted = true
                if config.verify {
                    if let decoded = PayloadFormat.decode(request.payload), !decoded.isResponse, !decoded.isRejected {
                        if !decoded.matches(expected) || (request.userData.map { !decoded.matches($0) } ?? false) {
                            accepted = false
                        }
                        if decoded.sequenceBits >= 62 { expected = decoded.sequence }
                        if request.userData == nil { sequence = decoded.sequenceBits >= 62 ? decoded.sequence : expected }
                    } else {
                        accepted = false
                    }
                }
                expected += 1
                if !accepted { report.rejected += 1 }
                if request.opcode == LoadOpcode.leak.rawValue {
                    report.leaked += 1
                    continue
                }
                if let slowDelay {
                    var pause = timespec(tv_sec: Int(slowDelay.nanoseconds / 1_000_000_000),
                                         tv_nsec: Int(slowDelay.nanoseconds % 1_000_000_000))
                    var remaining = timespec()
                    while nanosleep(&pause, &remaining) != 0 && errno == EINTR { pause = remaining }
                }
                var length = config.responseBytes
                if request.responseBuffer.count < length {
                    // A malformed entry (slot outside the table): answer with an error, write nothing.
                    accepted = false
                    length = 0
                }
                if length > 0 && config.verify {
                    PayloadFormat.encode(tag: PayloadFormat.tag(sequence: sequence, response: true, rejected: !accepted),
                                         into: UnsafeMutableRawBufferPointer(rebasing: request.responseBuffer[..<length]))
                }
                try transport.respond(request, status: accepted ? 0 : -EBADMSG, length: length)
            }
            report.endReason = "signal"
        } catch .requesterGone(let detail) {
            report.endReason = "requester left: \(detail)"
        } catch {
            report.endReason = error.description
            report.failed = true
        }
        return report
    }
}
