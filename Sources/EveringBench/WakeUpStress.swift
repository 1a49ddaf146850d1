#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering
import EveringLoad

/// The lost-wake-up stress run (issue 13, the bigger sibling of `WakeUpTests`): verified
/// request/response cycles across two processes, both pausing at random before each step
/// (none, busy or asleep), so that every combination of a sleeping and a spinning peer is
/// hit many times. A wait that ended by its futex timeout while its queue already had what
/// it waited for counts in `late_wakes`: the protocol's bug counter, which must stay 0.
public struct WakeUpStressResult: Codable, Sendable, Equatable {
    public var cycles: UInt64
    public var seconds: Double
    public var maxPauseMicroseconds: UInt64
    /// FUTEX_WAKE calls each side made for the other (the requester waking the responder
    /// waiting for requests, and the other way round), and for waits for space.
    public var responderWokenForRequests: UInt64
    public var requesterWokenForCompletions: UInt64
    public var producerWakes: UInt64
    /// Waits that ended by their timeout although the queue had what they waited for,
    /// over the four waiters of the ring.
    public var lateWakes: UInt64
    /// Responses whose sequence or checksum did not match, and requests the responder
    /// reported as out of sequence.
    public var badResponses: UInt64
    public var responderExitStatus: Int32
}

/// A ring this process creates as the requester (replacing any leftover of the same name),
/// for a run whose responder is an `echo-responder` child; `remove` detaches and unlinks it.
struct BenchRing {
    let name: String
    let requester: Requester

    init(submissionCapacity: UInt32, slotCount: UInt32) throws(BenchError) {
        name = IPCBenchmark.uniqueName()
        do {
            requester = try Requester.create(try RingName(name), configuration: RingConfiguration(
                submissionCapacity: submissionCapacity, slotCount: slotCount, bufferSize: 64, replaceExisting: true))
        } catch { throw .peer("cannot create ring \(name): \(error)") }
    }

    func remove() {
        requester.detach()
        try? unlinkRing(requester.region.name)
    }
}

struct WakeUpStress {
    var configuration: IPCBenchConfiguration

    func run(log: (String) -> Void) throws(BenchError) -> WakeUpStressResult {
        let cycles = configuration.stressCycles, maxPause = configuration.stressPauseMicroseconds
        let ring = try BenchRing(submissionCapacity: 8, slotCount: 4)
        defer { ring.remove() }
        let requester = ring.requester
        let responder = try PeerProcess(executable: configuration.executable,
                                        arguments: ["echo-responder", ring.name, "--count", String(cycles), "--timeout", "60s",
                                                    "--delay-us", String(maxPause), "--seed", "11"],
                                        stdoutPath: "/dev/null")
        var pause = RandomPause(seed: 29, maxMicroseconds: maxPause)
        var bad: UInt64 = 0
        let start = ev_monotonic_ns()
        do {
            for sequence in 0..<cycles {
                pause.pause()
                let op = try requester.submit(opcode: 1, length: EchoMessage.size, timeout: .seconds(60)) {
                    EchoMessage(sequence: sequence).encode(into: $0)
                }
                let completion = try requester.wait(for: op, timeout: .seconds(60))
                if EchoMessage.decode(requester.response(of: completion))?.sequence != sequence &+ 1_000_000_007 { bad += 1 }
                requester.release(op)
            }
        } catch {
            _ = try? responder.terminateAndWait(timeoutNanoseconds: 5_000_000_000)
            throw .peer("wake-up stress: \(error)")
        }
        let seconds = Double(ev_monotonic_ns() &- start) / 1e9
        let status = try responder.wait(timeoutNanoseconds: 60_000_000_000)
        let sq = requester.region.waitState(.submission, .consumer), cq = requester.region.waitState(.completion, .consumer)
        let sqSpace = requester.region.waitState(.submission, .producer), cqSpace = requester.region.waitState(.completion, .producer)
        let result = WakeUpStressResult(
            cycles: cycles, seconds: seconds, maxPauseMicroseconds: maxPause,
            responderWokenForRequests: sq.wakes, requesterWokenForCompletions: cq.wakes,
            producerWakes: sqSpace.wakes &+ cqSpace.wakes,
            lateWakes: sq.lateWakes &+ cq.lateWakes &+ sqSpace.lateWakes &+ cqSpace.lateWakes,
            badResponses: bad, responderExitStatus: status)
        log("wake-up stress: \(cycles) cycles in \(String(format: "%.1f", seconds)) s, \(result.responderWokenForRequests) + "
            + "\(result.requesterWokenForCompletions) futex wakes, late_wakes \(result.lateWakes), bad \(bad), responder exit \(status)")
        return result
    }
}
