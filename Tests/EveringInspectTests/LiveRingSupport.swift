import Foundation
import XCTest
import Evering
@testable import EveringInspect

/// Helpers for tests that put a real ring into a state and inspect it.
enum LiveRing {
    nonisolated(unsafe) static var counter = 0  // tests in one class run serially

    /// A name no other test (or concurrent test run) uses.
    static func uniqueName(_ label: String) -> RingName {
        counter += 1
        return try! RingName("inspect-test-\(getpid())-\(counter)-\(label)")
    }

    /// Samples `reader` every 20 ms until some finding satisfies `match`, or `timeout` passes.
    /// Returns the findings that matched (empty on timeout) and the seconds it took.
    static func pollFindings(_ reader: SnapshotReader, thresholds: Thresholds, timeout: Double = 5,
                             between: () -> Void = {}, match: (Finding) -> Bool) throws -> (findings: [Finding], seconds: Double) {
        var sampler = Sampler()
        let start = Clock.monotonicNanoseconds
        let deadline = start + UInt64(timeout * 1e9)
        while Clock.monotonicNanoseconds < deadline {
            between()
            let snapshot = try reader.snapshot()
            sampler.record(snapshot)
            let found = Diagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds).filter(match)
            if !found.isEmpty { return (found, Double(Clock.monotonicNanoseconds - start) / 1e9) }
            usleep(20_000)
        }
        return ([], timeout)
    }

    /// Every finding seen while sampling for `seconds` (at least one stall timeout of history).
    static func findingsWhileSampling(_ reader: SnapshotReader, thresholds: Thresholds, seconds: Double,
                                      between: () -> Void = {}) throws -> [Finding] {
        var sampler = Sampler()
        var all: [Finding] = []
        let deadline = Clock.monotonicNanoseconds + UInt64(seconds * 1e9)
        while Clock.monotonicNanoseconds < deadline {
            between()
            let snapshot = try reader.snapshot()
            sampler.record(snapshot)
            all += Diagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds)
            usleep(10_000)
        }
        return all
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    static func waitUntil(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Clock.monotonicNanoseconds + UInt64(timeout * 1e9)
        while Clock.monotonicNanoseconds < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return false
    }
}

struct BinaryTimedOut: Error { var arguments: [String] }
/// `swift test` builds the executable with the tests; its absence is a failure, not a skip.
struct BinaryMissing: Error { var path: String }

/// Runs the built `evering-top` binary (found next to the test bundle).
struct Binary {
    let url: URL

    init(for testCase: XCTestCase) throws {
        // On Linux `bundleURL` is the products folder itself; elsewhere the .xctest inside it.
        let bundle = Bundle(for: type(of: testCase)).bundleURL
        let candidates = [bundle.appendingPathComponent("evering-top"),
                          bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
        url = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BinaryMissing(path: url.path)
        }
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion with a timeout (the child is killed if it overruns).
    /// `launcher` runs the binary through another program (e.g. setpriv to drop privileges).
    func run(_ arguments: [String], launcher: [String] = [], timeout: Double = 20) throws -> Output {
        let process = Process()
        if let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(launcher.dropFirst()) + [url.path] + arguments
        } else {
            process.executableURL = url
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes fully before waiting, so a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw BinaryTimedOut(arguments: arguments)
        }
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts a long-running child (e.g. echo-responder); the caller kills it.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
