import ArgumentParser
import Evering
import EveringLoad

/// A minimal responder used by the cross-process tests: it checks each request's
/// sequence number and checksum and answers with the next sequence number. Ctrl-C or
/// SIGTERM detaches it cleanly.
struct EchoResponderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-responder",
        abstract: "Attach as responder and answer verified echo requests (used by tests).",
        shouldDisplay: false
    )

    @Argument(help: "Ring name.") var name: String
    @Option(help: "Stop after this many requests (0: until the requester detaches).", transform: FlagValue.integer(0 ... UInt64(Int64.max)))
    var count: UInt64 = 0
    @Option(help: "How long to wait for each request before giving up (default 120s; 1ms to 24h).",
            transform: FlagValue.duration(.milliseconds(1) ... .seconds(86_400)))
    var timeout: Duration = .seconds(120)
    @Option(name: .customLong("delay-us"), help: "Before each answer, a random pause of up to this many µs (none, busy or asleep; 0 to 100000; default 0), so a wake-up stress run sees every combination of sleeping and spinning.",
            transform: FlagValue.integer(0 ... 100_000))
    var delayMicroseconds: UInt64 = 0
    @Option(help: "Seed of the random pauses (default 7).", transform: FlagValue.integer(0 ... UInt64(Int64.max)))
    var seed: UInt64 = 7

    func run() throws {
        StopSignal.install()
        let responder = try Responder.open(try RingName(name))
        defer { responder.detach() }
        var expected: UInt64 = 0
        var errors: UInt64 = 0
        var pause = RandomPause(seed: seed, maxMicroseconds: delayMicroseconds)
        while count == 0 || expected < count {
            let received = Result { () throws(RingError) in
                try responder.receive(timeout: timeout)
            }
            if count == 0, case .failure(.peerDetached) = received { break }
            if case .failure(.stopRequested) = received { break }
            let request = try received.get()
            let message = EchoMessage.decode(request.payload)
            if message?.sequence != expected { errors += 1 }
            if request.buffer.count < EchoMessage.size {
                // A forged slot index, or a ring whose buffers cannot hold a reply: answer
                // with an error and no payload instead of trapping on the write.
                try responder.complete(request, result: -74 /* EBADMSG */, length: 0, timeout: .seconds(5))
                expected += 1
                continue
            }
            pause.pause()
            let reply = EchoMessage(sequence: expected &+ 1_000_000_007)
            reply.encode(into: request.buffer)
            try responder.complete(request, length: EchoMessage.size, timeout: .seconds(5))
            expected += 1
        }
        print("echo-responder: \(expected) requests, \(errors) errors")
        if errors > 0 { throw CommandFailure.failed("\(errors) requests out of sequence") }
    }
}
