import Evering
import Foundation
import XCTest

/// The built `evering-top` next to the test bundle (Linux: the products folder itself;
/// elsewhere the .xctest bundle's folder).
func everingTopBinary() -> URL {
    let bundle = Bundle(for: TmuxSession.self).bundleURL
    let candidates = [bundle.appendingPathComponent("evering-top"),
                      bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
}

/// A unique ring name for one test.
func uniqueRingName(_ label: String) -> RingName {
    try! RingName("evt-dash-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
}

/// A spawned process (posix_spawn, so no inherited descriptors keep Foundation waiting)
/// with stdout and stderr in a temporary file.
final class SpawnedProcess {
    let pid: pid_t
    let outputPath: String
    private(set) var status: Int32?

    init(_ arguments: [String]) throws {
        outputPath = NSTemporaryDirectory() + "evt-dash-\(getpid())-\(UUID().uuidString).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let binary = everingTopBinary().path
        var argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, &argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        pid = child
    }

    deinit {
        unlink(outputPath)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Whether it exited within `timeout` (reaping it).
    func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw; break }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// SIGINT (a load drains and unlinks its ring), then SIGKILL if it lingers.
    func stop() {
        guard status == nil else { return }
        kill(pid, SIGINT)
        if !waitForExit(timeout: 5) {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }
}

/// `evering-top load NAME` in the background: pingpong at a modest rate (the test
/// machine is shared), by default 96 ops in flight over 64-entry queues so a stalled
/// responder fills the submission queue (fewer than 64: it stays part full).
func startLoad(_ name: RingName, faults: [String] = [], concurrency: Int = 96, extra: [String] = []) throws -> SpawnedProcess {
    let load = try SpawnedProcess(["load", name.bare, "--replace", "--concurrency", "\(concurrency)", "--capacity", "64",
                                   "--rate", "20000", "--duration", "120s", "--hang-timeout", "60s"]
                                  + faults.flatMap { ["--fault", $0] } + extra)
    guard ringIsReady(name, timeout: 15) else {
        load.stop()
        // A failure, not a skip: a load that cannot make a ring is a bug these tests must report.
        throw LoadNotReady(message: "the load never made \(name) ready: \(load.output)")
    }
    return load
}

struct LoadNotReady: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Polls until `name` can be attached (exists and is ready).
func ringIsReady(_ name: RingName, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if (try? RingObserver(attaching: name)) != nil { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}

/// Parses "head N  tail M" from the first line of a screen that has it (the submission queue).
func submissionIndices(_ screen: String) -> (head: UInt64, tail: UInt64)? {
    for line in screen.split(separator: "\n") {
        guard let headRange = line.range(of: "head "), let tailRange = line.range(of: "  tail ") else { continue }
        let head = line[headRange.upperBound...].prefix { $0.isNumber }
        let tail = line[tailRange.upperBound...].prefix { $0.isNumber }
        if let h = UInt64(head), let t = UInt64(tail) { return (h, t) }
    }
    return nil
}

/// Whether an `capture-pane -e` screen sets any colour (SGR 30-38, 40-48, 90-97, 100-107;
/// 39/49, the resets to the default colours tmux always emits, do not count).
func hasColourEscapes(_ screen: String) -> Bool {
    let scalars = Array(screen.unicodeScalars)
    var i = 0
    while i + 1 < scalars.count {
        guard scalars[i] == "\u{1b}", scalars[i + 1] == "[" else { i += 1; continue }
        var j = i + 2
        var parameters = ""
        while j < scalars.count, scalars[j] == ";" || ("0"..."9").contains(scalars[j]) {
            parameters.unicodeScalars.append(scalars[j])
            j += 1
        }
        if j < scalars.count, scalars[j] == "m" {
            let codes = parameters.split(separator: ";").compactMap { Int($0) }
            if codes.contains(where: { (30...38).contains($0) || (40...48).contains($0) || (90...97).contains($0)
                || (100...107).contains($0) }) { return true }
        }
        i = j
    }
    return false
}
