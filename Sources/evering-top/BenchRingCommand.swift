import ArgumentParser
import EveringBench

/// Streaming and ping-pong of the Swift queues against the C reference ring, two processes.
struct BenchRingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring",
        abstract: "Swift SPSC queues vs a minimal C ring of the same design, across two processes.",
        discussion: """
        Alternates C and Swift runs and reports medians with the spread and the Swift/C ratio. \
        Every entry carries a sequence number and check word that the receiving side verifies; \
        a run with a single bad entry aborts the benchmark. Build with -c release for numbers.
        """
    )

    @Option(help: "Runs of each measurement per implementation (many short runs: the machine is noisy).") var repetitions = 15
    @Option(help: "Entries per streaming run.") var streamCount: UInt64 = 4_000_000
    @Option(help: "Counted round trips per ping-pong run.") var pingPongCount: UInt64 = 200_000
    @Option(help: "Queue capacity in entries (power of two).") var capacity: UInt32 = 4096
    @Option(help: "Only these measurements (\(RingScenario.allCases.map(\.rawValue).joined(separator: ", "))).")
    var scenario: [String] = []
    @Flag(help: "A short run (2 repetitions, fewer entries) to check the machinery.") var quick = false
    @Option(help: "Also write the report (markdown) to this file.") var output: String?

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard streamCount >= 1, pingPongCount >= 1 else { throw ValidationError("counts must be at least 1") }
        guard capacity >= 2, capacity & (capacity - 1) == 0 else { throw ValidationError("--capacity must be a power of two >= 2") }
        for name in scenario where RingScenario(rawValue: name) == nil {
            throw ValidationError("unknown scenario '\(name)'; choose from \(RingScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var config = RingBenchConfiguration(executable: try PeerProcess.currentExecutable(), peerCommand: ["bench", "peer"])
        config.repetitions = quick ? 2 : repetitions
        config.streamCount = quick ? 2_000_000 : streamCount
        config.pingPongCount = quick ? 50_000 : pingPongCount
        config.capacity = capacity
        if !scenario.isEmpty { config.scenarios = scenario.compactMap(RingScenario.init(rawValue:)) }
        let machine = MachineDescription.current()
        let benchmark = RingBenchmark(configuration: config)
        let runs = try benchmark.runAll { run in
            var line = "  \(run.scenario.rawValue) \(run.implementation.rawValue): "
            if let rtt = run.roundTrip {
                line += "p50 \(Int(rtt.median)) ns, p99 \(Int(rtt.p99)) ns"
            } else {
                line += "\(Int(run.perSecond / 1e3) / 1000) M entries/s"
            }
            printErr(line)
        }
        let summary = RingBenchSummary(runs: runs)
        let command = (["evering-top"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let document = RingBenchDocument(command: command, machine: machine, configuration: config, runs: runs,
                                         summary: summary).markdown()
        print(document)
        if let output { try writeFile(output, document) }
    }
}
