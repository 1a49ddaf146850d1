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

    func testSigtermWithKeepLeavesADrainedDetachedRing() throws {
        let name = uniqueName("sigterm-keep")
        let run = try LoadProcess(["load", name, "--concurrency", "8", "--duration", "60s", "--json", "--keep"])
        let observer = try observe(name)
        XCTAssertTrue(poll(within: 10) { observer.queue(.submission).head > 200 }, "no traffic: \(run.stderr)")
        kill(run.pid, SIGTERM)
        XCTAssertEqual(run.waitForExit(within: 10), 0, run.stderr)
        XCTAssertEqual(try run.summary().stopReason, "signal")
        XCTAssertTrue(sharedMemoryObjectNames().contains(name), "--keep must leave the ring in /dev/shm")
        XCTAssertEqual(observer.side(.requester).state, .detached)
        XCTAssertEqual(observer.side(.responder).state, .detached)
        XCTAssertEqual(slotCount(observer, .free), Int(observer.layout.slotCount), "drained: every slot free")
        let sq = observer.queue(.submission), cq = observer.queue(.completion)
        XCTAssertEqual(sq.used, 0)
        XCTAssertEqual(cq.used, 0)
        XCTAssertEqual(sq.tail, cq.tail, "every submission was completed")
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

/// The Swift entry points the demo and benchmark commands use.
final class LoadAPITests: LoadTestCase {
    func testRunRequesterInProcessSpawnsTheResponderFromTheGivenBinary() throws {
        var config = LoadConfiguration()
        config.name = uniqueName("api")
        config.concurrency = 3
        config.limit = .count(300)
        let summary = try LoadRun.runRequester(config, options: .init(executable: LoadProcess.executable.path, shouldStop: { false }))
        XCTAssertEqual(summary.verified, 300)
        XCTAssertTrue(summary.succeeded, "\(String(describing: summary.failure))")
        XCTAssertFalse(sharedMemoryObjectNames().contains(config.name))
    }

    func testCommandLineRunsTheSameConfiguration() throws {
        var config = LoadConfiguration()
        config.name = uniqueName("cmdline")
        config.mode = .stream
        config.transport = .pipe
        config.payloadBytes = 48
        config.concurrency = 5
        config.limit = .count(400)
        config.faults = [.slowResponder(delay: .microseconds(1))]
        let run = try LoadProcess(LoadRun.commandLine(config, json: true))
        XCTAssertEqual(run.waitForExit(within: 30), 0, run.stderr)
        let summary = try run.summary()
        XCTAssertEqual(summary.mode, "stream")
        XCTAssertEqual(summary.transport, "pipe")
        XCTAssertEqual(summary.payloadBytes, 48)
        XCTAssertEqual(summary.concurrency, 5)
        XCTAssertEqual(summary.faults, ["slow-responder=1us"])
        XCTAssertEqual(summary.verified, 400)
    }

    func testTransportComparisonRunsEachInTurn() throws {
        let name = uniqueName("compare")
        let run = try LoadProcess(["load", name, "--transport", "ring,uds,pipe", "--count", "200"])
        XCTAssertEqual(run.waitForExit(within: 30), 0, run.stderr)
        for transport in ["ring", "uds", "pipe"] {
            XCTAssertTrue(run.stdout.contains("pingpong over \(transport)"), run.stdout)
        }
        XCTAssertTrue(run.stdout.contains("p50 vs ring"), run.stdout)
    }
}

final class LoadRateTests: LoadTestCase {
    /// Pacing allows at most rate × elapsed + 1 ops, however fast the transport is.
    func testRateCapsOps() throws {
        let name = uniqueName("rate")
        let run = try LoadProcess(["load", name, "--rate", "200", "--duration", "500ms", "--json"])
        XCTAssertEqual(run.waitForExit(within: 20), 0, run.stderr)
        let summary = try run.summary()
        XCTAssertGreaterThan(summary.operations, 0)
        XCTAssertLessThanOrEqual(summary.operations, 102, "200 ops/s for 0.5 s allows 101 ops")
        XCTAssertEqual(summary.verified, summary.operations)
    }
}
