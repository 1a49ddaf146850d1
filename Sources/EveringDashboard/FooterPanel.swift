/// The keys, one row, in reverse video like htop's function-key bar.
public enum FooterPanel {
    static let keys: [(String, String)] = [
        ("q", "quit"), ("spc", "pause"), ("+/-", "delay"), ("s", "sort"), ("Tab", "focus"),
        ("arrows", "scroll"), ("h", "help"), ("r", "reset peaks"),
    ]

    public static func draw(state: DashboardState, in rect: Rect, into grid: inout ScreenGrid) {
        guard rect.height >= 1 else { return }
        grid.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), with: Cell(" ", TextStyle(.selection)))
        var x = rect.x
        // Opened from the overview: the way back comes first.
        for (key, action) in (state.canGoBack ? [("Esc", "back")] : []) + keys {
            let shownKey = !state.ascii && key == "arrows" ? "↑↓" : key
            guard x + shownKey.count + action.count + 2 <= rect.maxX else { break }
            x = grid.put(shownKey, x: x, y: rect.y, style: TextStyle(.normal, .bold))
            x = grid.put(" \(action) ", x: x, y: rect.y, style: TextStyle(.selection))
        }
    }
}
