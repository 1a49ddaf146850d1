import CEvering
import Foundation
import XCTest
@testable import Evering

/// `evering-top cleanup`: removes only rings whose sides are all dead or gone, never one
/// with a live side, and never a ring re-created under the same name while it works.
final class CleanupTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    /// A ring whose requester died attached (a dead owner word) and whose responder detached.
    func makeDeadRing() throws -> RingName {
        let name = names.make("dead")
        let region = try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64))
        let me = ProcessIdentity.current
        let dead = SideOwner(ProcessIdentity(pid: me.pid, startTime: me.startTime &+ 3))
        let requester = region.side(.requester)
        requester.pointee.owner = dead.rawValue
        requester.pointee.pid = dead.pid
        requester.pointee.start_time = me.startTime &+ 3
        requester.pointee.state = EV_SIDE_ATTACHED.rawValue
        region.side(.responder).pointee.state = EV_SIDE_DETACHED.rawValue
        region.header.pointee.refcount = 1
        return name
    }

    func exists(_ name: RingName) -> Bool { access("/dev/shm" + name.path, F_OK) == 0 }

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = everingTopExecutable()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    func testADeadRingIsRemovedAndADryRunChangesNothing() throws {
        let name = try makeDeadRing()
        let dry = try run(["cleanup", name.path, "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("would remove \(name.path)"), dry.stdout)
        XCTAssertTrue(exists(name))
        let real = try run(["cleanup", name.path])
        XCTAssertEqual(real.status, 0, real.stderr)
        XCTAssertTrue(real.stdout.contains("removed \(name.path)"), real.stdout)
        XCTAssertFalse(exists(name))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix(".evering-cleanup-") && $0.contains(name.bare) }, [],
                       "nothing left aside")
    }

    func testARingWithALiveSideIsKeptNamingThePid() throws {
        let name = names.make("live")
        let requester = try Requester.create(name)
        let result = try run(["cleanup", name.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(name.path) not removed: the requester (pid \(getpid())) is alive"), result.stderr)
        XCTAssertTrue(exists(name))
        requester.detach()
        XCTAssertEqual(try run(["cleanup", name.path]).status, 0, "detached cleanly: removable")
        XCTAssertFalse(exists(name))
    }

    func testAllLooksAtEveryRing() throws {
        let dead = try makeDeadRing()
        let liveName = names.make("live-all")
        let live = try Requester.create(liveName)
        let result = try run(["cleanup", "--all", "--dry-run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("would remove \(dead.path)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("kept \(liveName.path): the requester (pid \(getpid())) is alive"), result.stdout)
        XCTAssertTrue(exists(dead))
        _ = live
    }

    /// The name is re-created (unlink + create, as `load --replace` does) between the verdict
    /// on the dead ring and the move: the new ring must survive, under its name.
    func testARingRecreatedWhileBeingCleanedUpIsPutBack() throws {
        let name = try makeDeadRing()
        var successor: Requester? = nil
        let outcome = try RingCleanup.clean(name, beforeMove: {
            try! unlinkRing(name)
            successor = try! Requester.create(name)
        })
        XCTAssertEqual(outcome, .recreated)
        XCTAssertTrue(exists(name))
        let observer = try RingObserver(attaching: name)
        XCTAssertEqual(observer.side(.requester).owner, SideOwner(.current), "the new ring, not the dead one")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { $0.hasPrefix(".evering-cleanup-") && $0.contains(name.bare) }, [])
        _ = successor
    }

    /// A ring being created (the object exists, not ready yet) is neither judged nor removed,
    /// also when it appears under the name during the cleanup.
    func testARingBeingCreatedIsLeftAlone() throws {
        let name = try makeDeadRing()
        let outcome = try RingCleanup.clean(name, beforeMove: {
            try! unlinkRing(name)
            let fd = shm_open(name.path, O_CREAT | O_EXCL | O_RDWR, 0o600)  // a creator, mid-way
            close(fd)
        })
        XCTAssertEqual(outcome, .recreated)
        XCTAssertTrue(exists(name))
        XCTAssertEqual(try RingCleanup.clean(name), .skipped(.notReady(name.path)))
        XCTAssertTrue(exists(name))
    }
}
