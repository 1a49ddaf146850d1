/// What a cell's colour *means*. The backend maps roles to colour pairs (or to
/// attributes only, on a monochrome terminal), so render code never names a colour.
public enum ColorRole: UInt8, Sendable, CaseIterable {
    case normal
    case title
    case label
    case muted
    case good
    case warning
    case critical
    case info
    case banner
    case selection
    case gaugeUsed
    case gaugeFree
    case headMark
    case tailMark
    case slotFree
    case slotSubmitted
    case slotWaiting
    case slotCompleted
    case slotCancelled
    /// A slot still in flight in the table whose completion waits in the completion queue.
    case slotCompletedInCQ
    case slotCorrupt
}

/// Terminal attributes independent of colour (bit values match CN_* in cncurses.h).
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let reverse = TextAttributes(rawValue: 2)
    public static let dim = TextAttributes(rawValue: 4)
    public static let underline = TextAttributes(rawValue: 8)
}

/// A colour role plus attributes: everything about a cell except its character.
public struct TextStyle: Hashable, Sendable {
    public var role: ColorRole
    public var attributes: TextAttributes

    public init(_ role: ColorRole = .normal, _ attributes: TextAttributes = []) {
        self.role = role
        self.attributes = attributes
    }

    public static let plain = TextStyle()
    public static let bold = TextStyle(.normal, .bold)
    public static func role(_ role: ColorRole, bold: Bool = false) -> TextStyle {
        TextStyle(role, bold ? .bold : [])
    }
}
