#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Evering
import EveringDashboard
import EveringExport
import EveringInspect

/// `evering-top bench fleet`: what the overview screen and the exporter cost on a machine
/// with many rings (issue 15: 1,000 rings of 1,024 slots at 1 Hz within 5% of a core, one
/// scrape within 100 ms). Creates the rings in this process (each with a live requester,
/// so heartbeats tick as on a real machine), then times `FleetSampler.sample()` and a
/// scrape's rendering, measuring the sampling thread's own CPU time.
struct BenchFleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Benchmark sampling and exporting many rings at once (overview / exporter).")

    @Option(help: "Rings to create (1 to 20000).", transform: FlagValue.integer(1...20_000)) var rings: Int = 1000
    @Option(help: "Driver slots per ring (1 to 1048576).", transform: FlagValue.integer(1...1_048_576)) var slots: UInt32 = 1024
    @Option(help: "Ops left in flight per ring (0 to --slots; busy slots need full records).",
            transform: FlagValue.integer(0...1_048_576)) var busy: Int = 8
    @Option(help: "Timed samples after the first, which opens every ring (1 to 1000).",
            transform: FlagValue.integer(1...1000)) var samples: Int = 10

    func validate() throws {
        guard busy <= Int(slots) else { throw ValidationError("--busy must be at most --slots") }
    }

    func run() throws {
        FileLimits.raiseOpenFileLimit()
        var capacity: UInt32 = 2
        while capacity < slots { capacity <<= 1 }
        let prefix = "evering-fleet-bench-\(getpid())-"
        var requesters: [Requester] = []
        var names: [RingName] = []
        defer {
            for requester in requesters { requester.detach() }
            for name in names { try? unlinkRing(name) }
        }
        for i in 0..<rings {
            let name = try RingName(prefix + String(i))
            names.append(name)
            let requester = try Requester.create(name, configuration: RingConfiguration(
                submissionCapacity: capacity, slotCount: slots, bufferSize: 64, replaceExisting: true))
            for _ in 0..<busy { _ = requester.trySubmit(opcode: 1, length: 0) }
            requesters.append(requester)
        }
        let objectNames = names.map { String($0.path.dropFirst()) }
        let fleet = FleetSampler(historyCapacity: 8)
        let latest = LatestReading()

        let (firstCPU, firstWall, first) = measure { fleet.sample(names: objectNames) }
        guard first.rings.count == rings else {
            throw CommandFailure.failed("only \(first.rings.count) of \(rings) rings could be read (census \(first.census))")
        }
        var last = first
        var sampleCPU: [Double] = []
        var sampleWall: [Double] = []
        for _ in 0..<samples {
            let (cpu, wall, reading) = measure { fleet.sample(names: objectNames) }
            sampleCPU.append(cpu)
            sampleWall.append(wall)
            latest.update(reading)
            last = reading
        }
        // What the overview adds to a sample: its rows, sorted by status (every ring
        // compared), cursor and scroll settled, and a 200x50 frame rendered.
        var frameCPU: [Double] = []
        var state = OverviewState()
        state.sortColumn = .status
        for _ in 0..<samples {
            let (cpu, _, _) = measure {
                let input = OverviewInput(last)
                state.settle(names: state.visibleRows(input.rows).map(\.name), visibleLines: 47)
                return OverviewRenderer.render(input, state: state, width: 200, height: 50)
            }
            frameCPU.append(cpu)
        }
        var scrapeWall: [Double] = []
        var bytes = 0
        for _ in 0..<max(samples, 5) {
            let (_, wall, text) = measure { latest.exposition(.openMetrics) }
            scrapeWall.append(wall)
            bytes = text.utf8.count
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func ms(_ seconds: Double) -> String { Formatting.decimal(seconds * 1000) + " ms" }
        print("bench fleet: \(rings) rings × \(slots) slots, \(busy) in flight each, \(samples) samples after the first")
        print("  first sample (opens every ring): \(ms(firstWall)) wall, \(ms(firstCPU)) CPU")
        print("  sample (rings kept open):        median \(ms(median(sampleWall))) wall, \(ms(median(sampleCPU))) CPU"
              + " = \(Formatting.decimal(median(sampleCPU) * 100))% of a core at 1 Hz")
        print("  overview frame (rows, sort, 200x50 grid): median \(ms(median(frameCPU))) CPU"
              + "; overview at 1 Hz = \(Formatting.decimal((median(sampleCPU) + median(frameCPU)) * 100))% of a core")
        print("  scrape (render the latest):      median \(ms(median(scrapeWall))), \(bytes / 1024) KiB of OpenMetrics")
    }

    /// CPU time of this thread and wall time of `body`, in seconds.
    private func measure<T>(_ body: () -> T) -> (cpu: Double, wall: Double, value: T) {
        func clock(_ id: clockid_t) -> Double {
            var ts = timespec()
            clock_gettime(id, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let cpu0 = clock(CLOCK_THREAD_CPUTIME_ID), wall0 = clock(CLOCK_MONOTONIC)
        let value = body()
        return (clock(CLOCK_THREAD_CPUTIME_ID) - cpu0, clock(CLOCK_MONOTONIC) - wall0, value)
    }
}
