/// The one grammar for numbers on the command line (docs/CLI.md, "Numbers, durations and
/// sizes"): plain decimal digits with an optional fraction, nothing else. No sign, no
/// exponent, no hex, no `nan`/`inf` (Swift's `Double(String)` accepts all of those, which
/// is how `0x10` once meant 16 and `1e300` reached a conversion that traps).
///
/// Every parse is exact integer arithmetic with overflow checks, so no input, however
/// long, can trap: a value too large for the type is `.outOfRange`, not a crash.
public enum NumberTextError: Error, Equatable, Sendable {
    /// Not in the grammar at all (empty, a sign, letters, hex, an exponent...).
    case malformed
    /// In the grammar but too large to represent (the caller's range check then says
    /// what the range is).
    case outOfRange
}

public enum NumberText {
    /// Splits "12.5" into its whole and fraction digit strings; nil unless the text is
    /// digits, optionally followed by "." and more digits (at least one digit overall).
    static func decimalParts(_ text: Substring) -> (whole: Substring, fraction: Substring)? {
        let dot = text.firstIndex(of: ".")
        let whole = text[..<(dot ?? text.endIndex)]
        let fraction = dot.map { text[text.index(after: $0)...] } ?? ""
        guard !(whole.isEmpty && fraction.isEmpty) else { return nil }
        guard whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
        return (whole, fraction)
    }

    /// A whole number: digits only ("16"; not "+16", "1e3", "0x10", "16.0").
    public static func integer(_ text: String) -> Result<UInt64, NumberTextError> {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return .failure(.malformed) }
        var value: UInt64 = 0
        for digit in text.utf8 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - 48))
            if o1 || o2 { return .failure(.outOfRange) }
            value = sum
        }
        return .success(value)
    }

    /// `text` (a decimal number) times `scale`, rounded to the nearest whole unit:
    /// `scaled("1.5", by: 1000)` is 1500. Exact: no floating point on the way.
    public static func scaled(_ text: Substring, by scale: UInt64) -> Result<UInt64, NumberTextError> {
        guard let (whole, fraction) = decimalParts(text) else { return .failure(.malformed) }
        guard case let .success(wholeValue) = integer(whole.isEmpty ? "0" : String(whole)) else { return .failure(.outOfRange) }
        let (product, overflow) = wholeValue.multipliedReportingOverflow(by: scale)
        if overflow { return .failure(.outOfRange) }
        // The fraction's contribution: digits beyond 19 cannot matter once scaled (scale < 10^19).
        var numerator: UInt64 = 0
        var denominator: UInt64 = 1
        for digit in fraction.utf8.prefix(18) {
            numerator = numerator * 10 + UInt64(digit - 48)
            denominator *= 10
        }
        // numerator * scale may exceed 64 bits: use the full-width product.
        let (high, low) = numerator.multipliedFullWidth(by: scale)
        let (quotient, remainder) = denominator.dividingFullWidth((high, low))
        let rounded = remainder * 2 >= denominator ? quotient + 1 : quotient
        let (total, overflow2) = product.addingReportingOverflow(rounded)
        return overflow2 ? .failure(.outOfRange) : .success(total)
    }

    /// A decimal number as a Double ("0.25", "20000"): for rates and fractions. The
    /// grammar is checked first, so "nan", "inf", "1e300" and "0x10" never get here.
    public static func decimal(_ text: String) -> Result<Double, NumberTextError> {
        guard decimalParts(text[...]) != nil else { return .failure(.malformed) }
        // Digits only now: the conversion is finite unless there are over 308 of them.
        guard let value = Double(text), value.isFinite else { return .failure(.outOfRange) }
        return .success(value)
    }
}

/// Durations as users type them: a bare number is seconds (`2`, `0.5`); suffixes `ns`,
/// `us` (or `µs`), `ms`, `s`, `m`: `5s`, `1.5s`, `300ms`, `200us`, `50ns`, `2m`.
public enum DurationText {
    static let units: [(suffix: String, nanoseconds: UInt64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
    ]

    /// The grammar alone (no range): `.outOfRange` when it does not fit in Int64 nanoseconds.
    public static func parse(_ text: String) -> Result<Duration, NumberTextError> {
        var number = text[...]
        var scale: UInt64 = 1_000_000_000  // bare number: seconds
        // Longest suffix first ("ms" before "s").
        for (suffix, nanoseconds) in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = nanoseconds
            break
        }
        switch NumberText.scaled(number, by: scale) {
        case .failure(let error): return .failure(error)
        case .success(let ns):
            guard ns <= UInt64(Int64.max) else { return .failure(.outOfRange) }
            return .success(.nanoseconds(Int64(ns)))
        }
    }

    /// What a malformed duration should have looked like (for error messages).
    public static let expected = "a duration such as 2 (seconds), 1.5s, 250ms, 200us or 2m"

    /// The shortest exact spelling `parse` reads back.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns == 0 { return "0s" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }
}

/// Sizes as users type them: bytes (`16`, `16B`), or `K`/`KiB` (1024) and `M`/`MiB` (2^20)
/// times a whole number: `4K`, `4KiB`, `1M`, `1MiB`.
public enum ByteText {
    static let units: [(suffix: String, bytes: UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("K", 1 << 10), ("M", 1 << 20), ("B", 1)]

    public static func parse(_ text: String) -> Result<UInt64, NumberTextError> {
        var number = text
        var scale: UInt64 = 1
        for (suffix, bytes) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = bytes
            break
        }
        switch NumberText.integer(number) {
        case .failure(let error): return .failure(error)
        case .success(let value):
            let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? .failure(.outOfRange) : .success(bytes)
        }
    }

    public static let expected = "a size such as 16, 4K, 4KiB or 1MiB"

    /// "1MiB", "4KiB", "100" (bytes).
    public static func format(_ bytes: UInt64) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20)MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10)KiB" }
        return "\(bytes)"
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { (48...57).contains($0) } ?? false }
}
