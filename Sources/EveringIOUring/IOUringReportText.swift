import EveringInspect

/// The io_uring-only part of `dump`'s text: SQPOLL thread, registered resources, overflow
/// list, and the pending SQEs/CQEs with their fdinfo fields (opcode names, fd, res). Appended
/// after the common report. Pure.
public enum IOUringReportText {
    public static func section(_ snapshot: Snapshot) -> String {
        guard snapshot.source == .ioUring else { return "" }
        let details = snapshot.ioUring ?? IOUringDetails(fd: -1)
        let d = details.fields
        var lines: [String] = ["io_uring details"]
        if let gone = details.gone {
            lines.append("  state      \(gone.rawValue): the queues below are the last ones seen")
        }
        if details.stateUnavailable {
            lines.append("  state      the kernel printed no ring state (it only try-locks the ring); queues repeat the last read")
        }
        let sqThread = details.sqThread ?? -1
        lines.append(details.sqThread == nil ? "  sqpoll     unknown (not printed)" : sqThread > 0
            ? "  sqpoll     kernel thread tid \(sqThread) on cpu \(details.sqThreadCPU.map(String.init) ?? "?")"
                + (d["SqWorkTime"].map { ", worked \($0) of \(d["SqTotalTime"] ?? "?") µs" } ?? "")
            : "  sqpoll     none (the application submits with io_uring_enter)")
        lines.append("  cached     CachedSqHead \(d["CachedSqHead"] ?? "-")  CachedCqTail \(d["CachedCqTail"] ?? "-")")
        lines.append("  registered files \(d["UserFiles"] ?? "-")  buffers \(d["UserBufs"] ?? "-")  NAPI \(d["NAPI"] ?? "-")")
        let overflow = details.overflowCount.map(String.init) ?? "-"
        let userData = details.overflowUserData.isEmpty ? "" : " (user_data \(details.overflowUserData.map(String.init).joined(separator: ",")))"
        lines.append("  overflow   \(overflow)" + userData)
        for (label, queue) in [("sqe", snapshot.submission), ("cqe", snapshot.completion)] where !queue.pending.isEmpty {
            for entry in queue.pending {
                let fields = (entry.details ?? [:]).sorted { $0.key < $1.key }
                    .filter { $0.key != "user_data" && $0.key != "opcode" }
                    .map { "\($0.key) \($0.value)" }.joined(separator: "  ")
                let opcode = label == "sqe" ? (entry.details?["opcode"] ?? IOUringOpcode.name(entry.opcode)) + "  " : ""
                lines.append("  \(label) #\(entry.position)  \(opcode)user_data \(entry.userData)  \(fields)")
            }
            if queue.used > UInt64(queue.pending.count) {
                lines.append("  \(label) ... \(queue.used - UInt64(queue.pending.count)) more")
            }
        }
        if !snapshot.submission.isEmpty || !snapshot.completion.isEmpty {
            // fdinfo has no timestamps, so unlike evering rings one read cannot date a stall.
            lines.append("  note       entries are pending; whether they are stuck needs time: use `check` or `watch --batch`")
        }
        return lines.joined(separator: "\n")
    }
}
