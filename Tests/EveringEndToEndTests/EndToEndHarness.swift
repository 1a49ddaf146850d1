import Evering
import EveringInspect
import Foundation
import XCTest

/// The built `evering-top`, found next to the test bundle (on Linux `bundleURL` is the
/// products folder itself; elsewhere it is the .xctest inside it).
enum Tool {
    static var url: URL {
        let bundle = Bundle(for: EndToEndTestCase.self).bundleURL
        let candidates = [bundle.appendingPathComponent("evering-top"),
                          bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct TimedOut: Error, CustomStringConvertible {
        var arguments: [String]
        var description: String { "evering-top \(arguments.joined(separator: " ")) did not finish in time" }
    }

    /// Runs one short command (dump, check, list) to completion, killing it past `timeout`.
    /// Output goes to files, not pipes, so nothing can block on a full pipe.
    static func run(_ arguments: [String], timeout: Double = 20) throws -> Output {
        let process = try Background(arguments)
        guard poll(within: timeout, { !process.isRunning }) else {
            process.kill(SIGKILL)
            throw TimedOut(arguments: arguments)
        }
        return Output(status: process.wait(), stdout: process.stdout, stderr: process.stderr)
    }
}

/// `evering-top` running in the background with stdout/stderr in temporary files (a
/// pipe could be held open by the responder grandchild, which inherits stderr).
final class Background {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ arguments: [String], executable: URL = Tool.url) throws {
        let directory = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        stdoutURL = directory.appendingPathComponent("e2e-\(id).out")
        stderrURL = directory.appendingPathComponent("e2e-\(id).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    /// `/bin/sh -c script` in the background.
    static func shell(_ script: String) throws -> Background {
        try Background(["-c", script], executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// The first line of stdout, once one is complete (nil if none within `seconds`).
    func readLine(within seconds: Double) -> String? {
        var line: String?
        poll(within: seconds) {
            line = stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().first.map(String.init)
            return line != nil
        }
        return line
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func kill(_ signal: Int32) { if process.isRunning { _ = Glibc.kill(pid, signal) } }

    /// Waits for exit (the caller has made sure it is exiting) and returns its status.
    @discardableResult
    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
@discardableResult
func poll(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Clock.monotonicNanoseconds + UInt64(seconds * 1e9)
    while Clock.monotonicNanoseconds < deadline {
        if try condition() { return true }
        usleep(5_000)  // the poll interval, not a synchronisation: the condition decides
    }
    return try condition()
}

/// Thrown (failing the test with the reason) when a ring never reaches the awaited state.
struct StateNotReached: Error, CustomStringConvertible { var description: String }

/// One test = one `evering-top load NAME ... --keep` run, then the inspector against it.
/// tearDown removes everything the run made, also when the test failed halfway: the
/// responder (SIGCONT for a SIGSTOPped one, then SIGKILL, only if its pid still names the
/// process the ring recorded), the requester, and the kept ring.
class EndToEndTestCase: XCTestCase {
    // nonisolated(unsafe): XCTest runs the tests of this target one at a time.
    nonisolated(unsafe) private static var counter = 0
    private var rings: [RingName] = []
    private var loads: [Background] = []
    private var responders: [ProcessIdentity] = []

    /// The ring's stall timeout for `check` and `dump`: short, to keep the target fast.
    let stallTimeout = "0.5"

    func uniqueName(_ label: String) throws -> String {
        Self.counter += 1
        let name = "e2e-\(label)-\(getpid())-\(Self.counter)"
        rings.append(try RingName(name))
        return name
    }

    /// Starts `evering-top load NAME ARGS --keep` with a run long enough to outlast the test.
    func startLoad(_ name: String, _ arguments: [String]) throws -> Background {
        let load = try Background(["load", name, "--duration", "60s", "--keep", "--json"] + arguments)
        loads.append(load)
        return load
    }

    override func tearDown() {
        for identity in responders where identity.liveness == .alive {
            // SIGCONT first so a SIGSTOPped responder is runnable again; SIGKILL acts on a
            // stopped process anyway, but leaving one stopped for even a moment helps nobody.
            kill(identity.pid, SIGCONT)
            kill(identity.pid, SIGKILL)
        }
        for load in loads where load.isRunning {
            load.kill(SIGKILL)
            load.wait()
        }
        for ring in rings { try? unlinkRing(ring) }
        // The responder is the requester's child; once the requester is gone it is
        // reparented and reaped elsewhere. Wait until it is gone so no test leaks one.
        XCTAssertTrue(poll(within: 5) { self.responders.allSatisfy { $0.liveness != .alive } },
                      "a responder outlived its test")
        rings = []
        loads = []
        responders = []
        super.tearDown()
    }

    /// `dump NAME --json`, decoded. Nil while the ring does not exist yet.
    func dump(_ name: String) throws -> InspectReport? {
        let output = try Tool.run(["dump", name, "--json", "--stall-timeout", stallTimeout])
        guard output.status == 0 else { return nil }
        return try InspectJSON.decode(InspectReport.self, from: output.stdout)
    }

    /// Polls `dump --json` until `condition` holds on its snapshot (failing past
    /// `seconds`), remembering the responder's identity for tearDown.
    @discardableResult
    func waitForState(_ name: String, _ load: Background, within seconds: Double = 15, _ what: String,
                      _ condition: (Snapshot) -> Bool) throws -> Snapshot {
        var last: Snapshot?
        let reached = try poll(within: seconds) {
            guard let report = try dump(name) else { return false }
            last = report.snapshot
            if let responder = report.snapshot.responder, responder.pid > 0 {
                let identity = ProcessIdentity(pid: responder.pid, startTime: responder.startTime)
                if !responders.contains(identity) { responders.append(identity) }
            }
            return condition(report.snapshot)
        }
        guard reached, let last else {
            throw StateNotReached(description: "ring \(name) never reached: \(what); last snapshot: "
                                  + "\(last.map(describe) ?? "none"); load stderr: \(load.stderr)")
        }
        return last
    }

    /// `check NAME --json --stall-timeout 0.5`, decoded, with its exit status.
    func check(_ name: String) throws -> (status: Int32, report: InspectReport) {
        let output = try Tool.run(["check", name, "--json", "--stall-timeout", stallTimeout])
        XCTAssertTrue(output.status == 0 || output.status == 1, "check could not attach: \(output.stderr)")
        return (output.status, try InspectJSON.decode(InspectReport.self, from: output.stdout))
    }

    func describe(_ s: Snapshot) -> String {
        "sq \(s.submission.used)/\(s.submission.capacity) head \(s.submission.head), cq \(s.completion.used)/\(s.completion.capacity), "
            + "slots \(s.slots.map { "\($0.counts)" } ?? "-"), requester \(s.requester.map(describeSide) ?? "-"), "
            + "responder \(s.responder.map(describeSide) ?? "-")"
    }

    func describeSide(_ side: SideStatus) -> String {
        "\(side.state) \(side.liveness) pid \(side.pid) heartbeat \(side.heartbeatAgeNanoseconds.map { "\($0 / 1_000_000) ms" } ?? "-")"
    }

    /// "rule subject" pairs, for readable assertions.
    func ruleSubjects(_ findings: [Finding]) -> Set<String> {
        Set(findings.map { "\($0.rule.rawValue) \($0.subject)" })
    }
}
