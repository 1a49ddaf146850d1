import Evering
import EveringDashboard
import EveringInspect

/// The fleet overview as a view of the terminal loop: samples every ring with a
/// `FleetSampler` (mappings and history kept between samples) and shows them as a table;
/// Enter opens the selected ring's view (made by `open`), which returns here on Esc.
public final class OverviewView: TerminalView {
    public typealias Opener = (_ ringName: String, _ interval: Double) -> (any TerminalView)?

    public private(set) var state: OverviewState
    public private(set) var input = OverviewInput(rows: [], sampled: false)
    private let fleet: FleetSampler
    private let names: () -> [String]
    private let open: Opener

    /// - Parameters:
    ///   - names: the objects to sample each time (default: all of /dev/shm).
    ///   - open: the view for a ring the user drills into (its dashboard), or nil if it
    ///     cannot be opened (the overview then stays).
    public init(fleet: FleetSampler, state: OverviewState, names: @escaping () -> [String] = { sharedMemoryObjectNames() },
                open: @escaping Opener) {
        self.fleet = fleet
        self.state = state
        self.names = names
        self.open = open
    }

    public var interval: Double { state.interval }
    public var paused: Bool { state.paused }
    public var wantsMouse: Bool { true }

    public func sample() {
        input = OverviewInput(fleet.sample(names: names()))
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
        case .intervalChanged: return .intervalChanged
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
