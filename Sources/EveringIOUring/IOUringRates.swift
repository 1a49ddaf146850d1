/// Per-second rates between two snapshots of one io_uring, from the u32 counters' wrapping
/// deltas over the measured interval.
public struct IOUringRates: Equatable, Sendable {
    /// SqTail advance: entries the application published.
    public var submittedPerSecond: Double
    /// SqHead advance: entries the kernel consumed.
    public var consumedPerSecond: Double
    /// CqTail advance: completions the kernel posted.
    public var completedPerSecond: Double
    /// CqHead advance: completions the application reaped.
    public var reapedPerSecond: Double

    /// Nil unless both are live reads with ring state, in time order.
    public init?(from earlier: IOUringSnapshot, to later: IOUringSnapshot) {
        guard later.takenAtNanoseconds > earlier.takenAtNanoseconds,
              let sq0 = earlier.info.submissionQueue, let sq1 = later.info.submissionQueue,
              let cq0 = earlier.info.completionQueue, let cq1 = later.info.completionQueue else { return nil }
        let seconds = Double(later.takenAtNanoseconds - earlier.takenAtNanoseconds) / 1e9
        submittedPerSecond = Double(sq1.tail &- sq0.tail) / seconds
        consumedPerSecond = Double(sq1.head &- sq0.head) / seconds
        completedPerSecond = Double(cq1.tail &- cq0.tail) / seconds
        reapedPerSecond = Double(cq1.head &- cq0.head) / seconds
    }
}
