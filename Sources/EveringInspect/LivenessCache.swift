import Evering

/// Liveness answers shared by the reads of one fleet sample. Every ring of a process
/// records the same pid and start time, so a machine with a thousand rings in a handful of
/// processes needs a handful of `kill` + /proc/PID/stat checks per sample, not two per ring
/// (they were most of a sample's cost: docs/benchmarks/fleet.md).
///
/// Valid for one sample only: `FleetSampler` empties it before each, so a process that
/// dies is seen dead at the next sample, as without the cache. Not thread-safe (one
/// sampler, one thread).
public final class LivenessCache {
    private var answers: [ProcessIdentity: Liveness] = [:]

    public init() {}

    /// The process's liveness, checked once per identity until `removeAll`.
    public func liveness(of identity: ProcessIdentity) -> Liveness {
        if let known = answers[identity] { return known }
        let checked = identity.liveness
        answers[identity] = checked
        return checked
    }

    /// Forget every answer (the start of a new sample).
    public func removeAll() { answers.removeAll(keepingCapacity: true) }
}
