import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// `evering-top check NAME`: a health probe for scripts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Watch a ring for the stall timeout and report findings. Exit 0 healthy, 1 findings, 2 cannot attach.",
        discussion: "Samples the ring every 100 ms (or stall-timeout/10 if shorter) for the stall timeout, then diagnoses with that history, so a stall of that length is seen even when no op carries a timestamp."
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
        let start = Clock.monotonicNanoseconds
        var snapshot: Snapshot
        var sample: Sample
        var tick: UInt64 = 0
        repeat {
            snapshot = try InspectAttach.snapshot(reader)
            sample = sampler.record(snapshot)
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
        } else if !findings.isEmpty {
            InspectAttach.emit("\(snapshot.name): \(findings.count) finding(s)")
            for finding in findings { InspectAttach.emit(ReportText.findingLine(finding)) }
        } else if !quiet {
            InspectAttach.emit("\(snapshot.name): healthy")
        }
        if !findings.isEmpty { throw ExitCode(ExitStatus.failed.rawValue) }
    }
}
