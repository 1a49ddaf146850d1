// A claimant process for the cross-process claim race tests (Tests/EveringTests/ClaimRaceTests):
//
//     evering-race-helper claim RING BARRIER requester|responder
//
// It maps RING writable and the test's BARRIER object, then plays rounds: it waits until the
// barrier's round word moves, claims the side with `SideClaim.claim` (no heartbeat thread:
// only the claim is under test), counts a win or a `sideTaken`, and waits for the next round.
// The test resets the side block between rounds and checks that each round had one winner.
//
// Barrier layout (u64 words; the test's `RaceBarrier` uses the same offsets):
//   0 round (coordinator release-stores; UInt64.max = quit)   8 ready (claimants that started)
//   16 winners   24 finished   32 errors (anything but a win or sideTaken)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering

func fail(_ message: String) -> Never {
    let text = "evering-race-helper: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let arguments = CommandLine.arguments

// `evering-race-helper fault-outside-guard NAME`: the SIGBUS guard absorbs a fault inside a
// guarded mapping and passes one outside it on to the handler installed before it (the Swift
// backtracer, or the default action): prints "guarded read survived", then dies of SIGBUS.
if arguments.count == 3, arguments[1] == "fault-outside-guard" {
    let fd = shm_open(arguments[2], O_CREAT | O_RDWR, 0o600)
    guard fd >= 0, ftruncate(fd, 8192) == 0,
          let guarded = mmap(nil, 8192, PROT_READ, MAP_SHARED, fd, 0), guarded != MAP_FAILED,
          let unguarded = mmap(nil, 8192, PROT_READ, MAP_SHARED, fd, 0), unguarded != MAP_FAILED else {
        fail("cannot set up \(arguments[2]): errno \(errno)")
    }
    let id = ev_bus_guard_register(guarded, 8192)
    _ = ftruncate(fd, 0)
    let zero = ev_load_relaxed_u64(guarded.assumingMemoryBound(to: UInt64.self) + 600)
    print("guarded read survived: \(zero), faults \(ev_bus_guard_faults(id))")
    fflush(nil)
    _ = ev_load_relaxed_u64(unguarded.assumingMemoryBound(to: UInt64.self) + 600)
    print("unguarded read survived (the fault was swallowed)")
    exit(0)
}

// `evering-race-helper driver-cycles N`: N allocate/complete/release cycles of one slot on a
// fresh ring, single-threaded (no peer, no spinning): a deterministic instruction count per
// op under callgrind for the driver's slot writes (issue 12's seqlock cost).
if arguments.count == 3, arguments[1] == "driver-cycles", let cycles = Int(arguments[2]) {
    let name = try! RingName("evering-driver-cycles-\(getpid())")
    let requester = try! Requester.create(name, configuration: .init(submissionCapacity: 16, slotCount: 4, bufferSize: 64))
    var checksum: UInt64 = 0
    for n in 0..<cycles {
        let op = requester.driver.allocate(opcode: 1, length: 16, userData: UInt64(n))!
        if case .completed(let completion) = requester.driver.complete(
            ev_entry(op_id: op.rawValue, opcode: 1, flags: 0, length: 16, user_data: UInt64(n), result: 0, reserved: 0)) {
            checksum &+= completion.userData
        }
        requester.release(op)
    }
    try? requester.unlink()
    print("driver cycles: \(cycles), checksum \(checksum)")
    exit(0)
}

guard arguments.count == 5, arguments[1] == "claim",
      let side = RingSide.allCases.first(where: { $0.description == arguments[4] }) else {
    fail("usage: evering-race-helper claim RING BARRIER requester|responder")
}
let region: SharedRegion
do { region = try SharedRegion.open(try RingName(arguments[2]), writable: true) } catch { fail("\(error)") }
let barrierFD = shm_open(arguments[3], O_RDWR, 0)
guard barrierFD >= 0, let mapped = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, barrierFD, 0),
      mapped != MAP_FAILED else { fail("cannot map the barrier \(arguments[3]): errno \(errno)") }
let words = mapped.assumingMemoryBound(to: UInt64.self)
let (round, ready, winners, finished, errors) = (words, words + 1, words + 2, words + 3, words + 4)

// Acq-rel: the coordinator's acquire load of `ready` sees us mapped and waiting.
_ = ev_fetch_add_acq_rel_u64(ready, 1)
var seen: UInt64 = 0
while true {
    var spins = 0
    var now: UInt64
    // Acquire pairs with the coordinator's release store of round, made after it reset the block.
    while true {
        now = ev_load_acquire_u64(round)
        if now != seen { break }
        spins += 1
        if spins & 63 == 0 { sched_yield() } else { ev_cpu_relax() }
    }
    if now == UInt64.max { exit(0) }
    seen = now
    do {
        _ = try SideClaim.claim(region, side: side)
        // Acq-rel: the win is counted before `finished` says this claimant is done.
        _ = ev_fetch_add_acq_rel_u64(winners, 1)
    } catch .sideTaken {
    } catch {
        _ = ev_fetch_add_acq_rel_u64(errors, 1)
    }
    // Acq-rel: pairs with the coordinator's acquire load; our block writes come first.
    _ = ev_fetch_add_acq_rel_u64(finished, 1)
}
