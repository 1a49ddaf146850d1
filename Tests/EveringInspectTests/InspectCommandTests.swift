import Foundation
import XCTest
import Evering
@testable import EveringInspect

/// The inspector subcommands, run as the built binary against rings this test holds.
final class InspectCommandTests: XCTestCase {
    var names: [RingName] = []
    var rawFiles: [String] = []

    override func tearDown() {
        for name in names { try? unlinkRing(name) }
        for path in rawFiles { unlink(path) }
        names = []
        rawFiles = []
    }

    func makeRing(_ label: String) throws -> (Requester, Responder, RingName) {
        let name = LiveRing.uniqueName(label)
        names.append(name)
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: 16, slotCount: 8, bufferSize: 64, replaceExisting: true))
        return (requester, try Responder.open(name), name)
    }

    /// Writes `bytes` as /dev/shm/NAME (a foreign or hostile object).
    func writeObject(_ label: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws -> String {
        let bare = "inspect-test-\(getpid())-\(label)-\(UUID().uuidString.prefix(8))"
        let path = "/dev/shm/" + bare
        rawFiles.append(path)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        chmod(path, mode)
        return bare
    }

    /// An evering-looking header: magic, ABI version, then zeros.
    func headerBytes(major: UInt16 = 1, size: Int = 4096, ready: UInt32 = 1) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        withUnsafeBytes(of: UInt64(0x0047_4E49_5245_5645).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: major.littleEndian) { bytes.replaceSubrange(8..<10, with: $0) }
        withUnsafeBytes(of: UInt32(4096).littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        withUnsafeBytes(of: UInt64(1 << 20).littleEndian) { bytes.replaceSubrange(16..<24, with: $0) }
        withUnsafeBytes(of: ready.littleEndian) { bytes.replaceSubrange(24..<28, with: $0) }
        return bytes
    }

    func testDumpJSONParsesBackAndMatchesTheRing() throws {
        let binary = try Binary(for: self)
        let (requester, responder, name) = try makeRing("dumpjson")
        defer { responder.detach(); requester.detach() }
        let op = try XCTUnwrap(requester.trySubmit(opcode: 5, length: 16))
        let result = try binary.run(["dump", name.path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try InspectJSON.decode(InspectReport.self, from: result.stdout)
        XCTAssertEqual(report.schemaVersion, InspectReport.currentSchemaVersion)
        XCTAssertEqual(report.snapshot.name, name.path)
        XCTAssertEqual(report.snapshot.submission.used, 1)
        XCTAssertEqual(report.snapshot.submission.pending.first?.opID, op.rawValue)
        XCTAssertEqual(report.snapshot.submission.pending.first?.slotState, .submitted)
        XCTAssertEqual(report.snapshot.slots?.busy.map(\.index), [op.slot])
        XCTAssertEqual(report.snapshot.requester?.pid, getpid())
        XCTAssertEqual(report.findings, [])
    }

    func testDumpTextShowsQueuesSlotsAndHealth() throws {
        let binary = try Binary(for: self)
        let (requester, responder, name) = try makeRing("dumptext")
        defer { responder.detach(); requester.detach() }
        _ = try XCTUnwrap(requester.trySubmit(opcode: 5, length: 16))
        let result = try binary.run(["dump", name.path, "--slots"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("sq        head 0 tail 1 used 1/16"), result.stdout)
        XCTAssertTrue(result.stdout.contains("op 0#1 opcode 5 length 16 -> slot submitted"), result.stdout)
        XCTAssertTrue(result.stdout.contains("status    OK"), result.stdout)
        XCTAssertTrue(result.stdout.contains("incidents none"), result.stdout)
    }

    func testCheckExitCodes() throws {
        let binary = try Binary(for: self)
        let (requester, responder, name) = try makeRing("check")
        defer { responder.detach(); requester.detach() }
        let healthy = try binary.run(["check", name.path, "--stall-timeout", "0.3"])
        XCTAssertEqual(healthy.status, 0, healthy.stdout + healthy.stderr)
        XCTAssertTrue(healthy.stdout.contains(": OK"), healthy.stdout)

        _ = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))  // the responder never takes it
        let stalled = try binary.run(["check", name.path, "--stall-timeout", "0.3", "--json"])
        XCTAssertEqual(stalled.status, 1, stalled.stderr)
        let report = try InspectJSON.decode(InspectReport.self, from: stalled.stdout)
        XCTAssertEqual(report.findings.first?.rule, .consumerStalled)
        XCTAssertEqual(report.status, .stuck)
        XCTAssertEqual(report.incidents.first?.rootCause.culprit, .responder)

        let missing = try binary.run(["check", "inspect-test-no-such-ring-\(getpid())"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no ring named"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains(name.path), "the error lists rings that exist: \(missing.stderr)")
    }

    func testWatchBatchJSONLinesCarryRates() throws {
        let binary = try Binary(for: self)
        let (requester, responder, name) = try makeRing("watch")
        defer { responder.detach(); requester.detach() }
        let result = try binary.run(["watch", name.path, "--batch", "-d", "0.1", "-n", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        guard lines.count == 3 else { return }
        let reports = try lines.map { try InspectJSON.decode(InspectReport.self, from: String($0)) }
        XCTAssertNil(reports[0].rates)
        XCTAssertEqual(reports[2].rates?.intervalSeconds ?? 0, 0.1, accuracy: 0.08)
        XCTAssertLessThan(reports[0].snapshot.takenAtMonotonicNanoseconds, reports[2].snapshot.takenAtMonotonicNanoseconds)

        let text = try binary.run(["watch", name.path, "--batch", "-d", "0.05", "-n", "2"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout.split(separator: "\n").count, 3, "header plus two lines: \(text.stdout)")
        XCTAssertTrue(text.stdout.split(separator: "\n").dropFirst().allSatisfy { $0.contains(" OK ") }, text.stdout)

        _ = try XCTUnwrap(requester.trySubmit(opcode: 1, length: 0))  // never taken: a stall appears
        let stalled = try binary.run(["watch", name.path, "--batch", "-d", "0.1", "-n", "6", "--stall-timeout", "0.3"])
        let stallLines = stalled.stdout.split(separator: "\n").filter { $0.contains("consumer-stalled") }
        XCTAssertTrue(stallLines.contains { $0.contains("critical:consumer-stalled") }, stalled.stdout)
        XCTAssertEqual(stallLines.filter { $0.contains("has not taken from the submission queue") }.count, 1,
                       "the finding is spelled out once, when it appears: \(stalled.stdout)")

        let noBatch = try binary.run(["watch", name.path])
        XCTAssertNotEqual(noBatch.status, 0)
        XCTAssertTrue(noBatch.stderr.contains("--batch"), noBatch.stderr)
    }

    func testListFindsRingsAndSkipsForeignObjects() throws {
        let binary = try Binary(for: self)
        let (requester, responder, name) = try makeRing("list")
        defer { responder.detach(); requester.detach() }
        let foreign = try writeObject("foreign", Array("not a ring at all, just text".utf8))

        let plain = try binary.run(["list"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains(name.path), plain.stdout)
        XCTAssertFalse(plain.stdout.contains(foreign), "foreign objects are skipped without --all")

        let all = try binary.run(["list", "--all"])
        let foreignLine = all.stdout.split(separator: "\n").first { $0.contains(foreign) }
        XCTAssertTrue(foreignLine?.contains("not evering") ?? false, all.stdout)

        let json = try binary.run(["list", "--json", "--all"])
        let listings = try InspectJSON.decode([RingListing].self, from: json.stdout)
        let ours = try XCTUnwrap(listings.first { $0.name == name.path })
        XCTAssertEqual(ours.status, .ok)
        XCTAssertEqual(ours.requesterPID, getpid())
        XCTAssertEqual(ours.requesterLiveness, .alive)
        XCTAssertEqual(listings.first { $0.name == "/" + foreign }?.kind, .notEvering)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/dev/shm/" + foreign), "list never deletes")
    }

    /// Both sides died without detaching (forged: attached by a pid that cannot exist) is
    /// DEAD, the requester as root cause; both sides detached (left cleanly) is STALE.
    func testListMarksDeadAndStaleRings() throws {
        let (requester, responder, name) = try makeRing("stale")
        for side in [RingSide.requester, .responder] { requester.region.side(side).pointee.pid = Int32.max - 1 }
        let dead = RingDirectory.listing(for: name.bare, secondSampleAfter: 0)
        XCTAssertEqual(dead.status, .dead)
        XCTAssertEqual(dead.incidents?.count, 1, "\(dead.incidents ?? [])")
        XCTAssertEqual(dead.incidents?.first?.rootCause.key, "peer-dead requester")
        XCTAssertEqual(dead.incidents?.first?.symptoms.first?.severity, .warning, "the responder is a consequence")
        requester.region.side(.responder).pointee.pid = getpid()
        requester.region.side(.requester).pointee.pid = getpid()
        responder.detach()
        requester.detach()
        XCTAssertEqual(RingDirectory.listing(for: name.bare, secondSampleAfter: 0).status, .stale)
    }

    func testHostileObjectsGiveTheirSpecificError() throws {
        let binary = try Binary(for: self)
        let cases: [(label: String, bytes: [UInt8], expect: String)] = [
            ("random", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, "is not an evering ring"),
            ("tiny", [1, 2, 3], "is not an evering ring: it is only 3 bytes long"),
            ("zeros", [UInt8](repeating: 0, count: 8192), "is not ready"),
            ("abi9", headerBytes(major: 9), "uses evering ABI 9.0"),
            ("truncated", headerBytes(size: 4096), "truncated"),
        ]
        for c in cases {
            let bare = try writeObject(c.label, c.bytes)
            let result = try binary.run(["dump", bare])
            XCTAssertEqual(result.status, 2, "\(c.label): \(result.stdout)")
            XCTAssertTrue(result.stderr.contains(c.expect), "\(c.label): \(result.stderr)")
            let listing = RingDirectory.listing(for: bare)
            XCTAssertEqual(listing.reason?.contains(c.expect), true, "\(c.label): \(listing)")
        }
    }

    func testPermissionDeniedNamesTheOwner() throws {
        let binary = try Binary(for: self)
        var launcher: [String] = []
        if geteuid() == 0 {
            // Root opens anything; drop to nobody for the run so the mode bites.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                throw XCTSkip("running as root without setpriv: cannot provoke a permission error")
            }
            launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        let bare = try writeObject("noaccess", headerBytes(), mode: geteuid() == 0 ? 0o600 : 0)
        let result = try binary.run(["dump", bare], launcher: launcher)
        XCTAssertEqual(result.status, 2, result.stdout)
        XCTAssertTrue(result.stderr.contains("permission denied opening /\(bare)"), result.stderr)
        let owner = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        XCTAssertTrue(result.stderr.contains("belongs to \(owner)"), result.stderr)
        let listed = try binary.run(["list", "--all", "--json"], launcher: launcher)
        let listing = try InspectJSON.decode([RingListing].self, from: listed.stdout).first { $0.name == "/" + bare }
        XCTAssertEqual(listing?.status, .permissionDenied)
    }

    func testInvalidNameIsRejectedWithReason() throws {
        let binary = try Binary(for: self)
        let result = try binary.run(["dump", "a/b"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("invalid ring name"), result.stderr)
    }
}
