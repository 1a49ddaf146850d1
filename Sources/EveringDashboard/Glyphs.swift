/// The characters the dashboard draws with: Unicode blocks and box lines by default,
/// plain ASCII with `--ascii` (or on terminals such as the Linux console without them).
public struct Glyphs: Sendable, Equatable {
    public var horizontal: Unicode.Scalar
    public var vertical: Unicode.Scalar
    public var topLeft: Unicode.Scalar
    public var topRight: Unicode.Scalar
    public var bottomLeft: Unicode.Scalar
    public var bottomRight: Unicode.Scalar
    /// Gauge cells: filled and empty.
    public var gaugeFull: Unicode.Scalar
    public var gaugeEmpty: Unicode.Scalar
    /// Marks above a gauge: the consumer's head and the producer's tail.
    public var headMark: Unicode.Scalar
    public var tailMark: Unicode.Scalar
    /// Sparkline levels, lowest first (a level of 0 is drawn as levels[0]).
    public var sparkLevels: [Unicode.Scalar]
    /// Slot map cell, and legend bullet.
    public var slotCell: Unicode.Scalar
    public var ellipsis: String

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        gaugeFull: "█", gaugeEmpty: "░", headMark: "▼", tailMark: "▲",
        sparkLevels: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], slotCell: "■", ellipsis: "…")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        gaugeFull: "#", gaugeEmpty: ".", headMark: "v", tailMark: "^",
        sparkLevels: [" ", ".", ".", ":", ":", "=", "=", "#", "#"], slotCell: "#", ellipsis: "~")
}
