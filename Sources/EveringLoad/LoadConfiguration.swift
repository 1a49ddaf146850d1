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
    }

    public func validate() throws(LoadError) {
        guard (Self.minimumPayload...Self.maximumPayload).contains(payloadBytes) else {
            throw .invalidConfiguration("--payload \(payloadBytes) must be from \(Self.minimumPayload) bytes to 1 MiB (\(Self.maximumPayload))")
        }
        guard concurrency >= 1, concurrency <= 1 << 20 else {
            throw .invalidConfiguration("--concurrency \(concurrency) must be from 1 to \(1 << 20)")
        }
        if transport == .ring {
            guard capacity >= 2, capacity <= 1 << 24, capacity & (capacity - 1) == 0 else {
                throw .invalidConfiguration("--capacity \(capacity) must be a power of two from 2 to \(1 << 24)")
            }
            if let slots, Int(slots) < concurrency + leakCount {
                throw .invalidConfiguration("--slots \(slots) is fewer than --concurrency \(concurrency)\(leakCount > 0 ? " plus \(leakCount) leaked ops" : ""): the window could never fill")
            }
            let bytes = UInt64(effectiveSlots) * UInt64(bufferSize)
            guard bytes <= 8 << 30 else {
                throw .invalidConfiguration("\(effectiveSlots) slots of \(bufferSize) bytes need \(bytes >> 20) MiB of shared memory; use fewer --slots or a smaller --payload")
            }
        } else if leakCount > 0 {
            throw .invalidConfiguration("--fault leak-cancel needs --transport ring (sockets and pipes cannot cancel an op)")
        }
        if let rate { guard rate > 0, rate.isFinite else { throw .invalidConfiguration("--rate must be a positive number of ops/s or 'max'") } }
        switch limit {
        case .duration(let d): guard d > .zero else { throw .invalidConfiguration("--duration must be positive") }
        case .count(let n): guard n > 0 else { throw .invalidConfiguration("--count must be positive") }
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
