import Evering
import EveringInspect

/// The one place commands turn a ring argument into a source and pick the rules for it, so
/// `dump`, `watch`, `check` and `attach` accept both kinds of ring the same way:
///
/// ```swift
/// let source = try RingSources.open("io_uring:1234")   // or "evering-demo"
/// let snapshot = try source.snapshot()
/// let findings = RingSources.diagnose(snapshot, history: sampler.history, thresholds: thresholds)
/// ```
public enum RingSources {
    /// Whether an argument names a kernel io_uring (`io_uring:PID[:FD]`).
    public static func isIOUring(_ argument: String) -> Bool { IOUringTarget.matches(argument) }

    /// An `IOUringSource` for `io_uring:PID[:FD]`, else a read-only `SnapshotReader` for an
    /// evering ring name. Throws `IOUringError` or `RingError`, both with user-facing messages.
    public static func open(_ argument: String, pendingLimit: Int = 4) throws -> any RingSource {
        if isIOUring(argument) {
            return try IOUringSource(target: IOUringTarget(parsing: argument), pendingLimit: max(pendingLimit, 8))
        }
        return try SnapshotReader(attaching: RingName(argument), pendingLimit: pendingLimit)
    }

    /// The io_uring rules for io_uring snapshots, the evering rules otherwise.
    public static func diagnose(_ snapshot: Snapshot, history: [Sample] = [], thresholds: Thresholds = .default) -> [Finding] {
        snapshot.source == .ioUring
            ? IOUringDiagnosis.diagnose(snapshot, history: history, thresholds: thresholds)
            : Diagnosis.diagnose(snapshot, history: history, thresholds: thresholds)
    }
}
