import ArgumentParser
import EveringInspect
import EveringRecording

/// Opening a recording for `dump`, `check`, `watch` and `replay`: errors for the user, and
/// a warning on stderr when only part of the file could be read.
enum InspectRecording {
    /// `--at` accepts 0 to a year into the recording.
    static let atRange: ClosedRange<Duration> = .seconds(0) ... .seconds(31_536_000)

    static func open(_ path: String) throws(CommandFailure) -> RecordingReader {
        let recording: RecordingReader
        do { recording = try RecordingReader(path: path) } catch { throw .cannotAttach(error.description) }
        if let damage = recording.damage {
            writeError("evering-top: warning: \(damage) (\(recording.frames.count) samples readable)")
        }
        guard !recording.isEmpty else { throw .cannotAttach("\(path) holds no samples") }
        return recording
    }

    /// The first line `dump` and `check` print about a recording.
    static func title(_ recording: RecordingReader, at index: Int) -> String {
        "recording \(recording.path) of \(recording.header.ring): sample \(index + 1) of \(recording.frames.count), "
            + "\(RecordingText.offset(recording.offsetSeconds(index))) at \(RecordingText.wallClock(recording.realtimeNanoseconds(index)))"
    }
}
