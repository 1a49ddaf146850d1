import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring
import EveringLoad
import EveringRecording
import Foundation

/// `evering-top record NAME -o FILE`: the flight recorder (docs/RECORDING.md).
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a ring's history to a file (read-only), for dump/check/watch/replay later.",
        discussion: """
            Samples the ring every --delay and writes queues, sides, status, findings and slot counts at every sample, \
            the slots busy longer than one interval when they change, and a full keyframe every 10 seconds (docs/RECORDING.md). \
            Stops at --duration, at --max-size (the file stays valid) or on Ctrl-C. Follows a ring that is removed and \
            re-created under the same name and marks the boundary. \
            With --on-finding, -o is a directory: the last --before is kept in memory and a file is written only when an \
            incident starts (up to --after past it), keeping the newest --keep files. \
            Exit 0 when finished, 2 if the ring cannot be attached, 1 if the file cannot be written.
            """
    )

    static let delayRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(60)
    static let durationRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(31_536_000)
    static let maxSizeRange: ClosedRange<UInt64> = 64 << 10 ... 1 << 40
    static let beforeRange: ClosedRange<Duration> = .seconds(1) ... .seconds(3600)
    static let afterRange: ClosedRange<Duration> = .seconds(0) ... .seconds(3600)
    static let keepRange: ClosedRange<UInt64> = 1 ... 1_000_000

    @Argument(help: "Ring name (leading '/' optional), or io_uring:PID[:FD].") var name: String
    @Option(name: [.short, .customLong("output")], help: "The recording to write (FILE.evrec); with --on-finding, a directory.")
    var output: String
    @Option(name: [.customShort("d"), .customLong("delay")], help: "Time between samples (default 10ms; 1ms to 60s).",
            transform: FlagValue.duration(delayRange))
    var delay: Duration = .milliseconds(10)
    @Option(help: "Stop after this long (default: until Ctrl-C; 1ms to 365 days).", transform: FlagValue.duration(durationRange))
    var duration: Duration?
    @Option(help: "Stop before the file passes this size (default 100M; 64K to 1048576M).", transform: FlagValue.size(maxSizeRange))
    var maxSize: Int = 100 << 20
    @Flag(help: "Black-box mode: write a file only when an incident starts.") var onFinding = false
    @Option(help: "Black-box: history kept before an incident (default 60s; 1s to 3600s).", transform: FlagValue.duration(beforeRange))
    var before: Duration = .seconds(60)
    @Option(help: "Black-box: recorded after an incident starts (default 10s; 0s to 3600s).", transform: FlagValue.duration(afterRange))
    var after: Duration = .seconds(10)
    @Option(help: "Black-box: the newest files kept per ring (default 20).", transform: FlagValue.integer(keepRange))
    var keep: Int = 20
    @OptionGroup var diagnosis: DiagnosisOptions

    func validate() throws {
        if RecordingFormat.isRecordingPath(name) {
            throw ValidationError("'\(name)' names a file; record takes a ring name (a file is read by dump, check, watch, replay)")
        }
        if !onFinding {
            for (flag, given) in [("--before", before != .seconds(60)), ("--after", after != .seconds(10)), ("--keep", keep != 20)] where given {
                throw ValidationError("\(flag) needs --on-finding")
            }
        }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory)
        if onFinding {
            guard exists && isDirectory.boolValue else { throw CommandFailure.failed("--on-finding writes into a directory; \(output) is not one") }
        } else if exists && isDirectory.boolValue {
            throw CommandFailure.failed("\(output) is a directory; give a file name (e.g. \(output)/ring.\(RecordingFormat.fileExtension)) or use --on-finding")
        }
        let ring = name
        // Attach first: a missing ring is exit 2 and writes no file.
        let first = try InspectAttach.source(ring)
        var reused: (any RingSource)? = first
        let recorder = Recorder(ring: ring, options: Recorder.Options(
            intervalNanoseconds: UInt64(delay.nanoseconds), durationNanoseconds: duration.map { UInt64($0.nanoseconds) },
            thresholds: diagnosis.thresholds)) {
            if let source = reused { reused = nil; return source }
            return try RingSources.open(ring)
        }
        StopSignal.install()
        let sink: Recorder.Sink
        if onFinding {
            let box = BlackBoxSink(directory: output, beforeNanoseconds: UInt64(before.nanoseconds),
                                   afterNanoseconds: UInt64(after.nanoseconds), keep: keep)
            box.onWrite = { InspectAttach.emit("wrote \($0)") }
            sink = box
        } else {
            do { sink = FileSink(try RecordingFile(creating: output, maxSize: maxSize)) } catch {
                throw CommandFailure.failed("\(error)")
            }
        }
        let end: RecordingEnd
        do { end = try recorder.run(into: sink) { StopSignal.isRequested } } catch let error as RecordingError {
            throw CommandFailure.failed("\(error)")
        }
        if !onFinding {
            writeError("evering-top: recorded \(end.samples) samples of \(first.displayName) to \(output) (stopped: \(end.reason.rawValue))")
        }
    }
}
