import XCTest
@testable import EveringBench
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13's sections of the bench report, from hand-made figures.
final class WakeUpReportTests: XCTestCase {
    func cell(_ transport: String, _ rate: Double?, p50: Double, cpu: Double) -> RateSweepCell {
        RateSweepCell(transport: transport, rate: rate, opsPerSecond: Spread([rate ?? 1e6]), p50Nanoseconds: Spread([p50 * 0.9, p50, p50 * 1.1]),
                      p99Nanoseconds: Spread([p50 * 3]), requesterCPUSeconds: Spread([cpu / 2]), responderCPUSeconds: Spread([cpu / 2]),
                      verifiedOps: 30)
    }

    func report() -> IPCBenchReport {
        let machine = MachineDescription(cpuModel: "Test CPU", onlineCPUs: 2, kernel: "6.1", utcTime: "2026-01-01 00:00:00 UTC",
                                         loadAverage: "0.00", clockReadNanoseconds: 20)
        var report = IPCBenchReport(command: "evering-top bench ipc --part rates", machine: machine, repetitions: 3,
                                    pingPongSeconds: 0.25, streamSeconds: 1, pingPong: [], streaming: [], inspector: nil,
                                    payloadCheckNanoseconds: [:], targets: [], totalSeconds: 60)
        report.rateSweep = [
            cell("ring", 1000, p50: 5_000, cpu: 0.04), cell("uds", 1000, p50: 16_000, cpu: 0.05), cell("pipe", 1000, p50: 14_000, cpu: 0.05),
            cell("ring", 100_000, p50: 700, cpu: 2.0), cell("uds", 100_000, p50: 9_000, cpu: 1.0),
            cell("ring", nil, p50: 700, cpu: 2.0), cell("uds", nil, p50: 9_000, cpu: 1.0),
        ]
        report.idleRing = IdleRingCPU(seconds: 5, responderPercent: 0.15, requesterPercent: 0.05)
        report.contention = [
            ContentionCell(transport: "ring", busyProcesses: 2, opsPerSecond: Spread([100_000]), p50Nanoseconds: Spread([5_000])),
            ContentionCell(transport: "uds", busyProcesses: 2, opsPerSecond: Spread([40_000]), p50Nanoseconds: Spread([10_000])),
        ]
        report.targets = IPCTargets.check(report)
        return report
    }

    func testTargetsCompareRingWithTheSocketAtEachRate() {
        let targets = report().targets
        XCTAssertEqual(targets.map(\.name), [
            "rate 1000 ops/s, 16 B ping-pong: ring p50 / Unix socket p50",
            "rate 1000 ops/s: ring CPU (both sides, user + sys) vs Unix socket",
            "rate 100000 ops/s, 16 B ping-pong: ring p50 / Unix socket p50",
            "idle ring (sides attached, no traffic), CPU per side",
            "max-rate 16 B ping-pong with 2 busy processes: ring / Unix socket ops/s",
        ])
        XCTAssertEqual(targets.map(\.measured), ["0.31×", "0.040 s vs 0.050 s", "0.08×", "requester 0.050%, responder 0.150%", "2.50×"])
        XCTAssertEqual(targets.map(\.met), [true, true, true, false, true])
    }

    func testMarkdownHasTheSweepIdleAndContentionSections() {
        let text = report().markdown()
        XCTAssertTrue(text.contains("## Request-rate sweep: 16 B ping-pong, concurrency 1"), text)
        XCTAssertTrue(text.contains("| 1000 | 1.0 k | 5.00 [4.50–5.50] | 15.0 | 0.020 + 0.020 | 1.0 k | 16.0 [14.4–17.6] | 48.0 | 0.025 + 0.025 |"), text)
        XCTAssertTrue(text.contains("| max | 1.00 M | 0.70 [0.63–0.77] |"), text)
        XCTAssertTrue(text.contains("| 100000 |") && text.contains("– | – | – | – | 0.08× |"), text)  // no pipe cell at 100000
        XCTAssertTrue(text.contains("responder (blocked in `receive`) 0.1500% of a core"), text)
        XCTAssertTrue(text.contains("| ring | 100.0 k [100.0 k–100.0 k] | 5.00 |"), text)
    }

    /// scripts/plot_bench.py --rates draws the p50-vs-rate chart (760 pixels wide).
    func testPlotScriptDrawsTheRateChart() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("scripts/plot_bench.py").path
        guard FileManager.default.fileExists(atPath: "/usr/bin/python3") else { throw XCTSkip("no /usr/bin/python3") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rates-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("bench.json"), png = directory.appendingPathComponent("rates.png")
        try Data(report().json().utf8).write(to: json)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--rates", json.path, png.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let bytes = try Data(contentsOf: png)
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, 760)
    }
}
