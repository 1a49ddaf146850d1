/// What one load run does. The same value drives the CLI (`evering-top load`), the
/// demo's background run and the benchmarks; `validate()` checks cross-field rules.
public struct LoadConfiguration: Sendable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Request/response: each op's response comes back with the payload; latency is the round trip.
        case pingpong
        /// One-way: requests carry the payload, completions are empty (ring) or a 16-byte
        /// acknowledgement (uds/pipe); measures throughput.
        case stream
    }

    public enum Transport: String, Sendable, Codable, CaseIterable {
        case ring, uds, pipe
    }

    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Create the ring, spawn the responder as a child process, run the requester.
        case both
        case requester
        case responder
    }

    public enum Limit: Sendable, Equatable {
        case duration(Duration)
        case count(UInt64)
    }

    public var name: String = "evering-demo"
    public var mode: Mode = .pingpong
    public var transport: Transport = .ring
    public var payloadBytes: Int = 16
    /// Ops in flight at once (the requester's window).
    public var concurrency: Int = 1
    /// Queue entries per queue (ring only); a power of two.
    public var capacity: UInt32 = 1024
    /// Driver slots (ring only); nil picks `concurrency + leaked ops + 8`.
    public var slots: UInt32? = nil
    /// Ops per second, nil for as fast as possible.
    public var rate: Double? = nil
    public var limit: Limit = .duration(.seconds(10))
    public var verify: Bool = true
    public var faults: [Fault] = []
    /// How long a shutdown waits for in-flight ops before giving up on them.
    public var drainTimeout: Duration = .seconds(2)
    /// The requester gives up when the responder's heartbeat is older than this.
    public var hangTimeout: Duration = .seconds(3)
    /// How long either side waits for the other to show up.
    public var connectTimeout: Duration = .seconds(10)

    public init() {}

    public static let minimumPayload = 4
    public static let maximumPayload = 1 << 20

    // The documented ranges (docs/CLI.md, "Ranges"); `validate()` checks every one, and
    // the CLI parses flags against the same values.
    public static let payloadRange: ClosedRange<UInt64> = UInt64(minimumPayload) ... UInt64(maximumPayload)
    public static let concurrencyRange: ClosedRange<UInt64> = 1 ... (1 << 20)
    /// Queue entries: a power of two within the ABI's EV_MAX_CAPACITY.
    public static let capacityRange: ClosedRange<UInt64> = 2 ... (1 << 24)
    /// Driver slots: the ABI's EV_MAX_SLOTS.
    public static let slotsRange: ClosedRange<UInt64> = 1 ... (1 << 20)
    /// Ops per second: one per 1000 s up to a billion.
    public static let rateRange: ClosedRange<Double> = 0.001 ... 1e9
    public static let countRange: ClosedRange<UInt64> = 1 ... UInt64(Int64.max)
    public static let durationRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(365 * 86_400)
    /// 0: give up on in-flight ops at once.
    public static let drainTimeoutRange: ClosedRange<Duration> = .zero ... .seconds(3600)
    /// At least five heartbeats (50 ms each), so a busy machine does not look hung.
    public static let hangTimeoutRange: ClosedRange<Duration> = .milliseconds(250) ... .seconds(3600)
    public static let connectTimeoutRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(3600)

    public var leakCount: Int {
        faults.reduce(0) { if case .leakCancel(let n) = $1 { $0 + n } else { $0 } }
    }

    public var effectiveSlots: UInt32 { slots ?? UInt32(concurrency + leakCount + 8) }

    /// Slot buffers hold the payload rounded up to the ABI's 64-byte alignment.
    public var bufferSize: UInt32 { UInt32(max(64, (payloadBytes + 63) / 64 * 64)) }

    /// Bytes of each response: the payload echoed in pingpong; in stream mode nothing on
    /// the ring and a 16-byte acknowledgement on uds/pipe.
    public var responseBytes: Int {
        switch (mode, transport) {
        case (.pingpong, _): payloadBytes
        case (.stream, .ring): 0
        case (.stream, _): PayloadFormat.acknowledgementSize
        }
    }

    /// The checks that matter to a responder (it gets the ring geometry from the ring).
    public func validateResponder() throws(LoadError) {
        guard (Self.minimumPayload...Self.maximumPayload).contains(payloadBytes) else {
            throw .invalidConfiguration("--payload \(payloadBytes) must be from \(Self.minimumPayload) bytes to 1 MiB (\(Self.maximumPayload))")
        }
        try Self.check(connectTimeout, in: Self.connectTimeoutRange, "--connect-timeout")
        // One fault of each kind: a second would silently override the first.
        var seen: Set<String> = []
        for fault in faults {
            let kind = String(fault.description.prefix { $0 != "@" && $0 != "=" })
            guard seen.insert(kind).inserted else { throw .invalidConfiguration("--fault \(kind) given twice; give each kind once") }
        }
    }

    public func validate() throws(LoadError) {
        try validateResponder()
        guard Self.concurrencyRange.contains(UInt64(max(concurrency, 0))), concurrency >= 1 else {
            throw .invalidConfiguration("--concurrency \(concurrency) must be from 1 to \(Self.concurrencyRange.upperBound)")
        }
        // Each leak-cancel is within range; their sum must be too (and fit the slot table).
        guard UInt64(leakCount) <= Fault.leakCountRange.upperBound else {
            throw .invalidConfiguration("--fault leak-cancel: \(leakCount) leaked ops in all; at most \(Fault.leakCountRange.upperBound)")
        }
        if transport == .ring {
            guard Self.capacityRange.contains(UInt64(capacity)), capacity & (capacity - 1) == 0 else {
                throw .invalidConfiguration("--capacity \(capacity) must be a power of two from \(Self.capacityRange.lowerBound) to \(Self.capacityRange.upperBound)")
            }
            if let slots {
                guard Self.slotsRange.contains(UInt64(slots)) else {
                    throw .invalidConfiguration("--slots \(slots) must be from \(Self.slotsRange.lowerBound) to \(Self.slotsRange.upperBound)")
                }
                if Int(slots) < concurrency + leakCount {
                    throw .invalidConfiguration("--slots \(slots) is fewer than --concurrency \(concurrency)\(leakCount > 0 ? " plus \(leakCount) leaked ops" : ""): the window could never fill")
                }
            } else if UInt64(concurrency + leakCount + 8) > Self.slotsRange.upperBound {
                throw .invalidConfiguration("--concurrency \(concurrency)\(leakCount > 0 ? " plus \(leakCount) leaked ops" : "") plus 8 spare slots is more than the \(Self.slotsRange.upperBound) slots a ring can have")
            }
            let bytes = UInt64(effectiveSlots) * UInt64(bufferSize)
            guard bytes <= 8 << 30 else {
                throw .invalidConfiguration("\(effectiveSlots) slots of \(bufferSize) bytes need \(bytes >> 20) MiB of shared memory; use fewer --slots or a smaller --payload")
            }
        } else if leakCount > 0 {
            throw .invalidConfiguration("--fault leak-cancel needs --transport ring (sockets and pipes cannot cancel an op)")
        }
        if let rate {
            guard Self.rateRange.contains(rate) else {
                throw .invalidConfiguration("--rate must be from \(Self.rateRange.lowerBound) to \(Int(Self.rateRange.upperBound)) ops/s, or 'max'")
            }
        }
        switch limit {
        case .duration(let d): try Self.check(d, in: Self.durationRange, "--duration")
        case .count(let n):
            guard Self.countRange.contains(n) else { throw .invalidConfiguration("--count must be from 1 to \(Self.countRange.upperBound)") }
        }
        try Self.check(drainTimeout, in: Self.drainTimeoutRange, "--drain-timeout")
        try Self.check(hangTimeout, in: Self.hangTimeoutRange, "--hang-timeout")
    }

    static func check(_ value: Duration, in range: ClosedRange<Duration>, _ flag: String) throws(LoadError) {
        guard range.contains(value) else {
            throw .invalidConfiguration("\(flag) \(DurationText.format(value)) must be from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))")
        }
    }

    /// The arguments (after the executable) that run the responder side of this
    /// configuration in another process: `load NAME --role responder ...`.
    public func responderArguments(quiet: Bool) -> [String] {
        var args = ["load", name, "--role", "responder", "--mode", mode.rawValue, "--transport", transport.rawValue,
                    "--payload", String(payloadBytes),
                    "--connect-timeout", DurationText.format(connectTimeout)]
        for fault in faults where fault.side == .responder { args += ["--fault", fault.description] }
        if !verify { args.append("--no-verify") }
        if quiet { args.append("--quiet") }
        return args
    }

    /// Filesystem paths for the socket/pipe transports, derived from the ring name so both
    /// roles agree without further arguments.
    public var socketPath: String { "/tmp/evering-load-\(safeName).sock" }
    public var requestFifoPath: String { "/tmp/evering-load-\(safeName).req" }
    public var responseFifoPath: String { "/tmp/evering-load-\(safeName).resp" }
    var safeName: String {
        String(name.drop(while: { $0 == "/" }).map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
