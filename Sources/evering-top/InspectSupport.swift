#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// Exit codes shared by the inspector commands (docs/CLI.md).
enum InspectExit {
    /// Healthy (check) or success (list, dump, watch).
    static let ok: Int32 = 0
    /// check: findings present.
    static let findings: Int32 = 1
    /// The ring cannot be attached or read (missing, permission, not evering, corrupt header, vanished).
    static let cannotAttach: Int32 = 2
}

/// Flags shared by dump, watch and check.
struct DiagnosisOptions: ParsableArguments {
    @Option(help: "Seconds a queue may sit stuck (head unchanged, or full) before it is reported.")
    var stallTimeout: Double = 1.0

    func validate() throws {
        guard stallTimeout > 0, stallTimeout <= 86_400 else {
            throw ValidationError("--stall-timeout must be a positive number of seconds, at most 86400")
        }
    }

    var thresholds: Thresholds { Thresholds(stallTimeout: stallTimeout) }
}

/// Attaching for inspection: read-only, with errors written for the user and exit code 2.
enum InspectAttach {
    /// The source for a ring argument: an evering ring name, or io_uring:PID[:FD] for a
    /// kernel io_uring read from /proc (issue 7); every command accepts both.
    static func source(_ raw: String) -> any RingSource {
        if RingSources.isIOUring(raw) {
            do { return try RingSources.open(raw) } catch { fail("\(error)") }
        }
        return reader(raw)
    }

    static func reader(_ raw: String, pendingLimit: Int = 4) -> SnapshotReader {
        do throws(RingError) {
            return try SnapshotReader(attaching: try RingName(raw), pendingLimit: pendingLimit)
        } catch {
            fail(message(for: error))
        }
    }

    /// The RingError's own message, plus the rings that do exist when the name is missing.
    static func message(for error: RingError) -> String {
        guard case .notFound = error else { return error.description }
        let rings = RingDirectory.everingRingNames()
        if rings.isEmpty { return error.description + "; there are no evering rings in /dev/shm" }
        return error.description + "; rings that exist: " + rings.map { "/" + $0 }.joined(separator: ", ")
    }

    /// Prints `message` to stderr and exits with code 2.
    static func fail(_ message: String) -> Never {
        printError("evering-top: " + message)
        exit(InspectExit.cannotAttach)
    }

    static func printError(_ message: String) {
        var line = message + "\n"
        // write(2) on fd 2: the C `stderr` global is not usable in Swift 6 mode.
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
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
