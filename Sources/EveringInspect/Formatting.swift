/// The one formatter for numbers, durations and sizes: the dashboard, `dump`, `watch`,
/// `check` and the diagnosis messages print a figure the same way.
public enum Formatting {
    /// 999, 1.2k, 34.5M, 1.2G: at most 5 characters.
    public static func count(_ value: Double) -> String {
        guard value.isFinite else { return "-" }  // Int(_:) would trap on inf/NaN
        let magnitude = abs(value)
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where magnitude >= scale {
            let scaled = value / scale
            return scaled >= 99.95 ? "\(Int(scaled.rounded()))\(suffix)" : "\(oneDecimal(scaled))\(suffix)"
        }
        return magnitude >= 100 || value == value.rounded() ? "\(Int(value.rounded()))" : oneDecimal(value)
    }

    public static func count<T: BinaryInteger>(_ value: T) -> String { count(Double(value)) }

    /// Bytes with binary units: 512 B, 4.0 KiB, 12.3 MiB.
    public static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = Double(value)
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\(oneDecimal(scaled)) \(units[unit])"
    }

    /// 850ns, 12us, 3.4ms, 1.2s, 4m05s, 2h10m, 3d04h.
    public static func duration(nanoseconds: UInt64) -> String {
        let ns = Double(nanoseconds)
        if ns < 1e3 { return "\(nanoseconds)ns" }
        if ns < 1e6 { return "\(Int(ns / 1e3))us" }
        if ns < 1e9 { return ns < 1e7 ? "\(oneDecimal(ns / 1e6))ms" : "\(Int(ns / 1e6))ms" }
        let seconds = nanoseconds / 1_000_000_000
        if seconds < 60 { return ns < 1e10 ? "\(oneDecimal(ns / 1e9))s" : "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        if seconds < 86400 { return "\(seconds / 3600)h\(twoDigits(seconds / 60 % 60))m" }
        return "\(seconds / 86400)d\(twoDigits(seconds / 3600 % 24))h"
    }

    /// An age ("how long ago"), never a made-up `0ns`. Ages are measured from the start of a
    /// read and saturate at 0 for a timestamp written while the read ran, so anything below
    /// a microsecond is below what the read can tell apart: `<1us`. Nil (no timestamp) is `-`.
    public static func age(nanoseconds: UInt64?) -> String {
        guard let nanoseconds else { return "-" }
        return nanoseconds < 1_000 ? "<1us" : duration(nanoseconds: nanoseconds)
    }

    /// The age of an event at `then` seen at `now` (same clock); `-` when `then` is later
    /// than `now` (clocks that disagree: the age is unknown, not zero).
    public static func age(from then: UInt64, to now: UInt64) -> String {
        now < then ? "-" : age(nanoseconds: now - then)
    }

    public static func duration(seconds: Double) -> String {
        duration(nanoseconds: seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9))
    }

    /// Percent with no decimals, but never "0%" for a non-zero share or "100%" short of it.
    public static func percent(_ part: UInt64, of whole: UInt64) -> String {
        guard whole > 0 else { return "-" }
        var value = Int((Double(part) * 100 / Double(whole)).rounded())
        if part > 0 && value == 0 { value = 1 }
        if part < whole && value == 100 { value = 99 }
        return "\(value)%"
    }

    /// One decimal place, without Foundation: 12.3, -0.5, 0.0.
    public static func decimal(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e15 else { return "\(value)" }
        // Sign apart: -0.5 has a whole part of 0, which would print as "0.5".
        let magnitude = abs(Int64(tenths))
        return (tenths < 0 ? "-" : "") + "\(magnitude / 10).\(magnitude % 10)"
    }

    static func oneDecimal(_ value: Double) -> String { decimal(value) }

    static func twoDigits<T: BinaryInteger>(_ value: T) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Pads or truncates to exactly `width` columns (ellipsis when cut).
    public static func fit(_ text: String, _ width: Int, ellipsis: String = "…", alignRight: Bool = false) -> String {
        guard width > 0 else { return "" }
        let scalars = Array(text.unicodeScalars)
        if scalars.count > width {
            var view = String.UnicodeScalarView(scalars.prefix(max(0, width - ellipsis.unicodeScalars.count)))
            view.append(contentsOf: ellipsis.unicodeScalars.prefix(width))
            return String(view)
        }
        let padding = String(repeating: " ", count: width - scalars.count)
        return alignRight ? padding + text : text + padding
    }
}
