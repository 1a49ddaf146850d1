import EveringInspect

/// The io_uring-only part of `dump`'s text: SQPOLL thread, registered resources, overflow
/// list, and the pending SQEs/CQEs with their fdinfo fields (opcode names, fd, res). Appended
/// after the common report. Pure.
public enum IOUringReportText {
    public static func section(_ snapshot: Snapshot) -> String {
        guard snapshot.source == .ioUring else { return "" }
        let d = snapshot.details ?? [:]
        var lines: [String] = ["io_uring details"]
        if let gone = d[IOUringSnapshot.Detail.gone] {
            lines.append("  state      \(gone): the queues below are the last ones seen")
        }
        if d[IOUringSnapshot.Detail.stateUnavailable] == "true" {
            lines.append("  state      the kernel printed no ring state (it only try-locks the ring); queues repeat the last read")
        }
        let sqThread = d["SqThread"].flatMap(Int.init) ?? -1
        lines.append(d["SqThread"] == nil ? "  sqpoll     unknown (not printed)" : sqThread > 0
            ? "  sqpoll     kernel thread tid \(sqThread) on cpu \(d["SqThreadCpu"] ?? "?")"
                + (d["SqWorkTime"].map { ", worked \($0) of \(d["SqTotalTime"] ?? "?") µs" } ?? "")
            : "  sqpoll     none (the application submits with io_uring_enter)")
        lines.append("  cached     CachedSqHead \(d["CachedSqHead"] ?? "-")  CachedCqTail \(d["CachedCqTail"] ?? "-")")
        lines.append("  registered files \(d["UserFiles"] ?? "-")  buffers \(d["UserBufs"] ?? "-")  NAPI \(d["NAPI"] ?? "-")")
        let overflow = d[IOUringSnapshot.Detail.overflowCount] ?? "-"
        lines.append("  overflow   \(overflow)" + (d[IOUringSnapshot.Detail.overflowUserData].map { " (user_data \($0))" } ?? ""))
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
