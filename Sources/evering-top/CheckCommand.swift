import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// `evering-top check NAME`: a health probe for scripts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Watch a ring for the stall timeout and report its status. Exit 0 OK, 1 any other status, 2 cannot attach.",
        discussion: "Samples the ring every 100 ms (or stall-timeout/10 if shorter) for the stall timeout, measured from the first read, then diagnoses with that history, so a stall of that length is seen even when no op carries a timestamp. Prints the status word (docs/CLI.md) and the incidents."
    )

    @Argument(help: "Ring name (leading '/' optional), or io_uring:PID[:FD] for a kernel io_uring.") var name: String
    @Flag(help: "Print the report as JSON (schema in docs/INSPECT-JSON.md).") var json = false
    @Flag(name: .shortAndLong, help: "Print nothing on success.") var quiet = false
    @OptionGroup var diagnosis: DiagnosisOptions

    func run() throws {
        let reader = try InspectAttach.source(name)
        let thresholds = diagnosis.thresholds
        var sampler = Sampler(historyCapacity: 1000)
        let window = UInt64(diagnosis.stallTimeout.nanoseconds)  // within DiagnosisOptions.stallTimeoutRange
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
}
