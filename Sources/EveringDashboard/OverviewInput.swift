import EveringInspect

/// Everything an overview frame shows besides the view state: the rings of the latest
/// sample and what else was found in /dev/shm.
public struct OverviewInput: Equatable, Sendable {
    public var rows: [OverviewRow]
    /// Rings of other users this process may not open.
    public var denied: Int
    /// Rings still being set up by their creator.
    public var notReady: Int
    /// Objects with the evering magic that could not be read safely.
    public var unreadable: Int
    /// Whether a sample has been taken yet.
    public var sampled: Bool

    public init(rows: [OverviewRow], denied: Int = 0, notReady: Int = 0, unreadable: Int = 0, sampled: Bool = true) {
        self.rows = rows
        self.denied = denied
        self.notReady = notReady
        self.unreadable = unreadable
        self.sampled = sampled
    }

    /// The overview's view of one fleet sample.
    public init(_ reading: FleetSampler.Reading) {
        self.init(rows: reading.rings.map(OverviewRow.init), denied: reading.census.denied,
                  notReady: reading.census.notReady, unreadable: reading.census.unreadable)
    }
}
