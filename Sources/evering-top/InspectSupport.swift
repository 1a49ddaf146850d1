#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// `--stall-timeout`, shared by every command that diagnoses (dump, watch, check, attach,
/// demo), parsed and range-checked here once.
struct DiagnosisOptions: ParsableArguments {
    static let stallTimeoutRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(86_400)

    @Option(help: "How long a queue may sit stuck (head unchanged, or full) before it is reported (default 1s; 1ms to 24h).",
            transform: FlagValue.duration(stallTimeoutRange))
    var stallTimeout: Duration = .seconds(1)

    var thresholds: Thresholds { Thresholds(stallTimeout: stallTimeout.seconds) }
}

/// Attaching for inspection: read-only, with errors written for the user (exit code 2).
enum InspectAttach {
    /// The source for a ring argument: an evering ring name, or io_uring:PID[:FD] for a
    /// kernel io_uring read from /proc (issue 7); every command accepts both.
    static func source(_ raw: String) throws(CommandFailure) -> any RingSource {
        if RingSources.isIOUring(raw) {
            do { return try RingSources.open(raw) } catch { throw .cannotAttach("\(error)") }
        }
        return try reader(raw)
    }

    static func reader(_ raw: String, pendingLimit: Int = 4) throws(CommandFailure) -> SnapshotReader {
        do throws(RingError) {
            return try SnapshotReader(attaching: try RingName(raw), pendingLimit: pendingLimit)
        } catch {
            var failure = CommandFailure.cannotAttach(error)
            // Neither a ring nor an existing recording (RecordingFormat.isRecordingPath).
            if case .invalidName = error, raw.contains("/") { failure.message += "; no recording of that name either" }
            throw failure
        }
    }

    /// One more snapshot; a ring that can no longer be read is "cannot attach" (exit 2).
    static func snapshot(_ source: any RingSource) throws(CommandFailure) -> Snapshot {
        do { return try source.snapshot() } catch { throw .cannotAttach("\(error)") }
    }

    /// Whether text output may carry colour: stdout is a terminal and NO_COLOR
    /// (https://no-color.org) is unset or empty.
    static var colorOutput: Bool {
        if let value = getenv("NO_COLOR"), value.pointee != 0 { return false }
        return isatty(1) == 1
    }

    /// Writes one line to stdout and flushes (watch output is read line by line by scripts).
    static func emit(_ line: String) {
        print(line)
        fflush(nil)  // all output streams; `stdout` is not usable in Swift 6 mode
    }
}


/// Sleeps until `deadline` (CLOCK_MONOTONIC ns); returns at once if it has passed.
func sleepUntil(_ deadline: UInt64) {
    let now = Clock.monotonicNanoseconds
    guard deadline > now else { return }
    let remaining = deadline - now
    var request = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
    var left = timespec()
    while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
}
