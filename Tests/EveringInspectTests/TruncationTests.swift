import CEvering
import Foundation
import XCTest
import Evering
@testable import EveringInspect

/// A read-only inspector survives the object being truncated under it at any moment
/// (docs/ABI.md "Robustness rules"): a clean error, never SIGBUS.
final class TruncationTests: XCTestCase {
    var names: [RingName] = []
    override func tearDown() {
        for name in names { try? unlinkRing(name) }
        names = []
    }

    /// A ring with busy slots and queued submissions, left by sides that detached (so no
    /// heartbeat thread of ours writes to it while it shrinks).
    func makeBusyRing(slots: UInt32, inFlight: Int, queued: Int) throws -> RingName {
        let name = LiveRing.uniqueName("trunc")
        names.append(name)
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 64, slotCount: slots, bufferSize: 64))
        for i in 0..<inFlight {
            if i < queued {
                _ = try requester.submit(opcode: 1, length: 0, userData: UInt64(i))
            } else {
                _ = requester.driver.allocate(opcode: 1, length: 0, userData: UInt64(i))
            }
        }
        requester.detach()
        return name
    }

    func truncate(_ name: RingName, to size: Int) {
        let fd = shm_open(name.path, O_RDWR, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(ftruncate(fd, off_t(size)), 0)
        close(fd)
    }

    /// The object shrinks at the start of each read a snapshot makes (to nothing, and to its
    /// header page only): the snapshot throws truncatedWhileInspected every time.
    func testTruncationAtEachPhaseOfASnapshotIsACleanError() throws {
        let probe = try SnapshotReader(attaching: try makeBusyRing(slots: 16, inFlight: 6, queued: 3))
        var phases: [RingObserver.ReadPhase] = []
        probe.observer.readHook = { phases.append($0) }
        _ = try probe.snapshot()
        XCTAssertEqual(Set(phases), Set(RingObserver.ReadPhase.allCases.filter { $0 != .slot }).union([.slot]),
                       "every kind of read happens in a snapshot of this ring")
        for size in [0, 4096] {
            for (call, phase) in phases.enumerated() {
                let name = try makeBusyRing(slots: 16, inFlight: 6, queued: 3)
                let reader = try SnapshotReader(attaching: name)
                var calls = 0
                reader.observer.readHook = { _ in
                    if calls == call { self.truncate(name, to: size) }
                    calls += 1
                }
                XCTAssertThrowsError(try reader.snapshot(), "truncated to \(size) before read \(call) (\(phase))") { error in
                    XCTAssertEqual(error as? RingError, .truncatedWhileInspected(name.path))
                    XCTAssertTrue("\(error)".contains("was truncated (or emptied) while being inspected"))
                }
                XCTAssertThrowsError(try reader.snapshot(), "and every snapshot after it")
            }
        }
    }

    /// The overview and the exporter keep one read-only mapping per ring: hundreds of them.
    /// Every one is guarded (the first guard table held 64; the 65th mapping read unguarded
    /// and a truncation of its object killed the process with SIGBUS).
    func testHundredsOfReadersOfATruncatedRingAllGetACleanError() throws {
        let name = try makeBusyRing(slots: 16, inFlight: 4, queued: 2)
        let readers = try (0..<300).map { _ in try SnapshotReader(attaching: name) }
        truncate(name, to: 4096)
        for (i, reader) in readers.enumerated() {
            XCTAssertThrowsError(try reader.snapshot(), "reader \(i)") {
                XCTAssertEqual($0 as? RingError, .truncatedWhileInspected(name.path), "reader \(i)")
            }
        }
        XCTAssertEqual(ev_bus_guard_capacity(), 32768)
    }

    /// A ring that was ready, emptied between the size check and validation: not "not ready".
    func testARingEmptiedWhileBeingOpenedIsReportedAsTruncated() throws {
        let name = try makeBusyRing(slots: 16, inFlight: 1, queued: 1)
        let reader = try SnapshotReader(attaching: name)
        truncate(name, to: 0)
        XCTAssertThrowsError(try reader.snapshot()) { XCTAssertEqual($0 as? RingError, .truncatedWhileInspected(name.path)) }
    }

    /// `watch --batch` reading a fully busy 65,536-slot ring, truncated at random moments (to
    /// 0 bytes or to a random page boundary): it exits 2 with the truncation message, never by
    /// a signal.
    ///
    /// `EVERING_TRUNCATION_SLOTS` and `EVERING_TRUNCATION_TRIALS` change the size and the
    /// count (the benchmark run of docs/benchmarks/robustness.md: 2^20 slots).
    func testRandomTruncationUnderWatchNeverKillsItWithASignal() throws {
        let binary = try Binary(for: self)
        let environment = ProcessInfo.processInfo.environment
        let slots = environment["EVERING_TRUNCATION_SLOTS"].flatMap(UInt32.init) ?? 1 << 16
        let trials = environment["EVERING_TRUNCATION_TRIALS"].flatMap(Int.init) ?? 30
        var generator = SystemRandomNumberGenerator()
        var outcomes: [String] = []
        for trial in 0..<trials {
            let name = try makeBusyRing(slots: slots, inFlight: Int(slots), queued: 0)
            let total = Int(try RingObserver(attaching: name).header.totalSize)
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(getpid())-\(trial)")
            FileManager.default.createFile(atPath: output.path + ".out", contents: nil)
            FileManager.default.createFile(atPath: output.path + ".err", contents: nil)
            defer {
                try? FileManager.default.removeItem(atPath: output.path + ".out")
                try? FileManager.default.removeItem(atPath: output.path + ".err")
            }
            let watch = Process()
            watch.executableURL = binary.url
            watch.arguments = ["watch", name.path, "--batch", "--delay", "0.001"]
            watch.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output.path + ".out"))
            watch.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output.path + ".err"))
            try watch.run()
            // Once it is reading (a line printed), shrink the object at a random moment.
            let started = poll(within: 10) { ((try? Data(contentsOf: URL(fileURLWithPath: output.path + ".out")))?.count ?? 0) > 0 }
            XCTAssertTrue(started, "watch printed its first sample")
            usleep(UInt32.random(in: 0...20_000, using: &generator))
            let size = Bool.random(using: &generator) ? 0 : Int.random(in: 0..<(total / 4096), using: &generator) * 4096
            truncate(name, to: size)
            let exited = poll(within: 10) { !watch.isRunning }
            if !exited { kill(watch.processIdentifier, SIGKILL) }
            watch.waitUntilExit()
            let stderr = (try? String(contentsOfFile: output.path + ".err", encoding: .utf8)) ?? ""
            if watch.terminationReason != .exit || watch.terminationStatus != 2 || !stderr.contains("truncated") {
                outcomes.append("trial \(trial), size \(size): reason \(watch.terminationReason.rawValue), status \(watch.terminationStatus), stderr \(stderr)")
            }
            try? unlinkRing(name)
        }
        XCTAssertEqual(outcomes, [], "every watch ended with exit 2 and the truncation message")
    }
}

/// Polls `condition` until it holds or `seconds` pass.
private func poll(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Clock.monotonicNanoseconds + UInt64(seconds * 1e9)
    while Clock.monotonicNanoseconds < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}
