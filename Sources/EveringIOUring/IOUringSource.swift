#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Evering
import EveringInspect

/// Snapshots of one kernel io_uring, read-only, from /proc/PID/fdinfo/FD: the inspector's
/// `RingSource` for `io_uring:PID[:FD]` targets.
///
/// ```swift
/// let source = try IOUringSource(target: IOUringTarget(parsing: "io_uring:1234"))
/// var sampler = Sampler()
/// sampler.record(try source.snapshot())
/// ```
///
/// A process that exits (or closes the ring) does not make `snapshot()` throw: the snapshot
/// repeats the last known queues with the process marked dead (and `ioUring.gone` set), so a
/// running `watch` or dashboard reports "process gone" instead of dying itself.
public final class IOUringSource: RingSource {
    public let instance: IOUringInstance
    /// The process as first seen (pid + start time), so a recycled pid is not mistaken for it.
    public let process: ProcessIdentity
    /// How many SQEs/CQEs to carry into the snapshot's pending lists.
    public var pendingLimit: Int
    private let procRoot: String
    private var widener = IOUringIndexWidener()
    private var last: Snapshot?

    /// Resolves the target and checks its fdinfo is readable. Throws `IOUringError` when the
    /// process or ring does not exist, is ambiguous, or may not be read (permission).
    public init(target: IOUringTarget, procRoot: String = "/proc", pendingLimit: Int = 8) throws(IOUringError) {
        let instance = try IOUringDiscovery.resolve(target, procRoot: procRoot).get()
        guard let start = ProcessIdentity.startTime(of: instance.pid) else { throw .processNotFound(pid: instance.pid) }
        if case let .failure(failure) = ProcFS.readFile(Self.fdinfoPath(instance, procRoot)) {
            throw IOUringDiscovery.error(for: failure, pid: instance.pid, procRoot: procRoot)
        }
        self.instance = instance
        self.process = ProcessIdentity(pid: instance.pid, startTime: start)
        self.procRoot = procRoot
        self.pendingLimit = pendingLimit
    }

    public var displayName: String { instance.target.description }

    static func fdinfoPath(_ instance: IOUringInstance, _ procRoot: String) -> String {
        "\(procRoot)/\(instance.pid)/fdinfo/\(instance.fd)"
    }

    /// How many times to re-read when the kernel prints no ring state (its trylock failed,
    /// e.g. while a busy SQPOLL thread holds the ring lock). After the first few quick
    /// retries each waits 1 ms, so a read gives up after about 20 ms.
    static let trylockRetries = 20

    public func snapshot() throws -> Snapshot {
        let started = Clock.monotonicNanoseconds
        let realtime = Clock.realtimeNanoseconds
        let liveness = Self.liveness(process.liveness)
        guard !liveness.isGone else { return goneSnapshot(started, realtime, liveness: liveness, why: .processGone) }
        let link = try? ProcFS.readLink("\(procRoot)/\(instance.pid)/fd/\(instance.fd)").get()
        guard link == IOUringDiscovery.linkTarget else { return closedOrGone(started, realtime) }

        for attempt in 0...Self.trylockRetries {
            if attempt > 3 { usleep(1000) }
            guard case let .success(text) = ProcFS.readFile(Self.fdinfoPath(instance, procRoot)) else {
                return closedOrGone(started, realtime)
            }
            let info = IOUringFDInfo(parsing: text)
            guard info.hasRingSection, let snapshot = IOUringSnapshot.make(
                instance: instance, info: info, liveness: .alive, takenAt: started, realtime: realtime,
                readDuration: Clock.monotonicNanoseconds &- started, widened: widener.widen(info),
                pendingLimit: pendingLimit)
            else { continue }
            last = snapshot
            return snapshot
        }
        // The kernel kept the ring state to itself: repeat what we knew, and say so.
        var snapshot = repeatLast(started, realtime, liveness: .alive)
        snapshot.ioUring?.stateUnavailable = true
        return snapshot
    }

    private func closedOrGone(_ started: UInt64, _ realtime: UInt64) -> Snapshot {
        // The fd vanished: either the process closed it or the whole process exited meanwhile.
        let liveness = Self.liveness(process.liveness)
        return goneSnapshot(started, realtime, liveness: liveness, why: liveness.isGone ? .processGone : .ringClosed)
    }

    private func goneSnapshot(_ started: UInt64, _ realtime: UInt64, liveness: Liveness, why: IOUringDetails.Gone) -> Snapshot {
        var snapshot = repeatLast(started, realtime, liveness: liveness)
        snapshot.ioUring?.gone = why
        return snapshot
    }

    /// The last snapshot's queues at a new time (empty queues if there was none).
    private func repeatLast(_ started: UInt64, _ realtime: UInt64, liveness: Liveness) -> Snapshot {
        var snapshot = last ?? Snapshot(
            source: .ioUring, name: displayName, takenAtMonotonicNanoseconds: started,
            submission: QueueStatus(kind: .submission, head: 0, tail: 0, capacity: 0),
            completion: QueueStatus(kind: .completion, head: 0, tail: 0, capacity: 0),
            ioUring: IOUringDetails(fd: instance.fd))
        snapshot.takenAtMonotonicNanoseconds = started
        snapshot.takenAtRealtimeNanoseconds = realtime
        snapshot.process = ProcessStatus(pid: instance.pid, command: instance.command, liveness: liveness)
        if snapshot.ioUring == nil { snapshot.ioUring = IOUringDetails(fd: instance.fd) }
        snapshot.ioUring?.stateUnavailable = false
        return snapshot
    }

    /// The library's liveness is the inspector's (one vocabulary).
    static func liveness(_ value: ProcessIdentity.Liveness) -> Liveness { value }
}
