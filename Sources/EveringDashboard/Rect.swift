/// A rectangle of cells, origin top-left. Layout hands these to panels.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The area inside a one-cell border.
    public var inset: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }

    /// Splits off the top `rows` rows; returns (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let top = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: top), Rect(x: x, y: y + top, width: width, height: height - top))
    }

    /// Splits into a left part of `columns` and the rest.
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let left = min(max(columns, 0), width)
        return (Rect(x: x, y: y, width: left, height: height), Rect(x: x + left, y: y, width: width - left, height: height))
    }

    public var description: String { "(\(x),\(y) \(width)x\(height))" }
}
