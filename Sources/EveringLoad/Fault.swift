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

    /// `@AFTER` of the timed faults: from the start up to a day in.
    public static let startRange: ClosedRange<Duration> = .zero ... .seconds(86_400)
    /// `slow-responder=T`: a pause per op, up to a minute.
    public static let slowDelayRange: ClosedRange<Duration> = .nanoseconds(1) ... .seconds(60)
    /// `leak-cancel=N`: at most what a ring's slot table can hold (EV_MAX_SLOTS).
    public static let leakCountRange: ClosedRange<UInt64> = 1 ... (1 << 20)

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
            return try duration(after, in: Self.startRange, what: "the time after which it starts")
        }
        func duration(_ part: Substring, in range: ClosedRange<Duration>, what: String) throws(LoadError) -> Duration {
            switch DurationText.parse(String(part)) {
            case .success(let value) where range.contains(value): return value
            case .failure(.malformed):
                throw .invalidFault(text, reason: "'\(part)' is not \(DurationText.expected)")
            default:
                throw .invalidFault(text, reason: "\(what) must be from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))")
            }
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
            return .slowResponder(delay: try duration(value, in: Self.slowDelayRange, what: "the per-op delay"))
        case "leak-cancel":
            guard after == nil, let value else {
                throw .invalidFault(text, reason: "leak-cancel needs a count, e.g. leak-cancel=4")
            }
            guard case let .success(count) = NumberText.integer(String(value)), Self.leakCountRange.contains(count) else {
                throw .invalidFault(text, reason: "leak-cancel count '\(value)' must be a whole number from \(Self.leakCountRange.lowerBound) to \(Self.leakCountRange.upperBound)")
            }
            return .leakCancel(count: Int(count))
        default:
            throw .invalidFault(text, reason: "unknown kind '\(kind)'; known: \(kinds.joined(separator: ", "))")
        }
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
