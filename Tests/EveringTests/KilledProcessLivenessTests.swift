import Evering
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A SIGKILLed process is gone from the moment `kill` returns, although the kernel still
/// prints it as T, S or R until it has run its exit and torn its memory down (a stopped
/// process with a large mapping stays `R` for milliseconds). Seen live: the dashboard showed
/// a killed, stopped responder as "alive, hung" for one frame before it became a zombie.
final class KilledProcessLivenessTests: XCTestCase {
    private func line(state: String, flags: UInt64, pending: UInt64?) -> String {
        // Fields 4..30 numbered after themselves except flags (9); field 31 pending signals.
        var fields = (4...30).map { String($0) }
        fields[9 - 4] = String(flags)
        if let pending { fields.append(String(pending)); fields += ["0", "0", "0"] }
        return "42 (a (b) c) \(state) " + fields.joined(separator: " ") + "\n"
    }

    func testFlagsAndPendingSignalsAreParsed() throws {
        let stat = try XCTUnwrap(ProcessStat.parse(line(state: "S", flags: 0x40_0140, pending: 0x4000)))
        XCTAssertEqual(stat.state, "S")
        XCTAssertEqual(stat.flags, 0x40_0140)
        XCTAssertEqual(stat.startTime, 22)
        XCTAssertEqual(stat.pendingSignals, 0x4000)
        XCTAssertEqual(stat.liveness, .alive, "SIGTERM pending is not death")
        // A line that stops after field 22 (as some tests write them) still parses.
        XCTAssertEqual(ProcessStat.parse(line(state: "T", flags: 0, pending: nil))?.liveness, .stopped)
        XCTAssertNil(ProcessStat.parse("42 (x) S 1 2 3 4 5 notanumber 7"))
    }

    func testKillPendingOrExitingFlagMeansExitingWhateverTheLetter() {
        for letter in ["R", "S", "T", "t", "D"] {
            XCTAssertEqual(ProcessStat.parse(line(state: letter, flags: 0x4, pending: 0))?.liveness, .exiting, letter)
            XCTAssertEqual(ProcessStat.parse(line(state: letter, flags: 0, pending: 0x100))?.liveness, .exiting, letter)
        }
        XCTAssertEqual(ProcessStat.parse(line(state: "Z", flags: 0x4, pending: 0x100))?.liveness, .zombie)
        XCTAssertTrue(ProcessIdentity.Liveness.exiting.isGone)
        XCTAssertFalse(ProcessIdentity.Liveness.exiting.isPresent)
    }

    /// A real stopped child, SIGKILLed: every reading from the moment `kill` returns until it
    /// is reaped says gone (exiting, then zombie), never alive or stopped.
    func testAStoppedChildKilledIsNeverReadAsAliveAgain() throws {
        var child: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("600"), nil]
        defer { argv.forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&child, "/bin/sleep", nil, nil, &argv, environ), 0)
        let identity = ProcessIdentity(pid: child, startTime: try XCTUnwrap(ProcessIdentity.startTime(of: child)))
        // Present (running, or still in exec: state D for a moment), not yet gone.
        XCTAssertTrue(identity.liveness.isPresent, "\(identity.liveness)")

        kill(child, SIGSTOP)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(child, &status, WUNTRACED), child)  // the kernel says it stopped
        XCTAssertEqual(identity.liveness, .stopped)

        kill(child, SIGKILL)
        var readings: [ProcessIdentity.Liveness] = []
        let deadline = Clock.monotonicNanoseconds + 10_000_000_000  // a bound, not a wait
        while Clock.monotonicNanoseconds < deadline {
            let now = identity.liveness
            if readings.last != now { readings.append(now) }
            if now == .zombie { break }
        }
        XCTAssertEqual(waitpid(child, &status, 0), child)
        XCTAssertEqual(readings.last, .zombie, "\(readings)")
        XCTAssertTrue(readings.allSatisfy(\.isGone), "read after SIGKILL: \(readings)")
        XCTAssertEqual(identity.liveness, .dead, "reaped")
    }
}
