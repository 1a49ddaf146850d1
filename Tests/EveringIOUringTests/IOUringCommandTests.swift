import EveringInspect
import Foundation
import XCTest
@testable import EveringIOUring

/// End to end: the built `evering-top` against real rings from UringFixture (and fio).
final class IOUringCommandTests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs evering-top (optionally as another user via `prefix`), killing it after `timeout` s.
    func run(_ arguments: [String], prefix: [String] = [], timeout: Double = 20) throws -> Run {
        let process = Process()
        let binary = UringFixtureProcess.product("evering-top").path
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + [binary] + arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testDumpJSONShowsUnsubmittedAndUnreapedEntries() throws {
        let helper = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        defer { helper.stop() }
        let result = try run(["dump", "io_uring:\(helper.pid)", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try InspectJSON.decode(InspectReport.self, from: result.stdout)
        XCTAssertEqual(report.snapshot.source, .ioUring)
        XCTAssertEqual(report.snapshot.name, "io_uring:\(helper.pid):\(helper.fd)")
        XCTAssertEqual(report.snapshot.process?.command, "UringFixture")
        XCTAssertEqual(report.snapshot.submission.used, 2)
        XCTAssertEqual(report.snapshot.submission.pending.map(\.userData), [2000, 2001])
        XCTAssertEqual(report.snapshot.completion.used, 3)
        XCTAssertEqual(report.snapshot.completion.pending.map(\.userData), [1000, 1001, 1002])
        XCTAssertNil(report.snapshot.slots)
    }

    func testDumpTextShowsQueuesAndOverflow() throws {
        let helper = try UringFixtureProcess(["--overflow"])
        defer { helper.stop() }
        let result = try run(["dump", "io_uring:\(helper.pid):\(helper.fd)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("io_uring:\(helper.pid):\(helper.fd)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("completion-overflow"), result.stdout)
    }

    func testCheckReportsStuckQueuesAndPassesABusyRing() throws {
        let stuck = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        defer { stuck.stop() }
        let bad = try run(["check", "io_uring:\(stuck.pid)", "--stall-timeout", "0.3"])
        XCTAssertEqual(bad.status, 1, bad.stdout + bad.stderr)
        XCTAssertTrue(bad.stdout.contains("consumer-stalled"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("io_uring_enter"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("not reaping"), bad.stdout)

        let busy = try UringFixtureProcess(["--busy"])
        defer { busy.stop() }
        // The default 1 s timeout: a busy ring on an oversubscribed machine may pause briefly.
        let good = try run(["check", "io_uring:\(busy.pid)"])
        XCTAssertEqual(good.status, 0, good.stdout + good.stderr)
    }

    func testCheckCannotAttachToMissingOrForeignTargets() throws {
        let helper = try UringFixtureProcess()
        let pid = helper.pid
        let notRing = try run(["check", "io_uring:\(pid):0"])
        XCTAssertEqual(notRing.status, 2)
        XCTAssertTrue(notRing.stderr.contains("is not an io_uring"), notRing.stderr)
        helper.stop()
        let gone = try run(["check", "io_uring:\(pid)"])
        XCTAssertEqual(gone.status, 2)
        XCTAssertTrue(gone.stderr.contains("no process with pid \(pid)"), gone.stderr)
        let bad = try run(["dump", "io_uring:abc"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("not a positive pid"), bad.stderr)
    }

    /// Another user's process: the message says permission denied and names the owner.
    func testPermissionDeniedIsPlain() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to run the inspector as another user")
        }
        let helper = try UringFixtureProcess()
        defer { helper.stop() }
        let asNobody = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        let result = try run(["dump", "io_uring:\(helper.pid)"], prefix: asNobody)
        XCTAssertEqual(result.status, 2, result.stdout + result.stderr)
        XCTAssertTrue(result.stderr.contains("permission denied"), result.stderr)
        XCTAssertTrue(result.stderr.contains("root"), result.stderr)
        let list = try run(["list", "--io-uring"], prefix: asNobody)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("permission denied"), list.stdout)
    }

    func testWatchBatchJSONLinesFollowARing() throws {
        let helper = try UringFixtureProcess(["--busy"])
        defer { helper.stop() }
        let result = try run(["watch", "io_uring:\(helper.pid)", "--batch", "--delay", "0.1", "--iterations", "4", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try result.stdout.split(separator: "\n").map { try InspectJSON.decode(InspectReport.self, from: String($0)) }
        XCTAssertEqual(reports.count, 4)
        XCTAssertTrue(reports.allSatisfy { $0.snapshot.source == .ioUring && $0.findings.isEmpty })
        XCTAssertGreaterThan(reports.last?.rates?.submissionDequeuesPerSecond ?? 0, 0)
    }

    func testListIOUringFindsTheHelper() throws {
        let helper = try UringFixtureProcess(["--unsubmitted", "1"])
        defer { helper.stop() }
        let text = try run(["list", "--io-uring"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.split(separator: "\n").contains { $0.hasPrefix("\(helper.pid) ") && $0.contains("UringFixture") }, text.stdout)
        let json = try run(["list", "--io-uring", "--json"])
        let listing = try InspectJSON.decode(IOUringListing.self, from: json.stdout)
        XCTAssertEqual(listing.rings.first { $0.pid == helper.pid }?.sqUsed, 1)
    }

    /// `attach io_uring:PID` in a real terminal (tmux): queues and io_uring alerts appear, and
    /// the process exiting keeps the last frame with a "gone" banner.
    func testAttachDashboardUnderTmux() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        let helper = try UringFixtureProcess(["--unreaped", "3", "--overflow"])
        defer { helper.stop() }
        let session = "evering-uring-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let binary = UringFixtureProcess.product("evering-top").path
        // A private server socket: other people's tmux sessions on this machine are not ours.
        let socket = session
        func tmux(_ arguments: [String]) throws -> String {
            try runTmux(["-L", socket] + arguments)
        }
        _ = try tmux(["-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                      "\(binary) attach io_uring:\(helper.pid) --delay 0.1 --stall-timeout 0.3; sleep 30"])
        defer {
            _ = try? tmux(["kill-server"])
            unlink("/tmp/tmux-\(getuid())/\(socket)")  // the server leaves its socket file behind
        }
        var screen = ""
        XCTAssertTrue(try waitUntil(timeout: 10) {
            screen = try tmux(["capture-pane", "-p", "-t", session])
            return screen.contains("completion-overflow") && screen.contains("consumer-stalled")
        }, screen)
        XCTAssertTrue(screen.contains("io_uring:\(helper.pid):\(helper.fd)"), screen)
        XCTAssertTrue(screen.contains("used 16/16"), screen)
        XCTAssertTrue(screen.contains("app→kernel") && screen.contains("kernel→app"), screen)
        // The header names the owner and the io_uring facts; the middle row lists the pending
        // entries instead of saying twice that there is no slot table.
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines[0].contains("pid \(helper.pid) (UringFixture) alive"), screen)
        XCTAssertTrue(lines[1].hasPrefix("setup -") && lines[1].contains("overflow ") && lines[1].contains("files 0 bufs 0"),
                      screen)
        XCTAssertFalse(lines[1].contains("overflow 0"), "the fixture overflowed its CQ:\n\(screen)")
        XCTAssertTrue(screen.contains("Pending entries"), screen)
        XCTAssertTrue(screen.contains("CQ #0  user_data"), screen)
        XCTAssertFalse(screen.contains("no slot table"), screen)
        helper.stop()
        XCTAssertTrue(try waitUntil(timeout: 10) {
            screen = try tmux(["capture-pane", "-p", "-t", session])
            return screen.contains("GONE") && screen.contains("exited")
        }, screen)
        _ = try tmux(["send-keys", "-t", session, "q"])
    }

    /// fio with the io_uring engine: found by `list --io-uring`, followed by `watch`, healthy.
    func testFioEndToEnd() throws {
        let (row, reports) = try watchFio(extraArguments: [])
        XCTAssertEqual(row.sqPoll, false)
        XCTAssertGreaterThan(reports.compactMap { $0.rates?.completionDequeuesPerSecond }.max() ?? 0, 0, "fio reaps completions")
    }

    /// fio with an SQPOLL thread: seen as SQPOLL (and its kernel thread named), still healthy.
    func testFioWithSQPollEndToEnd() throws {
        let (row, reports) = try watchFio(extraArguments: ["--sqthread_poll=1"])
        XCTAssertEqual(row.sqPoll, true)
        let live = reports.filter { $0.snapshot.ioUring?.stateUnavailable != true }
        XCTAssertFalse(live.isEmpty)
        XCTAssertTrue(live.allSatisfy { $0.snapshot.ioUring?.sqPoll == true })
        XCTAssertGreaterThan(live.compactMap { $0.snapshot.ioUring?.sqThread.map(Int.init) }.max() ?? 0, 0)
    }

    /// Runs a small, bounded fio job in a private /tmp directory, finds its ring with
    /// `list --io-uring --json`, and watches it for 2 s. Asserts what holds for any healthy run.
    func watchFio(extraArguments: [String]) throws -> (IOUringListing.Row, [InspectReport]) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/fio") else { throw XCTSkip("fio is not installed") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evering-fio-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fio = Process()
        fio.executableURL = URL(fileURLWithPath: "/usr/bin/fio")
        fio.arguments = ["--name=evering", "--directory=\(directory.path)", "--ioengine=io_uring", "--rw=randread",
                         "--size=4m", "--bs=4k", "--iodepth=8", "--time_based", "--runtime=6", "--output=/dev/null"]
            + extraArguments
        try fio.run()
        defer { if fio.isRunning { fio.terminate() }; fio.waitUntilExit() }

        // fio's job process (a child of the one we started) holds the ring.
        var found: IOUringListing.Row?
        XCTAssertTrue(try waitUntil(timeout: 5) {
            let listing = try InspectJSON.decode(IOUringListing.self, from: try run(["list", "--io-uring", "--json"]).stdout)
            found = listing.rings.first { $0.command == "fio" && ($0.pid == fio.processIdentifier || parentPID($0.pid) == fio.processIdentifier) }
            return found != nil
        }, "fio's io_uring never appeared")
        let row = try XCTUnwrap(found)
        // fio may open the ring before laying out its file, so allow 2 s for I/O to start.
        let result = try run(["watch", row.target, "--batch", "--delay", "0.2", "--iterations", "10", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try result.stdout.split(separator: "\n").map { try InspectJSON.decode(InspectReport.self, from: String($0)) }
        XCTAssertEqual(reports.count, 10)
        XCTAssertEqual(reports.first?.snapshot.process?.command, "fio")
        XCTAssertTrue(reports.allSatisfy { $0.findings.isEmpty }, "\(reports.map(\.findings))")
        XCTAssertTrue(reports.allSatisfy { !$0.snapshot.completion.isOverfull && !$0.snapshot.submission.isOverfull })
        return (row, reports)
    }
}

/// Runs one tmux client command (bounded to 10 s) and returns its output.
///
/// Not through Foundation's `Process`: the tmux client forks the server, which inherits the
/// descriptors Foundation watches for the client's exit, and `waitUntilExit` then hangs for
/// as long as the server lives (seen here). posix_spawn + waitpid, output via a file.
func runTmux(_ arguments: [String]) throws -> String {
    let outputPath = NSTemporaryDirectory() + "evering-uring-tmux-\(getpid())-\(UUID().uuidString).out"
    defer { unlink(outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let tmux = "/usr/bin/tmux"
    var argv = ([tmux] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, tmux, &actions, nil, &argv, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    let deadline = Date().addingTimeInterval(10)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() >= deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw XCTSkip("tmux \(arguments.joined(separator: " ")) did not finish in 10 s")
        }
        usleep(10_000)
    }
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}

/// Field 4 of /proc/PID/stat.
func parentPID(_ pid: Int32) -> Int32? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}
