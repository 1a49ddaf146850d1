import EveringInspect

/// Two rows: the ring (name, ABI, size, age, slots, refresh, PAUSED) and its two sides
/// (pid, alive or dead, heartbeat age) with the overall completion rate.
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
            for segment in ["  ABI \(header.abiMajor).\(header.abiMinor)", "  \(Formatting.bytes(header.totalSize))",
                            "  age \(age)", "  slots \(header.slotCount)"] where x + segment.count <= leftLimit {
                x = grid.put(segment, x: x, y: rect.y)
            }
        }
        guard rect.height >= 2 else { return }
        let row = rect.y + 1
        guard let snapshot = input.snapshot else {
            grid.put("no snapshot yet", x: rect.x, y: row, style: TextStyle(.muted))
            return
        }
        x = rect.x
        for role in SideRole.allCases {
            if let side = snapshot.side(role) {
                x = drawSide(side, staleAfter: UInt64(max(0, state.stallTimeout) * 1e9), x: x, y: row, into: &grid)
            }
            x = grid.put("  ", x: x, y: row)
        }
        if let rates = input.history.last?.rates {
            grid.putRight("\(Formatting.count(rates.completionsPerSecond)) ops/s", endX: rect.maxX, y: row, style: .bold)
        }
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
            case (.detached, .dead), (.detached, .pidReused), (.detached, .zombie): ("detached, exited", .warning)
            case (.detached, _): ("detached", .muted)
            case (_, .dead): ("DEAD", .critical)
            case (_, .zombie): ("DEAD (zombie)", .critical)
            case (_, .pidReused): ("DEAD (pid reused)", .critical)
            case (_, .stopped): ("STOPPED (SIGSTOP?)", .critical)
            case (_, .blockedInKernel): ("blocked in kernel (D)", .warning)
            default: ("alive", .good)
            }
            x = grid.put(word, x: x, y: y, style: TextStyle(role, role == .critical ? .bold : []))
            if side.state == .attached, let beat = side.heartbeatAgeNanoseconds {
                let stale = beat > staleAfter
                x = grid.put(" hb \(Formatting.duration(nanoseconds: beat))", x: x, y: y,
                             style: TextStyle(stale ? .warning : .muted))
            }
            return x
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
