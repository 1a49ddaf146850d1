import Evering

/// Reads snapshots of one io_uring, read-only, through /proc/PID/fdinfo/FD.
///
/// ```swift
/// let reader = try IOUringReader(target: IOUringTarget(parsing: "io_uring:1234:5"))
/// let snapshot = reader.snapshot()
/// ```
public struct IOUringReader: Sendable {
    public let instance: IOUringInstance
    public let process: ProcessIdentity
    let procRoot: String

    /// Resolves the target (checking the fd is an io_uring) and remembers the process's start
    /// time. Throws when the process or ring cannot be found or may not be read.
    public init(target: IOUringTarget, procRoot: String = "/proc") throws(IOUringError) {
        let instance = try IOUringDiscovery.resolve(target, procRoot: procRoot).get()
        guard let start = ProcessIdentity.startTime(of: instance.pid) else { throw .processNotFound(pid: instance.pid) }
        // Reading fdinfo needs more than listing fds on some setups: fail now, plainly.
        if case let .failure(failure) = ProcFS.readFile(Self.fdinfoPath(instance, procRoot)) {
            throw IOUringDiscovery.error(for: failure, pid: instance.pid, procRoot: procRoot)
        }
        self.instance = instance
        self.process = ProcessIdentity(pid: instance.pid, startTime: start)
        self.procRoot = procRoot
    }

    static func fdinfoPath(_ instance: IOUringInstance, _ procRoot: String) -> String {
        "\(procRoot)/\(instance.pid)/fdinfo/\(instance.fd)"
    }

    /// One read. Never throws: a vanished process or closed ring is a status, which the
    /// diagnosis reports ("process gone") instead of the tool failing mid-watch.
    public func snapshot() -> IOUringSnapshot {
        let now = Clock.monotonicNanoseconds
        func gone(_ status: IOUringSnapshot.Status) -> IOUringSnapshot {
            IOUringSnapshot(instance: instance, process: process, takenAtNanoseconds: now, status: status, info: IOUringFDInfo())
        }
        guard process.liveness == .alive else { return gone(.processGone) }
        let link = try? ProcFS.readLink("\(procRoot)/\(instance.pid)/fd/\(instance.fd)").get()
        guard link == IOUringDiscovery.linkTarget else {
            // Either the fd closed, or the whole process exited between the two checks.
            return gone(process.liveness == .alive ? .ringClosed : .processGone)
        }
        guard case let .success(text) = ProcFS.readFile(Self.fdinfoPath(instance, procRoot)) else {
            return gone(process.liveness == .alive ? .ringClosed : .processGone)
        }
        return IOUringSnapshot(instance: instance, process: process, takenAtNanoseconds: now, status: .live, info: IOUringFDInfo(parsing: text))
    }
}
