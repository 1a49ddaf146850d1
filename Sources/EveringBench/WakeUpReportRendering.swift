/// Issue 13's targets, as ratios within one run (pure over a report).
public enum WakeUpTargets {
    public static func check(_ report: IPCBenchReport) -> [TargetCheck] {
        var checks: [TargetCheck] = []
        func cell(_ transport: String, _ rate: Double?) -> RateSweepCell? {
            report.rateSweep.first { $0.transport == transport && $0.rate == rate }
        }
        let rated = report.rateSweep.compactMap(\.rate)
        for rate in Set(rated).sorted() {
            guard let ring = cell("ring", rate), let uds = cell("uds", rate) else { continue }
            let ratio = ring.p50Nanoseconds.median / max(uds.p50Nanoseconds.median, 1)
            checks.append(TargetCheck(name: "rate \(Int(rate)) ops/s, 16 B ping-pong: ring p50 / Unix socket p50",
                                      goal: "≤ 0.5×", measured: "\(format(ratio, 2))×", met: ratio <= 0.5))
            if rate <= 10_000 {
                let ringCPU = ring.requesterCPUSeconds.median + ring.responderCPUSeconds.median
                let udsCPU = uds.requesterCPUSeconds.median + uds.responderCPUSeconds.median
                checks.append(TargetCheck(name: "rate \(Int(rate)) ops/s: ring CPU (both sides, user + sys) vs Unix socket",
                                          goal: "≤ 1×", measured: "\(format(ringCPU, 3)) s vs \(format(udsCPU, 3)) s",
                                          met: ringCPU <= udsCPU))
            }
        }
        if let idle = report.idleRing {
            let worst = max(idle.requesterPercent, idle.responderPercent)
            checks.append(TargetCheck(name: "idle ring (sides attached, no traffic), CPU per side", goal: "≤ 0.1% of a core",
                                      measured: "requester \(format(idle.requesterPercent, 3))%, responder \(format(idle.responderPercent, 3))%",
                                      met: worst <= 0.1))
        }
        if let ring = report.contention.first(where: { $0.transport == "ring" }),
           let uds = report.contention.first(where: { $0.transport == "uds" }) {
            let ratio = ring.opsPerSecond.median / max(uds.opsPerSecond.median, 1e-9)
            checks.append(TargetCheck(name: "max-rate 16 B ping-pong with \(ring.busyProcesses) busy processes: ring / Unix socket ops/s",
                                      goal: "≥ 2×", measured: "\(format(ratio, 2))×", met: ratio >= 2))
        }
        if let stress = report.wakeUpStress {
            let clean = stress.lateWakes == 0 && stress.badResponses == 0 && stress.responderExitStatus == 0
            checks.append(TargetCheck(name: "lost wake-up stress (\(stress.cycles) verified cycles, random pauses ≤ \(stress.maxPauseMicroseconds) µs)",
                                      goal: "no wait ends by timeout with its queue ready",
                                      measured: "late_wakes \(stress.lateWakes), bad \(stress.badResponses), \(stress.responderWokenForRequests + stress.requesterWokenForCompletions) futex wakes",
                                      met: clean))
        }
        return checks
    }
}

extension IPCBenchReport {
    /// The rate sweep, idle and contention sections (empty without the `rates` part).
    func wakeUpMarkdown() -> [String] {
        guard !rateSweep.isEmpty || idleRing != nil || !contention.isEmpty || wakeUpStress != nil else { return [] }
        var lines: [String] = []
        if !rateSweep.isEmpty {
            let transports = rateSweep.reduce(into: [String]()) { if !$0.contains($1.transport) { $0.append($1.transport) } }
            lines.append("## Request-rate sweep: 16 B ping-pong, concurrency 1")
            lines.append("")
            lines.append("Each run paces the requester (`--rate`) and lasts the configured time; an op's latency runs from " +
                         "its scheduled time when late answers held it past that time (so a transport that cannot keep the " +
                         "rate shows a growing backlog), else from when the requester issued it (docs/LOAD.md, \"Latency\"). " +
                         "CPU is user + system seconds " +
                         "of the whole run (requester from getrusage, responder from getrusage(RUSAGE_CHILDREN) once reaped; " +
                         "both include start-up, the same for every transport). Medians over the repetitions.")
            lines.append("")
            var header = "| rate |"
            var rule = "|---|"
            for transport in transports {
                header += " \(transport) ops/s | \(transport) p50 µs | \(transport) p99 µs | \(transport) CPU s (req + resp) |"
                rule += "---|---|---|---|"
            }
            if transports.contains("ring") && transports.contains("uds") {
                header += " ring p50 / uds p50 |"
                rule += "---|"
            }
            lines.append(header)
            lines.append(rule)
            var rates: [Double?] = []
            for cell in rateSweep where !rates.contains(where: { $0 == cell.rate }) { rates.append(cell.rate) }
            for rate in rates {
                var row = "| \(rate.map { String(Int($0)) } ?? "max") |"
                var ringP50: Double?, udsP50: Double?
                for transport in transports {
                    guard let cell = rateSweep.first(where: { $0.transport == transport && $0.rate == rate }) else {
                        row += " – | – | – | – |"
                        continue
                    }
                    if transport == "ring" { ringP50 = cell.p50Nanoseconds.median }
                    if transport == "uds" { udsP50 = cell.p50Nanoseconds.median }
                    row += " \(Self.rate(cell.opsPerSecond.median))"
                    row += " | \(Self.micro(cell.p50Nanoseconds.median)) [\(Self.micro(cell.p50Nanoseconds.min))–\(Self.micro(cell.p50Nanoseconds.max))]"
                    row += " | \(Self.micro(cell.p99Nanoseconds.median))"
                    row += " | \(format(cell.requesterCPUSeconds.median, 3)) + \(format(cell.responderCPUSeconds.median, 3)) |"
                }
                if transports.contains("ring") && transports.contains("uds") {
                    if let ringP50, let udsP50 { row += " \(format(ringP50 / max(udsP50, 1), 2))× |" } else { row += " – |" }
                }
                lines.append(row)
            }
            lines.append("")
        }
        if let idleRing {
            lines.append("## Idle ring")
            lines.append("")
            lines.append("Both sides attached, no traffic, watched for \(format(idleRing.seconds, 1)) s (CPU from " +
                         "/proc/PID/task/*/schedstat): responder (blocked in `receive`) \(format(idleRing.responderPercent, 4))% of a core, " +
                         "requester (this process: its heartbeat thread) \(format(idleRing.requesterPercent, 4))%.")
            lines.append("")
        }
        if let stress = wakeUpStress {
            lines.append("## Lost wake-up stress")
            lines.append("")
            lines.append("\(stress.cycles) request/response cycles across two processes in \(format(stress.seconds, 1)) s, each side pausing at random "
                         + "(none, busy or asleep, ≤ \(stress.maxPauseMicroseconds) µs) before each step; every response checked. "
                         + "The requester woke the sleeping responder \(stress.responderWokenForRequests) times, the responder the requester "
                         + "\(stress.requesterWokenForCompletions) times (\(stress.producerWakes) wakes of a producer waiting for space); "
                         + "waits that ended by their futex timeout with their queue ready (`late_wakes`, all four waiters): "
                         + "**\(stress.lateWakes)**; bad responses \(stress.badResponses); responder exit status \(stress.responderExitStatus).")
            lines.append("")
        }
        if !contention.isEmpty {
            lines.append("## Max rate under contention")
            lines.append("")
            lines.append("16 B ping-pong as fast as possible while \(contention[0].busyProcesses) busy-looping processes (one per core) compete.")
            lines.append("")
            lines.append("| transport | ops/s | p50 µs |")
            lines.append("|---|---|---|")
            for cell in contention {
                lines.append("| \(cell.transport) | \(Self.rate(cell.opsPerSecond.median)) [\(Self.rate(cell.opsPerSecond.min))–\(Self.rate(cell.opsPerSecond.max))] | \(Self.micro(cell.p50Nanoseconds.median)) |")
            }
            lines.append("")
        }
        return lines
    }
}
