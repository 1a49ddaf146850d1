/// One io_uring file descriptor of one process.
public struct IOUringInstance: Equatable, Sendable {
    public var pid: Int32
    /// /proc/PID/comm: the command name (at most 15 characters, set by the process).
    public var command: String
    public var fd: Int32

    public init(pid: Int32, command: String, fd: Int32) {
        self.pid = pid
        self.command = command
        self.fd = fd
    }

    public var target: IOUringTarget { IOUringTarget(pid: pid, fd: fd) }
}

/// Finds io_urings by their fd links: /proc/PID/fd/FD -> `anon_inode:[io_uring]`.
public enum IOUringDiscovery {
    /// What an io_uring fd links to.
    public static let linkTarget = "anon_inode:[io_uring]"

    /// Every visible process's io_urings, plus the processes we were not allowed to look into.
    public struct Scan: Sendable {
        public var instances: [IOUringInstance]
        /// Pids whose fd table we may not read (other users' processes, unless root).
        public var deniedPIDs: [Int32]
    }

    /// Scans all of /proc. Processes that exit during the scan are skipped silently.
    public static func scanAll(procRoot: String = "/proc") -> Scan {
        var scan = Scan(instances: [], deniedPIDs: [])
        guard case let .success(names) = ProcFS.listDirectory(procRoot) else { return scan }
        for pid in names.compactMap({ Int32($0) }).sorted() {
            switch instances(ofPID: pid, procRoot: procRoot) {
            case let .success(found): scan.instances += found
            case .failure(.permissionDenied): scan.deniedPIDs.append(pid)
            case .failure: continue  // exited meanwhile, or a kernel thread
            }
        }
        return scan
    }

    /// The io_urings of one process, sorted by fd.
    public static func instances(ofPID pid: Int32, procRoot: String = "/proc") -> Result<[IOUringInstance], IOUringError> {
        let fdDirectory = "\(procRoot)/\(pid)/fd"
        switch ProcFS.listDirectory(fdDirectory) {
        case let .failure(failure):
            return .failure(error(for: failure, pid: pid, procRoot: procRoot))
        case let .success(names):
            let command = commandName(ofPID: pid, procRoot: procRoot)
            let fds = names.compactMap { Int32($0) }.sorted().filter { fd in
                // A failed readlink means the fd was closed meanwhile: not a ring any more.
                (try? ProcFS.readLink("\(fdDirectory)/\(fd)").get()) == linkTarget
            }
            return .success(fds.map { IOUringInstance(pid: pid, command: command, fd: $0) })
        }
    }

    /// Resolves a target to exactly one ring: its fd checked, or the process's only ring.
    public static func resolve(_ target: IOUringTarget, procRoot: String = "/proc") -> Result<IOUringInstance, IOUringError> {
        if let fd = target.fd {
            switch ProcFS.readLink("\(procRoot)/\(target.pid)/fd/\(fd)") {
            case let .success(link) where link == linkTarget:
                return .success(IOUringInstance(pid: target.pid, command: commandName(ofPID: target.pid, procRoot: procRoot), fd: fd))
            case let .success(link):
                return .failure(.notAnIOUring(pid: target.pid, fd: fd, link: link))
            case let .failure(failure) where failure.isNotFound:
                // Tell "no such process" apart from "no such fd".
                if case .failure(.processNotFound) = processExists(target.pid, procRoot: procRoot) {
                    return .failure(.processNotFound(pid: target.pid))
                }
                return .failure(.fdNotFound(pid: target.pid, fd: fd))
            case let .failure(failure):
                return .failure(error(for: failure, pid: target.pid, procRoot: procRoot))
            }
        }
        return instances(ofPID: target.pid, procRoot: procRoot).flatMap { found in
            switch found.count {
            case 0: return .failure(.noIOUring(pid: target.pid, command: commandName(ofPID: target.pid, procRoot: procRoot)))
            case 1: return .success(found[0])
            default: return .failure(.ambiguous(pid: target.pid, fds: found.map(\.fd)))
            }
        }
    }

    /// /proc/PID/comm without its newline; "?" if unreadable.
    public static func commandName(ofPID pid: Int32, procRoot: String = "/proc") -> String {
        guard case let .success(text) = ProcFS.readFile("\(procRoot)/\(pid)/comm") else { return "?" }
        return String(text.trimmingSpaces)
    }

    static func processExists(_ pid: Int32, procRoot: String) -> Result<Void, IOUringError> {
        switch ProcFS.readFile("\(procRoot)/\(pid)/stat") {
        case .success: return .success(())
        case let .failure(failure): return .failure(error(for: failure, pid: pid, procRoot: procRoot))
        }
    }

    /// Maps a /proc failure to the user-facing error for this pid.
    static func error(for failure: ProcFSFailure, pid: Int32, procRoot: String) -> IOUringError {
        if failure.isNotFound { return .processNotFound(pid: pid) }
        if failure.isPermissionDenied {
            return .permissionDenied(pid: pid, owner: ProcFS.ownerName(of: "\(procRoot)/\(pid)") ?? "another user")
        }
        return .system(call: failure.call, path: failure.path, errno: failure.errno)
    }
}
