/// The two text formats a scraper may ask for, and how to write families in each.
///
/// - Prometheus text format 0.0.4: `# HELP`, `# TYPE`, samples; counters' samples end in
///   `_total` and so does the family name in `# HELP`/`# TYPE`.
/// - OpenMetrics 1.0: the counter *family* is named without `_total` (its samples keep
///   it), units get a `# UNIT` line, and the exposition ends with `# EOF`.
/// Neither carries timestamps: a scrape reads the latest sample of the background sampler.
public enum ExpositionFormat: Equatable, Sendable {
    case prometheusText
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format an `Accept` header asks for: OpenMetrics when it is listed with a
    /// non-zero quality (Prometheus 2.42 lists it first), the 0.0.4 text format otherwise.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard parts.first?.lowercased() == "application/openmetrics-text" else { continue }
            let quality = parts.dropFirst().first { $0.lowercased().hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0 { return .openMetrics }
        }
        return .prometheusText
    }
}

public enum Exposition {
    /// Writes `families` in `format`. Families without samples are left out (a HELP with
    /// nothing under it says nothing), except that OpenMetrics still ends with `# EOF`.
    public static func render(_ families: [MetricFamily], format: ExpositionFormat) -> String {
        var out = ""
        out.reserveCapacity(families.reduce(0) { $0 + 96 + $1.samples.count * 80 })
        for family in families where !family.samples.isEmpty {
            let headerName = format == .openMetrics ? family.name : family.sampleName
            out += "# HELP \(headerName) \(escapeHelp(family.help))\n"
            out += "# TYPE \(headerName) \(family.kind.rawValue)\n"
            if format == .openMetrics, let unit = family.unit { out += "# UNIT \(headerName) \(unit)\n" }
            for sample in family.samples {
                out += family.sampleName
                if !sample.labels.isEmpty {
                    out += "{"
                    out += sample.labels.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",")
                    out += "}"
                }
                out += " " + formatValue(sample.value) + "\n"
            }
        }
        if format == .openMetrics { out += "# EOF\n" }
        return out
    }

    /// Label values escape backslash, double quote and line feed (both formats).
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Integers print without a fraction (counters read from 64-bit indices stay exact up
    /// to 2^53); other values in Swift's shortest round-trip form; NaN and infinities in
    /// the spellings both formats define.
    static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
