import CEvering
import Foundation
import XCTest
import Evering
@testable import EveringInspect

/// A side recorded from another pid namespace is judged by its heartbeat: its pid number
/// may name an unrelated process here (or none).
final class PidNamespaceSnapshotTests: XCTestCase {
    func testASideFromAnotherPidNamespaceIsJudgedByItsHeartbeat() throws {
        let name = LiveRing.uniqueName("pidns")
        defer { try? unlinkRing(name) }
        let responder = try Responder.create(name)
        // The requester block as a process in a container would leave it: a pid that is alive
        // here (ours, by coincidence), its namespace, its heartbeat.
        let me = ProcessIdentity.current
        let block = responder.region.side(.requester)
        block.pointee.pid = me.pid
        block.pointee.start_time = me.startTime
        block.pointee.owner = SideOwner(me).rawValue
        block.pointee.pid_ns = PidNamespace.current &+ 1
        block.pointee.heartbeat_ns = ev_monotonic_ns() - 2_000_000_000
        ev_store_release_u32(ev_side_state_ptr(block), EV_SIDE_ATTACHED.rawValue)
        let reader = try SnapshotReader(attaching: name)
        XCTAssertEqual(try reader.snapshot().requester?.liveness, .dead, "silent for 2 s: dead, although pid \(me.pid) lives here")
        block.pointee.heartbeat_ns = ev_monotonic_ns()
        XCTAssertEqual(try reader.snapshot().requester?.liveness, .alive, "beating: alive")
        block.pointee.pid_ns = PidNamespace.current
        block.pointee.heartbeat_ns = ev_monotonic_ns() - 2_000_000_000
        XCTAssertEqual(try reader.snapshot().requester?.liveness, .alive, "our namespace: the pid decides")
        responder.detach()
    }
}
