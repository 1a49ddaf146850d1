/// The panels that take keyboard focus (Tab cycles through them in this order).
public enum DashboardPanel: Int, Sendable, CaseIterable {
    case submission, completion, slots, inFlight, alerts

    public var title: String {
        switch self {
        case .submission: "Submission queue"
        case .completion: "Completion queue"
        case .slots: "Driver slots"
        case .inFlight: "In-flight ops"
        case .alerts: "Alerts"
        }
    }
}

/// Orders of the in-flight table (`s` cycles through them).
public enum InFlightSort: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Oldest first: the op most likely to be stuck is on top.
    case age, slot, state, opcode

    public var description: String {
        switch self {
        case .age: "age"
        case .slot: "slot"
        case .state: "state"
        case .opcode: "opcode"
        }
    }
}

/// A key press, decoded from the terminal by the backend so state logic stays testable.
public enum DashboardKey: Equatable, Sendable {
    case character(Character)
    case tab, backTab, up, down, pageUp, pageDown, home, end, escape, resize
    /// Enter/Return and Backspace (the overview drills in and comes back with them).
    case enter, backspace
    /// A function key, F1 = 1 (the overview's F6 chooses the sort column).
    case function(Int)
    /// A mouse button press at a screen cell (column x, row y).
    case click(x: Int, y: Int)
    /// ←/→: unused by the live view; `replay` steps one sample with them.
    case left, right
}

/// What the loop must do after a key, beyond redrawing.
public enum DashboardCommand: Equatable, Sendable {
    case none
    case quit
    /// The refresh interval changed: reschedule the next sample.
    case intervalChanged
    /// Forget rate peaks (the sampler's state).
    case resetPeaks
    /// Leave this screen for the one it was opened from (Esc or Backspace in a dashboard
    /// opened from the overview).
    case back
}

/// All UI state in one value (the bpftop "App"): what is focused, how the table is
/// sorted and scrolled, whether sampling is paused, the refresh interval and how to draw.
/// Render functions read it; `handle(_:)` is the only thing that changes it from keys.
public struct DashboardState: Equatable, Sendable {
    public var focus: DashboardPanel = .inFlight
    public var sort: InFlightSort = .age
    /// First visible row per scrollable panel.
    public var scroll: [DashboardPanel: Int] = [:]
    public var paused = false
    public var showHelp = false
    /// Seconds between samples.
    public var interval: Double
    public var ascii: Bool
    public var color: Bool
    /// The diagnosis stall timeout, shown in the help overlay.
    public var stallTimeout: Double
    /// Opened from the overview: Esc and Backspace go back to it (`DashboardCommand.back`).
    public var canGoBack = false

    /// Refresh intervals `+`/`-` step through: from `minimumInterval` to `maximumInterval`,
    /// the range `-d` accepts (issue 10).
    public static let intervalSteps: [Double] = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 30, 60]
    public static let minimumInterval = 0.05
    public static let maximumInterval = 60.0

    public init(interval: Double = 1, ascii: Bool = false, color: Bool = true, stallTimeout: Double = 1) {
        precondition(interval > 0, "interval must be positive")
        self.interval = interval
        self.ascii = ascii
        self.color = color
        self.stallTimeout = stallTimeout
    }

    public var glyphs: Glyphs { ascii ? .ascii : .unicode }

    public func scrollOffset(_ panel: DashboardPanel) -> Int { scroll[panel] ?? 0 }

    /// Applies one key; returns what the loop must do.
    public mutating func handle(_ key: DashboardKey, pageSize: Int = 10) -> DashboardCommand {
        if showHelp {
            // Any key closes the overlay, as it says, q and Esc included: a user who opened
            // help and presses q expects to be back on the dashboard, not at the shell.
            // (Ctrl-C still quits from anywhere: it is a signal, not a key.)
            if key != .resize { showHelp = false }
            return .none
        }
        switch key {
        case .character("q"), .character("Q"):
            return .quit
        case .escape where canGoBack, .backspace where canGoBack:
            return .back
        case .character(" "), .character("p"), .character("P"):
            paused.toggle()
        case .character("+"), .character("="):
            interval = Self.step(interval, up: false)
            return .intervalChanged
        case .character("-"), .character("_"):
            interval = Self.step(interval, up: true)
            return .intervalChanged
        case .character("s"), .character("S"):
            let all = InFlightSort.allCases
            sort = all[(sort.rawValue + 1) % all.count]
            scroll[.inFlight] = 0
        case .tab:
            focus = DashboardPanel(rawValue: (focus.rawValue + 1) % DashboardPanel.allCases.count)!
        case .backTab:
            let count = DashboardPanel.allCases.count
            focus = DashboardPanel(rawValue: (focus.rawValue + count - 1) % count)!
        case .up: scrollBy(-1)
        case .down: scrollBy(1)
        case .pageUp: scrollBy(-max(1, pageSize))
        case .pageDown: scrollBy(max(1, pageSize))
        case .home: scroll[focus] = 0
        case .end: scroll[focus] = Int.max / 2  // clamped to the content when rendered
        case .character("h"), .character("H"), .character("?"):
            showHelp = true
        case .character("r"), .character("R"):
            return .resetPeaks
        default:
            break
        }
        return .none
    }

    /// `+` makes refreshes more frequent (shorter interval), `-` less, like top's delay.
    static func step(_ interval: Double, up: Bool) -> Double {
        let steps = intervalSteps
        if up {
            return steps.first { $0 > interval + 1e-9 } ?? interval
        } else {
            return steps.last { $0 < interval - 1e-9 } ?? interval
        }
    }

    private mutating func scrollBy(_ delta: Int) {
        scroll[focus] = max(0, min(scrollOffset(focus), Int.max / 4) + delta)
    }

    /// Brings every scroll offset within `limits` (from `DashboardRenderer.scrollLimits`);
    /// panels without a limit do not scroll.
    public mutating func clampScroll(to limits: [DashboardPanel: Int]) {
        for (panel, offset) in scroll {
            scroll[panel] = min(offset, limits[panel] ?? 0)
        }
    }

    /// Clamps a panel's scroll to its content (called by render with the real sizes).
    public static func clampedScroll(_ offset: Int, rows: Int, visible: Int) -> Int {
        max(0, min(offset, rows - visible))
    }
}
