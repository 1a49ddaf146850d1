/// One metric family of the exposition: a name, its help, its type, and its samples.
///
/// The exporter *mirrors* values it reads from rings (a queue's tail is already a counter),
/// so families are plain values built afresh for every scrape, not registered counters
/// that can only be incremented (the reason swift-prometheus does not fit here: README).
public struct MetricFamily: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case counter
        case gauge
    }

    /// The family name without a `_total` suffix (OpenMetrics names counter families that
    /// way; the Prometheus text format's samples add the suffix for counters).
    public var name: String
    public var help: String
    public var kind: Kind
    /// The base unit in the name, if any (`seconds`, `bytes`): OpenMetrics writes `# UNIT`.
    public var unit: String?
    public var samples: [MetricSample]

    public init(name: String, help: String, kind: Kind, unit: String? = nil, samples: [MetricSample] = []) {
        precondition(MetricFamily.isValidName(name), "metric name \(name) is not [a-zA-Z_:][a-zA-Z0-9_:]*")
        precondition(kind != .counter || !name.hasSuffix("_total"), "counter family \(name): give the name without _total")
        precondition(unit.map { name.hasSuffix("_" + $0) } ?? true, "metric \(name) must end with its unit")
        self.name = name
        self.help = help
        self.kind = kind
        self.unit = unit
        self.samples = samples
    }

    /// The name a sample of this family carries: counters end in `_total`.
    public var sampleName: String { kind == .counter ? name + "_total" : name }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(48...57).contains(first) else { return false }
        return name.utf8.allSatisfy { c in
            (97...122).contains(c) || (65...90).contains(c) || (48...57).contains(c) || c == 95 || c == 58
        }
    }
}

/// One sample: its labels in the order they are written, and its value.
public struct MetricSample: Equatable, Sendable {
    public var labels: [Label]
    public var value: Double

    public init(_ labels: [Label] = [], _ value: Double) {
        self.labels = labels
        self.value = value
    }

    public struct Label: Equatable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            precondition(MetricFamily.isValidName(name) && !name.contains(":"), "label name \(name)")
            self.name = name
            self.value = value
        }
    }
}
