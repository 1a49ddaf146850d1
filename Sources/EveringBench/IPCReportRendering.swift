import Foundation

/// The issue-6 targets, as ratios within one run (pure over a report).
public enum IPCTargets {
    public static func check(_ report: IPCBenchReport) -> [TargetCheck] {
        var checks: [TargetCheck] = []
        func cell(_ transport: String, _ payload: Int, _ concurrency: Int) -> PingPongCell? {
            report.pingPong.first { $0.transport == transport && $0.payloadBytes == payload && $0.concurrency == concurrency }
        }
        for (payload, factor) in [(4, 20.0), (1 << 20, 2.0)] {
            guard let ring = cell("ring", payload, 1), let uds = cell("uds", payload, 1) else { continue }
            let label = payload == 4 ? "4 B" : "1 MiB"
            let latency = uds.p50Nanoseconds.median / max(ring.p50Nanoseconds.median, 1)
            checks.append(TargetCheck(name: "ring vs Unix socket ping-pong, \(label), concurrency 1, p50 round trip",
                                      goal: "≥ \(format(factor, 0))× faster", measured: "\(format(latency, 1))×",
                                      met: latency >= factor))
            let throughput = ring.opsPerSecond.median / max(uds.opsPerSecond.median, 1e-9)
            checks.append(TargetCheck(name: "ring vs Unix socket ping-pong, \(label), concurrency 1, ops/s",
                                      goal: "≥ \(format(factor, 0))× faster", measured: "\(format(throughput, 1))×",
                                      met: throughput >= factor))
        }
        if let inspector = report.inspector {
            checks.append(TargetCheck(name: "inspector overhead (ring stream with `watch --batch -d 0.1`)",
                                      goal: "< 1%", measured: "\(format(inspector.overheadPercent, 2))%",
                                      met: inspector.overheadPercent < 1))
        }
        checks += WakeUpTargets.check(report)
        let swift = report.streaming.first { $0.label.hasPrefix("Swift SPSC") }
        let c = report.streaming.first { $0.label.hasPrefix("C reference") }
        if let swift, let c {
            let ratio = swift.perSecond.median / max(c.perSecond.median, 1e-9)
            checks.append(TargetCheck(name: "Swift queue vs C reference ring, raw 16-byte streaming (issue 2)",
                                      goal: "≥ 0.90× C", measured: "\(format(ratio, 3))×", met: ratio >= 0.9))
        }
        return checks
    }
}

extension IPCBenchReport {
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// "4 B", "64 KiB", "1 MiB".
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    static func micro(_ nanoseconds: Double) -> String {
        nanoseconds < 10_000 ? format(nanoseconds / 1000, 2) : nanoseconds < 1_000_000 ? format(nanoseconds / 1000, 1)
            : format(nanoseconds / 1000, 0)
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 1e6 ? "\(format(perSecond / 1e6, 2)) M" : perSecond >= 1e3 ? "\(format(perSecond / 1e3, 1)) k" : format(perSecond, 0)
    }

    public func markdown() -> String {
        var lines = [
            "# IPC benchmark: evering ring vs Unix socket vs pipe",
            "",
            "Command: `\(command)`  ",
            "Run at \(machine.utcTime) on \(machine.markdown); the whole run took \(format(totalSeconds, 0)) s; load average at the end: \(loadAverageAtEnd).",
            "",
            "Each figure is the median of \(repetitions) repetitions, with [min–max]. Ping-pong runs last " +
            "\(format(pingPongSeconds, 2)) s each (plus the drain of in-flight ops), through the load generator's engine " +
            "(`evering-top load`), responder in a child process; latency runs from when the requester had the op ready (its window " +
            "slot freed, or the run's start) to the reap of its completion, the same for every transport " +
            "(docs/LOAD.md, \"Latency\"; HdrHistogram). Every op timed " +
            "was verified end to end (sequence, checksum over every payload byte, response tag): " +
            "\(pingPong.reduce(UInt64(0)) { $0 + $1.verifiedOps }) ping-pong ops, 0 errors.",
            "",
        ]
        for concurrency in Set(pingPong.map(\.concurrency)).sorted() {
            let transports = pingPong.reduce(into: [String]()) { if !$0.contains($1.transport) { $0.append($1.transport) } }
            lines.append("## Ping-pong, concurrency \(concurrency)")
            lines.append("")
            var header = "| payload |"
            var rule = "|---|"
            for transport in transports {
                header += " \(transport) ops/s | \(transport) p50 µs | \(transport) p99 µs |"
                rule += "---|---|---|"
            }
            if transports.contains("ring") && transports.contains("uds") {
                header += " ring speedup vs uds, p50 | ring speedup vs uds, ops/s |"
                rule += "---|---|"
            }
            lines.append(header)
            lines.append(rule)
            for payload in Set(pingPong.map(\.payloadBytes)).sorted() {
                var row = "| \(Self.size(payload)) |"
                var byTransport: [String: PingPongCell] = [:]
                for transport in transports {
                    guard let cell = pingPong.first(where: { $0.transport == transport && $0.payloadBytes == payload && $0.concurrency == concurrency }) else {
                        row += " – | – | – |"
                        continue
                    }
                    byTransport[transport] = cell
                    row += " \(Self.rate(cell.opsPerSecond.median)) [\(Self.rate(cell.opsPerSecond.min))–\(Self.rate(cell.opsPerSecond.max))]"
                    row += " | \(Self.micro(cell.p50Nanoseconds.median)) [\(Self.micro(cell.p50Nanoseconds.min))–\(Self.micro(cell.p50Nanoseconds.max))]"
                    row += " | \(Self.micro(cell.p99Nanoseconds.median)) |"
                }
                if let ring = byTransport["ring"], let uds = byTransport["uds"] {
                    row += " \(format(uds.p50Nanoseconds.median / max(ring.p50Nanoseconds.median, 1), 1))×"
                    row += " | \(format(ring.opsPerSecond.median / max(uds.opsPerSecond.median, 1e-9), 1))× |"
                } else if transports.contains("ring") && transports.contains("uds") {
                    row += " – | – |"
                }
                lines.append(row)
            }
            lines.append("")
        }
        if !streaming.isEmpty {
            lines.append("## Streaming (one way)")
            lines.append("")
            lines.append("| what | rate (median [min–max]) | verified |")
            lines.append("|---|---|---|")
            for figure in streaming {
                lines.append("| \(figure.label) | \(Self.rate(figure.perSecond.median)) [\(Self.rate(figure.perSecond.min))–\(Self.rate(figure.perSecond.max))] \(figure.unit) | \(figure.verified) |")
            }
            if let swift = streaming.first(where: { $0.label.hasPrefix("Swift SPSC") }),
               let c = streaming.first(where: { $0.label.hasPrefix("C reference") }) {
                lines.append("")
                lines.append("Swift queue / C reference ring (medians): \(format(swift.perSecond.median / max(c.perSecond.median, 1e-9), 3)).")
            }
            lines.append("")
        }
        lines += wakeUpMarkdown()
        if let inspector {
            lines.append("## Inspector overhead")
            lines.append("")
            lines.append("Ring streaming (16 B ops, 256 in flight, \(format(overheadSeconds, 1)) s runs) without and with " +
                         "`evering-top watch NAME --batch -d 0.1` attached, alternating; the watcher printed " +
                         "\(inspector.watchSamples.map(String.init).joined(separator: ", ")) lines in its runs.")
            lines.append("")
            lines.append("| without watch | with watch | with ÷ without (median of pairs) | overhead | best with ÷ best without |")
            lines.append("|---|---|---|---|---|")
            lines.append("| \(Self.rate(inspector.withoutWatch.median)) [\(Self.rate(inspector.withoutWatch.min))–\(Self.rate(inspector.withoutWatch.max))] ops/s " +
                         "| \(Self.rate(inspector.withWatch.median)) [\(Self.rate(inspector.withWatch.min))–\(Self.rate(inspector.withWatch.max))] ops/s " +
                         "| \(format(inspector.pairedRatio, 3)) | \(format(inspector.overheadPercent, 2))% " +
                         "| \(format(inspector.withWatch.max / max(inspector.withoutWatch.max, 1e-9), 3)) |")
            lines.append("")
        }
        if !payloadCheckNanoseconds.isEmpty {
            lines.append("## Payload check cost (in process)")
            lines.append("")
            lines.append("Writing and verifying one payload (PayloadFormat encode + decode); a ping-pong op pays it twice " +
                         "(request and response) on every transport, so at large payloads it bounds every transport alike.")
            lines.append("")
            lines.append("| payload | encode+decode µs |")
            lines.append("|---|---|")
            for (key, value) in payloadCheckNanoseconds.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                lines.append("| \(Self.size(Int(key)!)) | \(Self.micro(value)) |")
            }
            lines.append("")
        }
        lines.append("## Targets (issues 6 and 13)")
        lines.append("")
        lines.append("| target | goal | measured | |")
        lines.append("|---|---|---|---|")
        for check in targets {
            lines.append("| \(check.name) | \(check.goal) | \(check.measured) | \(check.met ? "met" : "**missed**") |")
        }
        return lines.joined(separator: "\n")
    }
}
