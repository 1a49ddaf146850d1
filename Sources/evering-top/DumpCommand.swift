import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring
import EveringRecording

/// `evering-top dump NAME`: one snapshot and its diagnosis.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print one snapshot of a ring and its diagnosis.",
        discussion: "Reads the ring twice, 200 ms apart, and diagnoses the second read with both as history (a stall needs history); rules that need longer use the ring's own timestamps (e.g. the age of the op at the submission head). Prints the status word (docs/CLI.md) and the incidents. Exit 0 on success, 2 if the ring cannot be attached."
    )

    @Argument(help: "Ring name (leading '/' optional), io_uring:PID[:FD] for a kernel io_uring, or a recording (a path with '/' or ending in .evrec).") var name: String
    @Option(help: "Recordings only: the sample at this time into the recording (e.g. 12.5s; the last sample at or before it).",
            transform: FlagValue.duration(InspectRecording.atRange))
    var at: Duration?
    @Flag(help: "Print JSON (schema in docs/INSPECT-JSON.md).") var json = false
    @Flag(help: "List every busy slot, not only the oldest ten.") var slots = false
    @OptionGroup var diagnosis: DiagnosisOptions

    func validate() throws {
        if at != nil && !RecordingFormat.isRecordingPath(name) { throw ValidationError("--at needs a recording (a path with '/' or ending in .evrec)") }
    }

    func run() throws {
        if RecordingFormat.isRecordingPath(name) { return try dumpRecording() }
        let reader = try InspectAttach.source(name)
        let snapshot: Snapshot
        var sampler = Sampler(historyCapacity: 4)
        sampler.record(try InspectAttach.snapshot(reader))
        sleepUntil(Clock.monotonicNanoseconds + UInt64(InspectReport.oneShotSecondSampleSeconds * 1e9))
        snapshot = try InspectAttach.snapshot(reader)
        let sample = sampler.record(snapshot)
        let report = InspectReport(snapshot: snapshot, rates: sample.rates,
                                   findings: RingSources.diagnose(snapshot, history: sampler.history, thresholds: diagnosis.thresholds),
                                   thresholds: diagnosis.thresholds)
        try print(report)
    }

    /// A recorded sample, with the findings the recorder diagnosed then (its thresholds).
    private func dumpRecording() throws {
        let recording = try InspectRecording.open(name)
        let index = recording.index(atOffsetSeconds: at?.seconds ?? recording.durationSeconds)
        if !json { InspectAttach.emit(InspectRecording.title(recording, at: index)) }
        try print(recording.report(at: index))
    }

    private func print(_ report: InspectReport) throws {
        let snapshot = report.snapshot
        if json {
            var output = report
            if !slots, var table = output.snapshot.slots, table.busy.count > 1000 {
                // Keep the JSON small by default (the 1000 oldest); --slots gives every record.
                // Back in index order, as docs/INSPECT-JSON.md promises for `busy`.
                table.busy = table.busy.sorted { $0.ageNanoseconds > $1.ageNanoseconds }.prefix(1000).sorted { $0.index < $1.index }
                output.snapshot.slots = table
            }
            InspectAttach.emit(try InspectJSON.encode(output, pretty: true))
        } else {
            InspectAttach.emit(ReportText.dump(report, allSlots: slots, color: InspectAttach.colorOutput))
            if snapshot.source == .ioUring { InspectAttach.emit(IOUringReportText.section(snapshot)) }
        }
    }
}
