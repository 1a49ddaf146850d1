/// A fault the load generator injects on purpose, so users (and the inspector's tests)
/// can practise diagnosing a stuck ring. Parsed from `--fault KIND[@AFTER]` or
/// `--fault KIND=VALUE` by `Fault.parse`, a pure function.
///
///     try Fault.parse("stall-responder@5s")   // .stallResponder(after: 5 s)
///     try Fault.parse("slow-responder=200us") // .slowResponder(delay: 200 µs)
///     try Fault.parse("leak-cancel=3")        // .leakCancel(count: 3)
public enum Fault: Equatable, Sendable, CustomStringConvertible {
    /// The responder stops draining the submission queue but stays alive: its heartbeat
    /// keeps beating while submissions pile up and the queue fills.
    case stallResponder(after: Duration)
    /// The responder stops everything, heartbeat included (it sends itself SIGSTOP).
    case hangResponder(after: Duration)
    /// The responder SIGKILLs itself: no detach, ops stay in flight with a dead peer.
    case crashResponder(after: Duration)
    /// The responder sleeps this long before answering each request.
    case slowResponder(delay: Duration)
    /// The requester submits `count` ops the responder never completes and cancels them,
    /// so their slots stay pinned in the cancelled state (ring transport only).
    case leakCancel(count: Int)
    /// The requester stops reaping completions (it keeps its heartbeat and keeps
    /// submitting up to its window), so the completion queue fills.
    case stallRequester(after: Duration)

    /// Which process carries the fault out.
    public enum Side: Sendable { case requester, responder }

    public var side: Side {
        switch self {
        case .stallResponder, .hangResponder, .crashResponder, .slowResponder: .responder
        case .leakCancel, .stallRequester: .requester
        }
    }

    /// The canonical spelling, which `parse` reads back (used to pass faults to the child).
    public var description: String {
        switch self {
        case .stallResponder(let after): "stall-responder@\(DurationText.format(after))"
        case .hangResponder(let after): "hang-responder@\(DurationText.format(after))"
        case .crashResponder(let after): "crash-responder@\(DurationText.format(after))"
        case .slowResponder(let delay): "slow-responder=\(DurationText.format(delay))"
        case .leakCancel(let count): "leak-cancel=\(count)"
        case .stallRequester(let after): "stall-requester@\(DurationText.format(after))"
        }
    }

    public static let kinds = ["stall-responder@T", "hang-responder@T", "crash-responder@T",
                               "slow-responder=T", "leak-cancel=N", "stall-requester@T"]

    /// Parses one `--fault` value. `@AFTER` is optional for the timed faults (default 0 s,
    /// i.e. from the start).
    public static func parse(_ text: String) throws(LoadError) -> Fault {
        let kind: Substring
        var after: Substring? = nil
        var value: Substring? = nil
        if let at = text.firstIndex(of: "@") {
            kind = text[..<at]
            after = text[text.index(after: at)...]
        } else if let equals = text.firstIndex(of: "=") {
            kind = text[..<equals]
            value = text[text.index(after: equals)...]
        } else {
            kind = text[...]
        }
        func delay() throws(LoadError) -> Duration {
            guard value == nil else { throw .invalidFault(text, reason: "\(kind) takes @AFTER (e.g. \(kind)@5s), not =VALUE") }
            guard let after else { return .zero }
            return try DurationText.parse(String(after), what: "fault '\(text)'")
        }
        switch kind {
        case "stall-responder": return .stallResponder(after: try delay())
        case "hang-responder": return .hangResponder(after: try delay())
        case "crash-responder": return .crashResponder(after: try delay())
        case "stall-requester": return .stallRequester(after: try delay())
        case "slow-responder":
            guard after == nil, let value else {
                throw .invalidFault(text, reason: "slow-responder needs a per-op delay, e.g. slow-responder=200us")
            }
            return .slowResponder(delay: try DurationText.parse(String(value), what: "fault '\(text)'"))
        case "leak-cancel":
            guard after == nil, let value else {
                throw .invalidFault(text, reason: "leak-cancel needs a count, e.g. leak-cancel=4")
            }
            guard let count = Int(value), count > 0, count <= 1 << 20 else {
                throw .invalidFault(text, reason: "leak-cancel count '\(value)' must be a whole number from 1 to \(1 << 20)")
            }
            return .leakCancel(count: count)
        default:
            throw .invalidFault(text, reason: "unknown kind '\(kind)'; known: \(kinds.joined(separator: ", "))")
        }
    }
}

/// Durations as users type them: `5s`, `1.5s`, `300ms`, `200us` (or `µs`), `50ns`, `2m`.
public enum DurationText {
    public static func parse(_ text: String, what: String = "duration") throws(LoadError) -> Duration {
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "ms" also ends in "s": accept the longest suffix whose prefix is a number.
            guard let value = Double(number), value.isFinite, value >= 0 else { continue }
            let nanoseconds = value * scale
            guard nanoseconds < 1e15 else { break }
            return .nanoseconds(Int64(nanoseconds.rounded()))
        }
        throw .invalidDuration(text, what: what)
    }

    /// The shortest exact spelling `parse` reads back.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns == 0 { return "0s" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }
}

extension Duration {
    /// Whole nanoseconds (saturating at Int64 range for absurd values).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }
}
