/// Plain-text renderings for the headless commands (`dump`, `watch --batch`, `list`):
/// pure functions of the model, so they are tested without running anything.
public enum ReportText {
    /// A multi-line dump in the spirit of `rte_ring_dump`. `allSlots` lists every busy slot
    /// instead of the oldest few.
    public static func dump(_ report: InspectReport, allSlots: Bool = false, slotLimit: Int = 10, color: Bool = false) -> String {
        let s = report.snapshot
        var lines: [String] = []
        var title = "ring \(s.name) (\(s.source.rawValue)"
        if let h = s.header {
            title += " ABI \(h.abiMajor).\(h.abiMinor), \(bytes(h.totalSize)), created by pid \(h.creatorPID), refcount \(h.refcount)"
        }
        title += ")"
        if !s.isStillLinked { title += "  [UNLINKED]" }
        lines.append(title)
        for side in [s.requester, s.responder].compactMap({ $0 }) {
            lines.append(pad(side.role.description, 10) + sideText(side))
            if s.source == .evering { lines += waitLines(side) }
        }
        if let process = s.process {
            lines.append(pad("process", 10) + "pid \(process.pid) \(process.command ?? "") \(process.liveness.rawValue)")
        }
        for queue in [s.submission, s.completion] {
            lines.append(pad(queue.kind.rawValue, 10) + queueText(queue))
            for entry in queue.pending {
                lines.append(pad("", 12) + "at \(entry.position): " + entryText(entry))
            }
        }
        if let slots = s.slots {
            let c = slots.counts
            var line = pad("slots", 10) + "\(slots.slotCount): free \(c.free) submitted \(c.submitted) waiting \(c.waiting) completed \(c.completed) cancelled \(c.cancelled)"
            if c.unknown > 0 { line += " UNKNOWN \(c.unknown)" }
            lines.append(line)
            let records = allSlots ? slots.busy : Array(slots.busy.sorted { $0.ageNanoseconds > $1.ageNanoseconds }.prefix(slotLimit))
            if !records.isEmpty {
                let heading = allSlots ? "busy slots (by index)" : "oldest busy slots (\(records.count) of \(slots.busy.count), --slots for all)"
                lines.append(pad("", 10) + heading)
                lines.append(pad("", 12) + pad("slot", 8) + pad("gen", 8) + pad("opcode", 8) + pad("state", 11) + "age")
                for r in records {
                    lines.append(pad("", 12) + pad(String(r.index), 8) + pad(String(r.generation), 8) + pad(String(r.opcode), 8)
                                 + pad(r.state == .unknown ? "?\(r.rawState)" : r.state.rawValue, 11) + duration(r.ageNanoseconds))
                }
            }
        }
        if let rates = report.rates { lines.append(pad("rates", 10) + ratesText(rates)) }
        lines.append(pad("status", 10) + statusWord(report.status, color: color))
        lines.append(contentsOf: incidentsText(report.incidents))
        return lines.joined(separator: "\n")
    }

    /// The incidents block: "none" or each root cause with its symptoms indented under it.
    public static func incidentsText(_ incidents: [Incident]) -> [String] {
        if incidents.isEmpty { return [pad("incidents", 10) + "none"] }
        var lines = [pad("incidents", 10) + "\(incidents.count)"]
        for incident in incidents {
            lines.append(findingLine(incident.rootCause))
            lines += incident.symptoms.map { "    symptom " + findingLine($0).dropFirst(2) }
        }
        return lines
    }

    /// "  CRIT     producer-blocked      the responder ...": one finding.
    public static func findingLine(_ f: Finding) -> String {
        "  " + pad(severityTag(f.severity), 9) + pad(f.rule.rawValue, 22) + f.message
    }

    /// "  ENDED    heartbeat-stale       superseded by peer-dead responder": how an alert ended.
    public static func endedLine(_ entry: AlertLog.Entry) -> String {
        let how = entry.lifecycle == .superseded ? "superseded by \(entry.supersededBy ?? "a later cause")" : "resolved"
        return "  " + pad("ENDED", 9) + pad(entry.finding.rule.rawValue, 22) + how + " (\(entry.finding.subject))"
    }

    /// The status word, in its colour when `color` (green OK; yellow DEGRADED, STALE, GONE,
    /// NOT READY; red STUCK, DEAD: the dashboard header's colours), as ANSI SGR sequences.
    public static func statusWord(_ status: RingStatus, color: Bool) -> String {
        guard color else { return status.rawValue }
        let code = switch status.level {
        case 0: "32"
        case 1: "33"
        default: "31"
        }
        return "\u{1b}[1;\(code)m\(status.rawValue)\u{1b}[0m"
    }

    /// CRIT, WARN, INFO: the tags the dashboard uses too.
    public static func severityTag(_ severity: Finding.Severity) -> String {
        switch severity {
        case .info: "INFO"
        case .warning: "WARN"
        case .critical: "CRIT"
        }
    }

    /// The column heads of `watch --batch` lines.
    public static let watchHeader =
        "time(s)   sq used/cap      sq in/s    sq out/s  cq used/cap      cq in/s    cq out/s  inflight  free  status     findings"

    /// One `watch --batch` line. `elapsed` is seconds since the watch started.
    public static func watchLine(_ report: InspectReport, elapsed: Double, color: Bool = false) -> String {
        let s = report.snapshot
        let r = report.rates
        func q(_ queue: QueueStatus) -> String { pad("\(queue.used)/\(queue.capacity)", 13) }
        func rate(_ value: Double?) -> String { lpad(value.map(compact) ?? "-", 10) + "  " }
        var line = pad(Formatting.decimal(elapsed), 10)
        line += q(s.submission) + rate(r?.submissionEnqueuesPerSecond) + rate(r?.submissionDequeuesPerSecond)
        line += q(s.completion) + rate(r?.completionEnqueuesPerSecond) + rate(r?.completionDequeuesPerSecond)
        line += pad(s.slots.map { String($0.counts.inFlight) } ?? "-", 10) + pad(s.slots.map { String($0.counts.free) } ?? "-", 6)
        line += statusWord(report.status, color: color) + String(repeating: " ", count: max(1, 11 - report.status.rawValue.count))
        line += report.findings.isEmpty ? "-" : report.findings.map { "\($0.severity.rawValue):\($0.rule.rawValue)" }.joined(separator: ",")
        return line
    }

    /// `list` output: a header and one line per object.
    public static func list(_ listings: [RingListing], color: Bool = false) -> String {
        let nameWidth = max(20, (listings.map(\.name.count).max() ?? 0) + 2)
        var lines = [pad("NAME", nameWidth) + pad("SIZE", 10) + pad("OWNER", 10) + pad("REQUESTER", 16) + pad("RESPONDER", 16)
                     + pad("SQ FILL", 12) + "STATUS"]
        for l in listings {
            var line = pad(l.name, nameWidth) + pad(l.sizeBytes.map(bytes) ?? "?", 10) + pad(l.owner ?? "?", 10)
            if l.kind == .evering {
                line += pad(pidText(l.requesterPID, l.requesterLiveness), 16) + pad(pidText(l.responderPID, l.responderLiveness), 16)
                line += pad("\(l.submissionUsed ?? 0)/\(l.submissionCapacity ?? 0)", 12)
                let word = RingStatus(rawValue: l.status.rawValue).map { statusWord($0, color: color) } ?? l.status.rawValue
                line += word + String(repeating: " ", count: max(1, 10 - l.status.rawValue.count))
                if let root = l.incidents?.first?.rootCause { line += root.key }
            } else {
                line += pad("-", 16) + pad("-", 16) + pad("-", 12) + l.status.rawValue
                if let reason = l.reason, l.kind != .notEvering { line += "  (" + reason + ")" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    // MARK: pieces

    static func pidText(_ pid: Int32?, _ liveness: Liveness?) -> String {
        guard let pid, pid > 0 else { return "-" }
        return "\(pid) \(liveness?.rawValue ?? "?")"
    }

    static func sideText(_ side: SideStatus) -> String {
        var text = side.state == .never ? "never attached" : "pid \(side.pid) \(side.liveness.rawValue), \(side.state)"
        if side.state == .unknown { text += " (raw \(side.rawState))" }
        if side.state == .attached, let age = side.heartbeatAgeNanoseconds { text += ", heartbeat \(duration(age)) ago" }
        return text
    }

    /// The side's capabilities and its two wait records, indented under its line:
    ///
    ///     capabilities wakes-peer, slot-seq
    ///     cq consumer  asleep 1.2s (waiting for entries), cpu 1, wakes 12, late wakes 0
    ///     sq producer  running, wakes 0, late wakes 0
    ///
    /// A 1.0 ring has neither: one line says so rather than showing zeros.
    static func waitLines(_ side: SideStatus) -> [String] {
        guard let waits = side.waits else {
            return [pad("", 12) + "wait state n/a (ABI 1.0 ring: no wait records or capabilities)"]
        }
        var lines = [pad("", 12) + "capabilities " + (side.capabilities?.text ?? "n/a")]
        for wait in waits {
            lines.append(pad("", 12) + pad("\(wait.queue.rawValue) \(wait.role.rawValue)", 13) + waitText(wait))
        }
        return lines
    }

    /// "asleep 1.2s (waiting for entries), cpu 1, wakes 12, late wakes 0", "running, wakes 0, late wakes 0".
    public static func waitText(_ wait: WaiterStatus) -> String {
        var text: String
        switch wait.activity {
        case .running: text = "running"
        case .waiting: text = "waiting \(duration(wait.ageNanoseconds ?? 0)) for \(wait.purpose) (not asleep)"
        case .asleep: text = "asleep \(duration(wait.ageNanoseconds ?? 0)) (waiting for \(wait.purpose))"
        }
        if wait.activity != .running, let cpu = wait.cpu { text += ", cpu \(cpu)" }
        text += ", wakes \(wait.wakes), late wakes \(wait.lateWakes)"
        return text
    }

    static func queueText(_ q: QueueStatus) -> String {
        var text = "head \(q.head) tail \(q.tail) used \(q.used)/\(q.capacity)"
        text += q.isOverfull ? " OVERFULL" : " (\(Formatting.decimal(q.fill * 100))%) free \(q.free)"
        if let stalls = q.fullStalls { text += " full-stalls \(stalls)" }
        if let waits = q.emptyWaits { text += " empty-waits \(waits)" }
        if !q.isConsistent { text += " (indices moved while read)" }
        return text
    }

    static func entryText(_ e: QueueEntry) -> String {
        var text = "op \(e.opLabel) opcode \(e.opcode) length \(e.length)"
        if let state = e.slotState {
            text += " -> slot \(state.rawValue)"
            if e.generationMatches == false { text += " (other generation)" }
        } else if e.slot != nil {
            text += " -> slot out of range"
        }
        if let age = e.ageNanoseconds { text += ", submitted \(duration(age)) ago" }
        return text
    }

    static func ratesText(_ r: Rates) -> String {
        var text = "sq in \(compact(r.submissionEnqueuesPerSecond))/s out \(compact(r.submissionDequeuesPerSecond))/s, "
        text += "cq in \(compact(r.completionEnqueuesPerSecond))/s out \(compact(r.completionDequeuesPerSecond))/s"
        if let c = r.cancellationsPerSecond { text += ", cancellations \(compact(c))/s" }
        return text + " (over \(Formatting.duration(seconds: r.intervalSeconds)))"
    }

    /// Counts and rates: `Formatting.count` (999, 1.2k, 34.5M).
    public static func compact(_ value: Double) -> String { Formatting.count(value) }

    /// Sizes: `Formatting.bytes` (512 B, 4.0 KiB).
    public static func bytes(_ value: UInt64) -> String { Formatting.bytes(value) }

    /// Durations: `Formatting.duration` (850ns, 12us, 3.4ms, 1.2s).
    public static func duration(_ nanoseconds: UInt64) -> String { Formatting.duration(nanoseconds: nanoseconds) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func lpad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
