/// What the overview loop must do after a key, beyond redrawing.
public enum OverviewCommand: Equatable, Sendable {
    case none
    case quit
    /// The refresh interval changed: reschedule the next sample.
    case intervalChanged
    /// Open the dashboard of this ring.
    case drillIn(String)
}

/// All of the overview's UI state in one value (the bpftop "App"): sort, filter, cursor,
/// scroll, pause, help. The cursor is a ring *name*, so it stays on the same ring when the
/// table is re-sorted, filtered or rings come and go; `handle` is the only thing that
/// changes it from keys, and `settle` reconciles it with the rows of a new sample.
public struct OverviewState: Equatable, Sendable {
    /// What keys currently do: the table, typing a filter, or choosing a sort column (F6).
    public enum Mode: Equatable, Sendable {
        case table
        /// Typing a filter (`previous`: the filter before the edit).
        case filtering(previous: String)
        /// The sort menu, with the highlighted column.
        case choosingSort(OverviewColumn)
    }

    public var sortColumn: OverviewColumn = .name
    public var inverted = false
    /// Case-insensitive substring of the ring name; empty shows every ring.
    public var filter = ""
    public var mode: Mode = .table
    /// The selected ring, by name; nil when the table is empty.
    public var selected: String?
    /// Where the selection was in the table, for when its ring disappears (the cursor then
    /// stays at that position, on the ring that took its place).
    public var selectedIndex = 0
    /// First visible table row.
    public var scroll = 0
    public var paused = false
    public var showHelp = false
    /// Seconds between samples.
    public var interval: Double
    public var ascii: Bool
    public var color: Bool

    public init(interval: Double = 1, ascii: Bool = false, color: Bool = true) {
        precondition(interval > 0, "interval must be positive")
        self.interval = interval
        self.ascii = ascii
        self.color = color
    }

    public var glyphs: Glyphs { ascii ? .ascii : .unicode }

    /// The rows to show, in order: filtered by name, then sorted.
    public func visibleRows(_ rows: [OverviewRow]) -> [OverviewRow] {
        let needle = filter.lowercased()
        let kept = needle.isEmpty ? rows : rows.filter { $0.name.lowercased().contains(needle) }
        return sortColumn.sorted(kept, inverted: inverted)
    }

    /// Puts the cursor on a visible ring (the same one if it is still there, else the ring
    /// now at its position) and the scroll so the cursor shows in `visibleLines` rows.
    /// Called with every new sample and before every frame.
    public mutating func settle(names: [String], visibleLines: Int) {
        if names.isEmpty {
            selected = nil
            selectedIndex = 0
            scroll = 0
            return
        }
        if let selected, let index = names.firstIndex(of: selected) {
            selectedIndex = index
        } else {
            selectedIndex = min(max(0, selectedIndex), names.count - 1)
            selected = names[selectedIndex]
        }
        let lines = max(1, visibleLines)
        if selectedIndex < scroll { scroll = selectedIndex }
        if selectedIndex >= scroll + lines { scroll = selectedIndex - lines + 1 }
        scroll = max(0, min(scroll, names.count - lines))
    }

    /// Applies one key. `names` are the visible rings in table order (`visibleRows`), and
    /// `layout` where things are on screen (for mouse clicks and page size).
    public mutating func handle(_ key: DashboardKey, names: [String], layout: OverviewLayout) -> OverviewCommand {
        if key == .resize { return .none }
        switch mode {
        case let .filtering(previous):
            return handleFilterKey(key, previous: previous, names: names, layout: layout)
        case let .choosingSort(column):
            return handleSortMenuKey(key, highlighted: column)
        case .table:
            break
        }
        if showHelp {
            // q quits from anywhere; every other key only closes the help (Esc first closes
            // an open overlay).
            if key == .character("q") || key == .character("Q") { return .quit }
            showHelp = false
            return .none
        }
        switch key {
        case .character("q"), .character("Q"):
            return .quit
        case .character("h"), .character("H"), .character("?"), .function(1):
            showHelp = true
        case .character(" "), .character("p"), .character("P"):
            paused.toggle()
        case .character("+"), .character("="):
            interval = DashboardState.step(interval, up: false)
            return .intervalChanged
        case .character("-"), .character("_"):
            interval = DashboardState.step(interval, up: true)
            return .intervalChanged
        case .character("<"), .character(","):
            chooseSort(OverviewColumn(rawValue: (sortColumn.rawValue + OverviewColumn.allCases.count - 1)
                % OverviewColumn.allCases.count)!)
        case .character(">"), .character("."):
            chooseSort(OverviewColumn(rawValue: (sortColumn.rawValue + 1) % OverviewColumn.allCases.count)!)
        case .function(6):
            mode = .choosingSort(sortColumn)
        case .character("I"), .character("i"):
            inverted.toggle()
        case .character("/"), .function(3):
            mode = .filtering(previous: filter)
        case .up: moveCursor(by: -1, names: names)
        case .down: moveCursor(by: 1, names: names)
        case .pageUp: moveCursor(by: -max(1, layout.tableLines - 1), names: names)
        case .pageDown: moveCursor(by: max(1, layout.tableLines - 1), names: names)
        case .home: moveCursor(to: 0, names: names)
        case .end: moveCursor(to: names.count - 1, names: names)
        case .enter:
            if let selected, names.contains(selected) { return .drillIn(selected) }
        case let .click(x, y):
            if y == layout.headerRow, let column = layout.column(atX: x) {
                // Clicking the sorted column's header again inverts it, as in htop.
                if column == sortColumn { inverted.toggle() } else { chooseSort(column) }
            } else if let line = layout.tableLine(atY: y), scroll + line < names.count {
                moveCursor(to: scroll + line, names: names)
            }
        default:
            break
        }
        return .none
    }

    private mutating func chooseSort(_ column: OverviewColumn) {
        sortColumn = column
        inverted = false
    }

    private mutating func moveCursor(by delta: Int, names: [String]) {
        let current = selected.flatMap { names.firstIndex(of: $0) } ?? selectedIndex
        moveCursor(to: current + delta, names: names)
    }

    private mutating func moveCursor(to index: Int, names: [String]) {
        guard !names.isEmpty else { return }
        selectedIndex = min(max(0, index), names.count - 1)
        selected = names[selectedIndex]
    }

    private mutating func handleFilterKey(_ key: DashboardKey, previous _: String, names: [String],
                                          layout: OverviewLayout) -> OverviewCommand {
        switch key {
        case .escape:
            // htop's filter bar: Esc cancels the filter (shows every ring again), Enter keeps it.
            filter = ""
            mode = .table
        case .enter:
            mode = .table
        case .backspace:
            if !filter.isEmpty { filter.removeLast() }
        case let .character(character):
            // Ring names are printable ASCII; q here is a letter of the filter, not quit.
            if filter.count < 64 { filter.append(character) }
        case .up, .down, .pageUp, .pageDown, .home, .end, .click:
            // Moving the cursor ends the edit and keeps the filter (htop does the same).
            mode = .table
            return handle(key, names: names, layout: layout)
        default:
            break
        }
        return .none
    }

    private mutating func handleSortMenuKey(_ key: DashboardKey, highlighted: OverviewColumn) -> OverviewCommand {
        let all = OverviewColumn.allCases
        switch key {
        case .up:
            mode = .choosingSort(all[max(0, highlighted.rawValue - 1)])
        case .down:
            mode = .choosingSort(all[min(all.count - 1, highlighted.rawValue + 1)])
        case .enter, .character(" "):
            chooseSort(highlighted)
            mode = .table
        case .character("q"), .character("Q"):
            return .quit
        case .escape, .function(6), .backspace:
            mode = .table
        default:
            break
        }
        return .none
    }
}
