/// Order statistics over a set of measurements (pure; tested directly).
public struct SampleStatistics: Equatable, Sendable, Codable {
    public var count: Int
    public var min: Double
    public var median: Double
    public var p99: Double
    public var max: Double
    public var mean: Double

    /// Nearest-rank percentile of already sorted values: the smallest value with at
    /// least `fraction` of the samples at or below it.
    public static func percentile(sorted values: [Double], _ fraction: Double) -> Double {
        precondition(!values.isEmpty, "percentile of no samples")
        let rank = Int((fraction * Double(values.count)).rounded(.up))
        return values[Swift.min(Swift.max(rank, 1), values.count) - 1]
    }

    /// Median with the usual even-count rule (mean of the two middle values).
    public static func median(sorted values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no samples")
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "statistics of no samples")
        let sorted = values.sorted()
        count = sorted.count
        min = sorted[0]
        max = sorted[sorted.count - 1]
        median = Self.median(sorted: sorted)
        p99 = Self.percentile(sorted: sorted, 0.99)
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// Statistics of integer nanosecond samples, without copying them to Doubles first
    /// (ping-pong runs record a million of them).
    public init(nanoseconds samples: UnsafeMutableBufferPointer<UInt64>) {
        precondition(!samples.isEmpty, "statistics of no samples")
        var samples = samples
        samples.sort()  // sorts the caller's buffer in place (the pointer is copied, not the memory)
        let n = samples.count
        count = n
        min = Double(samples[0])
        max = Double(samples[n - 1])
        median = n % 2 == 1 ? Double(samples[n / 2]) : (Double(samples[n / 2 - 1]) + Double(samples[n / 2])) / 2
        let rank = Swift.min(Swift.max(Int((0.99 * Double(n)).rounded(.up)), 1), n)
        p99 = Double(samples[rank - 1])
        var total = 0.0
        for value in samples { total += Double(value) }
        mean = total / Double(n)
    }
}
