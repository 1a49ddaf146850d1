#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering
import EveringLoad
import Synchronization

/// When SIGINT arrived (CLOCK_MONOTONIC ns); clock_gettime and an atomic store are async-signal-safe.
let signalledAt = Atomic<UInt64>(0)

// Peers for the cross-process wake-up tests (Tests/EveringTests/WakeUpTests.swift):
//
//   EveringTestPeer stress NAME COUNT SEED MAX_DELAY_US [membarrier]
//       Echo responder through the library (wake-up protocol), waiting a random time
//       (0 .. MAX_DELAY_US, busy or asleep) before each answer, so that both sides go to
//       sleep and are woken in every combination. Verifies each request's sequence and
//       checksum. Prints "late_wakes N" for its own waits.
//   EveringTestPeer legacy NAME COUNT
//       A 1.0-style responder: advertises no capabilities and polls and publishes with
//       plain index loads and stores, never calling FUTEX_WAKE.
//   EveringTestPeer block NAME 0
//       Attaches as the requester of an existing ring, submits one op and waits for it
//       without a timeout; SIGINT calls StopRequest.request(). Prints "waiting" once
//       blocked and exits 0 when the wait ended with `stopRequested` (printing how long after
//       the signal), 4 otherwise.
//
// Exit status: 0 when every request checked out, 3 on a bad request, 2 on misuse.

func fail(_ message: String, status: Int32) -> Never {
    let text = "EveringTestPeer: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

func stress(name: RingName, count: UInt64, seed: UInt64, maxDelay: UInt64, membarrier: Bool) throws {
    // membarrier: also advertise EV_CAP_SLEEP_MEMBARRIER (where the kernel offers it), so
    // the requester publishes without its fence and our sleeps issue membarrier instead.
    let responder = membarrier ? try Responder.open(name, advertising: SideCapability.oursWithSleepMembarrier) : try Responder.open(name)
    defer { responder.detach() }
    var pause = RandomPause(seed: seed, maxMicroseconds: maxDelay)
    var bad: UInt64 = 0
    for expected in 0..<count {
        let request = try responder.receive(timeout: .seconds(30))
        if EchoMessage.decode(request.payload)?.sequence != expected || request.buffer.count < EchoMessage.size { bad += 1; continue }
        pause.pause()
        EchoMessage(sequence: expected &+ 1_000_000_007).encode(into: request.buffer)
        try responder.complete(request, length: EchoMessage.size, timeout: .seconds(30))
    }
    let observer = try RingObserver(attaching: name)
    let late = observer.waitState(.submission, .consumer).lateWakes &+ observer.waitState(.completion, .producer).lateWakes
    print("late_wakes \(late) bad \(bad)")
    if bad > 0 { exit(3) }
}

func legacy(name: RingName, count: UInt64) throws {
    let responder = try Responder.open(name, advertising: 0)
    defer { responder.detach() }
    let region = responder.region
    let sq = region.queueBlock(region.layout.submission), cq = region.queueBlock(region.layout.completion)
    let sqEntries = region.entries(region.layout.submission), cqEntries = region.entries(region.layout.completion)
    let sqMask = UInt64(region.layout.submission.capacity - 1), cqMask = UInt64(region.layout.completion.capacity - 1)
    var head = ev_load_relaxed_u64(ev_queue_head_ptr(sq))  // Relaxed: we are the only writer of SQ head.
    var tail = ev_load_relaxed_u64(ev_queue_tail_ptr(cq))  // Relaxed: we are the only writer of CQ tail.
    var bad: UInt64 = 0
    for expected in 0..<count {
        var backoff = Backoff()
        // Acquire pairs with the requester's release store of SQ tail.
        while ev_load_acquire_u64(ev_queue_tail_ptr(sq)) == head { backoff.pause() }
        var entry = sqEntries[Int(head & sqMask)]
        head &+= 1
        // Release pairs with the requester's acquire load of SQ head; no fence, no wake: 1.0.
        ev_store_release_u64(ev_queue_head_ptr(sq), head)
        let slot = OpID(rawValue: entry.op_id).slot
        guard slot < region.layout.slotCount else { bad += 1; continue }
        let buffer = region.buffer(slot: slot)
        if EchoMessage.decode(UnsafeRawBufferPointer(rebasing: buffer[..<Int(min(entry.length, UInt32(buffer.count)))]))?.sequence != expected { bad += 1 }
        EchoMessage(sequence: expected &+ 1_000_000_007).encode(into: buffer)
        entry.length = UInt32(EchoMessage.size)
        // Acquire pairs with the requester's release store of CQ head (space to write).
        while tail &- ev_load_acquire_u64(ev_queue_head_ptr(cq)) > cqMask { backoff.pause() }
        cqEntries[Int(tail & cqMask)] = entry
        tail &+= 1
        // Release pairs with the requester's acquire load of CQ tail; no fence, no wake.
        ev_store_release_u64(ev_queue_tail_ptr(cq), tail)
    }
    print("legacy bad \(bad)")
    if bad > 0 { exit(3) }
}

func block(name: RingName) throws {
    signal(SIGINT) { _ in
        signalledAt.store(ev_monotonic_ns(), ordering: .relaxed)  // Relaxed: read after the wait ended, on this thread or after the wake.
        StopRequest.request()
    }
    let requester = try Requester.open(name)
    defer { requester.detach() }
    let op = try requester.submit(opcode: 1, length: EchoMessage.size) { EchoMessage(sequence: 0).encode(into: $0) }
    print("waiting")
    fflush(nil)
    do {
        _ = try requester.wait(for: op)
        fail("the op completed, but nobody was to answer it", status: 4)
    } catch .stopRequested {
        let waitEnded = ev_monotonic_ns()
        print("stopped \((waitEnded &- signalledAt.load(ordering: .relaxed)) / 1000) us after SIGINT")
    } catch {
        fail("the wait ended with \(error), not stopRequested", status: 4)
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let count = UInt64(arguments[3]) else { fail("usage: stress NAME COUNT SEED MAX_DELAY_US | legacy NAME COUNT", status: 2) }
do {
    let name = try RingName(arguments[2])
    switch arguments[1] {
    case "stress":
        guard arguments.count == 6 || (arguments.count == 7 && arguments[6] == "membarrier"),
              let seed = UInt64(arguments[4]), let maxDelay = UInt64(arguments[5]) else { fail("stress NAME COUNT SEED MAX_DELAY_US [membarrier]", status: 2) }
        try stress(name: name, count: count, seed: seed, maxDelay: maxDelay, membarrier: arguments.count == 7)
    case "legacy":
        try legacy(name: name, count: count)
    case "block":
        try block(name: name)
    default:
        fail("unknown mode \(arguments[1])", status: 2)
    }
} catch {
    fail("\(error)", status: 1)
}
