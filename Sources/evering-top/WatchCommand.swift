import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring
import EveringRecording

/// `evering-top watch NAME --batch`: a line (or a JSON line) per interval, with rates.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print a line per interval with fill, rates and findings (top -b style).",
        discussion: "Only --batch mode exists here; the interactive view is `attach`. Exit 0 after N iterations, 2 if the ring cannot be attached or is truncated while watched. An unlinked ring (ring-gone) or an exited io_uring process (peer-dead) is reported as a finding and watching goes on."
    )

    @Argument(help: "Ring name (leading '/' optional), io_uring:PID[:FD] for a kernel io_uring, or a recording (a path with '/' or ending in .evrec: its timeline, a line per --delay of recorded time).") var name: String
    @Flag(help: "Non-interactive output, one line per interval (required).") var batch = false
    static let delayRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(86_400)
    static let iterationsRange: ClosedRange<UInt64> = 0 ... 1_000_000_000

    @Option(name: [.short, .customLong("delay")], help: "Time between samples (default 1s; 1ms to 24h; a bare number is seconds).",
            transform: FlagValue.duration(delayRange))
    var delay: Duration = .seconds(1)
    @Option(name: [.customShort("n"), .customLong("iterations")], help: "Stop after this many lines (0, the default: until interrupted).",
            transform: FlagValue.integer(iterationsRange))
    var iterations: Int = 0
    @Flag(help: "Print one JSON report per line (schema in docs/INSPECT-JSON.md).") var json = false
    @OptionGroup var diagnosis: DiagnosisOptions

    func validate() throws {
        guard batch else { throw ValidationError("watch needs --batch (the interactive dashboard is `evering-top attach NAME`)") }
    }

    func run() throws {
        if RecordingFormat.isRecordingPath(name) { return try watchRecording() }
        let reader = try InspectAttach.source(name)
        var sampler = Sampler()
        let thresholds = diagnosis.thresholds
        let period = UInt64(delay.nanoseconds)
        let start = Clock.monotonicNanoseconds
        if !json { InspectAttach.emit(ReportText.watchHeader) }
        var count = 0
        var reported: Set<String> = []
        var alerts = AlertLog()
        while iterations == 0 || count < iterations {
            let snapshot: Snapshot
            snapshot = try InspectAttach.snapshot(reader)
            let sample = sampler.record(snapshot)
            var report = InspectReport(snapshot: snapshot, rates: sample.rates,
                                       findings: RingSources.diagnose(snapshot, history: sampler.history, thresholds: thresholds),
                                       thresholds: thresholds)
            alerts.update(incidents: report.incidents, at: snapshot.takenAtMonotonicNanoseconds)
            if json {
                report.alerts = alerts.ordered
                var line = report
                line.snapshot.slots?.busy = []  // per-slot records make lines huge; counts stay
                InspectAttach.emit(try InspectJSON.encode(line))
            } else {
                InspectAttach.emit(ReportText.watchLine(report, elapsed: Double(snapshot.takenAtMonotonicNanoseconds - start) / 1e9, color: InspectAttach.colorOutput))
                // Spell out a finding the first time it appears (the line only names its rule),
                // and say how an alert ended (resolved, or superseded by a later cause).
                let current = Set(report.findings.map(\.key))
                for finding in report.findings where !reported.contains(finding.key) {
                    InspectAttach.emit(ReportText.findingLine(finding))
                }
                for entry in alerts.entries where reported.contains(entry.finding.key) && !current.contains(entry.finding.key) {
                    InspectAttach.emit(ReportText.endedLine(entry))
                }
                reported = current
            }
            count += 1
            if iterations != 0 && count >= iterations { break }
            // Sleep for what is left of the period, so lines stay on a steady cadence.
            sleepUntil(start + UInt64(count) * period)
        }
    }

    /// The timeline of a recording: a line per --delay of recorded time (from the first
    /// sample), and every finding as it appears and ends, at whatever sample it did.
    private func watchRecording() throws {
        let recording = try InspectRecording.open(name)
        let period = UInt64(delay.nanoseconds)
        let start = recording.startTime
        if !json { InspectAttach.emit(ReportText.watchHeader) }
        var count = 0
        var reported: Set<String> = []
        var alerts = AlertLog()
        var nextLine = start
        var sampler = Sampler()
        for index in recording.frames.indices {
            let stored = recording.frames[index]
            let time = stored.time
            if index > 0, stored.epoch != recording.frames[index - 1].epoch, !json {
                let pid = stored.frame.snapshot.header.map { " (created by pid \($0.creatorPID))" } ?? ""
                InspectAttach.emit("\(RecordingText.offset(Double(time &- start) / 1e9)) ---- \(recording.header.ring) re-created\(pid): a new ring from here ----")
                sampler = Sampler()
            }
            let incidents = Incident.group(stored.frame.findings)
            alerts.update(incidents: incidents, at: time)
            let isLine = time >= nextLine || index == recording.frames.count - 1
            if isLine {
                nextLine = time &+ period
                let snapshot = recording.frame(at: index).snapshot
                let sample = sampler.record(snapshot)
                var report = InspectReport(snapshot: snapshot, rates: sample.rates, findings: stored.frame.findings,
                                           thresholds: Thresholds(stallTimeout: recording.header.stallTimeoutSeconds))
                if json {
                    report.alerts = alerts.ordered
                    report.snapshot.slots?.busy = []
                    InspectAttach.emit(try InspectJSON.encode(report))
                } else {
                    InspectAttach.emit(ReportText.watchLine(report, elapsed: Double(time &- start) / 1e9, color: InspectAttach.colorOutput))
                }
                count += 1
            }
            if !json {
                let current = Set(stored.frame.findings.map(\.key))
                for finding in stored.frame.findings where !reported.contains(finding.key) {
                    InspectAttach.emit("\(RecordingText.offset(Double(time &- start) / 1e9)) " + ReportText.findingLine(finding))
                }
                for entry in alerts.entries where reported.contains(entry.finding.key) && !current.contains(entry.finding.key) {
                    InspectAttach.emit("\(RecordingText.offset(Double(time &- start) / 1e9)) " + ReportText.endedLine(entry))
                }
                reported = current
            }
            if iterations != 0 && count >= iterations { break }
        }
    }
}
