/// Where each panel goes for a terminal size. 80x24 is the minimum; taller terminals
/// give the queue panels room for separate sparklines and the middle panels more rows,
/// wider ones widen everything.
///
///     ┌ header (2 rows) ───────────────────────────┐
///     │ submission queue     │ completion queue    │
///     │ driver slots         │ in-flight ops       │
///     │ alerts                                     │
///     └ footer (1 row) ────────────────────────────┘
public struct DashboardLayout: Equatable, Sendable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var header: Rect
    public var submission: Rect
    public var completion: Rect
    public var slots: Rect
    public var inFlight: Rect
    public var alerts: Rect
    public var footer: Rect
    /// Tall enough for the roomier queue panels (sparklines on their own rows).
    public var isTall: Bool

    /// Nil when the terminal is smaller than the minimum.
    public init?(width: Int, height: Int) {
        guard width >= Self.minimumWidth && height >= Self.minimumHeight else { return nil }
        let body = height - 3  // header 2, footer 1
        isTall = body >= 33
        let queueHeight = isTall ? 12 : 9
        let alertsHeight = isTall ? max(9, (body - queueHeight) / 3) : 5
        let middleHeight = body - queueHeight - alertsHeight
        let full = Rect(x: 0, y: 0, width: width, height: height)
        let (headerRect, rest) = full.splitTop(2)
        let (queues, rest2) = rest.splitTop(queueHeight)
        let (middle, rest3) = rest2.splitTop(middleHeight)
        let (alertsRect, footerRect) = rest3.splitTop(alertsHeight)
        header = headerRect
        (submission, completion) = queues.splitLeft(width / 2)
        (slots, inFlight) = middle.splitLeft(width / 2)
        alerts = alertsRect
        footer = footerRect
    }

    public func rect(_ panel: DashboardPanel) -> Rect {
        switch panel {
        case .submission: submission
        case .completion: completion
        case .slots: slots
        case .inFlight: inFlight
        case .alerts: alerts
        }
    }
}
