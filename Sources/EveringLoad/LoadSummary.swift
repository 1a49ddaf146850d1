import Foundation

/// The result of one load run, as `--json` prints it (one object on stdout).
public struct LoadSummary: Codable, Sendable, Equatable {
    public struct Latency: Codable, Sendable, Equatable {
        /// Nanoseconds, from submission to the completion being reaped (HdrHistogram,
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
    /// What went wrong, if the run failed (responder dead, hung, ...).
    public var failure: String?

    /// True when nothing went wrong: exit status 0.
    public var succeeded: Bool { failure == nil && errors.total == 0 }

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
