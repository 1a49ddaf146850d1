#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import CEveringReference
import Evering

/// Which ring code runs a measurement: the library's Swift queues or the C reference.
public enum RingImplementation: String, CaseIterable, Codable, Sendable {
    case c = "C"
    case swift = "Swift"
}

/// The three ring measurements of issue 2 part 5.
public enum RingScenario: String, CaseIterable, Codable, Sendable {
    /// One-way streaming of 16-byte entries through a raw queue in the benchmark's shm object.
    case stream16 = "stream-16B"
    /// One 16-byte entry each way per round trip, over two raw queues.
    case pingPong16 = "ping-pong-16B"
    /// One-way streaming of 32-byte ev_entry records through a real evering ring's
    /// submission queue (Requester -> Responder raw queues).
    case stream32 = "stream-32B-evering"
}

/// What the peer process is asked to do (`--role` of the hidden peer command).
public enum RingPeerRole: String, CaseIterable, Sendable {
    case consume16Swift = "consume16-swift"
    case consume16C = "consume16-c"
    case echo16Swift = "echo16-swift"
    case echo16C = "echo16-c"
    case consume32Swift = "consume32-swift"
    case consume32C = "consume32-c"
    /// Not a peer: one thread fills and drains a queue in capacity-sized chunks through
    /// the same loops, so `valgrind --tool=callgrind` can count instructions per entry
    /// without the other process's timing in the picture.
    case singleThread16Swift = "single-thread16-swift"
    case singleThread16C = "single-thread16-c"

    init(_ scenario: RingScenario, _ implementation: RingImplementation) {
        switch (scenario, implementation) {
        case (.stream16, .swift): self = .consume16Swift
        case (.stream16, .c): self = .consume16C
        case (.pingPong16, .swift): self = .echo16Swift
        case (.pingPong16, .c): self = .echo16C
        case (.stream32, .swift): self = .consume32Swift
        case (.stream32, .c): self = .consume32C
        }
    }
}

public struct RingBenchConfiguration: Sendable {
    /// Entries per streaming run.
    public var streamCount: UInt64 = 20_000_000
    /// Round trips per ping-pong run (the first `warmup` are not counted).
    public var pingPongCount: UInt64 = 500_000
    public var warmup: UInt64 = 10_000
    /// Queue capacity in entries (power of two).
    public var capacity: UInt32 = 4096
    /// Runs per (scenario, implementation); C and Swift alternate, and which goes first
    /// alternates too.
    public var repetitions = 5
    public var scenarios = RingScenario.allCases
    /// The benchmark executable and the arguments that select its hidden peer command.
    public var executable: String
    public var peerCommand: [String]

    public init(executable: String, peerCommand: [String]) {
        self.executable = executable
        self.peerCommand = peerCommand
    }
}

/// One run's figures.
public struct RingRun: Codable, Sendable, Equatable {
    /// Which repetition this run belongs to: the C and Swift runs of one repetition ran
    /// back to back, so their ratio is the least disturbed by the machine's mood.
    public var repetition = 0
    public var scenario: RingScenario
    public var implementation: RingImplementation
    public var entries: UInt64
    public var nanoseconds: UInt64
    /// Streaming: entries per second. Ping-pong: round trips per second.
    public var perSecond: Double
    /// Ping-pong only: round-trip statistics in ns over the counted round trips.
    public var roundTrip: SampleStatistics?
    /// CPU time / wall time of the driver's timed loop and of the peer's whole life
    /// (start-up and detach included). Below 1 when other work took turns with them; a run
    /// can also be slow at 1.00 when the two vCPUs sit on different core complexes.
    public var driverOnCPU: Double? = nil
    public var peerOnCPU: Double? = nil
}

/// Runs the driver side of each measurement and spawns the peer for the other side.
public struct RingBenchmark {
    public var configuration: RingBenchConfiguration
    static let peerDeadlineNanoseconds: UInt64 = 120_000_000_000
    nonisolated(unsafe) static var runCounter = 0  // only the benchmark's single thread names runs

    public init(configuration: RingBenchConfiguration) {
        self.configuration = configuration
    }

    /// All scenarios × implementations × repetitions, alternating C and Swift.
    public func runAll(progress: (RingRun) -> Void = { _ in }) throws(BenchError) -> [RingRun] {
        var runs: [RingRun] = []
        for repetition in 0..<configuration.repetitions {
            for scenario in configuration.scenarios {
                let order: [RingImplementation] = repetition % 2 == 0 ? [.c, .swift] : [.swift, .c]
                for implementation in order {
                    var run = try measure(scenario, implementation)
                    run.repetition = repetition
                    progress(run)
                    runs.append(run)
                }
            }
        }
        return runs
    }

    static func uniqueName(_ what: String) -> String {
        runCounter += 1
        return "/evering-bench-\(getpid())-\(runCounter)-\(what)"
    }

    public func measure(_ scenario: RingScenario, _ implementation: RingImplementation) throws(BenchError) -> RingRun {
        let region = try BenchRegion.create(name: Self.uniqueName("ctl"), capacity: configuration.capacity)
        defer { region.unlink() }
        switch scenario {
        case .stream16: return try stream16(region, implementation)
        case .pingPong16: return try pingPong16(region, implementation)
        case .stream32: return try stream32(region, implementation)
        }
    }

    // MARK: driver sides

    private func spawnPeer(_ role: RingPeerRole, region: BenchRegion, count: UInt64, ring: String? = nil) throws(BenchError) -> PeerProcess {
        var arguments = configuration.peerCommand + ["--role", role.rawValue, "--shm", region.name, "--count", String(count)]
        if let ring { arguments += ["--ring", ring] }
        let peer = try PeerProcess(executable: configuration.executable, arguments: arguments)
        try peer.waitUntil(timeoutNanoseconds: 10_000_000_000, what: "ready") {
            // Acquire pairs with the peer's release store of peer_ready after it attached.
            ev_load_acquire_u32(evbench_peer_ready_ptr(region.control)) == 1
        }
        return peer
    }

    /// Waits for the peer, then checks both sides moved and verified every entry.
    private func finish(_ peer: PeerProcess, region: BenchRegion, mine: evref_outcome, count: UInt64,
                        what: String) throws(BenchError) -> (control: evbench_control, peerOnCPU: Double?) {
        let code = try peer.wait(timeoutNanoseconds: Self.peerDeadlineNanoseconds)
        // waitpid returned: every store the peer made is visible to us.
        let theirs = region.control.pointee
        guard mine.timed_out == 0, theirs.timed_out == 0 else { throw .timedOut(what) }
        guard mine.transferred == count, theirs.transferred == count else {
            throw .verification("\(what): sent \(mine.transferred), peer handled \(theirs.transferred), expected \(count)")
        }
        guard mine.errors == 0, theirs.errors == 0 else {
            throw .verification("\(what): \(mine.errors) bad replies here, \(theirs.errors) bad entries at the peer")
        }
        guard code == 0 else { throw .peer("\(what) peer exited with status \(code)") }
        return (theirs, peer.onCPUFraction)
    }

    private var deadline: UInt64 { ev_monotonic_ns() &+ Self.peerDeadlineNanoseconds }

    private func stream16(_ region: BenchRegion, _ implementation: RingImplementation) throws(BenchError) -> RingRun {
        let count = configuration.streamCount
        let peer = try spawnPeer(RingPeerRole(.stream16, implementation), region: region, count: count)
        let outcome: evref_outcome
        let start: UInt64
        let cpuStart: UInt64
        switch implementation {
        case .swift:
            let producer = QueueProducer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                      owner: region, peer: nil)
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = SwiftRingLoops.produce16(producer, count: count, deadline: stop)
        case .c:
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = evref_stream_produce16(region.queueBlock(0), region.entries(0), 0, count, stop)
        }
        let driverOnCPU = Self.onCPU(since: start, cpuStart: cpuStart)
        let theirs = try finish(peer, region: region, mine: outcome, count: count, what: "stream-16B \(implementation)")
        var run = streamRun(.stream16, implementation, count: count, start: start, end: theirs.control.peer_end_ns)
        (run.driverOnCPU, run.peerOnCPU) = (driverOnCPU, theirs.peerOnCPU)
        return run
    }

    private func stream32(_ region: BenchRegion, _ implementation: RingImplementation) throws(BenchError) -> RingRun {
        let count = configuration.streamCount
        let ringName = Self.uniqueName("ring")
        let requester: Requester
        do {
            requester = try Requester.create(try RingName(ringName), configuration: RingConfiguration(
                submissionCapacity: configuration.capacity, completionCapacity: 2, slotCount: 1, bufferSize: 64,
                replaceExisting: true))
        } catch { throw .peer("cannot create ring \(ringName): \(error)") }
        defer { requester.detach(); try? requester.unlink() }
        let peer = try spawnPeer(RingPeerRole(.stream32, implementation), region: region, count: count, ring: ringName)
        let outcome: evref_outcome
        let start: UInt64
        let cpuStart: UInt64
        switch implementation {
        case .swift:
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = SwiftRingLoops.produce32(requester.submissions, count: count, deadline: stop)
        case .c:
            let layout = requester.region.layout.submission
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = evref_stream_produce32(requester.region.queueBlock(layout), requester.region.entries(layout), 0, count, stop)
        }
        let driverOnCPU = Self.onCPU(since: start, cpuStart: cpuStart)
        let theirs = try finish(peer, region: region, mine: outcome, count: count, what: "stream-32B \(implementation)")
        var run = streamRun(.stream32, implementation, count: count, start: start, end: theirs.control.peer_end_ns)
        (run.driverOnCPU, run.peerOnCPU) = (driverOnCPU, theirs.peerOnCPU)
        return run
    }

    /// CPU time / wall time of this thread since `start`.
    static func onCPU(since start: UInt64, cpuStart: UInt64) -> Double {
        let wall = ev_monotonic_ns() &- start
        return wall > 0 ? Double(CPUTime.currentThread() &- cpuStart) / Double(wall) : 1
    }

    private func streamRun(_ scenario: RingScenario, _ implementation: RingImplementation, count: UInt64,
                           start: UInt64, end: UInt64) -> RingRun {
        let elapsed = max(end &- start, 1)
        return RingRun(scenario: scenario, implementation: implementation, entries: count, nanoseconds: elapsed,
                       perSecond: Double(count) * 1e9 / Double(elapsed), roundTrip: nil)
    }

    private func pingPong16(_ region: BenchRegion, _ implementation: RingImplementation) throws(BenchError) -> RingRun {
        let count = configuration.pingPongCount + configuration.warmup
        let samples = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Int(count))
        defer { samples.deallocate() }
        samples.initialize(repeating: 0)  // touch every page before timing
        let peer = try spawnPeer(RingPeerRole(.pingPong16, implementation), region: region, count: count)
        let outcome: evref_outcome
        let start: UInt64
        let cpuStart: UInt64
        switch implementation {
        case .swift:
            let out = QueueProducer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                 owner: region, peer: nil)
            let input = QueueConsumer<StreamEntry>(block: region.queueBlock(1), entries: UnsafeMutableRawPointer(region.entries(1)),
                                                   owner: region, peer: nil)
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = SwiftRingLoops.initiate(out: out, in: input, count: count, roundTrips: samples.baseAddress!, deadline: stop)
        case .c:
            let stop = deadline
            cpuStart = CPUTime.currentThread()
            start = ev_monotonic_ns()
            outcome = evref_pingpong_initiate16(region.queueBlock(0), region.entries(0), region.queueBlock(1), region.entries(1),
                                                count, samples.baseAddress!, stop)
        }
        let end = ev_monotonic_ns()
        let driverOnCPU = Self.onCPU(since: start, cpuStart: cpuStart)
        let theirs = try finish(peer, region: region, mine: outcome, count: count, what: "ping-pong-16B \(implementation)")
        let counted = UnsafeMutableBufferPointer(rebasing: samples[Int(configuration.warmup)...])
        let elapsed = max(end &- start, 1)
        return RingRun(scenario: .pingPong16, implementation: implementation, entries: count, nanoseconds: elapsed,
                       perSecond: Double(count) * 1e9 / Double(elapsed), roundTrip: SampleStatistics(nanoseconds: counted),
                       driverOnCPU: driverOnCPU, peerOnCPU: theirs.peerOnCPU)
    }

    /// Streams `count` entries through queue 0 in chunks of its capacity, one thread.
    static func singleThread(swift: Bool, shm: String, count: UInt64) throws(BenchError) -> Int32 {
        let region = try BenchRegion.create(name: shm, capacity: 4096)
        defer { region.unlink() }
        let producer = QueueProducer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                  owner: region, peer: nil)
        let consumer = QueueConsumer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                                  owner: region, peer: nil)
        let stop = ev_monotonic_ns() &+ peerDeadlineNanoseconds
        let chunk = UInt64(region.capacity)
        var errors: UInt64 = 0
        for _ in 0..<(count / chunk) {
            if swift {
                _ = SwiftRingLoops.produce16(producer, count: chunk, deadline: stop)
                errors += SwiftRingLoops.consume16(consumer, count: chunk, deadline: stop).errors
            } else {
                _ = evref_stream_produce16(region.queueBlock(0), region.entries(0), 0, chunk, stop)
                errors += evref_stream_consume16(region.queueBlock(0), region.entries(0), 0, chunk, stop).errors
            }
        }
        return errors == 0 ? 0 : 3
    }

    // MARK: peer side

    /// The peer process's whole job: attach, announce readiness, run its loop, report
    /// into the control block. Returns the process exit status.
    public static func runPeer(role: RingPeerRole, shm: String, ring: String?, count: UInt64) throws(BenchError) -> Int32 {
        if role == .singleThread16C || role == .singleThread16Swift {
            return try singleThread(swift: role == .singleThread16Swift, shm: shm, count: count)
        }
        let region = try BenchRegion.open(name: shm)
        let control = region.control
        let stop = ev_monotonic_ns() &+ peerDeadlineNanoseconds
        var responder: Responder?
        if role == .consume32C || role == .consume32Swift {
            guard let ring else { throw .invalidArgument("--ring is required for \(role.rawValue)") }
            do { responder = try Responder.open(try RingName(ring)) } catch { throw .peer("cannot open ring \(ring): \(error)") }
        }
        defer { responder?.detach() }
        let in16 = QueueConsumer<StreamEntry>(block: region.queueBlock(0), entries: UnsafeMutableRawPointer(region.entries(0)),
                                              owner: region, peer: nil)
        let out16 = QueueProducer<StreamEntry>(block: region.queueBlock(1), entries: UnsafeMutableRawPointer(region.entries(1)),
                                               owner: region, peer: nil)
        // Release pairs with the driver's acquire poll: our attach happened before it starts.
        ev_store_release_u32(evbench_peer_ready_ptr(control), 1)
        let outcome: evref_outcome
        switch role {
        case .consume16Swift:
            outcome = SwiftRingLoops.consume16(in16, count: count, deadline: stop)
        case .consume16C:
            outcome = evref_stream_consume16(region.queueBlock(0), region.entries(0), 0, count, stop)
        case .echo16Swift:
            outcome = SwiftRingLoops.echo(in: in16, out: out16, count: count, deadline: stop)
        case .echo16C:
            outcome = evref_pingpong_echo16(region.queueBlock(0), region.entries(0), region.queueBlock(1), region.entries(1),
                                            count, stop)
        case .consume32Swift:
            outcome = SwiftRingLoops.consume32(responder!.submissions, count: count, deadline: stop)
        case .consume32C:
            let layout = responder!.region.layout.submission
            outcome = evref_stream_consume32(responder!.region.queueBlock(layout), responder!.region.entries(layout), 0, count, stop)
        case .singleThread16Swift, .singleThread16C:
            preconditionFailure("handled above")
        }
        let end = ev_monotonic_ns()
        control.pointee.peer_end_ns = end
        control.pointee.transferred = outcome.transferred
        control.pointee.errors = outcome.errors
        control.pointee.timed_out = outcome.timed_out
        return outcome.errors == 0 && outcome.timed_out == 0 ? 0 : 3
    }
}
