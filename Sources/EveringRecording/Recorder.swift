import Evering
import EveringInspect
import EveringIOUring
import Foundation

/// Samples one ring at a fixed interval, diagnoses each sample with the history so far
/// (`RingSources.diagnose`, as `watch` does) and hands the encoded records to a sink:
/// a file (`record -o FILE`) or the black box (`record --on-finding`).
///
/// Follows a restart: when the name stops referring to the object being read, it writes a
/// `gone` boundary, polls the name, and on finding a new object writes a `recreated`
/// boundary and a keyframe and carries on.
public final class Recorder {
    public struct Options: Sendable {
        public var intervalNanoseconds: UInt64
        public var keyframeIntervalNanoseconds: UInt64 = 10_000_000_000
        /// Stop after this long (nil: until stopped).
        public var durationNanoseconds: UInt64?
        public var thresholds: Thresholds

        public init(intervalNanoseconds: UInt64, durationNanoseconds: UInt64? = nil, thresholds: Thresholds = .default) {
            self.intervalNanoseconds = intervalNanoseconds
            self.durationNanoseconds = durationNanoseconds
            self.thresholds = thresholds
        }
    }

    /// Where records go. `accept` returns false to stop (the file reached its size limit).
    public protocol Sink: AnyObject {
        func start(header: RecordingHeader, headerRecord: [UInt8]) throws -> Bool
        /// One sample's record, with the diagnosis behind it.
        func accept(_ record: [UInt8], kind: RecordKind, frame: RecordedFrame, incidents: [Incident]) throws -> Bool
        /// A boundary record.
        func accept(boundary record: [UInt8], _ boundary: RingBoundary) throws -> Bool
        func finish(_ end: RecordingEnd, record: [UInt8]) throws
    }

    public let options: Options
    public let ringArgument: String
    private let open: () throws -> any RingSource
    public private(set) var samples = 0

    /// `open` attaches to the ring (called again to follow a re-created one).
    public init(ring: String, options: Options, open: @escaping () throws -> any RingSource) {
        self.ringArgument = ring
        self.options = options
        self.open = open
    }

    /// Records until `shouldStop()` (polled every interval), the duration, or the sink
    /// says stop. The first attach's error is thrown to the caller (the ring is not there).
    @discardableResult
    public func run(into sink: Sink, shouldStop: () -> Bool) throws -> RecordingEnd {
        var source = try open()
        let interval = max(options.intervalNanoseconds, 1)
        var encoder = RecordingEncoder(intervalNanoseconds: interval, keyframeIntervalNanoseconds: options.keyframeIntervalNanoseconds)
        let start = Clock.monotonicNanoseconds
        let header = RecordingHeader(ring: source.displayName, intervalNanoseconds: interval,
                                     keyframeIntervalNanoseconds: options.keyframeIntervalNanoseconds,
                                     startedMonotonicNanoseconds: start, startedRealtimeNanoseconds: Clock.realtimeNanoseconds,
                                     stallTimeoutSeconds: options.thresholds.stallTimeout)
        func finish(_ reason: RecordingEnd.Reason) throws -> RecordingEnd {
            let end = RecordingEnd(reason: reason, monotonicNanoseconds: Clock.monotonicNanoseconds, samples: samples)
            try sink.finish(end, record: encoder.end(end))
            return end
        }
        guard try sink.start(header: header, headerRecord: encoder.header(header)) else { return try finish(.maxSize) }
        // Enough history for every time-based rule: twice the stall timeout (at least 120
        // samples; more would only cost the sampler's copying at 100 Hz).
        let historyCapacity = max(120, Int(2 * options.thresholds.stallTimeout * 1e9 / Double(interval)) + 2)
        var sampler = Sampler(historyCapacity: historyCapacity)
        var tick: UInt64 = 0
        var gone = false
        while true {
            if shouldStop() { return try finish(.interrupted) }
            let now = Clock.monotonicNanoseconds
            if let duration = options.durationNanoseconds, now &- start >= duration { return try finish(.duration) }
            if gone {
                // Poll the name for a new object (a restarted service re-creates it).
                if let reopened = try? open(), let first = try? reopened.snapshot(), first.isStillLinked {
                    source = reopened
                    gone = false
                    sampler = Sampler(historyCapacity: historyCapacity)
                    let boundary = RingBoundary(event: .recreated, monotonicNanoseconds: first.takenAtMonotonicNanoseconds,
                                                realtimeNanoseconds: first.takenAtRealtimeNanoseconds,
                                                creatorPID: first.header?.creatorPID, createdAtNanoseconds: first.header?.createdAtNanoseconds)
                    guard try sink.accept(boundary: encoder.boundary(boundary), boundary) else { return try finish(.maxSize) }
                }
            }
            if !gone {
                let snapshot: Snapshot?
                do { snapshot = try source.snapshot() } catch { snapshot = nil }
                if let snapshot {
                    sampler.record(snapshot)
                    let findings = RingSources.diagnose(snapshot, history: sampler.history, thresholds: options.thresholds)
                    let incidents = Incident.group(findings)
                    let status = RingStatus.of(snapshot, incidents: incidents)
                    let encoded = encoder.frame(snapshot, status: status, findings: findings)
                    let frame = RecordedFrame(snapshot: snapshot, status: status, findings: findings)
                    guard try sink.accept(encoded.bytes, kind: encoded.kind, frame: frame, incidents: incidents) else {
                        return try finish(.maxSize)
                    }
                    samples += 1
                }
                if snapshot == nil || snapshot?.isStillLinked == false || snapshot?.isIntact == false {
                    gone = true
                    let boundary = RingBoundary(event: .gone, monotonicNanoseconds: Clock.monotonicNanoseconds,
                                                realtimeNanoseconds: Clock.realtimeNanoseconds)
                    guard try sink.accept(boundary: encoder.boundary(boundary), boundary) else { return try finish(.maxSize) }
                }
            }
            // Fixed rate: the next tick after now (a slow read skips ticks rather than bunching up).
            tick += 1
            let next = start &+ tick &* interval
            let after = Clock.monotonicNanoseconds
            if next < after { tick = (after &- start) / interval + 1 }
            // In slices of at most 100 ms, so Ctrl-C ends a `-d 60s` recording promptly.
            let deadline = start &+ tick &* interval
            while Clock.monotonicNanoseconds < deadline && !shouldStop() {
                Self.sleep(until: min(deadline, Clock.monotonicNanoseconds &+ 100_000_000))
            }
        }
    }

    static func sleep(until deadline: UInt64) {
        let now = Clock.monotonicNanoseconds
        guard deadline > now else { return }
        let remaining = deadline - now
        var request = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
        var left = timespec()
        // A signal (Ctrl-C) ends the sleep early: the loop then sees the stop request.
        _ = nanosleep(&request, &left)
    }
}

/// `record -o FILE`: every record to one file, stopping at its size limit.
public final class FileSink: Recorder.Sink {
    public let file: RecordingFile

    public init(_ file: RecordingFile) { self.file = file }

    public func start(header: RecordingHeader, headerRecord: [UInt8]) throws -> Bool { try file.append(headerRecord) }
    public func accept(_ record: [UInt8], kind: RecordKind, frame: RecordedFrame, incidents: [Incident]) throws -> Bool {
        if kind == .keyframe { try file.flush() }  // what came before reaches the disk once a second
        return try file.append(record)
    }
    public func accept(boundary record: [UInt8], _ boundary: RingBoundary) throws -> Bool { try file.append(record) }
    public func finish(_ end: RecordingEnd, record: [UInt8]) throws { try file.finish(record) }
}
