import EveringLoad
import Foundation
import XCTest

/// `scripts/evering_peer.py`, a peer written in Python from docs/ABI.md and docs/LOAD.md, against
/// the built `evering-top`: as responder to `load --role requester` and as requester to
/// `load --role responder`, at 4 B, 16 B, 4 KiB and 1 MiB, in pingpong and stream mode, on rings
/// of ABI 1.0 and 1.1. Every op must verify on both sides.
///
/// The peer never advertises `EV_CAP_WAKES_PEER` (it has no futex calls), so these runs are also
/// the test of a Swift side facing a peer without the 1.1 wake-up capability: it must fall back
/// to polling, and a run that waited on a wake-up that never comes would not finish in time.
final class PythonPeerTests: LoadTestCase {
    /// Payload sizes and op counts: pure-Python checking is slow, so 1 MiB runs a handful of ops.
    static let sizes: [(payload: String, count: Int)] = [("4", 300), ("16", 300), ("4K", 100), ("1MiB", 4)]
    static let modes = ["pingpong", "stream"]

    /// Stream mode keeps 256 (Swift) or 64 (peer) ops in flight, each with its own slot buffer:
    /// at 1 MiB that is hundreds of MiB of /dev/shm for four ops, so those runs keep 4 in flight.
    static func window(_ mode: String, _ payload: String) -> [String] {
        mode == "stream" && payload == "1MiB" ? ["--concurrency", "4"] : []
    }

    /// The peer script, found from this file's place in the package.
    static let peerScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/evering_peer.py")

    func python() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("python3")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("python3 is not on PATH, so the Python reference peer cannot run (scripts/install-deps.sh installs it)")
    }

    func peer(_ arguments: [String]) throws -> LoadProcess {
        try LoadProcess([Self.peerScript.path] + arguments, executable: try python())
    }

    func testPeerAnswersTheSwiftRequesterAtEverySize() throws {
        for mode in Self.modes {
            for (payload, count) in Self.sizes {
                let what = "peer responder, \(mode), \(payload)"
                let name = uniqueName("py-resp")
                // A generous drain timeout: on a busy machine a 1 MiB op checked in Python can take
                // a while, and a slow answer is not what this test is about.
                let swift = try LoadProcess(["load", name, "--role", "requester", "--mode", mode, "--payload", payload,
                                             "--count", String(count), "--drain-timeout", "20s", "--json"] + Self.window(mode, payload))
                let python = try peer(["responder", name, "--mode", mode, "--json"])
                XCTAssertEqual(swift.waitForExit(within: 60), 0, "\(what): \(swift.stderr)")
                XCTAssertEqual(python.waitForExit(within: 10), 0, "\(what): \(python.stderr)")
                try assertEveryOpVerified(swift: swift.summary(), count: count, what)
                let report = try PeerResponderReport.decode(python.stdout)
                XCTAssertEqual(report.requests, UInt64(count), what)
                XCTAssertEqual(report.rejected, 0, what)
                XCTAssertFalse(report.failed, "\(what): \(report.endReason)")
                XCTAssertTrue(report.endReason.hasPrefix("requester left"), "\(what): \(report.endReason)")
            }
        }
    }

    /// On a 1.0 ring the peer writes as 1.0 (check, then write; no owner word).
    func testPeerDrivesTheSwiftResponderAtEverySizeOnA10Ring() throws {
        try drivesTheSwiftResponder(abi: "1.0")
    }

    /// On a 1.1 ring (`writer_features` = owner claim + slot seqlock) both sides claim by CAS and
    /// the peer keeps the slot seqlock: a Swift build that does not implement every 1.1 writer
    /// duty refuses to join, naming the bits, and this fails.
    func testPeerDrivesTheSwiftResponderAtEverySizeOnA11Ring() throws {
        try drivesTheSwiftResponder(abi: "1.1")
    }

    func drivesTheSwiftResponder(abi: String) throws {
        continueAfterFailure = false  // one refusal would otherwise repeat for every size and mode
        for mode in Self.modes {
            for (payload, count) in Self.sizes {
                let what = "peer requester, ABI \(abi), \(mode), \(payload)"
                let name = uniqueName("py-req")
                let python = try peer(["requester", name, "--abi", abi, "--mode", mode, "--payload", payload,
                                       "--count", String(count), "--drain-timeout", "20", "--json"] + Self.window(mode, payload))
                let swift = try LoadProcess(["load", name, "--role", "responder", "--mode", mode, "--payload", payload, "--json"])
                XCTAssertEqual(python.waitForExit(within: 60), 0, "\(what): \(python.stderr)")
                XCTAssertEqual(swift.waitForExit(within: 10), 0, "\(what): \(swift.stderr)")
                let summary = try PeerRequesterSummary.decode(python.stdout)
                XCTAssertEqual(summary.abi, abi, what)
                XCTAssertNil(summary.failure, what)
                XCTAssertEqual(summary.errors.values.reduce(0, +), 0, "\(what): \(summary.errors)")
                XCTAssertEqual(summary.verified, UInt64(count), what)
                XCTAssertEqual(try SwiftResponderLine(swift.stdout).requests, UInt64(count), what)
                XCTAssertEqual(try SwiftResponderLine(swift.stdout).rejected, 0, what)
            }
        }
    }

    /// Byte for byte: every payload the peer builds (all four size classes, response and rejected
    /// bits, sequences past 2^30) is the one `PayloadFormat` builds, and decodes to the same tag.
    func testPeerPayloadsAreExactlyPayloadFormats() throws {
        let vectors = try peer(["vectors"])
        XCTAssertEqual(vectors.waitForExit(within: 30), 0, vectors.stderr)
        let lines = vectors.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 50, vectors.stdout)
        for line in lines {
            let fields = line.split(separator: " ")
            let size = try XCTUnwrap(Int(fields[0])), tag = try XCTUnwrap(UInt64(fields[1]))
            var bytes = [UInt8](repeating: 0, count: size)
            bytes.withUnsafeMutableBytes { PayloadFormat.encode(tag: tag, into: $0) }
            XCTAssertEqual(bytes.map { String(format: "%02x", $0) }.joined(), String(fields[2]), "size \(size), tag \(tag)")
            let decoded = try XCTUnwrap(bytes.withUnsafeBytes { PayloadFormat.decode($0) }, "size \(size), tag \(tag)")
            XCTAssertTrue(decoded.matches(tag & PayloadFormat.sequenceMask), "size \(size), tag \(tag)")
            XCTAssertEqual(decoded.isResponse, tag & PayloadFormat.responseBit != 0)
            XCTAssertEqual(decoded.isRejected, tag & PayloadFormat.rejectedBit != 0)
        }
    }

    /// The peer as a 1.0 writer (check, then write; no owner word) next to the Swift library: on
    /// a ring that requires no writer feature it serves cleanly; on one whose `writer_features`
    /// require the 1.1 claim it refuses, naming the bits, and the Swift requester reports that
    /// no responder came.
    func testPeerAsA10WriterServesA10RingAndRefusesOneThatRequiresMore() throws {
        let name = uniqueName("py-writer10")
        let swift = try LoadProcess(["load", name, "--role", "requester", "--count", "200", "--connect-timeout", "3s",
                                     "--json"])
        _ = try observe(name)
        let header = try Data(contentsOf: URL(fileURLWithPath: "/dev/shm/\(name)")).prefix(4096)
        let writerFeatures = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 88, as: UInt32.self) }
        let python = try peer(["responder", name, "--abi", "1.0", "--json"])
        if writerFeatures == 0 {
            XCTAssertEqual(swift.waitForExit(within: 30), 0, swift.stderr)
            XCTAssertEqual(python.waitForExit(within: 10), 0, python.stderr)
            try assertEveryOpVerified(swift: swift.summary(), count: 200, "a 1.0 writer on a 1.0 ring")
        } else {
            XCTAssertEqual(python.waitForExit(within: 10), 1)
            XCTAssertTrue(python.stderr.contains("requires writer features"), python.stderr)
            XCTAssertEqual(swift.waitForExit(within: 30), 1, "no responder ever attached")
        }
    }

    /// The refusal, on a ring that requires the 1.1 claim today: the peer's own 1.1 ring.
    func testPeerAsA10WriterRefusesA11RingNamingTheBits() throws {
        let name = uniqueName("py-refuse")
        let requester = try peer(["requester", name, "--abi", "1.1", "--count", "10", "--connect-timeout", "3", "--json"])
        let responder = try peer(["responder", name, "--abi", "1.0", "--json"])
        XCTAssertEqual(responder.waitForExit(within: 10), 1)
        XCTAssertTrue(responder.stderr.contains("requires writer features 0x3"), responder.stderr)
        XCTAssertEqual(requester.waitForExit(within: 10), 1)
        XCTAssertEqual(try PeerRequesterSummary.decode(requester.stdout).failure, "no responder attached to \(name) within 3 s")
    }

    /// What the peer writes besides the protocol — slot records (under the 1.1 seqlock), side
    /// blocks, heartbeats, queue counters — is what the inspector expects: `check` on a ring the
    /// peer drives finds nothing wrong. SIGINT then stops the peer cleanly (drain, detach, unlink).
    func testInspectorFindsNothingWrongWithAPeerDrivenRing() throws {
        let name = uniqueName("py-inspect")
        let python = try peer(["requester", name, "--payload", "4K", "--concurrency", "8", "--count", "100000000",
                               "--json"])
        let swift = try LoadProcess(["load", name, "--role", "responder", "--payload", "4K"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.queue(.completion).head > 1_000 }, "no traffic")
        let check = try LoadProcess(["check", name, "--stall-timeout", "2"])
        XCTAssertEqual(check.waitForExit(within: 20), 0, "check: \(check.stdout) \(check.stderr)")
        kill(python.pid, SIGINT)
        XCTAssertEqual(python.waitForExit(within: 20), 0, python.stderr)
        XCTAssertEqual(swift.waitForExit(within: 10), 0, swift.stderr)
        let summary = try PeerRequesterSummary.decode(python.stdout)
        XCTAssertGreaterThan(summary.verified, 1_000)
        XCTAssertEqual(summary.errors.values.reduce(0, +), 0, "\(summary.errors)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/shm/\(name)"), "the peer unlinks the ring it created")
    }

    /// The peer refuses a side a live process holds, naming it, and leaves the ring alone.
    func testPeerRefusesATakenSide() throws {
        let name = uniqueName("py-taken")
        let requester = try LoadProcess(["load", name, "--role", "requester", "--duration", "30s", "--json"])
        let responder = try LoadProcess(["load", name, "--role", "responder"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.side(.responder).state == .attached }, "the Swift responder never attached")
        let intruder = try peer(["responder", name, "--json"])
        XCTAssertEqual(intruder.waitForExit(within: 10), 1)
        XCTAssertTrue(intruder.stderr.contains("taken by live pid \(responder.pid)"), intruder.stderr)
        XCTAssertEqual(observer.side(.responder).identity.pid, responder.pid, "the refused peer wrote the side block")
        kill(requester.pid, SIGINT)
        XCTAssertEqual(requester.waitForExit(within: 10), 0, requester.stderr)
        XCTAssertEqual(responder.waitForExit(within: 10), 0, responder.stderr)
        XCTAssertEqual(try requester.summary().errors, LoadSummary.Errors())
    }

    /// Both sides claimed by compare-and-swap: the peer against itself on a 1.1 ring it created
    /// (the Swift library writes 1.0 rings until every 1.1 duty is in; then the runs above cover
    /// it too). Afterwards both owner words are released, both sides detached, the count is 0,
    /// each side was claimed once, and only the requester advertises a capability (the slot seqlock).
    func testPeerAgainstItselfClaimsAndReleasesBothSidesOfA11Ring() throws {
        let name = uniqueName("py-self")
        let requester = try peer(["requester", name, "--abi", "1.1", "--payload", "4K", "--count", "100", "--keep", "--json"])
        let responder = try peer(["responder", name, "--json"])
        XCTAssertEqual(requester.waitForExit(within: 30), 0, requester.stderr)
        XCTAssertEqual(responder.waitForExit(within: 10), 0, responder.stderr)
        XCTAssertEqual(try PeerRequesterSummary.decode(requester.stdout).verified, 100)
        XCTAssertEqual(try PeerResponderReport.decode(responder.stdout).requests, 100)
        let header = try Data(contentsOf: URL(fileURLWithPath: "/dev/shm/\(name)")).prefix(4096)
        func u32(_ at: Int) -> UInt32 { header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) } }
        func u64(_ at: Int) -> UInt64 { header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) } }
        XCTAssertEqual(header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 10, as: UInt16.self) }, 1, "abi_minor")
        XCTAssertEqual(u32(88), 3, "writer_features")
        XCTAssertEqual(u32(28), 0, "refcount")
        for (side, capabilities) in [(0, UInt32(2)), (1, UInt32(0))] {
            let block = 128 + 64 * side
            XCTAssertEqual(u32(block + 4), 2, "side \(side) detached")
            XCTAssertEqual(u64(block + 40), 0, "side \(side) owner released")
            XCTAssertEqual(u32(block + 60), 1, "side \(side) claimed once")
            XCTAssertEqual(u32(block + 56), capabilities, "side \(side) capabilities: never EV_CAP_WAKES_PEER")
            XCTAssertNotEqual(u64(block + 48), 0, "side \(side) pid namespace recorded")
        }
    }

    // The peer's own checks can fail: fed answers and requests that are not what the protocol
    // says, it counts every one of them and exits 1.

    /// A Swift responder with `--no-verify` answers without writing a response: the buffer still
    /// holds the request, whose response bit is clear.
    func testPeerRequesterCountsAnswersThatAreNotResponsesAsCorrupt() throws {
        let name = uniqueName("py-bad-answers")
        let python = try peer(["requester", name, "--payload", "16", "--count", "50", "--json"])
        let swift = try LoadProcess(["load", name, "--role", "responder", "--payload", "16", "--no-verify"])
        XCTAssertEqual(python.waitForExit(within: 30), 1, python.stderr)
        XCTAssertEqual(swift.waitForExit(within: 10), 0, swift.stderr)
        let summary = try PeerRequesterSummary.decode(python.stdout)
        XCTAssertEqual(summary.errors["corrupt"], 50, "\(summary.errors)")
        XCTAssertEqual(summary.verified, 0)
    }

    /// A Swift requester with `--no-verify` sends whatever its buffers hold (zeros): the peer
    /// rejects every request and says so with -EBADMSG, which that requester does not check.
    func testPeerResponderRejectsRequestsThatFailTheirCheck() throws {
        let name = uniqueName("py-bad-requests")
        let swift = try LoadProcess(["load", name, "--role", "requester", "--payload", "16", "--count", "50",
                                     "--no-verify", "--json"])
        let python = try peer(["responder", name, "--json"])
        XCTAssertEqual(swift.waitForExit(within: 30), 0, swift.stderr)
        XCTAssertEqual(python.waitForExit(within: 10), 1, python.stderr)
        let report = try PeerResponderReport.decode(python.stdout)
        XCTAssertEqual(report.requests, 50)
        XCTAssertEqual(report.rejected, 50)
    }

    func assertEveryOpVerified(swift summary: LoadSummary, count: Int, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertNil(summary.failure, what, file: file, line: line)
        XCTAssertEqual(summary.errors, LoadSummary.Errors(), what, file: file, line: line)
        XCTAssertEqual(summary.verified, UInt64(count), what, file: file, line: line)
    }
}

/// The peer's `requester --json` summary (keys documented in scripts/evering_peer.py's output).
struct PeerRequesterSummary: Decodable {
    var abi: String
    var verified: UInt64
    var errors: [String: UInt64]
    var failure: String?

    static func decode(_ stdout: String) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(stdout.utf8))
    }
}

/// The peer's `responder --json` report.
struct PeerResponderReport: Decodable {
    var requests: UInt64
    var rejected: UInt64
    var failed: Bool
    var endReason: String

    static func decode(_ stdout: String) throws -> Self {
        try JSONDecoder().decode(Self.self, from: Data(stdout.utf8))
    }
}

/// What `load --role responder --json` said: its `ResponderReport` as JSON, or, from a build that
/// prints only the text line "responder NAME: N requests, R rejected, L leaked; REASON", that line.
/// The one place that reads the Swift responder's output.
struct SwiftResponderLine {
    var requests: UInt64
    var rejected: UInt64

    struct Unreadable: Error, CustomStringConvertible { var description: String }

    init(_ stdout: String) throws {
        let text = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if let report = try? JSONDecoder().decode(ResponderReport.self, from: Data(text.utf8)) {
            (requests, rejected) = (report.requests, report.rejected)
            return
        }
        func number(before label: String) -> UInt64? {
            guard let range = text.range(of: " \(label)") else { return nil }
            return UInt64(text[..<range.lowerBound].split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," }).last ?? "")
        }
        guard let requests = number(before: "requests,"), let rejected = number(before: "rejected") else {
            throw Unreadable(description: "neither a responder report nor its summary line: \(stdout)")
        }
        (self.requests, self.rejected) = (requests, rejected)
    }
}
