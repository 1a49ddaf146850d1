import XCTest
@testable import EveringBench
#if canImport(Glibc)
import Glibc
#endif

/// Hand-made reports: the target arithmetic and the rendering, without running anything.
final class IPCReportTests: XCTestCase {
    func cell(_ transport: String, _ payload: Int, _ concurrency: Int, ops: Double, p50: Double, p99: Double) -> PingPongCell {
        PingPongCell(transport: transport, payloadBytes: payload, concurrency: concurrency,
                     opsPerSecond: Spread([ops * 0.9, ops, ops * 1.1]), p50Nanoseconds: Spread([p50, p50 * 1.2, p50 * 0.8]),
                     p99Nanoseconds: Spread([p99]), verifiedOps: 10)
    }

    func report() -> IPCBenchReport {
        let machine = MachineDescription(cpuModel: "Test CPU", onlineCPUs: 2, kernel: "6.1", utcTime: "2026-01-01 00:00:00 UTC",
                                         loadAverage: "0.00", clockReadNanoseconds: 20)
        var report = IPCBenchReport(
            command: "evering-top bench", machine: machine, repetitions: 3, pingPongSeconds: 0.25, streamSeconds: 1,
            pingPong: [
                cell("ring", 4, 1, ops: 1_000_000, p50: 500, p99: 900),
                cell("uds", 4, 1, ops: 60_000, p50: 15_000, p99: 30_000),
                cell("pipe", 4, 1, ops: 50_000, p50: 18_000, p99: 40_000),
                cell("ring", 1 << 20, 1, ops: 1_000, p50: 1_000_000, p99: 2_000_000),
                cell("uds", 1 << 20, 1, ops: 600, p50: 1_500_000, p99: 3_000_000),
            ],
            streaming: [
                StreamFigure(label: "Swift SPSC queue, raw 16-byte entries", unit: "entries/s", perSecond: Spread([72e6]), verified: 1),
                StreamFigure(label: "C reference ring, raw 16-byte entries (upper bound)", unit: "entries/s", perSecond: Spread([80e6]), verified: 1),
            ],
            inspector: InspectorOverhead(withoutWatch: Spread([100]), withWatch: Spread([99.5]), pairedRatio: 0.995, watchSamples: [10, 11]),
            payloadCheckNanoseconds: ["4": 10, "1048576": 500_000], targets: [], totalSeconds: 60)
        report.targets = IPCTargets.check(report)
        return report
    }

    func testTargetsAreRatiosOfThisRunsMedians() {
        let targets = report().targets
        XCTAssertEqual(targets.map(\.met), [true, false, false, false, true, true])
        XCTAssertEqual(targets[0].measured, "30.0×")   // 15000 / 500 ns
        XCTAssertEqual(targets[1].measured, "16.7×")   // 1e6 / 60k ops/s
        XCTAssertEqual(targets[2].measured, "1.5×")    // 1.5 ms / 1 ms
        XCTAssertEqual(targets[4].measured, "0.50%")
        XCTAssertEqual(targets[5].measured, "0.900×")
        XCTAssertEqual(targets[5].met, true)
    }

    func testMarkdownHasATablePerConcurrencyWithSpreadsAndSpeedups() {
        let text = report().markdown()
        XCTAssertTrue(text.contains("## Ping-pong, concurrency 1"), text)
        XCTAssertTrue(text.contains("| payload | ring ops/s | ring p50 µs | ring p99 µs | uds ops/s |"), text)
        // ops/s median [min–max], p50 µs median [min–max], p99 µs, ..., speedups.
        XCTAssertTrue(text.contains("| 4 B | 1.00 M [900.0 k–1.10 M] | 0.50 [0.40–0.60] | 0.90 | 60.0 k [54.0 k–66.0 k] | 15.0 [12.0–18.0] | 30.0 |"), text)
        XCTAssertTrue(text.hasSuffix("| inspector overhead (ring stream with `watch --batch -d 0.1`) | < 1% | 0.50% | met |\n| Swift queue vs C reference ring, raw 16-byte streaming (issue 2) | ≥ 0.90× C | 0.900× | met |"), text)
        XCTAssertTrue(text.contains("| 1 MiB | 1.0 k [900–1.1 k] | 1000 [800.0–1200] | 2000 |"), text)
        XCTAssertTrue(text.contains("| 1 MiB | 500.0 |"), text)  // payload check cost row
        XCTAssertTrue(text.contains("30.0× | 16.7× |"), text)
    }

    func testJSONRoundTripsTheFiguresThePlotNeeds() throws {
        let data = Data(report().json().utf8)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cells = try XCTUnwrap(object["pingPong"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 5)
        let first = cells[0]
        XCTAssertEqual(first["transport"] as? String, "ring")
        XCTAssertEqual((first["p50Nanoseconds"] as? [String: Any])?["median"] as? Double, 500)
        XCTAssertNotNil(object["machine"] as? [String: Any])
    }

    /// scripts/plot_bench.py turns the JSON into a PNG: one 620-pixel panel per concurrency.
    func testPlotScriptDrawsOnePanelPerConcurrency() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("scripts/plot_bench.py").path
        guard FileManager.default.fileExists(atPath: "/usr/bin/python3") else { throw XCTSkip("no /usr/bin/python3") }
        var twoLevels = report()
        twoLevels.pingPong += [cell("ring", 4, 200, ops: 2e6, p50: 90_000, p99: 200_000), cell("uds", 4, 200, ops: 3e5, p50: 600_000, p99: 900_000)]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("bench.json")
        let png = directory.appendingPathComponent("latency.png")
        try Data(twoLevels.json().utf8).write(to: json)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, json.path, png.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let bytes = try Data(contentsOf: png)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width, big-endian at byte 16.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 2 * 620)
    }
}

/// The real command, briefly, across processes.
final class BenchIPCCommandTests: XCTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try BenchTool.run(arguments)
        return (result.status, result.stdout)
    }

    func testPingPongCellsAreMeasuredAndVerifiedForEachTransport() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("ipc-\(getpid())-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let (status, text) = try run(["bench", "ipc", "--quick", "--part", "pingpong", "--payload", "4", "4096",
                                      "--concurrency", "1", "8", "--transport", "ring", "uds", "pipe", "--json", json.path])
        XCTAssertEqual(status, 0, text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let cells = try XCTUnwrap(object["pingPong"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 2 * 2 * 3)
        // The report says where its latencies start, so a plot of it can say so too.
        XCTAssertEqual(object["latencyDefinition"] as? String, IPCBenchReport.latencyDefinitionText)
        for cell in cells {
            XCTAssertGreaterThan(cell["verifiedOps"] as? Int ?? 0, 0, "\(cell)")
            let p50 = (cell["p50Nanoseconds"] as? [String: Any])?["median"] as? Double ?? 0
            XCTAssertGreaterThan(p50, 0, "\(cell)")
        }
        XCTAssertTrue(text.contains("## Ping-pong, concurrency 8"), text)
        XCTAssertTrue(text.contains("| 4 KiB |"), text)
        XCTAssertFalse(text.contains("## Streaming"), text)
    }

    func testInspectorOverheadRunsWithAWatcherThatSamples() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("ipc-\(getpid())-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let (status, text) = try run(["bench", "ipc", "--quick", "--part", "inspector", "--json", json.path])
        XCTAssertEqual(status, 0, text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let inspector = try XCTUnwrap(object["inspector"] as? [String: Any])
        let samples = try XCTUnwrap(inspector["watchSamples"] as? [Int])
        XCTAssertEqual(samples.count, 2)
        // Header + at least one sample in every watched run (it is checked before timing starts).
        for count in samples { XCTAssertGreaterThanOrEqual(count, 2) }
        XCTAssertGreaterThan(inspector["pairedRatio"] as? Double ?? 0, 0)
        XCTAssertTrue(text.contains("## Inspector overhead"), text)
    }

    func testBadArgumentsAreRejectedWithTheChoices() throws {
        let result = try BenchTool.run(["bench", "ipc", "--part", "everything"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("unknown part 'everything'; choose from pingpong, stream, inspector"), result.stderr)
    }
}
