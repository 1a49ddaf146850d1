import Evering
import EveringDashboard
import EveringInspect
import EveringTerminal
import Foundation
import XCTest

/// The same ring in each state gives the same status word from `list --json`, `dump --json`,
/// `check --json` (and its exit code) and the dashboard's header (issue 11: one status word,
/// computed in one place). One test walks every state, each built for real: processes that
/// are killed, stopped, left unreaped, or leave cleanly.
final class StatusAgreementTests: XCTestCase {
    private var cleanups: [() -> Void] = []

    override func tearDown() {
        for cleanup in cleanups.reversed() { cleanup() }
        cleanups = []
        super.tearDown()
    }

    /// Runs the binary to completion; (exit status, stdout and stderr together).
    private func tool(_ arguments: [String], timeout: TimeInterval = 20) throws -> (status: Int32, output: String) {
        let process = try SpawnedProcess(arguments)
        guard process.waitForExit(timeout: timeout) else {
            kill(process.pid, SIGKILL)
            _ = process.waitForExit(timeout: 5)
            throw LoadNotReady(message: "\(arguments) did not finish within \(timeout) s")
        }
        let raw = process.status ?? 0
        return ((raw >> 8) & 0xff, process.output)
    }

    /// The status word of `name` as each consumer shows it.
    private func statusWords(_ name: RingName, file: StaticString = #filePath, line: UInt = #line) throws -> [String: String] {
        var words: [String: String] = [:]
        let list = try tool(["list", "--json"])
        let listings = try InspectJSON.decode([RingListing].self, from: list.output)
        words["list"] = listings.first { $0.name == name.path }?.status.rawValue ?? "missing"
        let dump = try tool(["dump", name.bare, "--json"])
        words["dump"] = try InspectJSON.decode(InspectReport.self, from: dump.output).status.rawValue
        let check = try tool(["check", name.bare, "--json"])
        let checked = try InspectJSON.decode(InspectReport.self, from: check.output)
        words["check"] = checked.status.rawValue
        XCTAssertEqual(check.status, checked.status.checkExitCode, "check's exit code follows its word", file: file, line: line)
        // The dashboard: the same feed and renderer `attach` runs, two samples 200 ms apart.
        let feed = LiveRingFeed(name: name, reader: try SnapshotReader(attaching: name)) { snapshot, history in
            Diagnosis.diagnose(snapshot, history: history)
        }
        feed.sample()
        let second = Clock.monotonicNanoseconds + 200_000_000
        while Clock.monotonicNanoseconds < second { usleep(10_000) }
        feed.sample()
        let header = feed.render(state: DashboardState(interval: 0.2), width: 120, height: 32).text(row: 0)
        words["dashboard"] = RingStatus.allCases.first { header.contains(" \($0.rawValue) ") }?.rawValue ?? "none in: \(header)"
        XCTAssertEqual(feed.input.status?.rawValue, words["dashboard"], file: file, line: line)
        return words
    }

    private func assertAllSay(_ expected: RingStatus, _ name: RingName, _ state: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let words = try statusWords(name, file: file, line: line)
        for (consumer, word) in words.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(word, expected.rawValue, "\(state): \(consumer) says \(word); all: \(words)", file: file, line: line)
        }
    }

    private func makeRing(_ label: String) throws -> (RingName, Requester) {
        let name = uniqueRingName(label)
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: 16, slotCount: 8, bufferSize: 64, replaceExisting: true))
        cleanups.append { _ = shm_unlink(name.path) }
        return (name, requester)
    }

    /// An `echo-responder` child we do not reap until the end (so, killed, it stays a zombie).
    private func spawnResponder(_ name: RingName) throws -> SpawnedProcess {
        let child = try SpawnedProcess(["echo-responder", name.bare, "--timeout", "60"])
        cleanups.append { kill(child.pid, SIGCONT); kill(child.pid, SIGKILL); _ = child.waitForExit(timeout: 5) }
        let reader = try SnapshotReader(attaching: name)
        XCTAssertTrue(poll(10) { (try? reader.snapshot())?.responder?.state == .attached }, "the responder attaches")
        return child
    }

    private func poll(_ seconds: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if condition() { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    private func processState(_ pid: pid_t) -> Character? { ProcessStat.read(pid)?.state }

    func testEveryStateGivesTheSameWordEverywhere() throws {
        // OK: both sides attached and beating, nothing queued.
        do {
            let (name, requester) = try makeRing("ok")
            let responder = try Responder.open(name)
            try assertAllSay(.ok, name, "idle healthy ring")
            // STUCK: an op the responder never takes, its head entry older than the stall timeout.
            _ = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))
            let reader = try SnapshotReader(attaching: name)
            XCTAssertTrue(poll(10) { ((try? reader.snapshot())?.submission.pending.first?.ageNanoseconds ?? 0) > 1_300_000_000 })
            try assertAllSay(.stuck, name, "responder not taking")
            responder.detach()
            requester.detach()
        }
        // STALE: both sides leave cleanly (detach) with nothing left behind.
        do {
            let (name, requester) = try makeRing("stale")
            let responder = try Responder.open(name)
            responder.detach()
            requester.detach()
            try assertAllSay(.stale, name, "both sides cleanly gone")
        }
        // A stopped side (SIGSTOP, state T): STUCK, said at once, not "hung".
        do {
            let (name, requester) = try makeRing("stopped")
            let child = try spawnResponder(name)
            kill(child.pid, SIGSTOP)
            XCTAssertTrue(poll(5) { processState(child.pid) == "T" })
            try assertAllSay(.stuck, name, "stopped responder")
            let report = try InspectJSON.decode(InspectReport.self, from: try tool(["dump", name.bare, "--json"]).output)
            XCTAssertEqual(report.incidents.first?.rootCause.rule, .sideStopped, "\(report.incidents)")
            XCTAssertTrue(report.incidents.first?.rootCause.message.contains("stopped (SIGSTOP?)") ?? false)
            kill(child.pid, SIGCONT)
            requester.detach()
        }
        // A zombie side (killed, not yet reaped by its parent: us): DEAD, not "alive and hung".
        do {
            let (name, requester) = try makeRing("zombie")
            let child = try spawnResponder(name)
            kill(child.pid, SIGKILL)
            XCTAssertTrue(poll(5) { processState(child.pid) == "Z" }, "the killed child stays a zombie until reaped")
            try assertAllSay(.dead, name, "zombie responder")
            let listing = try InspectJSON.decode([RingListing].self, from: try tool(["list", "--json"]).output)
                .first { $0.name == name.path }
            XCTAssertEqual(listing?.responderLiveness, .zombie)
            _ = child.waitForExit(timeout: 5)
            requester.detach()
        }
        // Both sides crashed (SIGKILL, neither detached): DEAD, the requester as root cause.
        do {
            let name = uniqueRingName("bothdead")
            let load = try startLoad(name, concurrency: 8)
            cleanups.append { load.stop(); _ = shm_unlink(name.path) }
            let reader = try SnapshotReader(attaching: name)
            XCTAssertTrue(poll(10) { (try? reader.snapshot())?.responder?.state == .attached })
            let responderPID = try XCTUnwrap(try reader.snapshot().responder?.pid)
            kill(load.pid, SIGKILL)
            kill(responderPID, SIGKILL)
            XCTAssertTrue(load.waitForExit(timeout: 5))
            XCTAssertTrue(poll(10) {
                guard let s = try? reader.snapshot() else { return false }
                return s.requester?.liveness.isGone == true && s.responder?.liveness.isGone == true
            }, "both sides gone")
            try assertAllSay(.dead, name, "both sides crashed")
            let report = try InspectJSON.decode(InspectReport.self, from: try tool(["dump", name.bare, "--json"]).output)
            XCTAssertEqual(report.incidents.count, 1, "one incident: \(report.incidents)")
            XCTAssertEqual(report.incidents.first?.rootCause.key, "peer-dead requester")
            XCTAssertFalse(report.findings.contains { $0.severity == .critical && $0.subject == "responder" },
                           "the responder going too is a consequence, not a second CRITICAL: \(report.findings)")
        }
    }
}
