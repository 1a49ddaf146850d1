import XCTest
@testable import EveringExport

final class ExpositionTests: XCTestCase {
    private let counter = MetricFamily(name: "evering_queue_enqueued", help: "Entries ever enqueued.", kind: .counter,
                                       samples: [MetricSample([.init("ring", "/a"), .init("queue", "sq")], 42)])
    private let gauge = MetricFamily(name: "evering_side_heartbeat_age_seconds", help: "Age.", kind: .gauge, unit: "seconds",
                                     samples: [MetricSample([.init("ring", "/a")], 0.25)])

    func testPrometheusTextNamesCounterFamiliesWithTotal() {
        let text = Exposition.render([counter, gauge], format: .prometheusText)
        XCTAssertEqual(text, """
            # HELP evering_queue_enqueued_total Entries ever enqueued.
            # TYPE evering_queue_enqueued_total counter
            evering_queue_enqueued_total{ring="/a",queue="sq"} 42
            # HELP evering_side_heartbeat_age_seconds Age.
            # TYPE evering_side_heartbeat_age_seconds gauge
            evering_side_heartbeat_age_seconds{ring="/a"} 0.25

            """)
    }

    func testOpenMetricsNamesCounterFamiliesWithoutTotalAndEndsWithEOF() {
        let text = Exposition.render([counter, gauge], format: .openMetrics)
        XCTAssertEqual(text, """
            # HELP evering_queue_enqueued Entries ever enqueued.
            # TYPE evering_queue_enqueued counter
            evering_queue_enqueued_total{ring="/a",queue="sq"} 42
            # HELP evering_side_heartbeat_age_seconds Age.
            # TYPE evering_side_heartbeat_age_seconds gauge
            # UNIT evering_side_heartbeat_age_seconds seconds
            evering_side_heartbeat_age_seconds{ring="/a"} 0.25
            # EOF

            """)
    }

    func testLabelValuesAndHelpAreEscaped() {
        let family = MetricFamily(name: "x", help: "back\\slash\nnewline", kind: .gauge,
                                  samples: [MetricSample([.init("ring", "/we\"ird\\na\nme")], 1)])
        let text = Exposition.render([family], format: .prometheusText)
        XCTAssertTrue(text.contains(#"# HELP x back\\slash\nnewline"#), text)
        XCTAssertTrue(text.contains(#"x{ring="/we\"ird\\na\nme"} 1"#), text)
    }

    func testValuesKeepIntegersExactAndSpellSpecialValues() {
        XCTAssertEqual(Exposition.formatValue(18_446_744_073_709), "18446744073709")
        XCTAssertEqual(Exposition.formatValue(0.5), "0.5")
        XCTAssertEqual(Exposition.formatValue(.nan), "NaN")
        XCTAssertEqual(Exposition.formatValue(.infinity), "+Inf")
        XCTAssertEqual(Exposition.formatValue(-.infinity), "-Inf")
        XCTAssertEqual(Exposition.formatValue(1e300), "1e+300")
    }

    func testFamiliesWithoutSamplesAreLeftOut() {
        let empty = MetricFamily(name: "evering_findings", help: "Findings.", kind: .gauge)
        XCTAssertEqual(Exposition.render([empty], format: .prometheusText), "")
        XCTAssertEqual(Exposition.render([empty], format: .openMetrics), "# EOF\n")
    }

    func testNegotiationPrefersOpenMetricsOnlyWhenAskedFor() {
        // What Prometheus 2.42 sends.
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        XCTAssertEqual(ExpositionFormat.negotiate(accept: prometheus), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: nil), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "*/*"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "text/plain"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text; q=0"), .prometheusText)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "Application/OpenMetrics-Text ; q=0.2"), .openMetrics)
    }
}
