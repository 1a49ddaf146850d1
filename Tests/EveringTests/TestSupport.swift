import Foundation
import XCTest
@testable import Evering

/// A unique ring name per call, removed again by `cleanUp`.
final class RingNames {
    private var names: [RingName] = []
    private static let counter = NSLock()
    nonisolated(unsafe) private static var next = 0

    func make(_ label: String = "t") -> RingName {
        Self.counter.lock()
        Self.next += 1
        let n = Self.next
        Self.counter.unlock()
        let name = try! RingName("evt-\(label)-\(getpid())-\(n)")
        names.append(name)
        return name
    }

    func cleanUp() {
        for name in names { try? unlinkRing(name) }
        names.removeAll()
    }
}

/// The `evering-top` binary next to the test bundle.
/// On Linux `Bundle(for:).bundleURL` is the products folder itself; elsewhere it is
/// the .xctest bundle inside it. Accept either.
func everingTopExecutable() -> URL { builtExecutable("evering-top") }

/// An executable of this package in the build products folder (see `everingTopExecutable`).
func builtExecutable(_ name: String) -> URL {
    let bundle = Bundle(for: RingNames.self).bundleURL
    let candidates = [bundle.appendingPathComponent(name),
                      bundle.deletingLastPathComponent().appendingPathComponent(name)]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
}

/// The `EveringTestPeer` helper binary next to the test bundle.
func testPeerExecutable() -> URL {
    everingTopExecutable().deletingLastPathComponent().appendingPathComponent("EveringTestPeer")
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Writes `bytes` as a shm object named `name` (for hostile-object tests).
func writeRawObject(_ name: RingName, _ bytes: [UInt8]) throws {
    let fd = shm_open(name.path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
    guard fd >= 0 else { throw RingError.system(call: "shm_open", errno: errno) }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw RingError.system(call: "write", errno: errno) }
}

/// The bytes of a shm object.
func readRawObject(_ name: RingName) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/dev/shm/" + name.bare)))
}

/// Reads a /proc file completely (their size reads as 0, so read until EOF).
func readProcFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var data = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data += chunk[..<n]
    }
    return String(decoding: data, as: UTF8.self)
}
