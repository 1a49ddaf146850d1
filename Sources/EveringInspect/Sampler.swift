/// One queue's indices as kept in history (small: history holds hundreds of these).
public struct QueueSample: Codable, Equatable, Sendable {
    public var head: UInt64
    public var tail: UInt64
    public var capacity: UInt32
    public var isConsistent: Bool
    /// `since_ns` of the queue's consumer while it is asleep on the futex; nil when it is
    /// not asleep or the ring has no wait records (ABI 1.0). The `lost-wake-up` rule's history.
    public var consumerAsleepSince: UInt64?
    /// The same for the queue's producer (asleep waiting for space).
    public var producerAsleepSince: UInt64?

    public init(head: UInt64, tail: UInt64, capacity: UInt32, isConsistent: Bool = true,
                consumerAsleepSince: UInt64? = nil, producerAsleepSince: UInt64? = nil) {
        self.head = head
        self.tail = tail
        self.capacity = capacity
        self.isConsistent = isConsistent
        self.consumerAsleepSince = consumerAsleepSince
        self.producerAsleepSince = producerAsleepSince
    }

    public init(_ queue: QueueStatus) {
        self.init(head: queue.head, tail: queue.tail, capacity: queue.capacity, isConsistent: queue.isConsistent)
    }

    /// The queue's indices, with its waiters' sleep from `snapshot`.
    public init(_ snapshot: Snapshot, _ kind: QueueKind) {
        self.init(snapshot.queue(kind))
        consumerAsleepSince = Self.asleepSince(snapshot.waiter(kind, .consumer))
        producerAsleepSince = Self.asleepSince(snapshot.waiter(kind, .producer))
    }

    /// `since_ns` of a waiter asleep on the futex (an episode with no start is left out:
    /// the rule compares starts).
    static func asleepSince(_ waiter: WaiterStatus?) -> UInt64? {
        guard let waiter, waiter.sleeping else { return nil }
        return waiter.sinceNanoseconds
    }

    public func asleepSince(_ role: WaiterRole) -> UInt64? {
        role == .consumer ? consumerAsleepSince : producerAsleepSince
    }

    public var used: UInt64 { tail &- head }
    public var isFull: Bool { used == UInt64(capacity) }
}

/// Per-second rates between two snapshots (deltas over the measured period).
public struct Rates: Codable, Equatable, Sendable {
    /// Seconds between the two snapshots the rates come from.
    public var intervalSeconds: Double
    /// Entries the requester enqueued into the submission queue per second (tail delta).
    public var submissionEnqueuesPerSecond: Double
    /// Entries the responder took from the submission queue per second (head delta).
    public var submissionDequeuesPerSecond: Double
    /// Completions the responder enqueued per second (completion tail delta).
    public var completionEnqueuesPerSecond: Double
    /// Completions the requester reaped per second (completion head delta).
    public var completionDequeuesPerSecond: Double
    /// Ops newly seen cancelled per second: a lower bound (an op cancelled and reclaimed
    /// between two snapshots is not seen). Nil for sources without a slot table.
    public var cancellationsPerSecond: Double?

    public init(intervalSeconds: Double, submissionEnqueuesPerSecond: Double, submissionDequeuesPerSecond: Double,
                completionEnqueuesPerSecond: Double, completionDequeuesPerSecond: Double,
                cancellationsPerSecond: Double? = nil) {
        self.intervalSeconds = intervalSeconds
        self.submissionEnqueuesPerSecond = submissionEnqueuesPerSecond
        self.submissionDequeuesPerSecond = submissionDequeuesPerSecond
        self.completionEnqueuesPerSecond = completionEnqueuesPerSecond
        self.completionDequeuesPerSecond = completionDequeuesPerSecond
        self.cancellationsPerSecond = cancellationsPerSecond
    }

    /// Ops finished per second, as seen by the requester reaping them.
    public var completionsPerSecond: Double { completionDequeuesPerSecond }

    public func enqueuesPerSecond(_ kind: QueueKind) -> Double {
        kind == .submission ? submissionEnqueuesPerSecond : completionEnqueuesPerSecond
    }

    public func dequeuesPerSecond(_ kind: QueueKind) -> Double {
        kind == .submission ? submissionDequeuesPerSecond : completionDequeuesPerSecond
    }
}

/// One point of history: what diagnosis and sparklines need from a snapshot, nothing more.
public struct Sample: Codable, Equatable, Sendable {
    /// CLOCK_MONOTONIC ns of the snapshot.
    public var time: UInt64
    public var submission: QueueSample
    public var completion: QueueSample
    /// Slot counts; nil for sources without a slot table.
    public var slotCounts: SlotTable.Counts?
    /// Rates since the previous sample; nil for the first one.
    public var rates: Rates?

    public init(time: UInt64, submission: QueueSample, completion: QueueSample, slotCounts: SlotTable.Counts? = nil,
                rates: Rates? = nil) {
        self.time = time
        self.submission = submission
        self.completion = completion
        self.slotCounts = slotCounts
        self.rates = rates
    }

    public init(_ snapshot: Snapshot, rates: Rates? = nil) {
        self.init(time: snapshot.takenAtMonotonicNanoseconds, submission: QueueSample(snapshot, .submission),
                  completion: QueueSample(snapshot, .completion), slotCounts: snapshot.slots?.counts, rates: rates)
    }

    public func queue(_ kind: QueueKind) -> QueueSample { kind == .submission ? submission : completion }
}

/// The largest values seen since the sampler started or `resetPeaks()`.
public struct Peaks: Codable, Equatable, Sendable {
    public var submissionUsed: UInt64 = 0
    public var completionUsed: UInt64 = 0
    public var inFlight: Int = 0
    public var submissionEnqueuesPerSecond: Double = 0
    public var submissionDequeuesPerSecond: Double = 0
    public var completionEnqueuesPerSecond: Double = 0
    public var completionDequeuesPerSecond: Double = 0

    public init() {}

    mutating func absorb(_ sample: Sample) {
        submissionUsed = max(submissionUsed, sample.submission.used)
        completionUsed = max(completionUsed, sample.completion.used)
        if let counts = sample.slotCounts { inFlight = max(inFlight, counts.inFlight) }
        if let r = sample.rates {
            submissionEnqueuesPerSecond = max(submissionEnqueuesPerSecond, r.submissionEnqueuesPerSecond)
            submissionDequeuesPerSecond = max(submissionDequeuesPerSecond, r.submissionDequeuesPerSecond)
            completionEnqueuesPerSecond = max(completionEnqueuesPerSecond, r.completionEnqueuesPerSecond)
            completionDequeuesPerSecond = max(completionDequeuesPerSecond, r.completionDequeuesPerSecond)
        }
    }
}

/// Turns successive snapshots into rates, a bounded history (for sparklines and for the
/// time-based diagnosis rules) and peaks.
///
///     var sampler = Sampler()
///     let sample = sampler.record(try reader.snapshot())
///     print(sample.rates?.completionsPerSecond ?? 0)
public struct Sampler: Sendable {
    /// Oldest first; at most `historyCapacity` samples.
    public private(set) var history: [Sample] = []
    public let historyCapacity: Int
    public private(set) var peaks = Peaks()
    /// (index, generation) of slots seen cancelled in the previous snapshot, sorted by index,
    /// to count new cancellations.
    private var previousCancelled: [UInt64] = []

    public init(historyCapacity: Int = 600) {
        precondition(historyCapacity >= 2, "history needs at least two samples for rates")
        self.historyCapacity = historyCapacity
    }

    public var latest: Sample? { history.last }
    public var latestRates: Rates? { history.last?.rates }

    /// Adds a snapshot: computes rates against the previous one, appends to history
    /// (dropping the oldest beyond capacity) and updates peaks. Snapshots must come in
    /// time order; one not newer than the last is ignored (returned without recording).
    @discardableResult
    public mutating func record(_ snapshot: Snapshot) -> Sample {
        let cancelled = Self.cancelledKeys(snapshot)
        guard let previous = history.last else {
            let sample = Sample(snapshot)
            append(sample)
            previousCancelled = cancelled
            return sample
        }
        guard snapshot.takenAtMonotonicNanoseconds > previous.time else { return Sample(snapshot) }
        let seconds = Double(snapshot.takenAtMonotonicNanoseconds - previous.time) / 1e9
        func rate(_ now: UInt64, _ before: UInt64) -> Double {
            // Indices only grow; a smaller one means a re-created ring or corruption: no rate.
            now >= before ? Double(now - before) / seconds : 0
        }
        var cancellationRate: Double?
        if snapshot.slots != nil {
            let new = Self.countNew(cancelled, notIn: previousCancelled)
            cancellationRate = Double(new) / seconds
        }
        let rates = Rates(intervalSeconds: seconds,
                          submissionEnqueuesPerSecond: rate(snapshot.submission.tail, previous.submission.tail),
                          submissionDequeuesPerSecond: rate(snapshot.submission.head, previous.submission.head),
                          completionEnqueuesPerSecond: rate(snapshot.completion.tail, previous.completion.tail),
                          completionDequeuesPerSecond: rate(snapshot.completion.head, previous.completion.head),
                          cancellationsPerSecond: cancellationRate)
        let sample = Sample(snapshot, rates: rates)
        append(sample)
        previousCancelled = cancelled
        return sample
    }

    /// Clears peaks (they restart from the latest sample).
    public mutating func resetPeaks() {
        peaks = Peaks()
        if let last = history.last { peaks.absorb(last) }
    }

    /// One value per sample, oldest first (for sparklines), e.g. `sampler.series { Double($0.submission.used) }`.
    public func series(_ value: (Sample) -> Double) -> [Double] {
        history.map(value)
    }

    private mutating func append(_ sample: Sample) {
        history.append(sample)
        if history.count > historyCapacity { history.removeFirst(history.count - historyCapacity) }
        peaks.absorb(sample)
    }

    private static func cancelledKeys(_ snapshot: Snapshot) -> [UInt64] {
        guard let slots = snapshot.slots, slots.counts.cancelled > 0 else { return [] }
        // `busy` is in index order, so the keys come out sorted.
        return slots.busy.lazy.filter { $0.state == .cancelled }
            .map { UInt64($0.index) << 32 | UInt64($0.generation) }
    }

    /// How many of the sorted `keys` are not in the sorted `old` (a merge walk).
    private static func countNew(_ keys: [UInt64], notIn old: [UInt64]) -> Int {
        var i = 0, j = 0, new = 0
        while i < keys.count {
            if j >= old.count || keys[i] < old[j] { new += 1; i += 1 }
            else if keys[i] == old[j] { i += 1; j += 1 }
            else { j += 1 }
        }
        return new
    }
}
