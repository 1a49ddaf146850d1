import CNcurses
import EveringDashboard

/// How colour roles become ncurses colour pairs, and what replaces colour on a
/// monochrome terminal (or with --no-color / NO_COLOR): attributes only, so states and
/// severities still stand apart (critical is reverse, warning bold, muted dim).
struct ColorPalette {
    /// Foreground per role; -1 is the terminal's default colour.
    static func foreground(_ role: ColorRole) -> Int16 {
        switch role {
        case .normal, .label: -1
        case .title: Int16(COLOR_CYAN)
        case .muted: Int16(COLOR_BLUE)
        case .good: Int16(COLOR_GREEN)
        case .warning: Int16(COLOR_YELLOW)
        case .critical: Int16(COLOR_RED)
        case .info: Int16(COLOR_CYAN)
        case .banner: Int16(COLOR_WHITE)
        case .selection: Int16(COLOR_BLACK)
        case .gaugeUsed: Int16(COLOR_GREEN)
        case .gaugeFree: Int16(COLOR_BLUE)
        case .headMark: Int16(COLOR_MAGENTA)
        case .tailMark: Int16(COLOR_YELLOW)
        case .slotFree: Int16(COLOR_BLUE)
        case .slotSubmitted: Int16(COLOR_YELLOW)
        case .slotWaiting: Int16(COLOR_CYAN)
        case .slotCompleted: Int16(COLOR_GREEN)
        case .slotCancelled: Int16(COLOR_MAGENTA)
        case .slotCompletedInCQ: Int16(COLOR_WHITE)
        case .slotCorrupt: Int16(COLOR_RED)
        }
    }

    static func background(_ role: ColorRole) -> Int16 {
        switch role {
        case .banner: Int16(COLOR_RED)
        case .selection: Int16(COLOR_CYAN)
        default: -1
        }
    }

    let colors: Bool

    /// A palette without touching the terminal (tests).
    init(colors: Bool) { self.colors = colors }

    /// Registers one pair per role (pair number = role + 1) when colours are on and the
    /// terminal has at least 8 colours and enough pairs.
    init(useColor: Bool) {
        var enabled = false
        if useColor && cn_start_colors() >= 8 && cn_color_pairs() > ColorRole.allCases.count {
            for role in ColorRole.allCases {
                cn_init_pair(Int16(role.rawValue) + 1, Self.foreground(role), Self.background(role))
            }
            enabled = true
        }
        colors = enabled
    }

    /// The colour pair and CN_* style bits for a cell style.
    func resolve(_ style: TextStyle) -> (pair: Int16, bits: Int32) {
        var attributes = style.attributes
        if colors { return (Int16(style.role.rawValue) + 1, Int32(attributes.rawValue)) }
        switch style.role {
        case .critical, .banner, .selection: attributes.insert(.reverse)
        case .warning, .title: attributes.insert(.bold)
        case .muted, .slotFree, .gaugeFree: attributes.insert(.dim)
        default: break
        }
        return (0, Int32(attributes.rawValue))
    }
}
