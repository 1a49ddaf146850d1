#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering
import EveringLoad

/// One (transport, request rate) cell of the rate sweep: 16-byte verified ping-pong.
public struct RateSweepCell: Codable, Sendable, Equatable {
    public var transport: String
    /// Requested ops/s; nil: as fast as possible.
    public var rate: Double?
    public var opsPerSecond: Spread
    public var p50Nanoseconds: Spread
    public var p99Nanoseconds: Spread
    /// CPU seconds (user + system) of the requester (this process, getrusage) and of the
    /// responder (the child, getrusage(RUSAGE_CHILDREN) once reaped), per run.
    public var requesterCPUSeconds: Spread
    public var responderCPUSeconds: Spread
    public var verifiedOps: UInt64
    public var rateLabel: String { rate.map { String(Int($0)) } ?? "max" }
}

/// CPU a ring's two sides use with no traffic (attached, blocked in `receive` or idle).
public struct IdleRingCPU: Codable, Sendable, Equatable {
    public var seconds: Double
    /// Percent of one core, from /proc/PID/task/*/schedstat (ns on CPU, all threads).
    public var responderPercent: Double
    public var requesterPercent: Double
}

/// Max-rate 16-byte ping-pong with extra CPU-bound processes competing for the cores.
public struct ContentionCell: Codable, Sendable, Equatable {
    public var transport: String
    public var busyProcesses: Int
    public var opsPerSecond: Spread
    public var p50Nanoseconds: Spread
}

/// Issue 13's measurements: the request-rate sweep (ring vs Unix socket vs pipe), idle
/// CPU, and max rate under contention. Every op goes through the load engine and is
/// verified, as in the rest of `bench`.
struct WakeUpBenchmark {
    var configuration: IPCBenchConfiguration

    static func cpuSeconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func usage(_ who: Int32) -> rusage {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return usage
    }

    func rateSweep(log: (String) -> Void) throws(BenchError) -> [RateSweepCell] {
        struct Key: Hashable { var transport: String; var rate: Double? }
        struct Run { var summary: LoadSummary; var requesterCPU: Double; var responderCPU: Double }
        var runs: [Key: [Run]] = [:]
        let bench = IPCBenchmark(configuration: configuration)
        for repetition in 0..<configuration.repetitions {
            for rate in configuration.rates {
                let order = repetition % 2 == 0 ? configuration.transports : configuration.transports.reversed()
                for transport in order {
                    var config = bench.loadConfiguration(transport, mode: .pingpong, payload: 16, concurrency: 1,
                                                         duration: configuration.rateDuration)
                    config.rate = rate
                    let selfBefore = Self.usage(RUSAGE_SELF.rawValue), childrenBefore = Self.usage(RUSAGE_CHILDREN.rawValue)
                    let summary = try bench.loadRun(config)
                    let requesterCPU = Self.cpuSeconds(Self.usage(RUSAGE_SELF.rawValue)) - Self.cpuSeconds(selfBefore)
                    let responderCPU = Self.cpuSeconds(Self.usage(RUSAGE_CHILDREN.rawValue)) - Self.cpuSeconds(childrenBefore)
                    runs[Key(transport: transport.rawValue, rate: rate), default: []].append(
                        Run(summary: summary, requesterCPU: requesterCPU, responderCPU: responderCPU))
                    log("rate \(rate.map { String(Int($0)) } ?? "max") \(transport.rawValue): \(Int(summary.opsPerSecond)) ops/s, "
                        + "p50 \(summary.latencyNanoseconds.p50) ns, p99 \(summary.latencyNanoseconds.p99) ns, CPU requester "
                        + "\(String(format: "%.3f", requesterCPU)) s + responder \(String(format: "%.3f", responderCPU)) s, \(summary.verified) verified")
                }
            }
        }
        var cells: [RateSweepCell] = []
        for rate in configuration.rates {
            for transport in configuration.transports {
                guard let mine = runs[Key(transport: transport.rawValue, rate: rate)] else { continue }
                cells.append(RateSweepCell(
                    transport: transport.rawValue, rate: rate,
                    opsPerSecond: Spread(mine.map(\.summary.opsPerSecond)),
                    p50Nanoseconds: Spread(mine.map { Double($0.summary.latencyNanoseconds.p50) }),
                    p99Nanoseconds: Spread(mine.map { Double($0.summary.latencyNanoseconds.p99) }),
                    requesterCPUSeconds: Spread(mine.map(\.requesterCPU)),
                    responderCPUSeconds: Spread(mine.map(\.responderCPU)),
                    verifiedOps: mine.reduce(0) { $0 + $1.summary.verified }))
            }
        }
        return cells
    }

    /// ns on CPU of every thread of `pid` (/proc/PID/task/*/schedstat, first field).
    static func cpuNanoseconds(pid: Int32) -> UInt64 {
        guard case .success(let names) = listTasks(pid) else { return 0 }
        var total: UInt64 = 0
        for task in names {
            guard let text = SystemCalls.readSmallFile("/proc/\(pid)/task/\(task)/schedstat"),
                  let first = text.split(separator: " ").first, let ns = UInt64(first) else { continue }
            total &+= ns
        }
        return total
    }

    static func listTasks(_ pid: Int32) -> Result<[String], BenchError> {
        guard let dir = opendir("/proc/\(pid)/task") else { return .failure(.system("opendir(/proc/\(pid)/task)", errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.first?.isNumber == true { names.append(name) }
        }
        return .success(names)
    }

    /// A ring with both sides attached and no traffic: the responder (a child running
    /// `echo-responder`) blocks in `receive`; the requester (this process) only beats.
    func idleRing(log: (String) -> Void) throws(BenchError) -> IdleRingCPU {
        let ring = try BenchRing(submissionCapacity: 64, slotCount: 8)
        defer { ring.remove() }
        let requester = ring.requester
        let responder = try PeerProcess(executable: configuration.executable,
                                        arguments: ["echo-responder", ring.name, "--timeout", "3600"], stdoutPath: "/dev/null")
        try responder.waitUntil(timeoutNanoseconds: 10_000_000_000, what: "responder attached") {
            requester.region.sideInfo(.responder).state == .attached
        }
        // Let the responder settle into its wait (past start-up and its first spins).
        let settle = timespec(tv_sec: 0, tv_nsec: 300_000_000)
        var request = settle
        _ = nanosleep(&request, nil)
        let me = getpid()
        let responderBefore = Self.cpuNanoseconds(pid: responder.pid), requesterBefore = Self.cpuNanoseconds(pid: me)
        let start = ev_monotonic_ns()
        var idle = timespec(tv_sec: Int(configuration.idleSeconds), tv_nsec: 0)
        _ = nanosleep(&idle, nil)
        let elapsed = Double(ev_monotonic_ns() &- start)
        let responderCPU = Double(Self.cpuNanoseconds(pid: responder.pid) &- responderBefore)
        // This process's other threads (none run during the sleep but the heartbeat) count against the requester.
        let requesterCPU = Double(Self.cpuNanoseconds(pid: me) &- requesterBefore)
        _ = try responder.terminateAndWait(timeoutNanoseconds: 5_000_000_000)
        let result = IdleRingCPU(seconds: elapsed / 1e9, responderPercent: responderCPU / elapsed * 100,
                                 requesterPercent: requesterCPU / elapsed * 100)
        log("idle ring for \(String(format: "%.1f", result.seconds)) s: responder \(String(format: "%.4f", result.responderPercent))% "
            + "of a core, requester \(String(format: "%.4f", result.requesterPercent))%")
        return result
    }

    /// Max-rate ping-pong, ring vs Unix socket, with one busy-looping process per core.
    func contention(log: (String) -> Void) throws(BenchError) -> [ContentionCell] {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var busy: [PeerProcess] = []
        defer { for process in busy { _ = try? process.terminateAndWait(timeoutNanoseconds: 2_000_000_000) } }
        for _ in 0..<cores {
            busy.append(try PeerProcess(executable: "/bin/sh", arguments: ["-c", "while :; do :; done"], stdoutPath: "/dev/null"))
        }
        let bench = IPCBenchmark(configuration: configuration)
        var results: [String: [LoadSummary]] = [:]
        let transports: [LoadConfiguration.Transport] = [.ring, .uds]
        for repetition in 0..<configuration.repetitions {
            for transport in repetition % 2 == 0 ? transports : transports.reversed() {
                let config = bench.loadConfiguration(transport, mode: .pingpong, payload: 16, concurrency: 1,
                                                     duration: configuration.rateDuration)
                let summary = try bench.loadRun(config)
                results[transport.rawValue, default: []].append(summary)
                log("contention (\(cores) busy processes) \(transport.rawValue): \(Int(summary.opsPerSecond)) ops/s, "
                    + "p50 \(summary.latencyNanoseconds.p50) ns")
            }
        }
        return transports.map { transport in
            let mine = results[transport.rawValue]!
            return ContentionCell(transport: transport.rawValue, busyProcesses: cores,
                                  opsPerSecond: Spread(mine.map(\.opsPerSecond)),
                                  p50Nanoseconds: Spread(mine.map { Double($0.latencyNanoseconds.p50) }))
        }
    }
}
