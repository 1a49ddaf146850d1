import Evering
import EveringInspect
import Foundation
import XCTest

/// The recorder's own lifecycle through the built binary: Ctrl-C leaves a valid file, a
/// re-created ring is followed and marked, the black box writes a file per incident, and
/// damaged files give an error and what came before it.
final class RecorderLifecycleEndToEndTests: EndToEndTestCase {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).evrec").path
    }

    func testCtrlCFinishesAValidFile() throws {
        let name = try uniqueName("rec-int")
        let path = temporaryPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let load = try startLoad(name, [])
        try waitForState(name, load, "the ring exists") { _ in true }
        let record = try Background(["record", name, "-o", path])
        // Wait for the first keyframe to reach the disk, then interrupt.
        XCTAssertTrue(poll(within: 10) { ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 1_000 })
        record.kill(SIGINT)
        XCTAssertEqual(record.wait(), 0, record.stderr)
        XCTAssertTrue(record.stderr.contains("stopped: interrupted"), record.stderr)
        let dump = try Tool.run(["dump", path])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        XCTAssertEqual(dump.stderr, "", "a finished file has no damage")
        XCTAssertTrue(dump.stdout.contains("recording \(path) of /\(name)"), dump.stdout)
    }

    func testMaxSizeStopsWithAValidFileUnderTheLimit() throws {
        let name = try uniqueName("rec-max")
        let path = temporaryPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let load = try startLoad(name, [])
        try waitForState(name, load, "the ring exists") { _ in true }
        let record = try Tool.run(["record", name, "-o", path, "--max-size", "64K", "-d", "1ms"], timeout: 60)
        XCTAssertEqual(record.status, 0, record.stderr)
        XCTAssertTrue(record.stderr.contains("stopped: max-size"), record.stderr)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, 64 << 10)
        XCTAssertGreaterThan(size, 32 << 10, "it filled the file before stopping")
        let check = try Tool.run(["check", path])
        XCTAssertEqual(check.stderr, "", "valid to the end")
    }

    func testARecreatedRingIsFollowedAndMarked() throws {
        let name = try uniqueName("rec-again")
        let path = temporaryPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try Background(["load", name, "--duration", "1.5s"])
        XCTAssertTrue(poll(within: 10) { (try? Tool.run(["dump", name]).status) == 0 })
        let record = try Background(["record", name, "-o", path, "--duration", "5s"])
        XCTAssertTrue(poll(within: 15) { !first.isRunning })
        let second = try Background(["load", name, "--duration", "1.5s"])
        XCTAssertEqual(record.wait(), 0, record.stderr)
        _ = second.wait()
        let watch = try Tool.run(["watch", path, "--batch"])
        XCTAssertEqual(watch.status, 0, watch.stderr)
        XCTAssertTrue(watch.stdout.contains("/\(name) re-created (created by pid \(second.pid))"), watch.stdout)
    }

    func testBlackBoxWritesAFileWhenAnIncidentStarts() throws {
        let name = try uniqueName("rec-box")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("box-\(name)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let load = try startLoad(name, ["--fault", "stall-responder@1500ms", "--capacity", "16", "--concurrency", "8"])
        try waitForState(name, load, "the ring exists") { _ in true }
        let box = try Background(["record", name, "--on-finding", "--before", "2s", "--after", "1s", "-o", directory, "--keep", "1"])
        XCTAssertTrue(poll(within: 20) { box.stdout.contains("wrote ") }, "no file written: \(box.stderr)")
        box.kill(SIGINT)
        XCTAssertEqual(box.wait(), 0, box.stderr)
        let written = try XCTUnwrap(box.stdout.firstMatch(of: /wrote (\S+)/).map { String($0.1) })
        XCTAssertTrue(written.hasPrefix(directory + "/" + name + "-"), written)
        XCTAssertTrue(written.hasSuffix(".evrec"), written)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).count, 1)
        let check = try Tool.run(["check", written])
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertTrue(check.stdout.contains("consumer-stalled sq: onset +"), check.stdout)
        XCTAssertEqual(check.stderr, "", "a black-box file is finished")
    }

    /// A file cut short and one with a flipped byte: a warning naming the record, and the
    /// samples before it are still read.
    func testDamagedFilesReadUpToTheFirstBadRecord() throws {
        let name = try uniqueName("rec-cut")
        let path = temporaryPath(name)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let load = try startLoad(name, [])
        try waitForState(name, load, "the ring exists") { _ in true }
        XCTAssertEqual(try Tool.run(["record", name, "-o", path, "--duration", "1s", "-d", "20ms"]).status, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = path + ".cut"
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let dumpCut = try Tool.run(["dump", cut, "--at", "0.1s"])
        XCTAssertEqual(dumpCut.status, 0, dumpCut.stderr)
        XCTAssertTrue(dumpCut.stderr.contains("truncated in record"), dumpCut.stderr)
        XCTAssertTrue(dumpCut.stderr.contains("samples readable"), dumpCut.stderr)

        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        let checkFlipped = try Tool.run(["check", path])
        XCTAssertEqual(checkFlipped.status, 0, "healthy up to the damage: \(checkFlipped.stderr)")
        // A flipped payload byte fails the CRC; one in a length field reads as a cut or an
        // oversized record: either way a warning naming the record, and the rest is kept.
        XCTAssertTrue(checkFlipped.stderr.contains("warning: ") && checkFlipped.stderr.contains("what came before it is intact"),
                      checkFlipped.stderr)
        let watchFlipped = try Tool.run(["watch", path, "--batch"])
        XCTAssertEqual(watchFlipped.status, 0)
        XCTAssertGreaterThan(watchFlipped.stdout.split(separator: "\n").count, 1)

        let junk = path + ".junk"
        defer { try? FileManager.default.removeItem(atPath: junk) }
        try Data("not a recording".utf8).write(to: URL(fileURLWithPath: junk))
        let dumpJunk = try Tool.run(["dump", junk])
        XCTAssertEqual(dumpJunk.status, 2)
        XCTAssertTrue(dumpJunk.stderr.contains("is not an evering recording"), dumpJunk.stderr)
    }
}
