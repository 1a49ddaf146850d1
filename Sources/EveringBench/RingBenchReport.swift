/// Medians, spreads and Swift/C ratios over the runs of a ring benchmark, and their
/// markdown rendering (pure: tested with hand-made runs).
public struct RingBenchSummary: Codable, Sendable, Equatable {
    public struct Figure: Codable, Sendable, Equatable {
        public var scenario: RingScenario
        public var implementation: RingImplementation
        public var runs: Int
        /// Streaming: M entries/s. Ping-pong: round-trip ns.
        public var median: Double
        public var min: Double
        public var max: Double
        /// Ping-pong only: median over runs of each run's p99 round trip (ns).
        public var p99: Double?
    }

    public var figures: [Figure]
    /// Per scenario: the median over repetitions of (Swift run / C run of the same
    /// repetition), and the ratio of the best runs (fastest streaming, lowest p50).
    public var pairedRatios: [RingScenario: Double]
    public var bestRatios: [RingScenario: Double]

    public init(runs: [RingRun]) {
        var figures: [Figure] = []
        for scenario in RingScenario.allCases {
            for implementation in RingImplementation.allCases {
                let mine = runs.filter { $0.scenario == scenario && $0.implementation == implementation }
                guard !mine.isEmpty else { continue }
                let values: [Double]
                var p99: Double?
                if scenario == .pingPong16 {
                    values = mine.compactMap { $0.roundTrip?.median }
                    p99 = SampleStatistics(mine.compactMap { $0.roundTrip?.p99 }).median
                } else {
                    values = mine.map { $0.perSecond / 1e6 }
                }
                let stats = SampleStatistics(values)
                figures.append(Figure(scenario: scenario, implementation: implementation, runs: mine.count,
                                      median: stats.median, min: stats.min, max: stats.max, p99: p99))
            }
        }
        self.figures = figures
        var paired: [RingScenario: Double] = [:]
        var best: [RingScenario: Double] = [:]
        for scenario in RingScenario.allCases {
            func value(_ run: RingRun) -> Double? {
                scenario == .pingPong16 ? run.roundTrip?.median : run.perSecond
            }
            var ratios: [Double] = []
            for repetition in Set(runs.map(\.repetition)) {
                let pair = runs.filter { $0.scenario == scenario && $0.repetition == repetition }
                if let c = pair.first(where: { $0.implementation == .c }).flatMap(value),
                   let swift = pair.first(where: { $0.implementation == .swift }).flatMap(value), c > 0 {
                    ratios.append(swift / c)
                }
            }
            if !ratios.isEmpty { paired[scenario] = SampleStatistics(ratios).median }
            let cValues = runs.filter { $0.scenario == scenario && $0.implementation == .c }.compactMap(value)
            let swiftValues = runs.filter { $0.scenario == scenario && $0.implementation == .swift }.compactMap(value)
            if let c = scenario == .pingPong16 ? cValues.min() : cValues.max(),
               let swift = scenario == .pingPong16 ? swiftValues.min() : swiftValues.max(), c > 0 {
                best[scenario] = swift / c
            }
        }
        pairedRatios = paired
        bestRatios = best
    }

    public func figure(_ scenario: RingScenario, _ implementation: RingImplementation) -> Figure? {
        figures.first { $0.scenario == scenario && $0.implementation == implementation }
    }

    /// Swift median / C median: for streaming higher is better (goal >= 0.90); for
    /// round trips lower is better (goal <= 1.10).
    public func ratio(_ scenario: RingScenario) -> Double? {
        guard let swift = figure(scenario, .swift), let c = figure(scenario, .c), c.median > 0 else { return nil }
        return swift.median / c.median
    }

    public func meetsGoal(_ scenario: RingScenario) -> Bool? {
        guard let ratio = ratio(scenario) else { return nil }
        return scenario == .pingPong16 ? ratio <= 1.10 : ratio >= 0.90
    }

    public func markdown() -> String {
        var lines = [
            "| measurement | C reference (median [min–max]) | Swift ring (median [min–max]) | Swift/C of medians | Swift/C paired (median) | Swift/C of best runs | goal (on medians) |",
            "|---|---|---|---|---|---|---|",
        ]
        for scenario in RingScenario.allCases {
            guard let c = figure(scenario, .c), let swift = figure(scenario, .swift), let ratio = ratio(scenario) else { continue }
            let goal = scenario == .pingPong16 ? "≤ 1.10" : "≥ 0.90"
            let verdict = meetsGoal(scenario) == true ? "met" : "missed"
            let paired = pairedRatios[scenario].map { format($0, 3) } ?? "–"
            let best = bestRatios[scenario].map { format($0, 3) } ?? "–"
            switch scenario {
            case .pingPong16:
                lines.append("| \(scenario.rawValue) round trip p50 (ns) | \(format(c.median, 0)) [\(format(c.min, 0))–\(format(c.max, 0))] | \(format(swift.median, 0)) [\(format(swift.min, 0))–\(format(swift.max, 0))] | \(format(ratio, 3)) | \(paired) | \(best) | \(goal): \(verdict) |")
                if let cp = c.p99, let sp = swift.p99 {
                    lines.append("| \(scenario.rawValue) round trip p99 (ns, median of runs) | \(format(cp, 0)) | \(format(sp, 0)) | \(format(sp / cp, 3)) | | | |")
                }
            default:
                lines.append("| \(scenario.rawValue) (M entries/s) | \(format(c.median, 1)) [\(format(c.min, 1))–\(format(c.max, 1))] | \(format(swift.median, 1)) [\(format(swift.min, 1))–\(format(swift.max, 1))] | \(format(ratio, 3)) | \(paired) | \(best) | \(goal): \(verdict) |")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Fixed-point formatting without Foundation.
func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return "\(sign)\(whole)" }
    let digits = String(fraction)
    return "\(sign)\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
}
