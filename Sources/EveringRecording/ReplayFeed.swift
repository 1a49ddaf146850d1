import EveringDashboard
import EveringInspect

/// The dashboard over a recording (`evering-top replay FILE`), as a pure model: a playhead
/// and speed moved by keys (`handle`), and the screen for the playhead (`render`) — the
/// live dashboard's panels fed from the recorded frame, plus the REPLAY label and a
/// timeline bar on the last row. It runs in the terminal as `ReplayView` (EveringTerminal).
///
/// What the screen shows at a sample is what `dump FILE --at T` prints for it: the rebuilt
/// snapshot and the findings the recorder diagnosed then.
public final class ReplayFeed {
    /// `+`/`-` step through these.
    public static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16]
    /// `[`/`]` seek by this many seconds of recorded time.
    public static let seekSeconds = 10.0
    /// Sparkline history: one sample per this much recorded time (300 samples: 30 s).
    static let historyStepSeconds = 0.1
    static let historyLength = 300

    public let recording: RecordingReader
    /// The frame shown.
    public private(set) var position = 0
    /// Recorded seconds from the first frame; advances with playback, between frames too.
    public private(set) var playhead = 0.0
    public private(set) var speedIndex = 2
    public var paused = false
    /// The first frame with a finding (for `g`), if any.
    public let firstFinding: Int?
    private var alerts = AlertLog()
    private var alertsPosition = -1

    public init(_ recording: RecordingReader) {
        precondition(!recording.isEmpty, "a replay needs at least one frame")
        self.recording = recording
        firstFinding = recording.frames.firstIndex { !$0.frame.findings.isEmpty }
    }

    public var speed: Double { Self.speeds[speedIndex] }
    public var isAtEnd: Bool { position == recording.frames.count - 1 }

    /// What a key did: nil when the key is not a replay key (the dashboard state takes it).
    public enum Outcome: Equatable { case moved, changed, quit }

    /// Replay keys: ←/→ step one sample (and pause), `[`/`]` seek ±10 s, `+`/`-` speed,
    /// `g` the first finding, `G` the end, space/p pause, q quit.
    public func handle(_ key: DashboardKey) -> Outcome? {
        switch key {
        case .left: paused = true; move(to: position - 1)
        case .right: paused = true; move(to: position + 1)
        case .character("["): seek(to: playhead - Self.seekSeconds)
        case .character("]"): seek(to: playhead + Self.seekSeconds)
        case .character("+"), .character("="): speedIndex = min(speedIndex + 1, Self.speeds.count - 1); return .changed
        case .character("-"), .character("_"): speedIndex = max(speedIndex - 1, 0); return .changed
        case .character("g"): if let firstFinding { move(to: firstFinding) } else { return .changed }
        case .character("G"), .end: move(to: recording.frames.count - 1)
        case .home: move(to: 0)
        case .character(" "), .character("p"), .character("P"):
            if isAtEnd && paused { move(to: 0) }  // play again from the start
            paused.toggle()
            return .changed
        case .character("q"), .character("Q"): return .quit
        default: return nil
        }
        return .moved
    }

    /// Advances playback by `seconds` of real time (times the speed); true if the frame changed.
    public func advance(bySeconds seconds: Double) -> Bool {
        guard !paused else { return false }
        let before = position
        seek(to: playhead + seconds * speed)
        if isAtEnd { paused = true }
        return position != before
    }

    /// Recorded seconds from the playhead to the next frame (0 at the end): playing at
    /// `speed`, the screen next changes after this divided by the speed.
    public var secondsToNextFrame: Double {
        guard !isAtEnd else { return 0 }
        return max(0, recording.offsetSeconds(position + 1) - playhead)
    }

    public func seek(to seconds: Double) {
        playhead = min(max(seconds, 0), recording.durationSeconds)
        position = recording.index(atOffsetSeconds: playhead)
    }

    public func move(to index: Int) {
        position = min(max(index, 0), recording.frames.count - 1)
        playhead = recording.offsetSeconds(position)
    }

    /// The dashboard's input for the current frame.
    public var input: DashboardInput {
        let report = recording.report(at: position)
        updateAlerts()
        var sampler = Sampler(historyCapacity: Self.historyLength + 1)
        let stride = max(1, Int((Self.historyStepSeconds * 1e9 / Double(recording.header.intervalNanoseconds)).rounded()))
        let epoch = recording.frames[position].epoch
        var indices: [Int] = []
        var i = position
        while i >= 0, indices.count < Self.historyLength, recording.frames[i].epoch == epoch {
            indices.append(i)
            i -= stride
        }
        for index in indices.reversed() {
            // Queues and counts are whole in every frame: no rebuild needed for history.
            sampler.record(recording.frames[index].frame.snapshot)
        }
        let epochNote = recording.boundaries.isEmpty ? [] : [DashboardInput.Fact("ring #\(epoch + 1) of \(recording.boundaries.filter { $0.event == .recreated }.count + 1)")]
        return DashboardInput(name: recording.header.ring, connection: .live, snapshot: report.snapshot, history: sampler.history,
                              peaks: sampler.peaks, alerts: alerts.ordered, status: report.status,
                              sourceFacts: report.snapshot.requester == nil ? epochNote : [])
    }

    /// The alert log as it stood at the playhead: folded forward frame by frame while
    /// playing, rebuilt from 30 s earlier after a seek backwards or far forwards.
    private func updateAlerts() {
        let keep = alerts.keepResolvedNanoseconds
        if alertsPosition < 0 || position < alertsPosition || position - alertsPosition > 2_000 {
            alerts = AlertLog()
            let from = recording.frames[position].time &- min(keep, recording.frames[position].time)
            alertsPosition = recording.frames.firstIndex { $0.time >= from } ?? position
            alertsPosition -= 1
        }
        while alertsPosition < position {
            alertsPosition += 1
            let stored = recording.frames[alertsPosition]
            alerts.update(stored.frame.findings, at: stored.time)
        }
    }

    /// The screen: the dashboard for the frame at its own time, the REPLAY label over the
    /// header's right end, and the timeline bar as the last row.
    public func render(state: DashboardState, width: Int, height: Int) -> ScreenGrid {
        var state = state
        state.paused = false  // the replay label says PAUSED itself
        state.interval = Double(recording.header.intervalNanoseconds) / 1e9
        let frameTime = recording.frames[position].time
        var grid = DashboardRenderer.render(input, state: state, width: width, height: height, now: frameTime)
        guard width >= 20, height >= 2 else { return grid }
        let wall = RecordingText.wallClock(recording.realtimeNanoseconds(position))
        let label = " REPLAY \(wall) " + (paused ? "PAUSED " : "")
        let refreshWidth = "refresh \(Formatting.duration(seconds: state.interval))".count
        grid.fill(Rect(x: max(0, width - refreshWidth - 1), y: 0, width: min(width, refreshWidth + 1), height: 1))
        grid.putRight(label, endX: width, y: 0, style: TextStyle(.warning, [.bold, .reverse]))
        drawTimeline(into: &grid, y: height - 1, width: width)
        return grid
    }

    /// `▶ +12.340s/60.000s ×1 [=====|.....!....]  ←→ step  [ ] ±10s  +- speed  g finding  G end  space pause  q quit`
    func drawTimeline(into grid: inout ScreenGrid, y: Int, width: Int) {
        grid.fill(Rect(x: 0, y: y, width: width, height: 1))
        let speedText = speed < 1 ? "×\(speed)" : "×\(Int(speed))"
        let left = "\(paused ? "||" : "|>") \(RecordingText.offset(playhead))/\(String(format: "%.3fs", recording.durationSeconds)) \(speedText) "
        let keys = "  <-/-> step  [ ] ±10s  +/- speed  g finding  G end  space pause  q quit"
        var x = grid.put(left, x: 0, y: y, style: .bold)
        let barWidth = max(10, width - x - keys.count - 2)
        let total = max(recording.durationSeconds, 1e-9)
        var bar = Array(repeating: Character("."), count: barWidth)
        if let firstFinding {
            let at = Int(recording.offsetSeconds(firstFinding) / total * Double(barWidth - 1))
            bar[min(max(at, 0), barWidth - 1)] = "!"
        }
        let head = Int(playhead / total * Double(barWidth - 1))
        for i in 0..<min(head, barWidth) where bar[i] == "." { bar[i] = "=" }
        bar[min(max(head, 0), barWidth - 1)] = "|"
        x = grid.put("[" + String(bar) + "]", x: x, y: y, style: TextStyle(.title))
        grid.put(keys, x: x, y: y, style: TextStyle(.muted), maxWidth: width - x)
    }
}
