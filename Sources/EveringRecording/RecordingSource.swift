import EveringInspect

/// A recording as a ring source: each `snapshot()` is the next recorded frame, so the
/// dashboard feed, the sampler and the rules run over a recording exactly as over a live
/// ring (`RingSources.diagnose` unchanged). `seek(to:)` moves the cursor.
public final class RecordingSource: RingSource {
    public let recording: RecordingReader
    /// The frame the next `snapshot()` returns.
    public private(set) var cursor = 0

    public init(_ recording: RecordingReader) {
        self.recording = recording
    }

    public var displayName: String { recording.header.ring }
    public var isAtEnd: Bool { cursor >= recording.frames.count }

    public func seek(to index: Int) {
        cursor = min(max(index, 0), recording.frames.count)
    }

    public func snapshot() throws -> Snapshot {
        guard !isAtEnd else { throw EndOfRecording(path: recording.path, damage: recording.damage) }
        defer { cursor += 1 }
        return recording.frame(at: cursor).snapshot
    }
}

/// Thrown by `RecordingSource.snapshot()` after the last frame: says why it ended.
public struct EndOfRecording: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var damage: RecordingError?

    public var description: String {
        if let damage { return "end of the readable part of the recording: \(damage)" }
        return "end of recording \(path)"
    }
}
