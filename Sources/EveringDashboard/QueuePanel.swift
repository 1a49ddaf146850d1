import EveringInspect

/// One queue: fill and free, a gauge of its ring with head (H) and tail (T) marks, the
/// indices, enqueue/dequeue rates, sparklines of fill and throughput, and the entry at
/// the head — what its consumer would take next, i.e. what it is stuck on.
public enum QueuePanel {
    public static func draw(_ kind: QueueKind, _ input: DashboardInput, state: DashboardState, tall: Bool,
                            in rect: Rect, into grid: inout ScreenGrid) {
        let panel: DashboardPanel = kind == .submission ? .submission : .completion
        let glyphs = state.glyphs
        let arrow = state.ascii ? ">" : "→"
        // An io_uring's SQ runs application -> kernel; an evering ring's requester -> responder.
        let (from, to) = input.snapshot?.source == .ioUring ? ("app", "kernel") : (SideRole.requester.shortName, SideRole.responder.shortName)
        let direction = kind == .submission ? "\(from)\(arrow)\(to)" : "\(to)\(arrow)\(from)"
        let inner = PanelFrame.draw(rect, title: panel.title, focused: state.focus == panel, glyphs: glyphs,
                                    into: &grid, rightTitle: direction)
        guard inner.height >= 1, inner.width >= 10, let snapshot = input.snapshot else { return }
        let queue = snapshot.queue(kind)
        let peak = kind == .submission ? input.peaks.submissionUsed : input.peaks.completionUsed
        // 80x24 has no row for the waiters: the one in a wait episode goes after the indices,
        // or after "(empty)" at the head, whole, where it fits.
        var pendingWait = [WaiterRole.consumer, .producer].lazy.compactMap { snapshot.waiter(kind, $0) }
            .first { $0.activity != .running }.map { waitSegment($0, input) }
        var y = inner.y
        let x = inner.x + 1
        let width = inner.width - 2

        // used / capacity, free, peak. Overfull is corruption: said, not clamped.
        let stateRole = stateRole(kind, queue, input)
        let usedStyle: TextStyle = stateRole == .gaugeUsed ? .bold : TextStyle(stateRole, .bold)
        var cx = grid.put("used ", x: x, y: y, style: TextStyle(.label))
        cx = grid.put("\(queue.used)/\(queue.capacity) \(Formatting.percent(queue.used, of: UInt64(queue.capacity)))",
                      x: cx, y: y, style: usedStyle)
        cx = grid.put("  free \(queue.free)", x: cx, y: y)
        if queue.isOverfull { cx = grid.put(" OVERFULL", x: cx, y: y, style: TextStyle(.critical, .bold)) }
        grid.put("  peak \(peak)", x: cx, y: y, style: TextStyle(.muted), maxWidth: inner.maxX - cx)
        y += 1

        if y + 1 < inner.maxY {
            Gauge(head: queue.head, tail: queue.tail, capacity: UInt64(queue.capacity))
                .draw(x: x, y: y, width: width, glyphs: glyphs, color: state.color, fill: stateRole, into: &grid)
            y += 2
        }
        if y < inner.maxY {
            cx = grid.put("head ", x: x, y: y, style: TextStyle(.headMark))
            cx = grid.put("\(queue.head)", x: cx, y: y, style: .bold)
            cx = grid.put("  tail ", x: cx, y: y, style: TextStyle(.tailMark))
            cx = grid.put("\(queue.tail)", x: cx, y: y, style: .bold)
            if tall, let stalls = queue.fullStalls, let waits = queue.emptyWaits {
                grid.put("  full \(Formatting.count(stalls)) empty \(Formatting.count(waits))", x: cx, y: y,
                         style: TextStyle(.muted), maxWidth: inner.maxX - cx)
            } else if !tall, let segment = pendingWait, cx + 2 + segment.text.count <= inner.maxX {
                grid.put("  " + segment.text, x: cx, y: y, style: segment.style)
                pendingWait = nil
            }
            y += 1
        }
        if tall && y < inner.maxY && snapshot.source == .evering {
            drawWaitRow(kind, snapshot, input, x: x, y: y, maxX: inner.maxX, into: &grid)
            y += 1
        }
        let rates = input.history.last?.rates
        if y < inner.maxY {
            let enq = rates.map { Formatting.count($0.enqueuesPerSecond(kind)) } ?? "-"
            let deq = rates.map { Formatting.count($0.dequeuesPerSecond(kind)) } ?? "-"
            cx = grid.put("enq ", x: x, y: y, style: TextStyle(.label))
            cx = grid.put("\(enq)/s", x: cx, y: y, style: .bold)
            cx = grid.put("  deq ", x: cx, y: y, style: TextStyle(.label))
            grid.put("\(deq)/s", x: cx, y: y, style: .bold)
            y += 1
        }
        let fills = input.history.map { Double($0.queue(kind).used) }
        let throughput = input.history.compactMap { $0.rates?.dequeuesPerSecond(kind) }
        let rateStyle = TextStyle(.good)
        let fillStyle = TextStyle(.gaugeUsed)
        // Each chart ends with its scale, the value of a full-height bar: the capacity for
        // fill, the highest rate in the window for rate.
        let fillLabel = { (top: Double) in (tall ? "top " : "") + Formatting.count(top) }
        let rateLabel = { (top: Double) in (tall ? "top " : "") + Formatting.count(top) + (tall ? "/s" : "") }
        if tall {
            // Own rows, full width: "fill ▁▂▃▅ top 64" and "rate ▃▃▄▅ top 15.0k/s".
            for (label, values, maximum, scale, style) in [("fill", fills, Double(queue.capacity), fillLabel, fillStyle),
                                                            ("rate", throughput, nil, rateLabel, rateStyle)] where y < inner.maxY {
                grid.put(label, x: x, y: y, style: TextStyle(.label))
                Sparkline.drawWithScale(values, x: x + 5, y: y, width: width - 5, maximum: maximum, label: scale,
                                        glyphs: glyphs, style: style, into: &grid)
                y += 1
            }
        } else if y < inner.maxY {
            // One row split in two halves.
            let half = width / 2
            grid.put("fill", x: x, y: y, style: TextStyle(.label))
            Sparkline.drawWithScale(fills, x: x + 5, y: y, width: half - 6, maximum: Double(queue.capacity),
                                    label: fillLabel, glyphs: glyphs, style: fillStyle, into: &grid)
            grid.put("rate", x: x + half, y: y, style: TextStyle(.label))
            Sparkline.drawWithScale(throughput, x: x + half + 5, y: y, width: width - half - 5, label: rateLabel,
                                    glyphs: glyphs, style: rateStyle, into: &grid)
            y += 1
        }
        // The entries at the head: what the consumer takes next.
        let shown = max(0, min(queue.pending.count, inner.maxY - y))
        if shown == 0 && y < inner.maxY {
            let end = grid.put(queue.isEmpty ? "at head: (empty)" : "at head: (not read)", x: x, y: y, style: TextStyle(.muted))
            if !tall, let segment = pendingWait, end + 2 + segment.text.count <= inner.maxX {
                grid.put("  " + segment.text, x: end, y: y, style: segment.style)
            }
        }
        for (offset, entry) in queue.pending.prefix(shown).enumerated() {
            grid.put(entryLine(entry, first: offset == 0), x: x, y: y + offset,
                     style: offset == 0 ? TextStyle(.normal) : TextStyle(.muted), maxWidth: width)
        }
    }

    /// The queue's state colour: critical when an active critical alert is about this queue
    /// (blocked, stalled), when it is full and a critical alert blames its consumer (dead,
    /// stopped, hung: the producer is blocked), or when it is overfull; warning when full
    /// (back-pressure) or a warning is about it; else the ordinary gauge colour.
    public static func stateRole(_ kind: QueueKind, _ queue: QueueStatus, _ input: DashboardInput) -> ColorRole {
        let active = input.activeFindings
        let about = active.filter { $0.subject == kind.rawValue }
        let consumer = Finding.Party(kind.consumer)
        let consumerStuck = active.contains { $0.severity == .critical && $0.culprit == consumer }
        if queue.isOverfull || about.contains(where: { $0.severity == .critical }) || (queue.isFull && consumerStuck) {
            return .critical
        }
        if queue.isFull || !about.isEmpty { return .warning }
        return .gaugeUsed
    }

    /// The queue's two waiters (ABI 1.1 wait records), whole segments while they fit:
    /// `wait  resp asleep 1.2s  req running  late 0  wakes 12` (late second when not 0). A 1.0 ring has none: `n/a`.
    static func drawWaitRow(_ kind: QueueKind, _ snapshot: Snapshot, _ input: DashboardInput, x start: Int, y: Int, maxX: Int,
                            into grid: inout ScreenGrid) {
        var x = grid.put("wait ", x: start, y: y, style: TextStyle(.label))
        let waiters = [WaiterRole.consumer, .producer].compactMap { snapshot.waiter(kind, $0) }
        guard !waiters.isEmpty else {
            grid.put(" n/a (ABI 1.0 ring)", x: x, y: y, style: TextStyle(.muted), maxWidth: maxX - x)
            return
        }
        var segments = waiters.map { waitSegment($0, input) }
        let wakes = waiters.reduce(0) { $0 &+ $1.wakes }
        let late = waiters.reduce(0) { $0 &+ $1.lateWakes }
        segments.append(("late \(Formatting.count(Double(late)))",
                         TextStyle(late > 0 ? .warning : .muted, late > 0 ? .bold : [])))
        segments.append(("wakes \(Formatting.count(Double(wakes)))", TextStyle(.muted)))
        // A missed wake-up matters more than who is running: it goes first when there is one.
        if late > 0 { segments.insert(segments.remove(at: 2), at: 1) }
        for (index, segment) in segments.enumerated() {
            let gap = index == 0 ? " " : "  "
            guard x + gap.count + segment.text.count <= maxX else { break }
            x = grid.put(gap + segment.text, x: x, y: y, style: segment.style)
        }
    }

    /// "resp asleep 1.2s", "req waiting 3ms", "resp running": critical while an active
    /// lost-wake-up finding names this waiter.
    static func waitSegment(_ waiter: WaiterStatus, _ input: DashboardInput) -> (text: String, style: TextStyle) {
        let who = waiter.side.shortName
        let age = Formatting.age(nanoseconds: waiter.ageNanoseconds ?? 0)
        let lost = input.activeFindings.contains { $0.rule == .lostWakeUp && $0.subject == waiter.findingSubject }
        switch waiter.activity {
        case .running: return ("\(who) running", TextStyle(.muted))
        case .waiting: return ("\(who) waiting \(age)", .plain)
        case .asleep: return ("\(who) asleep \(age)", lost ? TextStyle(.critical, .bold) : .plain)
        }
    }

    static func entryLine(_ entry: QueueEntry, first: Bool) -> String {
        var text = (first ? "at head: " : "   next: ") + "op \(entry.opLabel) opc \(entry.opcode) len \(entry.length)"
        if let age = entry.ageNanoseconds { text += " \(Formatting.age(nanoseconds: age))" }
        return text
    }
}
