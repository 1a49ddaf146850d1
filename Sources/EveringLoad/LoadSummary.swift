import Foundation

/// The result of one load run, as `--json` prints it (one object on stdout).
public struct LoadSummary: Codable, Sendable, Equatable {
    public struct Latency: Codable, Sendable, Equatable {
        /// Nanoseconds, from when the requester had the op ready (`OpReadiness`: its window
        /// slot freed, or its scheduled time) to the completion being received (HdrHistogram,
        /// 3 significant digits).
        public var p50: UInt64 = 0
        public var p90: UInt64 = 0
        public var p99: UInt64 = 0
        public var p999: UInt64 = 0
        public var max: UInt64 = 0
        public var mean: Double = 0
        public init() {}
        public init(p50: UInt64, p90: UInt64, p99: UInt64, p999: UInt64, max: UInt64, mean: Double) {
            (self.p50, self.p90, self.p99, self.p999, self.max, self.mean) = (p50, p90, p99, p999, max, mean)
        }
    }

    /// Everything verification can find wrong; any non-zero field fails the run.
    public struct Errors: Codable, Sendable, Equatable {
        /// Responses whose check bytes, tag, sequence or length were wrong.
        public var corrupt: UInt64 = 0
        /// Completions for an op that was not outstanding (or already completed).
        public var duplicate: UInt64 = 0
        /// Completions that arrived before an older op's completion.
        public var reordered: UInt64 = 0
        /// Requests the responder found corrupt, missing or out of order.
        public var rejectedByResponder: UInt64 = 0
        /// Ops still outstanding when the run ended (answers lost, or never drained).
        public var lost: UInt64 = 0

        public init() {}

        public var total: UInt64 { corrupt + duplicate + reordered + rejectedByResponder + lost }
    }

    public var name: String
    public var transport: String
    public var mode: String
    public var payloadBytes: Int
    public var concurrency: Int
    public var faults: [String]
    public var elapsedSeconds: Double
    /// Ops completed (whatever their verification verdict).
    public var operations: UInt64
    public var opsPerSecond: Double
    /// Request payload megabytes (10^6 bytes) per second.
    public var megabytesPerSecond: Double
    public var latencyNanoseconds: Latency
    public var queueFullStalls: UInt64
    /// Ops whose response passed every check (0 with --no-verify).
    public var verified: UInt64
    public var errors: Errors
    /// Ops cancelled by `leak-cancel` (their slots stay pinned).
    public var cancelled: UInt64
    /// Why the run ended: count, duration, signal, or failure.
    public var stopReason: String
    /// What went wrong, if the run failed (responder dead, hung, ...). Typed: process
    /// control switches on its case. In JSON: `failure` (the message) and `failureKind`
    /// (`LoadError.kind`).
    public var failure: LoadError?
    /// Set when the run SIGKILLed the responder process it had spawned, and why.
    public var responderKilled: ResponderKill?

    /// Why the load SIGKILLed its responder (`responderKilled` in `load --json`).
    public enum ResponderKill: String, Codable, Sendable, Equatable {
        /// Its heartbeat stopped for --hang-timeout (hung or SIGSTOPped): killed at once,
        /// since a stopped process acts on no other signal.
        case hung
        /// It did not exit within 2 s of the requester leaving.
        case didNotExit = "did-not-exit"
    }

    /// True when nothing went wrong: exit status 0.
    public var succeeded: Bool { failure == nil && errors.total == 0 }

    public init(name: String, transport: String, mode: String, payloadBytes: Int, concurrency: Int, faults: [String],
                elapsedSeconds: Double, operations: UInt64, opsPerSecond: Double, megabytesPerSecond: Double,
                latencyNanoseconds: Latency, queueFullStalls: UInt64, verified: UInt64, errors: Errors, cancelled: UInt64,
                stopReason: String, failure: LoadError?, responderKilled: ResponderKill? = nil) {
        self.name = name
        self.transport = transport
        self.mode = mode
        self.payloadBytes = payloadBytes
        self.concurrency = concurrency
        self.faults = faults
        self.elapsedSeconds = elapsedSeconds
        self.operations = operations
        self.opsPerSecond = opsPerSecond
        self.megabytesPerSecond = megabytesPerSecond
        self.latencyNanoseconds = latencyNanoseconds
        self.queueFullStalls = queueFullStalls
        self.verified = verified
        self.errors = errors
        self.cancelled = cancelled
        self.stopReason = stopReason
        self.failure = failure
        self.responderKilled = responderKilled
    }

    enum CodingKeys: String, CodingKey {
        case name, transport, mode, payloadBytes, concurrency, faults, elapsedSeconds, operations, opsPerSecond
        case megabytesPerSecond, latencyNanoseconds, queueFullStalls, verified, errors, cancelled, stopReason
        case failure, failureKind, responderKilled
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(transport, forKey: .transport)
        try c.encode(mode, forKey: .mode)
        try c.encode(payloadBytes, forKey: .payloadBytes)
        try c.encode(concurrency, forKey: .concurrency)
        try c.encode(faults, forKey: .faults)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(operations, forKey: .operations)
        try c.encode(opsPerSecond, forKey: .opsPerSecond)
        try c.encode(megabytesPerSecond, forKey: .megabytesPerSecond)
        try c.encode(latencyNanoseconds, forKey: .latencyNanoseconds)
        try c.encode(queueFullStalls, forKey: .queueFullStalls)
        try c.encode(verified, forKey: .verified)
        try c.encode(errors, forKey: .errors)
        try c.encode(cancelled, forKey: .cancelled)
        try c.encode(stopReason, forKey: .stopReason)
        // Always present (null when the run succeeded), so scripts can rely on the keys.
        try c.encode(failure?.description, forKey: .failure)
        try c.encode(failure?.kind, forKey: .failureKind)
        try c.encode(responderKilled, forKey: .responderKilled)
    }

    /// Reads back what `encode` wrote. The failure comes back as its message only
    /// as `LoadError.reported` (another process's summary, not re-typed).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        transport = try c.decode(String.self, forKey: .transport)
        mode = try c.decode(String.self, forKey: .mode)
        payloadBytes = try c.decode(Int.self, forKey: .payloadBytes)
        concurrency = try c.decode(Int.self, forKey: .concurrency)
        faults = try c.decode([String].self, forKey: .faults)
        elapsedSeconds = try c.decode(Double.self, forKey: .elapsedSeconds)
        operations = try c.decode(UInt64.self, forKey: .operations)
        opsPerSecond = try c.decode(Double.self, forKey: .opsPerSecond)
        megabytesPerSecond = try c.decode(Double.self, forKey: .megabytesPerSecond)
        latencyNanoseconds = try c.decode(Latency.self, forKey: .latencyNanoseconds)
        queueFullStalls = try c.decode(UInt64.self, forKey: .queueFullStalls)
        verified = try c.decode(UInt64.self, forKey: .verified)
        errors = try c.decode(Errors.self, forKey: .errors)
        cancelled = try c.decode(UInt64.self, forKey: .cancelled)
        stopReason = try c.decode(String.self, forKey: .stopReason)
        failure = try c.decodeIfPresent(String.self, forKey: .failure).map { .reported(kind: (try? c.decodeIfPresent(String.self, forKey: .failureKind)) ?? "unknown", message: $0) }
        responderKilled = try c.decodeIfPresent(ResponderKill.self, forKey: .responderKilled)
    }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The human-readable summary.
    public func text() -> String {
        func us(_ ns: UInt64) -> String { String(format: "%.1f", Double(ns) / 1000) }
        var lines = [
            "load \(name): \(mode) over \(transport), \(payloadBytes) B payload, concurrency \(concurrency)"
                + (faults.isEmpty ? "" : ", faults \(faults.joined(separator: " "))"),
            String(format: "  %llu ops in %.2f s: %.0f ops/s, %.2f MB/s", operations, elapsedSeconds, opsPerSecond, megabytesPerSecond),
            "  latency us: p50 \(us(latencyNanoseconds.p50))  p90 \(us(latencyNanoseconds.p90))  p99 \(us(latencyNanoseconds.p99))"
                + "  p99.9 \(us(latencyNanoseconds.p999))  max \(us(latencyNanoseconds.max))",
            "  queue-full stalls \(queueFullStalls), verified \(verified), errors \(errors.total)"
                + (errors.total > 0 ? " (corrupt \(errors.corrupt), duplicate \(errors.duplicate), reordered \(errors.reordered), rejected by responder \(errors.rejectedByResponder), lost \(errors.lost))" : "")
                + (cancelled > 0 ? ", cancelled \(cancelled) (slots pinned)" : ""),
            "  stopped by \(stopReason)" + (failure.map { ": \($0)" } ?? ""),
        ]
        switch responderKilled {
        case .hung?: lines.append("  responder killed (SIGKILL): its heartbeat stopped for the hang timeout")
        case .didNotExit?: lines.append("  responder killed (SIGKILL): it did not exit after the requester left")
        case nil: break
        }
        if !succeeded { lines.append("  FAILED") }
        return lines.joined(separator: "\n")
    }
}

extension LoadSummary {
    /// The same workload over several transports, side by side, relative to the first:
    ///
    ///     compare    p50 us    p99 us      ops/s   p50 vs ring
    ///     ring          2.3       4.1     410000          1.0x
    ///     uds          13.1      30.5      70000          5.7x
    public static func comparison(_ runs: [LoadSummary]) -> String {
        guard let base = runs.first else { return "" }
        var lines = ["compare       p50 us     p99 us        ops/s   p50 vs \(base.transport)"]
        for run in runs {
            let ratio = base.latencyNanoseconds.p50 > 0 ? Double(run.latencyNanoseconds.p50) / Double(base.latencyNanoseconds.p50) : 0
            lines.append(run.transport.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: " %10.1f %10.1f %12.0f %12.1fx",
                                Double(run.latencyNanoseconds.p50) / 1000, Double(run.latencyNanoseconds.p99) / 1000,
                                run.opsPerSecond, ratio))
        }
        return lines.joined(separator: "\n")
    }
}

/// One second of progress, for the live line on stderr (and for the demo).
public struct LoadProgress: Sendable, Equatable {
    public var elapsedSeconds: Double
    public var opsPerSecond: Double
    public var megabytesPerSecond: Double
    public var p50Nanoseconds: UInt64
    public var p99Nanoseconds: UInt64
    public var inFlight: Int
    public var queueUsed: UInt64?
    public var queueCapacity: UInt64?
    public var errors: UInt64

    public func line() -> String {
        var text = String(format: "%6.1fs %10.0f ops/s %9.2f MB/s  p50 %8.1f us  p99 %8.1f us  in flight %d",
                          elapsedSeconds, opsPerSecond, megabytesPerSecond,
                          Double(p50Nanoseconds) / 1000, Double(p99Nanoseconds) / 1000, inFlight)
        if let queueUsed, let queueCapacity { text += "  sq \(queueUsed)/\(queueCapacity)" }
        if errors > 0 { text += "  ERRORS \(errors)" }
        return text
    }
}
