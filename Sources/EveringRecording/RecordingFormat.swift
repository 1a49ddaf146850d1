import Evering
import EveringInspect
import Foundation

/// The on-disk vocabulary of a recording (docs/RECORDING.md is the prose; this is the code).
///
/// A file is the 8-byte magic `EVREC\r\n\u{1A}` followed by records. Each record is
///
///     u32 LE  payload length (bytes after the 9-byte record header)
///     u32 LE  CRC-32 of the kind byte and the payload
///     u8      kind (RecordKind)
///     payload compact JSON (one of the Codable types below)
///
/// so a reader can stop at the first record that is short or fails its checksum and keep
/// everything before it. The first record is always a `.header`; the last one of a file
/// that was finished cleanly is an `.end`.
public enum RecordingFormat {
    /// `EVREC`, then CR LF and ^Z as in PNG's magic: a file mangled by text-mode transfer
    /// or `type`d on a terminal is recognised as such.
    public static let magic: [UInt8] = Array("EVREC\r\n".utf8) + [0x1A]
    /// The one version this reader reads and this writer writes (in the header record).
    public static let version = 1
    /// The documented file extension (`record -o ring.evrec`).
    public static let fileExtension = "evrec"
    /// Bytes before a record's payload: length, checksum, kind.
    public static let recordHeaderSize = 9
    /// No record is larger (a keyframe of a 65,536-slot ring is ~10 MB of JSON): a length
    /// beyond it is corruption, not a reason to allocate.
    public static let maximumPayloadSize = 64 << 20

    /// Whether a command-line argument names a recording rather than a ring: it ends in
    /// `.evrec`, or it contains a `/`, is not one of the spellings of a ring name (`/NAME`,
    /// `/dev/shm/NAME`) and a file of that name exists. Ring names may contain dots.
    public static func isRecordingPath(_ argument: String,
                                       fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> Bool {
        if argument.hasSuffix("." + fileExtension) { return true }
        guard argument.contains("/") else { return false }
        if (try? RingName(argument)) != nil { return false }
        return fileExists(argument)
    }
}

/// What a record holds.
public enum RecordKind: UInt8, Sendable, CaseIterable {
    /// `RecordingHeader`: once, first.
    case header = 1
    /// `RecordedFrame` with the full slot table: a reader can start here (seeking).
    case keyframe = 2
    /// `RecordedFrame` with only the slots that changed (and `freed`): applied to the frame before.
    case delta = 3
    /// `RingBoundary`: the ring was gone, or re-created under the same name; a keyframe follows.
    case boundary = 4
    /// `RecordingEnd`: the file was finished on purpose (duration, size, Ctrl-C...).
    case end = 5
}

/// The first record: what was recorded, how.
public struct RecordingHeader: Codable, Equatable, Sendable {
    /// Always "evering-recording".
    public var format: String
    public var version: Int
    /// The ring's display name (`/evering-demo`).
    public var ring: String
    /// The sampling interval.
    public var intervalNanoseconds: UInt64
    /// A full keyframe is written at least this often.
    public var keyframeIntervalNanoseconds: UInt64
    /// CLOCK_MONOTONIC and CLOCK_REALTIME when recording started.
    public var startedMonotonicNanoseconds: UInt64
    public var startedRealtimeNanoseconds: UInt64
    /// The stall timeout the recorder diagnosed with (findings in frames were judged by it).
    public var stallTimeoutSeconds: Double
    /// Black-box files: the incident that triggered the write (its root cause key), else nil.
    public var trigger: String?

    public init(ring: String, intervalNanoseconds: UInt64, keyframeIntervalNanoseconds: UInt64,
                startedMonotonicNanoseconds: UInt64, startedRealtimeNanoseconds: UInt64,
                stallTimeoutSeconds: Double, trigger: String? = nil) {
        format = "evering-recording"
        version = RecordingFormat.version
        self.ring = ring
        self.intervalNanoseconds = intervalNanoseconds
        self.keyframeIntervalNanoseconds = keyframeIntervalNanoseconds
        self.startedMonotonicNanoseconds = startedMonotonicNanoseconds
        self.startedRealtimeNanoseconds = startedRealtimeNanoseconds
        self.stallTimeoutSeconds = stallTimeoutSeconds
        self.trigger = trigger
    }
}

/// One sample as stored: the snapshot (for a delta, `slots.busy` holds only the changed
/// records), which earlier records no longer apply, and what the recorder diagnosed.
public struct RecordedFrame: Codable, Equatable, Sendable {
    public var snapshot: Snapshot
    /// Delta only: slot indices whose earlier record no longer holds (freed, or busy for
    /// less than one interval: not recorded).
    public var freed: [UInt32]?
    public var status: RingStatus
    /// Everything diagnosis found at this sample (empty when healthy).
    public var findings: [Finding]
    /// Delta only: parts left out because they equal the frame before's (`CarriedPart`);
    /// pending entries carried over age by the time between the frames.
    public var carried: [CarriedPart]?

    /// What a delta may leave out when unchanged.
    public enum CarriedPart: String, Codable, Sendable {
        /// `snapshot.header`.
        case header
        /// `snapshot.submission.pending` / `snapshot.completion.pending` (equal but for ages).
        case submissionPending = "sq.pending"
        case completionPending = "cq.pending"
    }

    public init(snapshot: Snapshot, freed: [UInt32]? = nil, status: RingStatus, findings: [Finding], carried: [CarriedPart]? = nil) {
        self.snapshot = snapshot
        self.freed = freed
        self.carried = carried
        self.status = status
        self.findings = findings
    }
}

/// The ring went away or came back (a restart re-creates it under the same name).
public struct RingBoundary: Codable, Equatable, Sendable {
    public enum Event: String, Codable, Sendable {
        /// The name no longer refers to the object recorded (unlinked, replaced or truncated).
        case gone
        /// A new object under the same name is recorded from here on.
        case recreated
    }

    public var event: Event
    public var monotonicNanoseconds: UInt64
    public var realtimeNanoseconds: UInt64
    /// For `.recreated`: the new object's creator and creation time.
    public var creatorPID: Int32?
    public var createdAtNanoseconds: UInt64?

    public init(event: Event, monotonicNanoseconds: UInt64, realtimeNanoseconds: UInt64,
                creatorPID: Int32? = nil, createdAtNanoseconds: UInt64? = nil) {
        self.event = event
        self.monotonicNanoseconds = monotonicNanoseconds
        self.realtimeNanoseconds = realtimeNanoseconds
        self.creatorPID = creatorPID
        self.createdAtNanoseconds = createdAtNanoseconds
    }
}

/// The last record of a file finished on purpose.
public struct RecordingEnd: Codable, Equatable, Sendable {
    public enum Reason: String, Codable, Sendable {
        case duration
        /// The next record would have passed `--max-size`.
        case maxSize = "max-size"
        /// SIGINT or SIGTERM.
        case interrupted
        /// Black-box file: the window after the incident was written.
        case window
        /// The ring could not be read any more and did not come back.
        case ringGone = "ring-gone"
    }

    public var reason: Reason
    public var monotonicNanoseconds: UInt64
    public var samples: Int

    public init(reason: Reason, monotonicNanoseconds: UInt64, samples: Int) {
        self.reason = reason
        self.monotonicNanoseconds = monotonicNanoseconds
        self.samples = samples
    }
}

/// Why a recording could not be read (or read only in part). Each names the byte offset
/// and record number of the first bad record, so the user knows how much is trustworthy.
public enum RecordingError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notARecording(path: String)
    case unsupportedVersion(path: String, version: Int)
    /// The file ends inside a record (a recorder killed mid-write, or a copy cut short).
    case truncated(path: String, record: Int, offset: Int)
    case badChecksum(path: String, record: Int, offset: Int)
    case badRecord(path: String, record: Int, offset: Int, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open recording \(path): \(reason)"
        case let .notARecording(path): "\(path) is not an evering recording (no EVREC magic; docs/RECORDING.md)"
        case let .unsupportedVersion(path, version):
            "\(path) is a version \(version) recording; this evering-top reads version \(RecordingFormat.version)"
        case let .truncated(path, record, offset):
            "\(path): truncated in record \(record) at byte \(offset); what came before it is intact"
        case let .badChecksum(path, record, offset):
            "\(path): record \(record) at byte \(offset) fails its CRC-32 (corrupted); what came before it is intact"
        case let .badRecord(path, record, offset, reason):
            "\(path): record \(record) at byte \(offset) is invalid (\(reason)); what came before it is intact"
        case let .cannotWrite(path, reason): "cannot write recording \(path): \(reason)"
        }
    }
}
