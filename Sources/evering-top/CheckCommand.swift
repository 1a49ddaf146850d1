import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring
import EveringRecording

/// `evering-top check NAME`: a health probe for scripts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Watch a ring for the stall timeout and report its status. Exit 0 OK, 1 any other status, 2 cannot attach.",
        discussion: "Samples the ring every 100 ms (or stall-timeout/10 if shorter) for the stall timeout (at least 100 ms, the lost-wake-up window), measured from the first read, then diagnoses with that history, so a stall of that length is seen even when no op carries a timestamp. Prints the status word (docs/CLI.md) and the incidents."
    )

    @Argument(help: "Ring name (leading '/' optional), io_uring:PID[:FD] for a kernel io_uring, or a recording (a path with '/' or ending in .evrec: did any incident happen, and when).") var name: String
    @Flag(help: "Print the report as JSON (schema in docs/INSPECT-JSON.md).") var json = false
    @Flag(name: .shortAndLong, help: "Print nothing on success.") var quiet = false
    @OptionGroup var diagnosis: DiagnosisOptions

    func run() throws {
        if RecordingFormat.isRecordingPath(name) { return try checkRecording() }
        let reader = try InspectAttach.source(name)
        let thresholds = diagnosis.thresholds
        var sampler = Sampler(historyCapacity: 1000)
        // Within DiagnosisOptions.stallTimeoutRange; never shorter than a lost wake-up takes to
        // judge (two samples that far apart), so a tiny stall timeout still sees one.
        let window = max(UInt64(diagnosis.stallTimeout.nanoseconds), UInt64(Diagnosis.lostWakeUpWindowSeconds * 1e9))
        let period = min(100_000_000, window / 10)
        var snapshot: Snapshot
        var sample: Sample
        var tick: UInt64 = 0
        var start: UInt64 = 0
        repeat {
            snapshot = try InspectAttach.snapshot(reader)
            sample = sampler.record(snapshot)
            // The window runs from the first read (not from before it), so the history spans
            // the whole stall timeout and a condition that held throughout is judged on it.
            if tick == 0 { start = snapshot.takenAtMonotonicNanoseconds }
            tick += 1
            if snapshot.takenAtMonotonicNanoseconds - start >= window { break }
            sleepUntil(start + tick * max(period, 1_000_000))
        } while true
        let findings = RingSources.diagnose(snapshot, history: sampler.history, thresholds: thresholds)
        let report = InspectReport(snapshot: snapshot, rates: sample.rates, findings: findings, thresholds: thresholds)
        if json {
            var output = report
            output.snapshot.slots?.busy = []
            InspectAttach.emit(try InspectJSON.encode(output, pretty: true))
        } else if report.status.checkExitCode != 0 || !quiet {
            InspectAttach.emit("\(snapshot.name): \(ReportText.statusWord(report.status, color: InspectAttach.colorOutput))")
            for line in ReportText.incidentsText(report.incidents) where !report.incidents.isEmpty {
                InspectAttach.emit(line)
            }
        }
        let code = report.status.checkExitCode
        if code != 0 { throw ExitCode(code) }
    }

    /// `check FILE`: every incident of the recording, its onset by the ring's timestamps,
    /// when it was seen and when it ended. Exit 1 if any incident happened, else 0.
    private func checkRecording() throws {
        let recording = try InspectRecording.open(name)
        let timeline = IncidentTimeline(recording)
        let last = recording.frames.count - 1
        let finalStatus = recording.frames[last].frame.status
        if json {
            let report = RecordingCheckReport(file: name, ring: recording.header.ring, samples: recording.frames.count,
                                              durationSeconds: recording.durationSeconds, damage: recording.damage?.description,
                                              finalStatus: finalStatus, incidents: timeline.entries)
            InspectAttach.emit(try InspectJSON.encode(report, pretty: true))
        } else if !timeline.entries.isEmpty || !quiet {
            let color = InspectAttach.colorOutput
            let span = "\(Formatting.duration(seconds: recording.durationSeconds)) from \(RecordingText.wallClock(recording.realtimeNanoseconds(0)))"
            InspectAttach.emit("\(recording.header.ring): \(timeline.entries.count) incident(s) in \(span); at the end \(ReportText.statusWord(finalStatus, color: color))")
            for entry in timeline.entries {
                let ended = entry.endedSeconds.map { "ended \(RecordingText.offset($0))" } ?? "still active at the end"
                InspectAttach.emit("\(ReportText.severityTag(entry.severity)) \(entry.id): onset \(RecordingText.offset(entry.onsetSeconds)) "
                    + "(\(RecordingText.wallClock(entry.onsetRealtimeNanoseconds))), seen \(RecordingText.offset(entry.firstSeenSeconds)), \(ended)")
                InspectAttach.emit("    \(entry.rootCause.message)")
            }
        }
        if !timeline.entries.isEmpty { throw ExitCode(1) }
    }
}

/// `check FILE --json` (docs/RECORDING.md).
struct RecordingCheckReport: Codable {
    var file: String
    var ring: String
    var samples: Int
    var durationSeconds: Double
    /// The first bad record, when only part of the file could be read.
    var damage: String?
    var finalStatus: RingStatus
    var incidents: [IncidentTimeline.Entry]
}
