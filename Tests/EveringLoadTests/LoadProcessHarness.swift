import Evering
import EveringLoad
import Foundation
import XCTest

/// Runs the built `evering-top` as a child process with stdout/stderr captured in files
/// (not pipes: the grandchild responder inherits stderr and could hold a pipe open).
final class LoadProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    /// On Linux `Bundle(for:).bundleURL` is the products folder itself; elsewhere it is
    /// the .xctest bundle inside it.
    static var executable: URL {
        let bundle = Bundle(for: LoadProcess.self).bundleURL
        let candidates = [bundle.appendingPathComponent("evering-top"),
                          bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Runs `evering-top ARGUMENTS`, or another program (`executable`) with them.
    init(_ arguments: [String], executable: URL = LoadProcess.executable) throws {
        let directory = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        stdoutURL = directory.appendingPathComponent("load-\(id).out")
        stderrURL = directory.appendingPathComponent("load-\(id).err")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits for exit (failing the test, and killing the process, past the deadline).
    @discardableResult
    func waitForExit(within seconds: Double, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let exited = poll(within: seconds) { !self.process.isRunning }
        if !exited {
            XCTFail("\(process.executableURL?.lastPathComponent ?? "?") \(process.arguments ?? []) still running after \(seconds) s; stderr: \(stderr)", file: file, line: line)
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func summary(file: StaticString = #filePath, line: UInt = #line) throws -> LoadSummary {
        let text = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = text.split(separator: "\n").last.map({ Data($0.utf8) }) else {
            XCTFail("no JSON summary on stdout; stderr: \(stderr)", file: file, line: line)
            throw CocoaError(.fileReadCorruptFile)
        }
        return try JSONDecoder().decode(LoadSummary.self, from: data)
    }
}

/// Polls `condition` every few milliseconds until it holds or `seconds` pass.
@discardableResult
func poll(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Clock.monotonicNanoseconds + UInt64(seconds * 1e9)
    while Clock.monotonicNanoseconds < deadline {
        if try condition() { return true }
        usleep(2_000)  // the poll interval, not a synchronisation: the condition decides
    }
    return try condition()
}

/// Unique ring names per test, unlinked in tearDown.
class LoadTestCase: XCTestCase {
    // nonisolated(unsafe): XCTest runs the tests of this target one at a time.
    nonisolated(unsafe) private static var counter = 0
    private var names: [String] = []

    func uniqueName(_ label: String) -> String {
        Self.counter += 1
        let name = "lt-\(label)-\(getpid())-\(Self.counter)"
        names.append(name)
        return name
    }

    override func tearDown() {
        for name in names { if let ring = try? RingName(name) { try? unlinkRing(ring) } }
        names = []
        super.tearDown()
    }

    /// Attaches read-only once the ring exists.
    func observe(_ name: String, within seconds: Double = 10) throws -> RingObserver {
        var observer: RingObserver? = nil
        poll(within: seconds) {
            observer = try? RingObserver(attaching: RingName(name))
            return observer != nil
        }
        return try XCTUnwrap(observer, "ring \(name) never appeared")
    }

    /// True once the given side's heartbeat has been seen to change `times` times: a way
    /// to let real time pass that is tied to the ring, not to a sleep.
    func heartbeatAdvances(_ observer: RingObserver, side: RingSide, times: Int, within seconds: Double = 5) -> Bool {
        var last = observer.side(side).heartbeatNanoseconds
        var seen = 0
        return poll(within: seconds) {
            let now = observer.side(side).heartbeatNanoseconds
            if now != last { seen += 1; last = now }
            return seen >= times
        }
    }

    /// True once queue `kind` has been seen full, with the same head, across `beats`
    /// changes of `side`'s heartbeat: stuck while that side is demonstrably alive.
    func queueStuckFull(_ observer: RingObserver, _ kind: RingObserver.QueueKind, whileBeating side: RingSide,
                        beats: Int = 3, within seconds: Double = 10) -> Bool {
        var head = UInt64.max
        var beat: UInt64 = 0
        var seen = 0
        return poll(within: seconds) {
            let queue = observer.queue(kind)
            guard queue.used == UInt64(queue.capacity) else { head = .max; return false }
            let now = observer.side(side).heartbeatNanoseconds
            if queue.head != head { head = queue.head; beat = now; seen = 0; return false }
            if now != beat { seen += 1; beat = now }
            return seen >= beats
        }
    }

    func slotCount(_ observer: RingObserver, _ state: SlotState) -> Int {
        var states: [UInt32] = []
        observer.slotStates(into: &states)
        return states.filter { $0 == state.rawValue }.count
    }
}
