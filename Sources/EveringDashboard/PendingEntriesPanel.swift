import EveringInspect

/// For a source without a driver slot table (a kernel io_uring), the middle row shows what
/// there is to see instead: the entries pending in both queues with every field the source
/// reports (fdinfo's opcode, fd, flags, res...). The slot panels would only say "no slot table".
public enum PendingEntriesPanel {
    public static let title = "Pending entries"

    public static func draw(_ input: DashboardInput, state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        let snapshot = input.snapshot
        let counts = snapshot.map { "SQ \($0.submission.used)  CQ \($0.completion.used)" }
        let inner = PanelFrame.draw(rect, title: title, focused: state.focus == .slots || state.focus == .inFlight,
                                    glyphs: state.glyphs, into: &grid, rightTitle: counts)
        guard inner.height >= 1, inner.width >= 10, let snapshot else { return }
        let lines = self.lines(snapshot)
        let x = inner.x + 1
        guard !lines.isEmpty else {
            grid.put("no entries pending in either queue", x: x, y: inner.y, style: TextStyle(.muted))
            return
        }
        for (offset, line) in lines.prefix(inner.height).enumerated() {
            let cut = offset == inner.height - 1 && lines.count > inner.height
            let text = cut ? "... \(lines.count - offset) more lines (a taller terminal shows them)" : line.text
            grid.put(text, x: x, y: inner.y + offset, style: cut ? TextStyle(.muted) : line.style, maxWidth: inner.width - 2)
        }
    }

    /// One line per pending entry, SQ first (oldest first in each), then how many more each
    /// queue holds than were read.
    static func lines(_ snapshot: Snapshot) -> [(text: String, style: TextStyle)] {
        var lines: [(String, TextStyle)] = []
        for queue in [snapshot.submission, snapshot.completion] {
            let label = queue.kind == .submission ? "SQ" : "CQ"
            for entry in queue.pending {
                lines.append((line(entry, label: label), .plain))
            }
            if queue.used > UInt64(queue.pending.count), queue.used <= UInt64(queue.capacity) {
                lines.append(("\(label) ... \(queue.used - UInt64(queue.pending.count)) more not read", TextStyle(.muted)))
            }
        }
        return lines
    }

    /// "SQ #2  NOP  user_data 2000  fd -1  flags 0 ..." from the source's own fields, or the
    /// common ones when it has none.
    static func line(_ entry: QueueEntry, label: String) -> String {
        var text = "\(label) #\(entry.position)"
        guard let details = entry.details, !details.isEmpty else {
            return text + "  op \(entry.opLabel)  opc \(entry.opcode)  len \(entry.length)"
        }
        if let opcode = details["opcode"] { text += "  \(opcode)" }
        text += "  user_data \(entry.userData)"
        for (key, value) in details.sorted(by: { $0.key < $1.key }) where key != "opcode" && key != "user_data" {
            text += "  \(key) \(value)"
        }
        return text
    }
}
