/// The markdown report of a ring benchmark run: how it was produced, on what, the
/// summary table and every run (so a reader can see the spread for themselves).
public struct RingBenchDocument {
    public var command: String
    public var machine: MachineDescription
    public var configuration: RingBenchConfiguration
    public var runs: [RingRun]
    public var summary: RingBenchSummary

    public init(command: String, machine: MachineDescription, configuration: RingBenchConfiguration,
                runs: [RingRun], summary: RingBenchSummary) {
        self.command = command
        self.machine = machine
        self.configuration = configuration
        self.runs = runs
        self.summary = summary
    }

    public func markdown() -> String {
        let verified = runs.reduce(UInt64(0)) { $0 + $1.entries }
        var lines = [
            "# Ring benchmark: Swift queues vs the C reference ring",
            "",
            "Command: `\(command)`  ",
            "Run at \(machine.utcTime) on \(machine.markdown); load average at the end: " +
            "\(MachineDescription.readFirstLine("/proc/loadavg") ?? "?").",
            "",
            "Two processes (the peer is this binary re-executed), \(configuration.repetitions) runs per figure, C and Swift " +
            "alternating (the first of each pair alternates too); queue capacity \(configuration.capacity) entries; " +
            "\(configuration.streamCount) entries per streaming run, \(configuration.pingPongCount) counted round trips " +
            "per ping-pong run after \(configuration.warmup) warm-up ones. Round trips are timed one by one with " +
            "clock_gettime (each sample includes about one clock read). Every entry was verified by its receiver " +
            "(sequence number and check word): \(verified) entries and round trips in total, 0 errors.",
            "",
            summary.markdown(),
            "",
            "Goals (issue 2): streaming within 10% of C (Swift/C ≥ 0.90), median round trip ≤ 1.1× C. " +
            "A run is *undisturbed* when both processes were on a CPU for at least " +
            "\(format(RingRun.undisturbedThreshold * 100, 0))% of it (CPU time / wall time: the driver's timed loop, " +
            "the peer's whole life from wait4); on this shared machine other jobs often take turns with the " +
            "benchmark's two spinning processes, and those runs measure the scheduler rather than the ring.",
            "",
            "## Every run",
            "",
            "| # | measurement | impl | result | on CPU: driver, peer |",
            "|---|---|---|---|---|",
        ]
        for (index, run) in runs.enumerated() {
            let result: String
            if let rtt = run.roundTrip {
                result = "p50 \(format(rtt.median, 0)) ns, p99 \(format(rtt.p99, 0)) ns, max \(format(rtt.max, 0)) ns, mean \(format(rtt.mean, 1)) ns"
            } else {
                result = "\(format(run.perSecond / 1e6, 1)) M entries/s (\(format(Double(run.nanoseconds) / 1e6, 1)) ms)"
            }
            let onCPU = "\(run.driverOnCPU.map { format($0, 2) } ?? "?"), \(run.peerOnCPU.map { format($0, 2) } ?? "?")"
                + (run.isUndisturbed ? "" : " (disturbed)")
            lines.append("| \(index + 1) | \(run.scenario.rawValue) | \(run.implementation.rawValue) | \(result) | \(onCPU) |")
        }
        return lines.joined(separator: "\n")
    }
}
