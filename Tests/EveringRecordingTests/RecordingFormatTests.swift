import EveringInspect
import EveringRecording
import Foundation
import XCTest

/// The format on its own (docs/RECORDING.md): records, checksums, keyframes and deltas,
/// rebuilt frames, and what a damaged file yields.
final class RecordingFormatTests: XCTestCase {
    static let interval: UInt64 = 10_000_000

    func testCRC32MatchesTheIEEECheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    }

    func testArgumentsWithASlashOrTheExtensionAreFiles() {
        let exists: (String) -> Bool = { ["./evering.demo", "/tmp/x", "dir/ring"].contains($0) }
        XCTAssertTrue(RecordingFormat.isRecordingPath("./ring.evrec", fileExists: exists))
        XCTAssertTrue(RecordingFormat.isRecordingPath("ring.evrec", fileExists: exists), "the extension alone")
        XCTAssertTrue(RecordingFormat.isRecordingPath("/tmp/x", fileExists: exists))
        XCTAssertTrue(RecordingFormat.isRecordingPath("./evering.demo", fileExists: exists))
        XCTAssertTrue(RecordingFormat.isRecordingPath("dir/ring", fileExists: exists))
        XCTAssertFalse(RecordingFormat.isRecordingPath("evering.demo.v2", fileExists: exists), "ring names may contain dots")
        XCTAssertFalse(RecordingFormat.isRecordingPath("evering-demo", fileExists: exists))
        XCTAssertFalse(RecordingFormat.isRecordingPath("/evering-demo", fileExists: { _ in true }), "a ring's own spelling")
        XCTAssertFalse(RecordingFormat.isRecordingPath("/dev/shm/evering-demo", fileExists: { _ in true }))
        XCTAssertFalse(RecordingFormat.isRecordingPath("a/b", fileExists: exists), "no such file: an (invalid) ring name")
    }

    /// A slot busy for several intervals is carried by the deltas with its age advancing;
    /// a slot busy for less than one interval appears only in the keyframe it was caught in.
    func testDeltasCarryLongBusySlotsAndReaderRebuildsThem() throws {
        let frames = RecordingFixtures.stuckSlotSequence(count: 250, interval: Self.interval)
        let bytes = RecordingFixtures.encode(frames, interval: Self.interval)
        let recording = try RecordingReader(bytes: bytes, path: "mem")
        XCTAssertNil(recording.damage)
        XCTAssertEqual(recording.frames.count, 250)
        XCTAssertEqual(recording.end?.reason, .duration)
        // 250 samples at 10 ms with 1 s keyframes: frames 0, 100, 200 are keyframes.
        XCTAssertEqual(recording.frames.indices.filter { recording.frames[$0].kind == .keyframe }, [0, 100, 200])
        for index in [0, 1, 57, 99, 100, 101, 249] {
            let original = frames[index].snapshot
            let rebuilt = recording.frame(at: index).snapshot
            XCTAssertEqual(rebuilt.submission, original.submission, "frame \(index)")
            XCTAssertEqual(rebuilt.header, original.header, "frame \(index)")
            XCTAssertEqual(rebuilt.slots?.counts, original.slots?.counts, "frame \(index)")
            let longBusy = original.slots!.busy.filter { $0.ageNanoseconds >= Self.interval }
            let expected = recording.frames[index].kind == .keyframe ? original.slots!.busy : longBusy
            XCTAssertEqual(rebuilt.slots?.busy, expected, "frame \(index)")
        }
        // The stuck slot (index 7) is written in the keyframes and once after becoming
        // long-busy, never again while unchanged.
        let deltasCarrying7 = recording.frames.filter { $0.kind == .delta && $0.frame.snapshot.slots!.busy.contains { $0.index == 7 } }
        XCTAssertEqual(deltasCarrying7.count, 1)
        // The unchanged header and head entry are carried, not repeated.
        XCTAssertEqual(recording.frames[50].frame.carried, [.header, .submissionPending])
        XCTAssertNil(recording.frames[50].frame.snapshot.header)
        XCTAssertEqual(recording.frames[120].frame.carried, [.submissionPending], "the header changed at 120")
        XCTAssertEqual(recording.frame(at: 130).snapshot.header?.refcount, 1)
    }

    func testSeekingByOffsetFindsTheLastFrameAtOrBefore() throws {
        let frames = RecordingFixtures.stuckSlotSequence(count: 250, interval: Self.interval)
        let recording = try RecordingReader(bytes: RecordingFixtures.encode(frames, interval: Self.interval), path: "mem")
        XCTAssertEqual(recording.index(atOffsetSeconds: 0), 0)
        XCTAssertEqual(recording.index(atOffsetSeconds: 1.234), 123)
        XCTAssertEqual(recording.index(atOffsetSeconds: -3), 0)
        XCTAssertEqual(recording.index(atOffsetSeconds: 99), 249)
        XCTAssertEqual(recording.durationSeconds, 2.49, accuracy: 1e-9)
    }

    func testRecreatedRingIsMarkedAndStartsAKeyframe() throws {
        var encoder = RecordingEncoder(intervalNanoseconds: Self.interval, keyframeIntervalNanoseconds: 1_000_000_000)
        var bytes = RecordingFormat.magic + encoder.header(RecordingFixtures.header(interval: Self.interval))
        let frames = RecordingFixtures.stuckSlotSequence(count: 20, interval: Self.interval)
        for frame in frames[0..<10] { bytes += encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes }
        bytes += encoder.boundary(RingBoundary(event: .recreated, monotonicNanoseconds: frames[10].snapshot.takenAtMonotonicNanoseconds,
                                               realtimeNanoseconds: 1, creatorPID: 42, createdAtNanoseconds: 2))
        for frame in frames[10...] { bytes += encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes }
        let recording = try RecordingReader(bytes: bytes, path: "mem")
        XCTAssertEqual(recording.boundaries.map(\.event), [.recreated])
        XCTAssertEqual(recording.frames[10].kind, .keyframe)
        XCTAssertEqual(recording.frames[9].epoch, 0)
        XCTAssertEqual(recording.frames[10].epoch, 1)
        XCTAssertNil(recording.end, "not finished: no end record")
        XCTAssertNil(recording.damage, "a file without an end record is not damaged, only unfinished")
    }

    /// Cut at every byte: the header cut gives an error; after it, a prefix of the frames
    /// and a `truncated` error naming the record.
    func testEveryTruncationGivesAnErrorOrAPrefix() throws {
        let frames = RecordingFixtures.stuckSlotSequence(count: 30, interval: Self.interval)
        let bytes = RecordingFixtures.encode(frames, interval: Self.interval)
        let headerEnd = RecordingFormat.magic.count
            + RecordingEncoder(intervalNanoseconds: Self.interval).header(RecordingFixtures.header(interval: Self.interval)).count
        var lastCount = 0
        // Every byte through the header and the first records, then a stride (re-reading a
        // growing prefix is quadratic).
        let cuts = Array(0..<min(bytes.count, 3_000)) + Array(stride(from: 3_000, to: bytes.count, by: 97)) + [bytes.count]
        for cut in cuts {
            let prefix = Array(bytes[0..<cut])
            do {
                let recording = try RecordingReader(bytes: prefix, path: "cut")
                XCTAssertGreaterThanOrEqual(recording.frames.count, lastCount, "cut at \(cut)")
                lastCount = recording.frames.count
                XCTAssertLessThanOrEqual(recording.frames.count, 30)
                if cut > RecordingFormat.magic.count, recording.frames.count < 30 || recording.end == nil {
                    if case .truncated = recording.damage {} else if recording.damage != nil {
                        XCTFail("cut at \(cut): \(String(describing: recording.damage))")
                    }
                }
                for i in recording.frames.indices { XCTAssertEqual(recording.frame(at: i).snapshot.submission, frames[i].snapshot.submission) }
            } catch {
                XCTAssertLessThan(cut, headerEnd, "only a cut inside the magic or the header fails outright: \(error)")
            }
        }
        XCTAssertEqual(lastCount, 30)
    }

    /// Random byte flips, insertions and garbage: never a crash or a hang; what is read
    /// is a prefix of what was written.
    func testFuzzedRecordingsGiveAnErrorOrAPrefix() throws {
        let frames = RecordingFixtures.stuckSlotSequence(count: 40, interval: Self.interval)
        let bytes = RecordingFixtures.encode(frames, interval: Self.interval)
        var rng = SplitMix64(seed: 0x5EED)
        var damaged = 0
        for round in 0..<400 {
            var mutated = bytes
            switch round % 4 {
            case 0: mutated[Int(rng.next() % UInt64(mutated.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1: mutated.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(mutated.count)))
            case 2:
                let at = Int(rng.next() % UInt64(mutated.count))
                for i in at..<min(at + 16, mutated.count) { mutated[i] = UInt8(truncatingIfNeeded: rng.next()) }
            default:
                // A length field rewritten to something huge.
                let at = Int(rng.next() % UInt64(mutated.count - 4))
                for i in 0..<4 { mutated[at + i] = 0xFF }
            }
            do {
                let recording = try RecordingReader(bytes: mutated, path: "fuzz")
                if recording.damage != nil { damaged += 1 }
                for i in recording.frames.indices {
                    XCTAssertEqual(recording.frame(at: i).snapshot.submission, frames[i].snapshot.submission, "round \(round)")
                }
            } catch {
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
        XCTAssertGreaterThan(damaged, 300, "most damage is detected past the header")
    }

    func testMaxSizeStopsWithAValidFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("max-\(getpid()).evrec").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try RecordingFile(creating: path, maxSize: 4_000)
        var encoder = RecordingEncoder(intervalNanoseconds: Self.interval)
        XCTAssertTrue(try file.append(encoder.header(RecordingFixtures.header(interval: Self.interval))))
        var written = 0
        for frame in RecordingFixtures.stuckSlotSequence(count: 200, interval: Self.interval) {
            guard try file.append(encoder.frame(frame.snapshot, status: frame.status, findings: frame.findings).bytes) else { break }
            written += 1
        }
        try file.finish(encoder.end(RecordingEnd(reason: .maxSize, monotonicNanoseconds: 0, samples: written)))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, 4_000)
        XCTAssertGreaterThan(written, 0)
        XCTAssertLessThan(written, 200)
        let recording = try RecordingReader(path: path)
        XCTAssertNil(recording.damage)
        XCTAssertEqual(recording.frames.count, written)
        XCTAssertEqual(recording.end?.reason, .maxSize)
    }

    func testNotARecordingAndMissingFileAreClearErrors() {
        XCTAssertThrowsError(try RecordingReader(bytes: Array("hello world".utf8), path: "x.txt")) { error in
            XCTAssertEqual(error as? RecordingError, .notARecording(path: "x.txt"))
        }
        XCTAssertThrowsError(try RecordingReader(path: "/nonexistent/dir/x.evrec")) { error in
            XCTAssertTrue("\(error)".contains("cannot open recording /nonexistent/dir/x.evrec"), "\(error)")
        }
    }
}

/// A small deterministic generator (the fuzz test must fail the same way twice).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
