import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// `evering-top dump NAME`: one snapshot and its diagnosis.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print one snapshot of a ring and its diagnosis.",
        discussion: "Reads the ring twice, 200 ms apart, and diagnoses the second read with both as history (a stall needs history); rules that need longer use the ring's own timestamps (e.g. the age of the op at the submission head). Prints the status word (docs/CLI.md) and the incidents. Exit 0 on success, 2 if the ring cannot be attached."
    )

    @Argument(help: "Ring name (leading '/' optional), or io_uring:PID[:FD] for a kernel io_uring.") var name: String
    @Flag(help: "Print JSON (schema in docs/INSPECT-JSON.md).") var json = false
    @Flag(help: "List every busy slot, not only the oldest ten.") var slots = false
    @OptionGroup var diagnosis: DiagnosisOptions

    func run() throws {
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
