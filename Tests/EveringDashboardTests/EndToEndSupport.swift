import Evering
import Foundation
import XCTest

/// The built `evering-top` next to the test bundle (Linux: the products folder itself;
/// elsewhere the .xctest bundle's folder).
func everingTopBinary() -> URL {
    let bundle = Bundle(for: TmuxSession.self).bundleURL
    let candidates = [bundle.appendingPathComponent("evering-top"),
                      bundle.deletingLastPathComponent().appendingPathComponent("evering-top")]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
}

/// A unique ring name for one test.
func uniqueRingName(_ label: String) -> RingName {
    try! RingName("evt-dash-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
}

/// Traffic on a ring between this test process (requester, on a background thread) and
/// a spawned `evering-top echo-responder`, so the dashboard has something live to show.
/// The responder can be stopped (SIGSTOP: a stalled, hung consumer) or killed.
final class EchoTraffic: @unchecked Sendable {
    // @unchecked: `stopFlag` is guarded by `lock`; the requester is used by the pump thread only
    // until `stop()` has joined it.
    let name: RingName
    let requester: Requester
    let responder: Process
    private let lock = NSLock()
    private var stopFlag = false
    private let finished = DispatchSemaphore(value: 0)

    init(name: RingName, capacity: UInt32 = 64, slots: UInt32 = 256) throws {
        self.name = name
        requester = try Requester.create(name, configuration: .init(submissionCapacity: capacity, slotCount: slots,
                                                                     bufferSize: 64, replaceExisting: true))
        responder = Process()
        responder.executableURL = everingTopBinary()
        responder.arguments = ["echo-responder", name.path, "--count", "0", "--timeout", "600"]
        responder.standardOutput = Pipe()
        responder.standardError = Pipe()
        try responder.run()
        Thread { [self] in pump() }.start()
    }

    private var stopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopFlag
    }

    /// Keeps up to 32 ops in flight, paced (a short pause when nothing moved) so the test
    /// machine's two cores are not saturated.
    private func pump() {
        var inFlight = 0
        var sequence: UInt64 = 0
        while !stopped {
            var moved = false
            while inFlight < 32, let _ = requester.trySubmit(opcode: 1, length: EchoMessage.size, fill: { buffer in
                EchoMessage(sequence: sequence).encode(into: buffer)
            }) {
                sequence += 1
                inFlight += 1
                moved = true
            }
            inFlight -= requester.reap { self.requester.release($0.op) }
            if !moved { usleep(200) }  // pacing, not synchronisation
        }
        finished.signal()
    }

    func stallResponder() { kill(responder.processIdentifier, SIGSTOP) }
    func crashResponder() {
        kill(responder.processIdentifier, SIGKILL)
        responder.waitUntilExit()
    }

    func stop() {
        lock.lock()
        stopFlag = true
        lock.unlock()
        finished.wait()
        if responder.isRunning {
            kill(responder.processIdentifier, SIGKILL)
            responder.waitUntilExit()
        }
        requester.detach()
        try? unlinkRing(name)
    }
}

/// Parses "head N  tail M" from the first line of a screen that has it (the submission queue).
func submissionIndices(_ screen: String) -> (head: UInt64, tail: UInt64)? {
    for line in screen.split(separator: "\n") {
        guard let headRange = line.range(of: "head "), let tailRange = line.range(of: "  tail ") else { continue }
        let head = line[headRange.upperBound...].prefix { $0.isNumber }
        let tail = line[tailRange.upperBound...].prefix { $0.isNumber }
        if let h = UInt64(head), let t = UInt64(tail) { return (h, t) }
    }
    return nil
}
