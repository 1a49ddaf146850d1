import CEvering
import Foundation
import XCTest
@testable import Evering

/// The side claim raced by real processes (threads share one pid and one owner word, so
/// they cannot test it): N `evering-race-helper` claimants are started once and released
/// together from a barrier in shared memory, round after round. Every round must have
/// exactly one winner, both for a free side and for a side whose owner is dead.
final class ClaimRaceTests: XCTestCase {
    let names = RingNames()
    override func tearDown() { names.cleanUp() }

    static let claimants = 4
    static let rounds = 10_000

    func testExactlyOneOfManyProcessesClaimsAFreeSideEveryRound() throws {
        try race(deadOwner: false)
    }

    func testExactlyOneRescuerTakesOverADeadOwnerEveryRound() throws {
        try race(deadOwner: true)
    }

    /// The barrier object's words (offsets shared with Sources/evering-race-helper/main.swift).
    struct RaceBarrier {
        let words: UnsafeMutablePointer<UInt64>
        var round: UnsafeMutablePointer<UInt64> { words }
        var ready: UnsafeMutablePointer<UInt64> { words + 1 }
        var winners: UnsafeMutablePointer<UInt64> { words + 2 }
        var finished: UnsafeMutablePointer<UInt64> { words + 3 }
        var errors: UnsafeMutablePointer<UInt64> { words + 4 }
    }

    func race(deadOwner: Bool) throws {
        let name = names.make("race")
        let barrierName = names.make("barrier")
        let region = try SharedRegion.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64))
        let fd = shm_open(barrierName.path, O_CREAT | O_EXCL | O_RDWR, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(ftruncate(fd, 4096), 0)
        let mapped = try XCTUnwrap(mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
        XCTAssertNotEqual(mapped, MAP_FAILED)
        defer { munmap(mapped, 4096) }
        let barrier = RaceBarrier(words: mapped.assumingMemoryBound(to: UInt64.self))

        var helpers: [Process] = []
        defer {
            // Release-store quit; anything still running after that is killed.
            ev_store_release_u64(barrier.round, UInt64.max)
            for helper in helpers {
                if !eventually(timeout: 5, { !helper.isRunning }) { kill(helper.processIdentifier, SIGKILL) }
                helper.waitUntilExit()
            }
        }
        for _ in 0..<Self.claimants {
            let helper = Process()
            helper.executableURL = builtExecutable("evering-race-helper")
            helper.arguments = ["claim", name.path, barrierName.path, "requester"]
            try helper.run()
            helpers.append(helper)
        }
        // Acquire pairs with each helper's acq-rel increment once it has mapped both objects.
        XCTAssertTrue(eventually(timeout: 20) { ev_load_acquire_u64(barrier.ready) == UInt64(Self.claimants) },
                      "every claimant started")
        let helperPids = Set(helpers.map(\.processIdentifier))
        let me = ProcessIdentity.current
        // A dead owner: our own pid with another start time, as a recycled pid would look.
        let forged = SideOwner(ProcessIdentity(pid: me.pid, startTime: me.startTime &+ 1))
        let block = region.side(.requester)
        let refcount = ev_header_refcount_ptr(region.header)!

        var badRounds: [String] = []
        for round in 1...UInt64(Self.rounds) {
            // Reset the side between rounds (every claimant is parked on the round word).
            if deadOwner {
                block.pointee.pid = forged.pid
                block.pointee.state = EV_SIDE_ATTACHED.rawValue
                block.pointee.owner = forged.rawValue
                refcount.pointee = 2  // the dead holder's reference and a responder's
            } else {
                block.pointee.pid = 0
                block.pointee.state = EV_SIDE_DETACHED.rawValue
                block.pointee.owner = 0
                refcount.pointee = 1  // a responder's
            }
            barrier.winners.pointee = 0
            barrier.finished.pointee = 0
            // Release pairs with the claimants' acquire load of round: they see the reset block.
            ev_store_release_u64(barrier.round, round)
            var spins = 0
            let deadline = ev_monotonic_ns() + 10_000_000_000
            // Acquire pairs with each claimant's acq-rel increment of finished.
            while ev_load_acquire_u64(barrier.finished) < UInt64(Self.claimants) {
                spins += 1
                if spins & 63 == 0 {
                    sched_yield()
                    if ev_monotonic_ns() > deadline { break }
                }
            }
            let winners = barrier.winners.pointee
            let owner = SideOwner(rawValue: ev_load_acquire_u64(ev_side_owner_ptr(block)))
            if winners != 1 || !helperPids.contains(owner.pid) || refcount.pointee != 2
                || block.pointee.pid != owner.pid || block.pointee.state != EV_SIDE_ATTACHED.rawValue {
                badRounds.append("round \(round): \(winners) winners, owner \(owner), pid \(block.pointee.pid), refcount \(refcount.pointee)")
                if badRounds.count > 20 { break }
            }
        }
        XCTAssertEqual(barrier.errors.pointee, 0, "no claimant failed other than with sideTaken")
        XCTAssertEqual(badRounds, [], "exactly one winner per round, and it owns the block")
    }
}
