/// One problem with a ring: a root cause and the symptoms it explains, following the chain
/// through both queues (a requester that stops reaping fills the completion queue, which
/// blocks the responder, which fills the submission queue: one incident, not three).
///
///     let incidents = Incident.group(findings)
///     incidents.first?.rootCause.message   // "the requester (pid 12) has not reaped ..."
public struct Incident: Codable, Equatable, Sendable {
    /// The root cause's `Finding.key` ("peer-dead responder"): stable while it lasts.
    public var id: String
    /// The worst severity among the root cause and its symptoms.
    public var severity: Finding.Severity
    /// Who must act (the root cause's culprit).
    public var culprit: Finding.Party?
    public var rootCause: Finding
    /// Findings the root cause explains, most fundamental first.
    public var symptoms: [Finding]

    public init(rootCause: Finding, symptoms: [Finding] = []) {
        id = rootCause.key
        self.rootCause = rootCause
        self.symptoms = symptoms
        culprit = rootCause.culprit
        severity = ([rootCause] + symptoms).map(\.severity).max() ?? rootCause.severity
    }

    /// The root cause, then the symptoms.
    public var findings: [Finding] { [rootCause] + symptoms }

    /// Groups findings into incidents. Findings are taken in causal order (`causalRank`:
    /// corruption, ring gone, a dead side, a stopped or hung side, the completion queue, the
    /// submission queue, slot-level rules); each joins the first incident whose root cause
    /// has the same culprit, or else starts an incident of its own. A finding without a
    /// culprit (all slots busy) joins the first incident with a culprit. Corruption and a
    /// gone ring explain nothing but themselves.
    public static func group(_ findings: [Finding]) -> [Incident] {
        let ordered = findings.enumerated().sorted { a, b in
            let (ra, rb) = (causalRank(a.element), causalRank(b.element))
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        var incidents: [Incident] = []
        for finding in ordered {
            let explains = { (incident: Incident) -> Bool in
                guard incident.culprit != nil, !isStandalone(incident.rootCause.rule), !isStandalone(finding.rule) else { return false }
                return finding.culprit == nil || finding.culprit == incident.culprit
            }
            if let index = incidents.firstIndex(where: explains) {
                incidents[index].symptoms.append(finding)
                incidents[index].severity = max(incidents[index].severity, finding.severity)
            } else {
                incidents.append(Incident(rootCause: finding))
            }
        }
        return incidents.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }

    static func isStandalone(_ rule: Finding.Rule) -> Bool { rule == .corruption || rule == .ringGone || rule == .doubleAttach }

    /// Lower is more fundamental: a cause comes before what it causes.
    static func causalRank(_ f: Finding) -> Int {
        let requesterFirst = f.subject == SideRole.requester.description || f.subject == "process" ? 0 : 1
        switch f.rule {
        case .corruption, .doubleAttach: return 0
        case .ringGone: return 1
        // A consequence (the responder exiting after the requester died) is a warning:
        // after the death it follows.
        case .peerDead: return f.severity == .critical ? 2 + requesterFirst : 6
        case .sideStopped, .heartbeatStale: return 4 + requesterFirst
        // Before the queue stalls: a consumer asleep through a lost wake-up is why its queue
        // does not move (diagnose gives that stall the same culprit, so it joins as a symptom).
        case .lostWakeUp: return 8
        case .consumerStalled, .producerBlocked:
            // The completion queue first: its consumer's stall backs up the submission queue.
            // Within a queue, the stall before the block it causes.
            return (f.subject == QueueKind.completion.rawValue ? 10 : 20) + (f.rule == .consumerStalled ? 0 : 1)
        case .completionOverflow: return 12
        case .leakedCancellations: return 30
        case .oldInFlightOp: return 31
        case .slotTableExhausted: return 32
        }
    }
}
