#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering
import EveringLoad

/// What `evering-top bench` (issue 6) runs. Every ping-pong and transport-streaming
/// figure comes from the load generator's engine (`LoadRun` / `LoadRequester`, with the
/// responder as a child process running `evering-top load --role responder`), so ring,
/// Unix socket and pipe are driven by the same workload code and verified the same way.
public struct IPCBenchConfiguration: Sendable {
    /// The sections of the benchmark that can be run on their own.
    public enum Part: String, CaseIterable, Sendable {
        case pingpong, stream, inspector
        /// Issue 13: 16 B ping-pong across request rates (with CPU), idle CPU, contention.
        case rates
    }

    public var parts = Part.allCases
    public var transports: [LoadConfiguration.Transport] = [.ring, .uds, .pipe]
    public var payloads: [Int] = [4, 64, 512, 4096, 65536, 262_144, 1 << 20]
    public var concurrencies: [Int] = [1, 200]
    public var repetitions = 3
    /// Length of each ping-pong run (then in-flight ops drain, and are counted too).
    public var pingPongDuration: Duration = .milliseconds(250)
    /// Length of each transport-streaming run.
    public var streamDuration: Duration = .milliseconds(1000)
    /// Pairs (without, with the watcher) of inspector-overhead runs, and their length:
    /// many short pairs, as the machine's noise comes in bursts.
    public var overheadRepetitions = 9
    public var overheadDuration: Duration = .milliseconds(500)
    /// Entries per raw-queue streaming run (Swift queue vs C reference ring), and how
    /// many runs of each: many short runs, as the machine's noise comes in bursts.
    public var rawStreamCount: UInt64 = 4_000_000
    public var rawStreamRepetitions = 9
    /// Request rates of the rate sweep (ops/s; nil = as fast as possible) and the length
    /// of each run there (and of the contention runs).
    public var rates: [Double?] = [10, 100, 1_000, 10_000, 100_000, nil]
    public var rateDuration: Duration = .seconds(3)
    /// How long the idle ring is watched.
    public var idleSeconds = 5
    /// Verified cycles of the lost-wake-up stress run (`WakeUpStress`), five times the
    /// test's, and the bound of both sides' random pauses there.
    public var stressCycles: UInt64 = 500_000
    public var stressPauseMicroseconds: UInt64 = 30
    public var executable: String

    public init(executable: String) { self.executable = executable }

    public static func quick(executable: String) -> IPCBenchConfiguration {
        var config = IPCBenchConfiguration(executable: executable)
        config.repetitions = 1
        config.pingPongDuration = .milliseconds(80)
        config.streamDuration = .milliseconds(300)
        config.overheadRepetitions = 2
        config.overheadDuration = .milliseconds(300)
        config.rawStreamCount = 1_000_000
        config.rawStreamRepetitions = 2
        config.rateDuration = .seconds(1)
        config.idleSeconds = 2
        config.stressCycles = 50_000
        return config
    }
}

/// Median and range of one figure over repetitions.
public struct Spread: Codable, Sendable, Equatable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var runs: Int

    public init(_ values: [Double]) {
        let stats = SampleStatistics(values)
        median = stats.median
        min = stats.min
        max = stats.max
        runs = stats.count
    }
}

/// One (transport, payload, concurrency) ping-pong cell.
public struct PingPongCell: Codable, Sendable, Equatable {
    public var transport: String
    public var payloadBytes: Int
    public var concurrency: Int
    public var opsPerSecond: Spread
    public var p50Nanoseconds: Spread
    public var p99Nanoseconds: Spread
    /// Ops timed and verified, over all repetitions.
    public var verifiedOps: UInt64
}

/// One streaming figure: transport streams from the load engine, raw queues from the
/// ring benchmark.
public struct StreamFigure: Codable, Sendable, Equatable {
    public var label: String
    public var unit: String
    public var perSecond: Spread
    public var verified: UInt64
}

/// Ring streaming throughput with and without `evering-top watch NAME --batch -d 0.1`.
public struct InspectorOverhead: Codable, Sendable, Equatable {
    public var withoutWatch: Spread
    public var withWatch: Spread
    /// Median over repetitions of (with / without) for back-to-back pairs.
    public var pairedRatio: Double
    /// (1 - pairedRatio) as a percentage: positive means the inspector slowed the ring.
    public var overheadPercent: Double { (1 - pairedRatio) * 100 }
    /// Lines the watcher printed in each "with" run (proof it was sampling).
    public var watchSamples: [Int]
}

/// A target of issue 6, checked against this run's figures.
public struct TargetCheck: Codable, Sendable, Equatable {
    public var name: String
    public var goal: String
    public var measured: String
    public var met: Bool
}

public struct IPCBenchReport: Codable, Sendable {
    public var command: String
    public var machine: MachineDescription
    public var repetitions: Int
    public var pingPongSeconds: Double
    public var streamSeconds: Double
    public var overheadSeconds: Double = 0
    public var pingPong: [PingPongCell]
    public var streaming: [StreamFigure]
    public var inspector: InspectorOverhead?
    /// Issue 13's sections (empty / nil when the `rates` part did not run).
    public var rateSweep: [RateSweepCell] = []
    public var idleRing: IdleRingCPU? = nil
    public var contention: [ContentionCell] = []
    public var wakeUpStress: WakeUpStressResult? = nil
    /// Cost in ns of writing and checking one payload of each size (PayloadFormat encode
    /// + decode, in process): a ping-pong op does this twice (request and response).
    public var payloadCheckNanoseconds: [String: Double]
    public var targets: [TargetCheck]
    public var totalSeconds: Double
    /// /proc/loadavg when the run ended: with 2 cores, anything above ~2 means other
    /// processes competed with the benchmark's two.
    public var loadAverageAtEnd: String = ""
    /// Where each latency figure starts and ends (nil in reports written before the load
    /// generator timed ops from "ready": those ran from the transport accepting the op).
    public var latencyDefinition: String? = nil

    /// What every latency of a report made by this code means (docs/LOAD.md, "Latency").
    public static let latencyDefinitionText =
        "from the op being ready (its window slot freed; a paced op held past its schedule: its scheduled time) "
        + "to its completion being received, every transport alike"
}

public struct IPCBenchmark {
    public var configuration: IPCBenchConfiguration
    nonisolated(unsafe) static var counter = 0  // the benchmark runs on one thread

    public init(configuration: IPCBenchConfiguration) { self.configuration = configuration }

    static func uniqueName() -> String {
        counter += 1
        return "evb-\(getpid())-\(counter)"
    }

    /// Runs everything; `log` receives one line per run.
    public func run(command: String, log: (String) -> Void) throws(BenchError) -> IPCBenchReport {
        let started = ev_monotonic_ns()
        let machine = MachineDescription.current()
        let parts = configuration.parts
        let pingPong = parts.contains(.pingpong) ? try pingPongMatrix(log: log) : []
        var streaming: [StreamFigure] = []
        if parts.contains(.stream) {
            streaming += try transportStreams(log: log)
            streaming += try rawQueueStreams(log: log)
        }
        let inspector = parts.contains(.inspector) ? try inspectorOverhead(log: log) : nil
        let wakeUps = WakeUpBenchmark(configuration: configuration)
        let rateSweep = parts.contains(.rates) ? try wakeUps.rateSweep(log: log) : []
        let idleRing = parts.contains(.rates) ? try wakeUps.idleRing(log: log) : nil
        let contention = parts.contains(.rates) ? try wakeUps.contention(log: log) : []
        let stress = parts.contains(.rates) ? try WakeUpStress(configuration: configuration).run(log: log) : nil
        var checks: [String: Double] = [:]
        if parts.contains(.pingpong) {
            for payload in configuration.payloads { checks[String(payload)] = Self.payloadCheckCost(bytes: payload) }
        }
        var report = IPCBenchReport(
            command: command, machine: machine, repetitions: configuration.repetitions,
            pingPongSeconds: Double(configuration.pingPongDuration.nanoseconds) / 1e9,
            streamSeconds: Double(configuration.streamDuration.nanoseconds) / 1e9,
            overheadSeconds: Double(configuration.overheadDuration.nanoseconds) / 1e9,
            pingPong: pingPong, streaming: streaming, inspector: inspector, payloadCheckNanoseconds: checks,
            targets: [], totalSeconds: 0)
        report.rateSweep = rateSweep
        report.idleRing = idleRing
        report.contention = contention
        report.wakeUpStress = stress
        report.targets = IPCTargets.check(report)
        report.totalSeconds = Double(ev_monotonic_ns() &- started) / 1e9
        report.loadAverageAtEnd = MachineDescription.readFirstLine("/proc/loadavg") ?? "?"
        report.latencyDefinition = IPCBenchReport.latencyDefinitionText
        return report
    }

    // MARK: ping-pong over the load engine

    func loadConfiguration(_ transport: LoadConfiguration.Transport, mode: LoadConfiguration.Mode, payload: Int,
                           concurrency: Int, duration: Duration) -> LoadConfiguration {
        var config = LoadConfiguration()
        config.name = Self.uniqueName()
        config.mode = mode
        config.transport = transport
        config.payloadBytes = payload
        config.concurrency = concurrency
        config.limit = .duration(duration)
        config.verify = true
        return config
    }

    /// One load-engine run; throws unless every completed op was verified.
    func loadRun(_ config: LoadConfiguration) throws(BenchError) -> LoadSummary {
        let summary: LoadSummary
        do {
            summary = try LoadRun.runRequester(config, options: .init(spawnResponder: true, executable: configuration.executable,
                                                                       replace: true, shouldStop: { false }))
        } catch { throw .peer("\(config.transport.rawValue) \(config.mode.rawValue) \(config.payloadBytes) B: \(error)") }
        let what = "\(config.transport.rawValue) \(config.mode.rawValue) \(config.payloadBytes) B x\(config.concurrency)"
        if let failure = summary.failure { throw .peer("\(what): \(failure)") }
        guard summary.errors.total == 0, summary.operations > 0, summary.verified == summary.operations else {
            throw .verification("\(what): \(summary.operations) ops, \(summary.verified) verified, \(summary.errors.total) errors")
        }
        return summary
    }

    func pingPongMatrix(log: (String) -> Void) throws(BenchError) -> [PingPongCell] {
        struct Key: Hashable { var transport: String; var payload: Int; var concurrency: Int }
        var summaries: [Key: [LoadSummary]] = [:]
        // Repetition outermost and transports innermost: the machine's slow moments
        // spread over every cell instead of spoiling one transport's numbers.
        for repetition in 0..<configuration.repetitions {
            for concurrency in configuration.concurrencies {
                for payload in configuration.payloads {
                    let order = repetition % 2 == 0 ? configuration.transports : configuration.transports.reversed()
                    for transport in order {
                        let config = loadConfiguration(transport, mode: .pingpong, payload: payload, concurrency: concurrency,
                                                       duration: configuration.pingPongDuration)
                        let summary = try loadRun(config)
                        summaries[Key(transport: transport.rawValue, payload: payload, concurrency: concurrency), default: []].append(summary)
                        log("ping-pong \(transport.rawValue) \(payload) B x\(concurrency): \(Int(summary.opsPerSecond)) ops/s, "
                            + "p50 \(summary.latencyNanoseconds.p50) ns, p99 \(summary.latencyNanoseconds.p99) ns, \(summary.verified) verified")
                    }
                }
            }
        }
        var cells: [PingPongCell] = []
        for concurrency in configuration.concurrencies {
            for payload in configuration.payloads {
                for transport in configuration.transports {
                    guard let runs = summaries[Key(transport: transport.rawValue, payload: payload, concurrency: concurrency)] else { continue }
                    cells.append(PingPongCell(
                        transport: transport.rawValue, payloadBytes: payload, concurrency: concurrency,
                        opsPerSecond: Spread(runs.map(\.opsPerSecond)),
                        p50Nanoseconds: Spread(runs.map { Double($0.latencyNanoseconds.p50) }),
                        p99Nanoseconds: Spread(runs.map { Double($0.latencyNanoseconds.p99) }),
                        verifiedOps: runs.reduce(0) { $0 + $1.verified }))
                }
            }
        }
        return cells
    }

    // MARK: streaming

    /// One-way 16-byte ops over the ring and the Unix socket through the load engine
    /// (stream mode: ring completions are empty, socket ones a 16-byte acknowledgement).
    func transportStreams(log: (String) -> Void) throws(BenchError) -> [StreamFigure] {
        var perSecond: [LoadConfiguration.Transport: [Double]] = [:]
        var verified: [LoadConfiguration.Transport: UInt64] = [:]
        let transports: [LoadConfiguration.Transport] = [.ring, .uds]
        for repetition in 0..<configuration.repetitions {
            for transport in repetition % 2 == 0 ? transports : transports.reversed() {
                let summary = try loadRun(loadConfiguration(transport, mode: .stream, payload: 16, concurrency: 256,
                                                            duration: configuration.streamDuration))
                perSecond[transport, default: []].append(summary.opsPerSecond)
                verified[transport, default: 0] += summary.verified
                log("stream \(transport.rawValue) 16 B x256: \(Int(summary.opsPerSecond)) ops/s, \(summary.verified) verified")
            }
        }
        return transports.map { transport in
            StreamFigure(label: transport == .ring ? "ring, evering ops (load engine, 16 B payload, 256 in flight)"
                                                   : "Unix socket (load engine, 16 B payload, 256 in flight)",
                         unit: "ops/s", perSecond: Spread(perSecond[transport]!), verified: verified[transport]!)
        }
    }

    /// Raw 16-byte entries through the Swift queue and the C reference ring (the ring
    /// benchmark's stream-16B measurement, alternating).
    func rawQueueStreams(log: (String) -> Void) throws(BenchError) -> [StreamFigure] {
        var ring = RingBenchConfiguration(executable: configuration.executable, peerCommand: ["bench", "peer"])
        ring.streamCount = configuration.rawStreamCount
        ring.repetitions = configuration.rawStreamRepetitions
        ring.scenarios = [.stream16]
        let runs = try RingBenchmark(configuration: ring).runAll { run in
            log("stream raw 16-byte entries, \(run.implementation.rawValue): \(Int(run.perSecond)) entries/s")
        }
        return [RingImplementation.swift, .c].map { implementation in
            let mine = runs.filter { $0.implementation == implementation }
            return StreamFigure(label: implementation == .swift ? "Swift SPSC queue, raw 16-byte entries"
                                                                : "C reference ring, raw 16-byte entries (upper bound)",
                                unit: "entries/s", perSecond: Spread(mine.map(\.perSecond)),
                                verified: mine.reduce(0) { $0 + $1.entries })
        }
    }

    // MARK: inspector overhead

    func inspectorOverhead(log: (String) -> Void) throws(BenchError) -> InspectorOverhead {
        var without: [Double] = []
        var with: [Double] = []
        var ratios: [Double] = []
        var samples: [Int] = []
        for repetition in 0..<configuration.overheadRepetitions {
            var pair: [Bool: Double] = [:]
            for watched in repetition % 2 == 0 ? [false, true] : [true, false] {
                let (rate, lines) = try ringStream(watched: watched)
                pair[watched] = rate
                if watched { with.append(rate); samples.append(lines) } else { without.append(rate) }
                log("inspector overhead, ring stream \(watched ? "with" : "without") watch: \(Int(rate)) ops/s"
                    + (watched ? ", \(lines) watch lines" : ""))
            }
            ratios.append(pair[true]! / pair[false]!)
        }
        return InspectorOverhead(withoutWatch: Spread(without), withWatch: Spread(with),
                                 pairedRatio: SampleStatistics(ratios).median, watchSamples: samples)
    }

    /// A ring stream run through the load engine's requester loop, optionally with the
    /// inspector watching. Driven at the `LoadRequester` level so the watcher can be
    /// started after the ring exists and seen sampling before the clock starts.
    func ringStream(watched: Bool) throws(BenchError) -> (opsPerSecond: Double, watchLines: Int) {
        let config = loadConfiguration(.ring, mode: .stream, payload: 16, concurrency: 256,
                                       duration: configuration.overheadDuration)
        let name: RingName
        let requester: Requester
        do {
            name = try RingName(config.name)
            requester = try Requester.create(name, configuration: RingConfiguration(
                submissionCapacity: config.capacity, slotCount: config.effectiveSlots, bufferSize: config.bufferSize,
                replaceExisting: true))
        } catch { throw .peer("cannot create ring \(config.name): \(error)") }
        defer { try? unlinkRing(name) }
        let transport = RingRequesterTransport(requester: requester, hangTimeout: config.hangTimeout)
        var transportOpen = true
        defer { if transportOpen { transport.close() } }
        let responder = try PeerProcess(executable: configuration.executable, arguments: config.responderArguments(quiet: true),
                                        stdoutPath: "/dev/null")
        try responder.waitUntil(timeoutNanoseconds: 10_000_000_000, what: "responder attached") {
            requester.region.sideInfo(.responder).state == .attached
        }
        var watcher: PeerProcess?
        let watchOutput = "/tmp/\(config.name)-watch.txt"
        defer { unlink(watchOutput) }
        if watched {
            let process = try PeerProcess(executable: configuration.executable,
                                          arguments: ["watch", config.name, "--batch", "-d", "0.1"], stdoutPath: watchOutput)
            watcher = process
            // The header line plus a first sample: the watcher is attached and sampling.
            try process.waitUntil(timeoutNanoseconds: 10_000_000_000, what: "first watch sample") { Self.lineCount(watchOutput) >= 2 }
        }
        let summary = LoadRequester(configuration: config, transport: transport).run(shouldStop: { false }, supervise: {
            () throws(LoadError) in
            if let code = responder.poll() { throw .responderGone("the responder exited with status \(code)") }
        })
        var lines = 0
        if let watcher {
            let code = try watcher.terminateAndWait(timeoutNanoseconds: 5_000_000_000)
            lines = Self.lineCount(watchOutput)
            // SIGTERM's default action ends it with 128+15; anything else means it failed.
            guard code == 0 || code == 128 + SIGTERM else { throw .peer("watch exited with status \(code) during the run") }
        }
        transport.close()
        transportOpen = false
        _ = try responder.wait(timeoutNanoseconds: 5_000_000_000)
        if let failure = summary.failure { throw .peer("ring stream: \(failure)") }
        guard summary.errors.total == 0, summary.operations > 0, summary.verified == summary.operations else {
            throw .verification("ring stream: \(summary.operations) ops, \(summary.verified) verified, \(summary.errors.total) errors")
        }
        return (summary.opsPerSecond, lines)
    }

    static func lineCount(_ path: String) -> Int {
        guard let file = fopen(path, "r") else { return 0 }
        defer { fclose(file) }
        var lines = 0
        while true {
            let c = getc(file)
            if c == EOF { break }
            if c == 10 { lines += 1 }
        }
        return lines
    }

    // MARK: explaining large payloads

    /// ns to encode then decode (verify) one payload of `bytes`, best of a few tries.
    static func payloadCheckCost(bytes: Int) -> Double {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        let rounds = max(3, min(2000, (16 << 20) / max(bytes, 1)))
        var best = Double.infinity
        for _ in 0..<5 {
            let start = ev_monotonic_ns()
            for round in 0..<rounds {
                PayloadFormat.encode(tag: UInt64(round), into: buffer)
                precondition(PayloadFormat.decode(UnsafeRawBufferPointer(buffer))?.matches(UInt64(round)) == true,
                             "a payload failed its own check")
            }
            best = Swift.min(best, Double(ev_monotonic_ns() &- start) / Double(rounds))
        }
        return best
    }
}
