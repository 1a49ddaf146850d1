import Foundation
import XCTest

/// Runs the UringFixture helper (a real io_uring in a chosen state) and kills it on `stop()`.
/// Waits for its "ready" line, never a fixed sleep.
final class UringFixtureProcess {
    let process = Process()
    let pid: Int32
    let fd: Int32
    let sqEntries: Int
    let cqEntries: Int

    /// A built product by name. On Linux `Bundle(for:).bundleURL` is the products folder
    /// itself; elsewhere it is the .xctest bundle inside it.
    static func product(_ name: String) -> URL {
        let bundle = Bundle(for: UringFixtureProcess.self).bundleURL
        let candidates = [bundle.appendingPathComponent(name), bundle.deletingLastPathComponent().appendingPathComponent(name)]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The helper is C linked with liburing, compiled here on first use rather than as a
    /// package target: a user building only the tool then needs no liburing (issue 10).
    /// Built once per test process, next to the test products; a missing compiler or
    /// liburing-dev skips the io_uring tests with the compiler's message.
    static let executable: Result<URL, XCTSkip> = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/UringFixture.c")
        let directory = product("evering-top").deletingLastPathComponent().appendingPathComponent("uring-fixture")
        let output = directory.appendingPathComponent("UringFixture")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A temporary name, renamed into place: a concurrent test process never runs a half-written binary.
        let partial = directory.appendingPathComponent("UringFixture.\(getpid()).tmp")
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O1", "-Wall", "-o", partial.path, source.path, "-luring"]
        let errors = Pipe()
        compiler.standardError = errors
        compiler.standardOutput = errors
        do { try compiler.run() } catch {
            return .failure(XCTSkip("cannot run cc to build the io_uring fixture: \(error)"))
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else {
            return .failure(XCTSkip("the io_uring fixture needs a C compiler and liburing-dev (scripts/install-deps.sh): \(message)"))
        }
        guard rename(partial.path, output.path) == 0 else {
            return .failure(XCTSkip("cannot move the io_uring fixture into \(directory.path): errno \(errno)"))
        }
        return .success(output)
    }()

    init(_ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        process.executableURL = try Self.executable.get()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // One line, then the helper waits until killed: reading up to the newline cannot hang
        // unless the helper fails, in which case it exits and we read EOF.
        var bytes: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 {
            bytes.append(first)
        }
        let line = String(decoding: bytes, as: UTF8.self)
        var values: [String: Int] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { values[String(parts[0])] = Int(parts[1]) }
        }
        guard line.hasPrefix("ready"), let pid = values["pid"], let fd = values["fd"], let sq = values["sq"], let cq = values["cq"] else {
            process.terminate()
            throw XCTSkip("UringFixture did not start (io_uring unavailable?): '\(line)'")
        }
        self.pid = Int32(pid)
        self.fd = Int32(fd)
        self.sqEntries = sq
        self.cqEntries = cq
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Polls `condition` until it holds or `timeout` passes.
func waitUntil(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
