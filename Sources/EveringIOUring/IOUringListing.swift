import EveringInspect

/// `evering-top list --io-uring`: one row per io_uring of every visible process, from one
/// fdinfo read each. Pure rendering over rows; `scan()` does the reading.
public struct IOUringListing: Codable, Equatable, Sendable {
    public struct Row: Codable, Equatable, Sendable {
        public var pid: Int32
        public var command: String
        public var fd: Int32
        /// `io_uring:PID:FD`, ready to pass to dump/watch/check/attach.
        public var target: String
        public var sqUsed: UInt64?
        public var sqCapacity: UInt32?
        public var cqUsed: UInt64?
        public var cqCapacity: UInt32?
        public var cqOverflow: Int?
        public var sqPoll: Bool?
        /// OK, OVERFLOW (completions on the overflow list), CORRUPT (impossible indices),
        /// NO STATE (the kernel printed none this time), GONE (exited during the scan).
        public var status: String
    }

    public var rings: [Row]
    /// Processes whose fd table we may not read (other users' unless we are root).
    public var deniedPIDs: [Int32]

    public init(rings: [Row], deniedPIDs: [Int32]) {
        self.rings = rings
        self.deniedPIDs = deniedPIDs
    }

    /// Scans /proc and reads each ring once.
    public static func scan(procRoot: String = "/proc") -> IOUringListing {
        let found = IOUringDiscovery.scanAll(procRoot: procRoot)
        let rows = found.instances.map { instance -> Row in
            guard let source = try? IOUringSource(target: instance.target, procRoot: procRoot, pendingLimit: 0),
                  let snapshot = try? source.snapshot()
            else { return row(instance, snapshot: nil) }
            return row(instance, snapshot: snapshot)
        }
        return IOUringListing(rings: rows, deniedPIDs: found.deniedPIDs)
    }

    /// A row from one snapshot (nil: the ring vanished before it could be read).
    public static func row(_ instance: IOUringInstance, snapshot: Snapshot?) -> Row {
        var row = Row(pid: instance.pid, command: instance.command, fd: instance.fd, target: instance.target.description,
                      status: "GONE")
        guard let snapshot, snapshot.ioUring?.gone == nil else { return row }
        let details = snapshot.ioUring ?? IOUringDetails(fd: instance.fd)
        guard !details.stateUnavailable else {
            row.status = "NO STATE"
            return row
        }
        row.sqUsed = snapshot.submission.used
        row.sqCapacity = snapshot.submission.capacity
        row.cqUsed = snapshot.completion.used
        row.cqCapacity = snapshot.completion.capacity
        row.cqOverflow = details.overflowCount
        row.sqPoll = details.sqPoll ?? false
        if snapshot.submission.isOverfull || snapshot.completion.isOverfull {
            row.status = "CORRUPT"
        } else if (row.cqOverflow ?? 0) > 0 {
            row.status = "OVERFLOW"
        } else {
            row.status = "OK"
        }
        return row
    }

    /// The table `list --io-uring` prints, plus a plain note about unreadable processes.
    public func renderText() -> String {
        var lines = [pad("PID", 8) + pad("COMMAND", 17) + pad("FD", 5) + pad("SQ", 12) + pad("CQ", 12)
                     + pad("OVERFLOW", 9) + pad("SQPOLL", 7) + "STATUS"]
        for r in rings {
            func fill(_ used: UInt64?, _ capacity: UInt32?) -> String {
                guard let used, let capacity else { return "-" }
                return "\(used)/\(capacity)"
            }
            lines.append(pad(String(r.pid), 8) + pad(r.command, 17) + pad(String(r.fd), 5)
                         + pad(fill(r.sqUsed, r.sqCapacity), 12) + pad(fill(r.cqUsed, r.cqCapacity), 12)
                         + pad(r.cqOverflow.map(String.init) ?? "-", 9)
                         + pad(r.sqPoll.map { $0 ? "yes" : "no" } ?? "-", 7) + r.status)
        }
        if rings.isEmpty { lines.append("(no io_uring instances found in visible processes)") }
        if !deniedPIDs.isEmpty {
            lines.append("note: \(deniedPIDs.count) process(es) belong to other users and could not be inspected (permission denied); run as root to see their io_urings")
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
