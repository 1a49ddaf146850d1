import ArgumentParser
import EveringLoad

/// Parsers for numeric flags, one per kind, each checking the flag's documented range
/// (docs/CLI.md, "Ranges") while the command line is parsed, before anything is created.
/// Used as `@Option(transform:)`; swift-argument-parser puts the flag and value in front
/// of the message: "The value '0' is invalid for '--delay <delay>': must be from 50ms to 60s".
enum FlagValue {
    /// Durations: a bare number is seconds; suffixes ns, us, µs, ms, s, m.
    static func duration(_ range: ClosedRange<Duration>) -> @Sendable (String) throws -> Duration {
        { text in
            let span = "from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))"
            switch DurationText.parse(text) {
            case .success(let value) where range.contains(value): return value
            case .failure(.malformed): throw ValidationError("expected \(DurationText.expected), \(span)")
            default: throw ValidationError("must be \(span)")
            }
        }
    }

    /// Whole numbers: digits only.
    static func integer<Value: FixedWidthInteger & Sendable>(_ range: ClosedRange<UInt64>, as _: Value.Type = Value.self,
                                                             powerOfTwo: Bool = false) -> @Sendable (String) throws -> Value {
        { text in
            let span = "\(powerOfTwo ? "a power of two " : "")from \(range.lowerBound) to \(range.upperBound)"
            switch NumberText.integer(text) {
            case .success(let value) where range.contains(value) && (!powerOfTwo || value & (value - 1) == 0):
                // `exactly`: a range wider than the flag's type is refused, never a trap.
                guard let typed = Value(exactly: value) else { throw ValidationError("must be \(span)") }
                return typed
            case .failure(.malformed): throw ValidationError("expected a whole number \(span)")
            default: throw ValidationError("must be \(span)")
            }
        }
    }

    /// Byte counts: bytes, or K/KiB and M/MiB.
    static func size(_ range: ClosedRange<UInt64>) -> @Sendable (String) throws -> Int {
        { text in
            let span = "from \(ByteText.format(range.lowerBound)) to \(ByteText.format(range.upperBound))"
            switch ByteText.parse(text) {
            case .success(let value) where range.contains(value): return Int(value)
            case .failure(.malformed): throw ValidationError("expected \(ByteText.expected), \(span)")
            default: throw ValidationError("must be \(span)")
            }
        }
    }

    /// Decimal numbers (fractions): digits with an optional fraction.
    static func decimal(_ range: ClosedRange<Double>) -> @Sendable (String) throws -> Double {
        { text in
            let span = "from \(plain(range.lowerBound)) to \(plain(range.upperBound))"
            switch NumberText.decimal(text) {
            case .success(let value) where range.contains(value): return value
            case .failure(.malformed): throw ValidationError("expected a decimal number \(span)")
            default: throw ValidationError("must be \(span)")
            }
        }
    }

    /// Ops per second, or the word `max` (as fast as possible).
    static func rate(_ range: ClosedRange<Double>) -> @Sendable (String) throws -> Rate {
        { text in
            if text == "max" { return Rate(perSecond: nil) }
            do { return Rate(perSecond: try decimal(range)(text)) } catch let error as ValidationError {
                throw ValidationError(error.message + " ops/s, or 'max'")
            }
        }
    }

    /// 0.001, 1000000000 (no exponent: the grammar has none).
    static func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension Duration {
    /// Seconds as a Double, for the inspector's APIs that take seconds.
    var seconds: Double { Double(nanoseconds) / 1e9 }
}

/// `--rate`: ops per second, or nil for `max`.
struct Rate: Sendable {
    var perSecond: Double?
}
