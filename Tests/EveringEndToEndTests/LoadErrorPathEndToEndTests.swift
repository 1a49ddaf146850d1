import Evering
import EveringInspect
import Foundation
import XCTest

/// What `load` says when the name is taken, and when it is stopped while waiting for
/// its peer: through the built binary, as a user meets them.
final class LoadErrorPathEndToEndTests: EndToEndTestCase {
    private var rawFiles: [String] = []

    override func tearDown() {
        for path in rawFiles { unlink(path) }
        rawFiles = []
        super.tearDown()
    }

    func testReplaceRefusesAnotherProgramsObjectAndLeavesItAlone() throws {
        let name = try uniqueName("foreign")
        let path = "/dev/shm/" + name
        rawFiles.append(path)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("not a ring, someone's data".utf8)))
        for arguments in [[String](), ["--replace"]] {
            let output = try Tool.run(["load", name, "--duration", "200ms"] + arguments)
            XCTAssertEqual(output.status, 1)
            XCTAssertTrue(output.stderr.contains("is not an evering ring"), output.stderr)
            XCTAssertTrue(output.stderr.contains("belongs to another program; pick another name"), output.stderr)
            XCTAssertEqual(output.stderr.contains("--replace removes only evering rings"), arguments == ["--replace"], output.stderr)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("not a ring, someone's data".utf8), "the object was touched")
    }

    func testRingLeftByAFinishedRunSuggestsReplaceAndReplaceWorks() throws {
        let name = try uniqueName("kept")
        let first = try Tool.run(["load", name, "--duration", "200ms", "--keep"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let again = try Tool.run(["load", name, "--duration", "200ms"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("an evering ring left by an earlier run"), again.stderr)
        XCTAssertTrue(again.stderr.contains("pass --replace to remove it"), again.stderr)
        let replaced = try Tool.run(["load", name, "--duration", "200ms", "--replace"])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
    }

    func testRingInUseNamesItsLiveUsers() throws {
        let name = try uniqueName("inuse")
        let load = try startLoad(name, [])
        let live = try waitForState(name, load, "both sides attached") { s in
            s.requester?.state == .attached && s.responder?.state == .attached
        }
        let second = try Tool.run(["load", name, "--duration", "200ms"])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("is in use (requester pid \(load.pid), responder pid \(live.responder?.pid ?? -1) alive)"),
                      second.stderr)
        XCTAssertTrue(load.isRunning, "the first run is untouched")
    }

    /// Ctrl-C while `--role responder` waits for a ring that never comes: it says it was
    /// stopped, at once, instead of waiting out and blaming the connect timeout.
    func testResponderStoppedWhileWaitingForTheRingSaysSo() throws {
        let name = try uniqueName("waiting")
        let responder = try Background(["load", name, "--role", "responder", "--connect-timeout", "60s"])
        defer { if responder.isRunning { responder.kill(SIGKILL); responder.wait() } }
        // Signal only once its SIGINT handler is installed (bit 2 of SigCgt), so the test
        // exercises the handler and not the default action.
        XCTAssertTrue(poll(within: 10) { Self.catchesSIGINT(responder.pid) }, "no SIGINT handler")
        responder.kill(SIGINT)
        XCTAssertTrue(poll(within: 5) { !responder.isRunning }, "still waiting after Ctrl-C")
        XCTAssertEqual(responder.wait(), 1)
        XCTAssertTrue(responder.stderr.contains("stopped while waiting for a requester on \(name)"), responder.stderr)
        XCTAssertFalse(responder.stderr.contains("within"), "not a timeout: \(responder.stderr)")
    }

    static func catchesSIGINT(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << (UInt64(SIGINT) - 1)) != 0
    }
}

/// `demo` starts its load with `--stop-with-parent`: if the demo dies (even by SIGKILL, or
/// of its terminal vanishing), the load must stop, drain and remove its ring rather than
/// run on for an hour.
final class StopWithParentEndToEndTests: EndToEndTestCase {
    func testLoadStopsAndCleansUpWhenItsParentIsKilled() throws {
        let name = try uniqueName("orphan")
        // A shell stands in for the demo: it starts the load, reports its pid, and waits.
        let shell = try Background.shell(
            "\"\(Tool.url.path)\" load \(name) --duration 60s --rate 2000 --stop-with-parent >/dev/null 2>&1 & echo $!; wait")
        let loadPID = try XCTUnwrap(Int32(shell.readLine(within: 10)?.trimmingCharacters(in: .whitespaces) ?? ""))
        defer { kill(loadPID, SIGKILL) }  // only if the behaviour under test failed
        XCTAssertTrue(poll(within: 10) { FileManager.default.fileExists(atPath: "/dev/shm/" + name) }, "the load created its ring")
        shell.kill(SIGKILL)  // not waited for: Foundation's wait can block while the orphan runs
        XCTAssertTrue(poll(within: 10) { kill(loadPID, 0) != 0 }, "the orphaned load stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/" + name), "and removed its ring")
    }
}
