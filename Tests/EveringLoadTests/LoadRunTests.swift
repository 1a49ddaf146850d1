import Evering
import EveringLoad
import Foundation
import XCTest

/// Short real runs of `evering-top load` in every mode and transport.
final class LoadRunTests: LoadTestCase {
    func testEveryModeAndTransportVerifiesCleanly() throws {
        for transport in ["ring", "uds", "pipe"] {
            for mode in ["pingpong", "stream"] {
                let count = mode == "stream" ? 3000 : 500
                let name = uniqueName("\(transport)-\(mode)")
                let run = try LoadProcess(["load", name, "--transport", transport, "--mode", mode, "--count", "\(count)", "--json"])
                XCTAssertEqual(run.waitForExit(within: 30), 0, "\(transport) \(mode): \(run.stderr)")
                let summary = try run.summary()
                XCTAssertEqual(summary.operations, UInt64(count), "\(transport) \(mode)")
                XCTAssertEqual(summary.verified, UInt64(count), "\(transport) \(mode)")
                XCTAssertEqual(summary.errors, LoadSummary.Errors(), "\(transport) \(mode)")
                XCTAssertEqual(summary.transport, transport)
                XCTAssertEqual(summary.mode, mode)
                XCTAssertNil(summary.failure)
                XCTAssertGreaterThan(summary.latencyNanoseconds.p50, 0)
                XCTAssertFalse(sharedMemoryObjectNames().contains(name), "ring \(name) left behind without --keep")
            }
        }
    }

    func testPayloadSizesFromFourBytesToOneMebibyte() throws {
        for (payload, transport, concurrency) in [("4", "ring", "3"), ("13", "pipe", "2"), ("1MiB", "ring", "2"), ("100000", "uds", "4")] {
            let name = uniqueName("payload")
            let run = try LoadProcess(["load", name, "--transport", transport, "--payload", payload,
                                       "--concurrency", concurrency, "--count", "40", "--json"])
            XCTAssertEqual(run.waitForExit(within: 30), 0, "\(payload) over \(transport): \(run.stderr)")
            let summary = try run.summary()
            XCTAssertEqual(summary.verified, 40, "\(payload) over \(transport)")
            XCTAssertEqual(summary.errors.total, 0)
        }
    }

    func testSigintStopsDrainsPrintsSummaryAndUnlinks() throws {
        let name = uniqueName("sigint")
        let run = try LoadProcess(["load", name, "--concurrency", "4", "--duration", "60s", "--json"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.queue(.submission).head > 200 }, "no traffic: \(run.stderr)")
        kill(run.pid, SIGINT)
        XCTAssertEqual(run.waitForExit(within: 10), 0, run.stderr)
        let summary = try run.summary()
        XCTAssertEqual(summary.stopReason, "signal")
        XCTAssertEqual(summary.errors.total, 0)
        XCTAssertGreaterThan(summary.verified, 200)
        XCTAssertEqual(summary.verified, summary.operations)
        XCTAssertEqual(observer.side(.requester).state, .detached)
        XCTAssertEqual(observer.side(.responder).state, .detached)
        XCTAssertFalse(sharedMemoryObjectNames().contains(name), "ring not unlinked after SIGINT")
    }

    func testResponderKilledMidRunMakesRequesterFailQuicklyWithClearMessage() throws {
        let name = uniqueName("kill")
        let requester = try LoadProcess(["load", name, "--role", "requester", "--concurrency", "4", "--duration", "60s", "--json"])
        let responder = try LoadProcess(["load", name, "--role", "responder"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.queue(.submission).head > 200 }, "no traffic: \(requester.stderr)")
        kill(responder.pid, SIGKILL)
        responder.process.waitUntilExit()
        XCTAssertNotEqual(requester.waitForExit(within: 3), 0)
        XCTAssertTrue(requester.stderr.contains("responder") && requester.stderr.contains("died"), requester.stderr)
        let summary = try requester.summary()
        XCTAssertEqual(summary.stopReason, "failure")
        XCTAssertNotNil(summary.failure)
    }

    func testSplitRolesOverUnixSocket() throws {
        let name = uniqueName("split-uds")
        let responder = try LoadProcess(["load", name, "--role", "responder", "--transport", "uds"])
        let requester = try LoadProcess(["load", name, "--role", "requester", "--transport", "uds", "--count", "300", "--json"])
        XCTAssertEqual(requester.waitForExit(within: 20), 0, requester.stderr)
        XCTAssertEqual(try requester.summary().verified, 300)
        XCTAssertEqual(responder.waitForExit(within: 5), 0, responder.stderr)
        XCTAssertTrue(responder.stdout.contains("300 requests, 0 rejected"), responder.stdout)
    }
}
