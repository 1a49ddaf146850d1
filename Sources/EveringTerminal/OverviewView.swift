import EveringDashboard
import EveringInspect

/// The fleet overview as a view of the terminal loop: samples every ring (evering rings
/// with a `FleetSampler`, and io_urings with `--io-uring`) and shows them as a table;
/// Enter opens the selected ring's view (made by `open`), which returns here on Esc.
public final class OverviewView: TerminalView {
    public typealias Opener = (_ ringName: String, _ interval: Double) -> (any TerminalView)?

    public private(set) var state: OverviewState
    public private(set) var input = OverviewInput(rows: [], sampled: false)
    private let read: () -> OverviewInput
    private let open: Opener

    /// - Parameters:
    ///   - read: one sample of every ring (e.g. `OverviewInput(fleet.sample())`).
    ///   - open: the view for a ring the user drills into (its dashboard), or nil if it
    ///     cannot be opened (the overview then stays).
    public init(state: OverviewState, read: @escaping () -> OverviewInput, open: @escaping Opener) {
        self.state = state
        self.read = read
        self.open = open
    }

    /// Every evering ring in /dev/shm, through `fleet` (mappings and history kept between samples).
    public convenience init(fleet: FleetSampler, state: OverviewState, open: @escaping Opener) {
        self.init(state: state, read: { OverviewInput(fleet.sample()) }, open: open)
    }

    public var interval: Double { state.interval }
    public var paused: Bool { state.paused }
    public var wantsMouse: Bool { true }

    public func sample() {
        input = read()
    }

    public func render(width: Int, height: Int) -> ScreenGrid {
        settle(width: width, height: height)
        return OverviewRenderer.render(input, state: state, width: width, height: height)
    }

    public func handle(_ key: DashboardKey, width: Int, height: Int) -> TerminalAction {
        guard let layout = OverviewLayout(width: width, height: height) else {
            return key == .character("q") || key == .character("Q") ? .quit : .none
        }
        let visible = state.visibleRows(input.rows).map(\.name)
        let command = state.handle(key, names: visible, layout: layout)
        settle(width: width, height: height)
        switch command {
        case .none: return .none
        case .quit: return .quit
        case .intervalChanged: return .reschedule
        case let .drillIn(name):
            return open(name, state.interval).map { .open($0) } ?? .none
        }
    }

    /// Cursor and scroll follow the rows of the latest sample (the same ring stays selected).
    private func settle(width: Int, height: Int) {
        let lines = OverviewLayout(width: width, height: height)?.tableLines ?? 1
        state.settle(names: state.visibleRows(input.rows).map(\.name), visibleLines: lines)
    }
}
