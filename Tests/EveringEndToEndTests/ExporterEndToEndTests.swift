import Evering
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// `evering-top export` against real consumers: a Prometheus server scraping it over HTTP
/// (which asks for OpenMetrics first), promtool on the text format, and an OpenMetrics
/// parse of our own.
final class ExporterEndToEndTests: EndToEndTestCase {
    private var scratch: URL!
    private var exporters: [Background] = []

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("exporter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        for exporter in exporters { exporter.kill(SIGTERM); exporter.wait() }
        exporters = []
        try? FileManager.default.removeItem(at: scratch)
        super.tearDown()
    }

    func testPrometheusScrapesARunningRingAndAStuckOne() throws {
        let prometheus = "/usr/bin/prometheus"
        guard FileManager.default.isExecutableFile(atPath: prometheus) else {
            throw XCTSkip("no Prometheus server (.ci/run installs Debian's prometheus package)")
        }
        let healthy = try uniqueName("exp-ok")
        let healthyLoad = try startLoad(healthy, ["--rate", "500"])
        let stuck = try uniqueName("exp-stuck")
        let stuckLoad = try startLoad(stuck, ["--fault", "stall-responder@0s"])
        try waitForState(healthy, healthyLoad, "traffic") { $0.completion.tail > 0 }
        try waitForState(stuck, stuckLoad, "a submission nobody takes") { $0.submission.used > 0 }

        let exporterPort = try startExporter(["--stall-timeout", "0.5"])
        let config = scratch.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
            scrape_configs:
              - job_name: evering
                static_configs:
                  - targets: ['127.0.0.1:\(exporterPort)']
            """.write(to: config, atomically: true, encoding: .utf8)
        let apiPort = try freeLoopbackPort()
        let server = try Background(["--config.file=\(config.path)",
                                     "--storage.tsdb.path=\(scratch.appendingPathComponent("data").path)",
                                     "--web.listen-address=127.0.0.1:\(apiPort)"],
                                    executable: URL(fileURLWithPath: prometheus))
        defer { server.kill(SIGTERM); server.wait() }

        var enqueued: Double?
        let scraped = poll(within: 60) {
            enqueued = query(apiPort, #"evering_queue_enqueued_total{ring="/\#(healthy)",queue="sq"}"#)
            return (enqueued ?? 0) > 0
        }
        XCTAssertTrue(scraped, "Prometheus never stored evering_queue_enqueued_total of \(healthy); its log: \(server.stderr.suffix(2000))")
        var stuckStatus: Double?
        XCTAssertTrue(poll(within: 30) {
            stuckStatus = query(apiPort, #"evering_ring_status{ring="/\#(stuck)",status="STUCK"}"#)
            return stuckStatus == 1
        }, "the stalled ring never read STUCK in Prometheus (last value \(String(describing: stuckStatus)))")
        XCTAssertEqual(query(apiPort, #"evering_ring_status{ring="/\#(healthy)",status="OK"}"#), 1)
        XCTAssertEqual(query(apiPort, #"up{job="evering"}"#), 1)
    }

    func testPromtoolAcceptsTheTextFormatAndOpenMetricsParsesBack() throws {
        let name = try uniqueName("exp-fmt")
        let load = try startLoad(name, ["--rate", "200"])
        try waitForState(name, load, "traffic") { $0.completion.tail > 0 }
        let port = try startExporter([])

        let text = try fetch(port, accept: nil)
        XCTAssertTrue(text.body.contains(#"evering_queue_enqueued_total{ring="/\#(name)",queue="sq"}"#), text.body)
        XCTAssertTrue(text.contentType.hasPrefix("text/plain; version=0.0.4"), text.contentType)
        let promtool = "/usr/bin/promtool"
        if FileManager.default.isExecutableFile(atPath: promtool) {
            let file = scratch.appendingPathComponent("metrics.txt")
            try text.body.write(to: file, atomically: true, encoding: .utf8)
            let check = try Background.shell("\(promtool) check metrics < \(file.path)")
            XCTAssertTrue(poll(within: 30) { !check.isRunning }, "promtool did not finish")
            XCTAssertEqual(check.wait(), 0, "promtool: \(check.stdout) \(check.stderr)")
        }

        let open = try fetch(port, accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
        XCTAssertTrue(open.contentType.hasPrefix("application/openmetrics-text; version=1.0.0"), open.contentType)
        let families = try OpenMetricsCheck.parse(open.body)
        XCTAssertEqual(families["evering_queue_enqueued"], "counter")
        XCTAssertEqual(families["evering_ring_status"], "gauge")
        XCTAssertNil(families["evering_queue_enqueued_total"], "OpenMetrics names counter families without _total")
    }

    /// Starts `export --listen 127.0.0.1:0` and returns the port it printed.
    private func startExporter(_ arguments: [String]) throws -> UInt16 {
        let exporter = try Background(["export", "--listen", "127.0.0.1:0", "-d", "0.2"] + arguments)
        exporters.append(exporter)
        var port: UInt16?
        poll(within: 20) {
            port = exporter.stderr.split(separator: "\n").lazy.compactMap { line -> UInt16? in
                guard let colon = line.range(of: "127.0.0.1:"), let slash = line.range(of: "/metrics") else { return nil }
                return UInt16(line[colon.upperBound..<slash.lowerBound])
            }.first
            return port != nil || !exporter.isRunning
        }
        guard let port else { throw StateNotReached(description: "export did not start: \(exporter.stderr)") }
        return port
    }

    private func fetch(_ port: UInt16, accept: String?) throws -> (body: String, contentType: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        let (data, response) = try synchronous(request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        XCTAssertEqual(http.statusCode, 200)
        return (String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    /// The value of a one-series instant query, nil while Prometheus has no such series.
    private func query(_ port: UInt16, _ promql: String) -> Double? {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: promql)]
        guard let (data, _) = try? synchronous(URLRequest(url: components.url!)),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]],
              let value = result.first?["value"] as? [Any], value.count == 2, let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    private func synchronous(_ request: URLRequest) throws -> (Data, URLResponse) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Data, URLResponse), Error> = .failure(URLError(.unknown))
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let data, let response { outcome = .success((data, response)) } else { outcome = .failure(error ?? URLError(.badServerResponse)) }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success else { throw URLError(.timedOut) }
        return try outcome.get()
    }

    private func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw StateNotReached(description: "no free loopback port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A strict-enough OpenMetrics 1.0 reader for tests: every line is a `# HELP/TYPE/UNIT`
/// comment naming a declared family, or a sample of the family declared last (counter
/// samples end in `_total`), and the text ends with `# EOF`.
enum OpenMetricsCheck {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    /// Family name → type.
    static func parse(_ text: String) throws -> [String: String] {
        guard text.hasSuffix("# EOF\n") else { throw Invalid(description: "does not end with # EOF") }
        var families: [String: String] = [:]
        var current: (name: String, type: String)?
        for line in text.split(separator: "\n").dropLast() {
            if line.hasPrefix("# ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count >= 3 else { throw Invalid(description: "bad comment: \(line)") }
                let name = String(parts[2])
                if parts[1] == "TYPE" {
                    families[name] = parts.count > 3 ? String(parts[3]) : ""
                    current = (name, families[name]!)
                } else if parts[1] != "HELP" && parts[1] != "UNIT" {
                    throw Invalid(description: "unknown comment: \(line)")
                }
                continue
            }
            guard let current else { throw Invalid(description: "sample before any TYPE: \(line)") }
            let sampleName = line.prefix { $0 != "{" && $0 != " " }
            let expected = current.type == "counter" ? current.name + "_total" : current.name
            guard sampleName == expected else { throw Invalid(description: "sample \(sampleName) under family \(current.name)") }
            guard let value = line.split(separator: " ").last, Double(value) != nil || ["NaN", "+Inf", "-Inf"].contains(value) else {
                throw Invalid(description: "bad value: \(line)")
            }
        }
        return families
    }
}
