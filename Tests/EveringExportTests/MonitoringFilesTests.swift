import Evering
import EveringInspect
import Foundation
import XCTest
@testable import EveringExport

/// docs/monitoring/: the alert rules and the Grafana dashboard must be valid for Prometheus
/// and must only name metrics the exporter really exposes.
final class MonitoringFilesTests: XCTestCase {
    private let promtool = "/usr/bin/promtool"
    private var monitoring: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/monitoring")
    }

    func testAlertRulesPassPromtoolAndTheirUnitTests() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: promtool), "promtool missing (.ci/run installs prometheus)")
        let check = try run(promtool, ["check", "rules", monitoring.appendingPathComponent("evering-alerts.yml").path])
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertTrue(check.output.contains("SUCCESS: 6 rules found"), check.output)
        // Each alert fires on the series that should fire it, after its `for`, and not on a healthy ring.
        let unit = try run(promtool, ["test", "rules", "evering-alerts.test.yml"], in: monitoring)
        XCTAssertEqual(unit.status, 0, unit.output)
    }

    func testEveryQueryNamesOnlyExportedMetricsAndParses() throws {
        let exported = try exportedMetricNames()
        var expressions: [String] = []
        let rules = try String(contentsOf: monitoring.appendingPathComponent("evering-alerts.yml"), encoding: .utf8)
        expressions += rules.split(separator: "\n").compactMap { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("expr:")
                ? String(line.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) : nil
        }
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: monitoring.appendingPathComponent("evering-grafana.json")))
        let panels = try XCTUnwrap((dashboard as? [String: Any])?["panels"] as? [[String: Any]])
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] { expressions.append(try XCTUnwrap(target["expr"] as? String)) }
        }
        XCTAssertGreaterThan(expressions.count, 10)
        for expression in expressions {
            for name in Self.metricNames(in: expression) where name.hasPrefix("evering_") {
                XCTAssertTrue(exported.contains(name), "\(expression) names \(name), which the exporter does not expose")
            }
        }
        // PromQL syntax: promtool checks them as recording rules (Grafana's $ring becomes a regex).
        guard FileManager.default.isExecutableFile(atPath: promtool) else { return }
        var file = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, expression) in expressions.enumerated() {
            let promql = expression.replacingOccurrences(of: "$ring", with: ".*").replacingOccurrences(of: "'", with: "''")
            file += "      - record: evering:query\(i)\n        expr: '\(promql)'\n"
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString).yml")
        try file.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let check = try run(promtool, ["check", "rules", path.path])
        XCTAssertEqual(check.status, 0, check.output)
    }

    /// The sample names (counters with `_total`) of every family the exporter builds for a
    /// live ring, including families that have no sample at the moment (no findings yet).
    private func exportedMetricNames() throws -> Set<String> {
        let name = try RingName("export-names-\(getpid())")
        let requester = try Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64,
                                                                           replaceExisting: true))
        defer { try? unlinkRing(name) }
        _ = requester
        let reading = FleetSampler().sample(names: [String(name.path.dropFirst())])
        XCTAssertEqual(reading.rings.count, 1)
        let scrape = LatestReading().exposition(.prometheusText)  // the scrape's own family
        XCTAssertTrue(scrape.contains("evering_scrape_duration_seconds "), scrape)
        return Set(RingMetrics.families(reading).map(\.sampleName) + ["evering_scrape_duration_seconds"])
    }

    static func metricNames(in expression: String) -> [String] {
        var names: [String] = []
        var current = ""
        var inQuotes = false
        for c in expression + " " {
            if c == "\"" { inQuotes.toggle(); current = ""; continue }
            if !inQuotes && (c.isLetter || c.isNumber || c == "_" || c == ":") { current.append(c); continue }
            if !current.isEmpty { names.append(current); current = "" }
        }
        return names
    }

    private func run(_ tool: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
