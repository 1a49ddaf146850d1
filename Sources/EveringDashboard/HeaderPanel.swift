import EveringInspect

/// Two rows: the ring (name, ABI, size, age, slots, refresh, PAUSED; for an io_uring its
/// owning process) and its two sides (pid, alive or dead, heartbeat age) or the source's own
/// facts (`DashboardInput.sourceFacts`), with the overall completion rate.
public enum HeaderPanel {
    public static func draw(_ input: DashboardInput, state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        guard rect.height >= 1 else { return }
        // Right end: the refresh interval, and PAUSED before it; the left part gets what is left.
        let refresh = "refresh \(Formatting.duration(seconds: state.interval))"
        var rightStart = rect.maxX - refresh.count
        grid.put(refresh, x: rightStart, y: rect.y, style: TextStyle(.muted))
        if state.paused {
            rightStart -= 9
            grid.put(" PAUSED ", x: rightStart, y: rect.y, style: TextStyle(.warning, [.bold, .reverse]))
        }
        let leftLimit = rightStart - 1
        var x = grid.put("evering-top", x: rect.x, y: rect.y, style: TextStyle(.title, .bold), maxWidth: leftLimit - rect.x)
        x = grid.put("  \(input.snapshot?.name ?? ringPath(input.name))", x: x, y: rect.y, style: .bold,
                     maxWidth: leftLimit - x)
        if let status = input.status, x + status.rawValue.count + 4 <= leftLimit {
            x = grid.put("  ", x: x, y: rect.y)
            x = grid.put(" \(status.rawValue) ", x: x, y: rect.y, style: statusStyle(status))
        }
        if let header = input.snapshot?.header, let snapshot = input.snapshot {
            let age = snapshot.takenAtRealtimeNanoseconds > header.createdAtNanoseconds
                ? Formatting.duration(nanoseconds: snapshot.takenAtRealtimeNanoseconds - header.createdAtNanoseconds) : "-"
            // Least important last, and only whole segments: a cut-off number would mislead.
            let segments = ["  ABI \(header.abiMajor).\(header.abiMinor)", "  \(Formatting.bytes(header.totalSize))",
                            "  age \(age)", "  slots \(header.slotCount)"] + (wakeUpsText(snapshot).map { ["  " + $0] } ?? [])
            for segment in segments where x + segment.count <= leftLimit {
                x = grid.put(segment, x: x, y: rect.y)
            }
        } else if let snapshot = input.snapshot, let process = snapshot.process {
            // A single-owner source (io_uring) has no object header: its owner goes here.
            let width = 2 + processText(process).count
            if x + width <= leftLimit { x = drawProcess(process, x: x + 2, y: rect.y, into: &grid) }
        }
        guard rect.height >= 2 else { return }
        let row = rect.y + 1
        guard let snapshot = input.snapshot else {
            grid.put("no snapshot yet", x: rect.x, y: row, style: TextStyle(.muted))
            return
        }
        x = rect.x
        // What only this kind of source knows (io_uring: setup, SQPOLL thread, registrations,
        // overflow): whole segments, in order, as many as fit before the rate.
        let rate = input.history.last?.rates.map { "\(Formatting.count($0.completionsPerSecond)) ops/s" }
        let opsWidth = rate.map { $0.count + 2 } ?? 0
        for (index, fact) in input.sourceFacts.enumerated() {
            let text = (index == 0 ? "" : "  ") + fact.text
            guard x + text.count <= rect.maxX - opsWidth else { break }
            x = grid.put(text, x: x, y: row, style: fact.needsAttention ? TextStyle(.warning, .bold) : .plain)
        }
        for role in SideRole.allCases {
            if let side = snapshot.side(role) {
                x = drawSide(side, staleAfter: UInt64(max(0, state.stallTimeout) * 1e9), x: x, y: row, into: &grid)
            }
            x = grid.put("  ", x: x, y: row)
        }
        if let rate { grid.putRight(rate, endX: rect.maxX, y: row, style: .bold) }
    }

    /// Which sides advertise futex wake-ups (`wakes-peer`), and which sleep with membarrier:
    /// "wake-ups req+resp", "wake-ups resp (membarrier req)", "wake-ups none" (two 1.0
    /// peers). Nil for a 1.0 ring, which has no capabilities to show.
    public static func wakeUpsText(_ snapshot: Snapshot) -> String? {
        let sides = [snapshot.requester, snapshot.responder].compactMap { side in side.flatMap { s in s.capabilities.map { (s.role, $0) } } }
        guard !sides.isEmpty else { return nil }
        let waking = sides.filter { $0.1.contains(.wakesPeer) }.map { $0.0.shortName }
        var text = "wake-ups " + (waking.isEmpty ? "none" : waking.joined(separator: "+"))
        let membarrier = sides.filter { $0.1.contains(.sleepMembarrier) }.map { $0.0.shortName }
        if !membarrier.isEmpty { text += " (membarrier \(membarrier.joined(separator: "+")))" }
        return text
    }

    /// "requester 1234 alive hb 12ms", with the state coloured: dead is critical.
    /// - Parameter staleAfter: heartbeat age (ns) from which the age is shown as a warning,
    ///   the same limit diagnosis uses (the stall timeout).
    static func drawSide(_ side: SideStatus, staleAfter: UInt64, x start: Int, y: Int, into grid: inout ScreenGrid) -> Int {
        var x = grid.put("\(side.role) ", x: start, y: y, style: TextStyle(.label))
        switch side.state {
        case .never:
            return grid.put("not attached", x: x, y: y, style: TextStyle(.muted))
        case .unknown:
            return grid.put("state \(side.rawState)?", x: x, y: y, style: TextStyle(.critical, .bold))
        case .attached, .detached:
            x = grid.put("\(side.pid) ", x: x, y: y, style: .bold)
            // Dead while attached is the emergency; a side that detached and then exited is
            // only worth a warning colour (diagnosis says whether ops were left behind).
            let (word, role): (String, ColorRole) = switch (side.state, side.liveness) {
            case (.detached, .dead), (.detached, .pidReused), (.detached, .zombie), (.detached, .exiting): ("detached, exited", .warning)
            case (.detached, _): ("detached", .muted)
            case (_, .dead): ("DEAD", .critical)
            case (_, .zombie): ("DEAD (zombie)", .critical)
            case (_, .exiting): ("DEAD (exiting)", .critical)
            case (_, .pidReused): ("DEAD (pid reused)", .critical)
            case (_, .stopped): ("STOPPED (SIGSTOP?)", .critical)
            case (_, .blockedInKernel): ("blocked in kernel (D)", .warning)
            default: ("alive", .good)
            }
            x = grid.put(word, x: x, y: y, style: TextStyle(role, role == .critical ? .bold : []))
            if side.state == .attached, let beat = side.heartbeatAgeNanoseconds {
                let stale = beat > staleAfter
                x = grid.put(" hb \(Formatting.age(nanoseconds: beat))", x: x, y: y,
                             style: TextStyle(stale ? .warning : .muted))
            }
            return x
        }
    }

    /// "pid 1234 (fio) alive": the process that owns a single-owner ring. An owner that is
    /// gone has exited (its ring went with it): "gone", a warning, not an alarm.
    static func drawProcess(_ process: ProcessStatus, x start: Int, y: Int, into grid: inout ScreenGrid) -> Int {
        var x = grid.put("pid ", x: start, y: y, style: TextStyle(.label))
        x = grid.put("\(process.pid)", x: x, y: y, style: .bold)
        if let command = process.command { x = grid.put(" (\(command))", x: x, y: y) }
        let (word, role) = livenessWord(process.liveness)
        return grid.put(" " + word, x: x, y: y, style: TextStyle(role))
    }

    static func processText(_ process: ProcessStatus) -> String {
        "pid \(process.pid)" + (process.command.map { " (\($0))" } ?? "") + " " + livenessWord(process.liveness).word
    }

    static func livenessWord(_ liveness: Liveness) -> (word: String, role: ColorRole) {
        switch liveness {
        case .alive: ("alive", .good)
        case .stopped: ("stopped", .warning)
        case .blockedInKernel: ("in kernel (D)", .warning)
        case .dead, .pidReused, .zombie, .exiting: ("gone", .warning)
        case .unknown: ("?", .muted)
        }
    }

    /// The status word's colour: green OK, yellow DEGRADED/STALE/GONE/NOT READY, red STUCK/DEAD.
    public static func statusStyle(_ status: RingStatus) -> TextStyle {
        switch status.level {
        case 0: TextStyle(.good, [.bold, .reverse])
        case 1: TextStyle(.warning, [.bold, .reverse])
        default: TextStyle(.critical, [.bold, .reverse])
        }
    }

    static func ringPath(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }
}

extension SideRole {
    /// "req" / "resp": how the panels name a side where space is short.
    var shortName: String { self == .requester ? "req" : "resp" }
}
