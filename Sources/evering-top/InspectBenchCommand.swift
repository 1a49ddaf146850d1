#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Evering
import EveringInspect
import EveringLoad

/// `evering-top inspect-bench`: times snapshot + diagnosis of a large ring (issue 4's
/// "65,536 slots in under 1 ms"). Builds its own ring in this process, puts the asked
/// share of slots in flight, and times many rounds of read + sample + diagnose.
struct InspectBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-bench",
        abstract: "Benchmark one snapshot + diagnosis of a large ring (prints median and p99).",
        shouldDisplay: false
    )

    @Option(help: "Driver slots in the ring (default 65536; 1 to 1048576).", transform: FlagValue.integer(LoadConfiguration.slotsRange))
    var slots: UInt32 = 65_536
    @Option(help: "Fraction of the slots put in flight (default 1; 0 to 1); busy slots need full records.", transform: FlagValue.decimal(0 ... 1))
    var busy: Double = 1.0
    @Option(help: "Timed rounds (default 2000; 10 to 10000000).", transform: FlagValue.integer(10 ... 10_000_000)) var iterations: Int = 2000
    @Option(help: "Untimed warm-up rounds (default 100; 0 to 10000000).", transform: FlagValue.integer(0 ... 10_000_000)) var warmup: Int = 100

    func run() throws {
        let name = try RingName("evering-inspect-bench-\(getpid())")
        var capacity: UInt32 = 2
        while capacity < slots { capacity <<= 1 }
        let requester = try Requester.create(name, configuration: RingConfiguration(
            submissionCapacity: capacity, slotCount: slots, bufferSize: 64, replaceExisting: true))
        defer {
            requester.detach()
            try? unlinkRing(name)
        }
        let responder = try Responder.open(name)
        defer { responder.detach() }
        let target = Int((Double(slots) * busy).rounded())
        for _ in 0..<target {
            guard requester.trySubmit(opcode: 1, length: 0) != nil else { break }
        }
        // The responder takes half of them, so both the slot table and a queue are non-trivial.
        for _ in 0..<(target / 2) { _ = responder.tryReceive() }

        let reader = try SnapshotReader(attaching: name)
        var sampler = Sampler()
        let thresholds = Thresholds.default
        var findingsSeen = 0
        func round() throws -> (total: UInt64, snapshot: UInt64) {
            let start = Clock.monotonicNanoseconds
            let snapshot = try reader.snapshot()
            let read = Clock.monotonicNanoseconds
            sampler.record(snapshot)
            findingsSeen += Diagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds).count
            return (Clock.monotonicNanoseconds - start, read - start)
        }
        for _ in 0..<warmup { _ = try round() }
        var totals: [UInt64] = []
        var reads: [UInt64] = []
        totals.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let (total, read) = try round()
            totals.append(total)
            reads.append(read)
        }
        totals.sort()
        reads.sort()
        func percentile(_ values: [UInt64], _ p: Double) -> String {
            let index = min(values.count - 1, Int((Double(values.count) * p).rounded(.up)) - 1)
            return Formatting.decimal(Double(values[max(index, 0)]) / 1000) + " µs"
        }
        let inFlight = try reader.snapshot().slots?.counts.inFlight ?? 0
        print("inspect-bench: \(slots) slots, \(inFlight) in flight, \(iterations) rounds (after \(warmup) warm-up)")
        print("  snapshot + sample + diagnosis: median \(percentile(totals, 0.5)), p99 \(percentile(totals, 0.99)), max \(percentile(totals, 1))")
        print("  snapshot alone:                median \(percentile(reads, 0.5)), p99 \(percentile(reads, 0.99))")
        // After the stall timeout the parked ops legitimately trip the stall rules, so the
        // timed rounds include building findings, as a real stuck ring would.
        print("  findings per round (mean): \(Formatting.decimal(Double(findingsSeen) / Double(iterations + warmup)))")
    }
}
