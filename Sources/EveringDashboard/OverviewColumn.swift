import EveringInspect

/// The overview table's columns, left to right: what each is called, how wide it is, how
/// it sorts, and which go first when the terminal is narrow.
public enum OverviewColumn: Int, Sendable, CaseIterable, CustomStringConvertible {
    case name, status, requester, responder, submission, completion, rate, oldest, findings, owner

    public var title: String {
        switch self {
        case .name: "NAME"
        case .status: "STATUS"
        case .requester: "REQUESTER"
        case .responder: "RESPONDER"
        case .submission: "SQ%"
        case .completion: "CQ%"
        case .rate: "OPS/S"
        case .oldest: "OLDEST"
        case .findings: "ALERTS"
        case .owner: "OWNER"
        }
    }

    public var description: String { title }

    /// Cells, the separating space excluded; the name column takes what is left (at least this).
    var width: Int {
        switch self {
        case .name: 16
        case .status: 9
        case .requester, .responder: 13
        case .submission, .completion: 4
        case .rate: 7
        case .oldest: 7
        case .findings: 6
        case .owner: 8
        }
    }

    /// Numbers line up on the right.
    var alignRight: Bool {
        switch self {
        case .submission, .completion, .rate, .oldest, .findings: true
        default: false
        }
    }

    /// Dropped first on a narrow terminal: highest first. Name and status always stay.
    var dropPriority: Int {
        switch self {
        case .name, .status: 0
        case .requester: 3
        case .responder: 4
        case .submission: 5
        case .completion: 6
        case .rate: 7
        case .findings: 8
        case .oldest: 9
        case .owner: 10
        }
    }

    /// Names and owners sort A to Z; figures biggest first and statuses worst first (htop's
    /// habit: what needs attention on top). `I` inverts.
    var sortsAscending: Bool { self == .name || self == .owner }

    /// Whether `a` comes before `b` in this column's natural order (ties: by name).
    func ordersBefore(_ a: OverviewRow, _ b: OverviewRow) -> Bool? {
        func compare<T: Comparable>(_ x: T, _ y: T) -> Bool? { x == y ? nil : (sortsAscending ? x < y : x > y) }
        func side(_ s: OverviewRow.Side?) -> Int32 { s?.pid ?? -1 }
        return switch self {
        case .name: compare(a.name, b.name)
        case .status: compare(a.statusRank, b.statusRank)
        case .requester: compare(side(a.requester), side(b.requester))
        case .responder: compare(side(a.responder), side(b.responder))
        case .submission: compare(a.submissionFill, b.submissionFill)
        case .completion: compare(a.completionFill, b.completionFill)
        case .rate: compare(a.opsPerSecond ?? -1, b.opsPerSecond ?? -1)
        case .oldest: compare(a.oldestInFlightNanoseconds.map { Int64(clamping: $0) } ?? -1,
                              b.oldestInFlightNanoseconds.map { Int64(clamping: $0) } ?? -1)
        case .findings: compare(a.findings, b.findings)
        case .owner: compare(a.owner ?? "", b.owner ?? "")
        }
    }

    /// The rows in this column's order (inverted with `I`); equal rows by name, A to Z.
    public func sorted(_ rows: [OverviewRow], inverted: Bool) -> [OverviewRow] {
        rows.sorted { a, b in
            if let before = ordersBefore(a, b) { return before != inverted }
            return a.name < b.name
        }
    }

    /// The cell text of `row` in this column.
    func text(_ row: OverviewRow) -> String {
        switch self {
        case .name: row.name
        case .status: row.status.rawValue
        case .requester: Self.sideText(row.requester)
        case .responder: Self.sideText(row.responder)
        case .submission: Self.percent(row.submissionFill, capacity: row.submissionCapacity)
        case .completion: Self.percent(row.completionFill, capacity: row.completionCapacity)
        case .rate: row.opsPerSecond.map { Formatting.count($0) } ?? "-"
        case .oldest: row.oldestInFlightNanoseconds.map { Formatting.age(nanoseconds: $0) } ?? "-"
        case .findings: row.findings == 0 ? "-" : String(row.findings)
        case .owner: row.owner ?? "?"
        }
    }

    static func percent(_ fill: Double, capacity: UInt32) -> String {
        capacity == 0 ? "-" : "\(Int((fill * 100).rounded(.down)))%"
    }

    /// "1234 alive", "1234 DEAD", "1234 left" (detached), "-" (never attached).
    static func sideText(_ side: OverviewRow.Side?) -> String {
        guard let side else { return "-" }
        return "\(side.pid) \(sideWord(side).word)"
    }

    static func sideWord(_ side: OverviewRow.Side) -> (word: String, role: ColorRole) {
        switch (side.state, side.liveness) {
        case (.detached, _): ("left", .muted)
        case (_, .dead), (_, .pidReused), (_, .zombie), (_, .exiting): ("DEAD", .critical)
        case (_, .stopped): ("STOP", .critical)
        case (_, .blockedInKernel): ("D", .warning)
        case (_, .alive): ("alive", .good)
        default: ("?", .muted)
        }
    }
}
