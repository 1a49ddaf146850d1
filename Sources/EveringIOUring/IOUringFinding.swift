/// One thing wrong (or worth knowing) about an io_uring: a stable rule id for scripts, a
/// severity, a message a user can act on, and the numbers behind it.
public struct IOUringFinding: Equatable, Sendable {
    public enum Severity: String, Comparable, Sendable {
        case info, warning, critical

        var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    }

    public var rule: String
    public var severity: Severity
    public var message: String
    /// Name/value pairs, in a stable order.
    public var evidence: [(String, Int64)]

    public init(rule: String, severity: Severity, message: String, evidence: [(String, Int64)] = []) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.evidence = evidence
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.rule == b.rule && a.severity == b.severity && a.message == b.message
            && a.evidence.map(\.0) == b.evidence.map(\.0) && a.evidence.map(\.1) == b.evidence.map(\.1)
    }
}
