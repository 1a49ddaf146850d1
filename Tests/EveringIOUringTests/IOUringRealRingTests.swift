import Evering
import EveringInspect
import Foundation
import XCTest
@testable import EveringIOUring

/// Against real io_urings created by the UringFixture helper.
final class IOUringRealRingTests: XCTestCase {
    func testDiscoveryFindsTheHelpersRing() throws {
        let helper = try UringFixtureProcess()
        defer { helper.stop() }
        let scan = IOUringDiscovery.scanAll()
        XCTAssertTrue(scan.instances.contains(IOUringInstance(pid: helper.pid, command: "UringFixture", fd: helper.fd)),
                      "\(scan.instances)")
        let own = try IOUringDiscovery.instances(ofPID: helper.pid).get()
        XCTAssertEqual(own.map(\.fd), [helper.fd])
        XCTAssertEqual(try IOUringDiscovery.resolve(IOUringTarget(pid: helper.pid)).get().fd, helper.fd)
    }

    func testUnsubmittedAndUnreapedEntriesAreSeen() throws {
        let helper = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        defer { helper.stop() }
        let source = try IOUringSource(target: IOUringTarget(pid: helper.pid, fd: helper.fd))
        let snapshot = try source.snapshot()
        XCTAssertEqual(snapshot.source, .ioUring)
        XCTAssertEqual(snapshot.name, "io_uring:\(helper.pid):\(helper.fd)")
        XCTAssertEqual(snapshot.process?.liveness, .alive)
        XCTAssertEqual(snapshot.submission.capacity, UInt32(helper.sqEntries))
        XCTAssertEqual(snapshot.submission.used, 2)
        XCTAssertEqual(snapshot.submission.pending.map(\.userData), [2000, 2001])
        XCTAssertEqual(snapshot.submission.pending.map(\.opcode), [0, 0], "NOP is opcode 0")
        XCTAssertEqual(snapshot.submission.pending.first?.details?["opcode"], "NOP")
        XCTAssertEqual(snapshot.completion.capacity, UInt32(helper.cqEntries))
        XCTAssertEqual(snapshot.completion.used, 3)
        XCTAssertEqual(snapshot.completion.pending.map(\.userData), [1000, 1001, 1002])
        XCTAssertEqual(snapshot.ioUring?.sqPoll, false)
    }

    /// The rules fire only once the head has stayed put for the stall timeout, judged over
    /// real successive reads.
    func testStuckQueuesAreDiagnosedAfterTheStallTimeout() throws {
        let helper = try UringFixtureProcess(["--unreaped", "3", "--unsubmitted", "2"])
        defer { helper.stop() }
        let source = try IOUringSource(target: IOUringTarget(pid: helper.pid))
        let thresholds = Thresholds(stallTimeout: 0.3)
        var sampler = Sampler()
        let first = try source.snapshot()
        sampler.record(first)
        XCTAssertEqual(IOUringDiagnosis.diagnose(first, history: sampler.history, thresholds: thresholds), [],
                       "one read cannot show a stall")
        var findings: [Finding] = []
        XCTAssertTrue(try waitUntil {
            let snapshot = try source.snapshot()
            sampler.record(snapshot)
            findings = IOUringDiagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds)
            return findings.count == 2
        }, "\(findings)")
        XCTAssertEqual(Set(findings.map(\.subject)), ["sq", "cq"])
        XCTAssertTrue(findings.allSatisfy { $0.rule == .consumerStalled })
        XCTAssertTrue(findings.first { $0.subject == "sq" }!.message.contains("io_uring_enter"))
        XCTAssertTrue(findings.first { $0.subject == "cq" }!.message.contains("not reaping"))
        XCTAssertGreaterThanOrEqual(findings[0].evidence["stalledSeconds"] ?? 0, 0.3)
    }

    func testSQPollThreadLeftAsleepIsDiagnosed() throws {
        let helper = try UringFixtureProcess(["--sqpoll", "--unsubmitted", "3"])
        defer { helper.stop() }
        let source = try IOUringSource(target: IOUringTarget(pid: helper.pid))
        var sampler = Sampler()
        var findings: [Finding] = []
        XCTAssertTrue(try waitUntil {
            let snapshot = try source.snapshot()
            sampler.record(snapshot)
            findings = IOUringDiagnosis.diagnose(snapshot, history: sampler.history, thresholds: Thresholds(stallTimeout: 0.2))
            return !findings.isEmpty
        })
        XCTAssertEqual(findings.map(\.subject), ["sq"])
        XCTAssertTrue(findings[0].message.contains("SQPOLL"), findings[0].message)
        XCTAssertGreaterThan(findings[0].evidence["sqThread"] ?? -1, 0)
        XCTAssertEqual(sampler.latest?.submission.used, 3)
    }

    func testOverflowIsDiagnosedAtOnce() throws {
        let helper = try UringFixtureProcess(["--overflow"])
        defer { helper.stop() }
        let snapshot = try IOUringSource(target: IOUringTarget(pid: helper.pid)).snapshot()
        XCTAssertTrue(snapshot.completion.isFull)
        XCTAssertEqual(snapshot.ioUring?.overflowCount, 4)
        XCTAssertEqual(snapshot.ioUring?.overflowUserData, [4000, 4001, 4002, 4003])
        let findings = IOUringDiagnosis.diagnose(snapshot, history: [])
        XCTAssertEqual(findings.map(\.rule), [.completionOverflow])
        XCTAssertEqual(findings.first?.evidence["overflow"], 4)
    }

    /// A ring that keeps submitting and reaping, and an idle one: no findings, and the busy
    /// one shows non-zero rates.
    func testBusyAndIdleRingsGiveNoFindings() throws {
        let busy = try UringFixtureProcess(["--busy"])
        defer { busy.stop() }
        let idle = try UringFixtureProcess()
        defer { idle.stop() }
        // Sampled for longer than the (default) stall timeout, so a stall could show if the rules misjudged.
        let thresholds = Thresholds.default
        for helper in [busy, idle] {
            let source = try IOUringSource(target: IOUringTarget(pid: helper.pid))
            var sampler = Sampler()
            let start = Date()
            while Date().timeIntervalSince(start) < 1.3 {
                let snapshot = try source.snapshot()
                sampler.record(snapshot)
                XCTAssertEqual(IOUringDiagnosis.diagnose(snapshot, history: sampler.history, thresholds: thresholds), [])
                usleep(50_000)  // the sampling period, not a synchronisation
            }
            let rate = sampler.latestRates?.submissionDequeuesPerSecond ?? -1
            if helper === busy { XCTAssertGreaterThan(rate, 0) } else { XCTAssertEqual(rate, 0) }
        }
    }

    func testProcessGoneIsAFindingNotAnError() throws {
        let helper = try UringFixtureProcess(["--unreaped", "1"])
        let source = try IOUringSource(target: IOUringTarget(pid: helper.pid))
        let before = try source.snapshot()
        helper.stop()
        let after = try source.snapshot()
        XCTAssertEqual(after.process?.liveness, .dead)
        XCTAssertEqual(after.ioUring?.gone, .processGone)
        XCTAssertEqual(after.completion.used, before.completion.used, "the last known state is kept")
        let findings = IOUringDiagnosis.diagnose(after, history: [])
        XCTAssertEqual(findings.map(\.rule), [.ringGone], "an exited process is gone, not a dead peer")
        XCTAssertEqual(findings.first?.severity, .warning)
        XCTAssertTrue(findings[0].message.contains("UringFixture"))
    }

    func testResolveErrorsAreSpecific() throws {
        let helper = try UringFixtureProcess()
        defer { helper.stop() }
        // fd 0 of the helper is /dev/null or a pipe: not an io_uring.
        guard case let .failure(.notAnIOUring(pid, fd, link)) = IOUringDiscovery.resolve(IOUringTarget(pid: helper.pid, fd: 0)) else {
            return XCTFail("fd 0 must not resolve as an io_uring")
        }
        XCTAssertEqual(pid, helper.pid)
        XCTAssertEqual(fd, 0)
        XCTAssertFalse(link.isEmpty)
        XCTAssertEqual(IOUringDiscovery.resolve(IOUringTarget(pid: helper.pid, fd: 999)).failure, .fdNotFound(pid: helper.pid, fd: 999))
        // The test runner itself has no io_uring.
        let me = getpid()
        guard case .failure(.noIOUring(me, _)) = IOUringDiscovery.resolve(IOUringTarget(pid: me)) else {
            return XCTFail("the test process has no io_uring")
        }
        helper.stop()
        XCTAssertEqual(IOUringDiscovery.resolve(IOUringTarget(pid: helper.pid)).failure, .processNotFound(pid: helper.pid))
        XCTAssertThrowsError(try IOUringSource(target: IOUringTarget(pid: helper.pid))) {
            XCTAssertEqual($0 as? IOUringError, .processNotFound(pid: helper.pid))
        }
    }

    func testSeveralRingsInOneProcessMustBeNamed() throws {
        let helper = try UringFixtureProcess(["--extra-rings", "2"])
        defer { helper.stop() }
        let fds = try IOUringDiscovery.instances(ofPID: helper.pid).get().map(\.fd)
        XCTAssertEqual(fds.count, 3)
        XCTAssertTrue(fds.contains(helper.fd))
        let error = try XCTUnwrap(IOUringDiscovery.resolve(IOUringTarget(pid: helper.pid)).failure)
        XCTAssertEqual(error, .ambiguous(pid: helper.pid, fds: fds))
        XCTAssertTrue(error.description.contains("name one as io_uring:\(helper.pid):FD"), error.description)
        for fd in fds {
            XCTAssertEqual(try IOUringSource(target: IOUringTarget(pid: helper.pid, fd: fd)).snapshot().process?.liveness, .alive)
        }
    }

    func testTargetParsing() throws {
        XCTAssertEqual(try IOUringTarget(parsing: "io_uring:12"), IOUringTarget(pid: 12))
        XCTAssertEqual(try IOUringTarget(parsing: "io_uring:12:5"), IOUringTarget(pid: 12, fd: 5))
        XCTAssertEqual(IOUringTarget(pid: 12, fd: 5).description, "io_uring:12:5")
        for bad in ["io_uring:", "io_uring:abc", "io_uring:-1", "io_uring:1:x", "io_uring:1:2:3", "uring:1", "io_uring:0"] {
            XCTAssertThrowsError(try IOUringTarget(parsing: bad), bad) { error in
                guard case .invalidTarget = error as? IOUringError else { return XCTFail("\(bad): \(error)") }
                XCTAssertTrue("\(error)".contains("io_uring:PID"))
            }
        }
    }
}

extension Result {
    var failure: Failure? {
        if case let .failure(error) = self { return error }
        return nil
    }
}
