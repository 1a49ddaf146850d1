import Foundation
import XCTest

/// The built `evering-top`, run to completion with its output captured: the one way the
/// bench command tests start it.
enum BenchTool {
    /// In the build products folder: on Linux the test bundle's URL is that folder itself;
    /// on Darwin it is the .xctest inside it.
    static var executable: URL {
        let bundle = Bundle(for: BenchIPCCommandTests.self).bundleURL
        let candidates = [bundle.appendingPathComponent("evering-top"),
                          bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var pid: Int32
    }

    /// Output goes to files, not pipes: reading one pipe to its end while the other fills
    /// could deadlock, and the benchmark's peer inherits the descriptors.
    static func run(_ arguments: [String]) throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bench-test-\(getpid())-\(UUID().uuidString)")
        let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8), pid: process.processIdentifier)
    }
}
