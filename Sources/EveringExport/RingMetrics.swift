import EveringInspect

/// The metric families of one fleet reading (docs/MONITORING.md lists them).
///
/// Naming follows Prometheus conventions: one `evering_` prefix, base units (seconds),
/// `_total` on counters (added by the exposition), and no label whose values are unbounded
/// beyond the ring name (rule, severity, state, side, queue and role are closed sets).
public enum RingMetrics {
    public static func families(_ reading: FleetSampler.Reading) -> [MetricFamily] {
        var enqueued = family("evering_queue_enqueued", .counter, "Entries ever enqueued: the queue's free-running tail.")
        var dequeued = family("evering_queue_dequeued", .counter, "Entries ever dequeued: the queue's free-running head.")
        var capacity = family("evering_queue_capacity", .gauge, "Entries the queue holds.")
        var used = family("evering_queue_used", .gauge, "Entries queued now (tail - head).")
        var fullStalls = family("evering_queue_full_stalls", .counter, "Times the producer found the queue full (once per episode).")
        var emptyWaits = family("evering_queue_empty_waits", .counter, "Times the consumer blocked on an empty queue.")
        var slots = family("evering_slots", .gauge, "Driver slots by state.")
        var sideUp = family("evering_side_up", .gauge, "1 when the side's process is attached and alive.")
        var heartbeatAge = family("evering_side_heartbeat_age_seconds", .gauge, "Age of the side's last heartbeat.", unit: "seconds")
        var oldest = family("evering_oldest_inflight_age_seconds", .gauge, "Age of the oldest op in flight (0 when none).", unit: "seconds")
        var status = family("evering_ring_status", .gauge, "1 for the ring's current status word, 0 for the others.")
        var findings = family("evering_findings", .gauge, "Findings of the diagnosis by rule and severity.")
        var incidents = family("evering_incidents", .gauge, "Incidents (a root cause with its symptoms) by the party at fault.")
        var asleep = family("evering_waiter_asleep", .gauge, "1 while the queue's consumer (or producer) is asleep on its futex (ABI 1.1).")
        var wakes = family("evering_waiter_wakes", .counter, "FUTEX_WAKE calls the other side made for this waiter (ABI 1.1).")
        var lateWakes = family("evering_waiter_late_wakes", .counter,
                               "Waits that ended by their timeout although the queue was ready: lost wake-ups the sleeper caught (ABI 1.1).")

        for ring in reading.rings {
            let snapshot = ring.snapshot
            let name = MetricSample.Label("ring", ring.name)
            for queue in [snapshot.submission, snapshot.completion] {
                let labels = [name, MetricSample.Label("queue", queue.kind.rawValue)]
                enqueued.samples.append(MetricSample(labels, Double(queue.tail)))
                dequeued.samples.append(MetricSample(labels, Double(queue.head)))
                capacity.samples.append(MetricSample(labels, Double(queue.capacity)))
                used.samples.append(MetricSample(labels, Double(queue.used)))
                if let value = queue.fullStalls { fullStalls.samples.append(MetricSample(labels, Double(value))) }
                if let value = queue.emptyWaits { emptyWaits.samples.append(MetricSample(labels, Double(value))) }
            }
            if let table = snapshot.slots {
                for state in ObservedSlotState.allCases where state != .unknown || table.counts.unknown > 0 {
                    slots.samples.append(MetricSample([name, .init("state", state.rawValue)], Double(table.counts[state])))
                }
                let age = table.busy.lazy.filter { $0.state.isInFlight }.map { Double($0.ageNanoseconds) / 1e9 }.max() ?? 0
                oldest.samples.append(MetricSample([name], age))
            }
            for side in [snapshot.requester, snapshot.responder].compactMap({ $0 }) {
                let labels = [name, MetricSample.Label("side", side.role.description)]
                sideUp.samples.append(MetricSample(labels, side.state == .attached && side.liveness.isPresent ? 1 : 0))
                if let age = side.heartbeatAgeNanoseconds, side.state == .attached {
                    heartbeatAge.samples.append(MetricSample(labels, Double(age) / 1e9))
                }
            }
            // ABI 1.1 wait records (none in a 1.0 ring: no samples rather than zeros).
            for waiter in [snapshot.requester, snapshot.responder].compactMap({ $0?.waits }).joined() {
                let labels = [name, MetricSample.Label("queue", waiter.queue.rawValue), MetricSample.Label("role", waiter.role.rawValue)]
                asleep.samples.append(MetricSample(labels, waiter.sleeping ? 1 : 0))
                wakes.samples.append(MetricSample(labels, Double(waiter.wakes)))
                lateWakes.samples.append(MetricSample(labels, Double(waiter.lateWakes)))
            }
            for word in RingStatus.allCases where word != .notReady {
                status.samples.append(MetricSample([name, .init("status", word.rawValue)], word == ring.status ? 1 : 0))
            }
            var counts: [String: (rule: String, severity: String, count: Int)] = [:]
            for finding in ring.findings {
                let key = finding.rule.rawValue + "/" + finding.severity.rawValue
                counts[key, default: (finding.rule.rawValue, finding.severity.rawValue, 0)].count += 1
            }
            var byCulprit: [String: Int] = [:]
            for incident in ring.incidents { byCulprit[incident.culprit?.rawValue ?? "unknown", default: 0] += 1 }
            for culprit in byCulprit.keys.sorted() {
                incidents.samples.append(MetricSample([name, .init("culprit", culprit)], Double(byCulprit[culprit]!)))
            }
            for key in counts.keys.sorted() {
                let entry = counts[key]!
                findings.samples.append(MetricSample([name, .init("rule", entry.rule), .init("severity", entry.severity)],
                                                     Double(entry.count)))
            }
        }

        var rings = family("evering_rings", .gauge, "Objects in /dev/shm with the evering magic, by whether they could be read.")
        rings.samples = [
            MetricSample([.init("access", "ok")], Double(reading.census.readable)),
            MetricSample([.init("access", "not_ready")], Double(reading.census.notReady)),
            MetricSample([.init("access", "denied")], Double(reading.census.denied)),
            MetricSample([.init("access", "unreadable")], Double(reading.census.unreadable)),
        ]
        var readErrors = family("evering_ring_read_errors", .counter, "Failed reads of a ring (it vanished, shrank or stopped validating mid-read).")
        readErrors.samples = reading.readErrors.keys.sorted().map { MetricSample([.init("ring", $0)], Double(reading.readErrors[$0]!)) }
        var sampleDuration = family("evering_sample_duration_seconds", .gauge, "How long the last sample of every ring took.", unit: "seconds")
        sampleDuration.samples = [MetricSample([], Double(reading.durationNanoseconds) / 1e9)]

        return [enqueued, dequeued, capacity, used, fullStalls, emptyWaits, slots, sideUp, heartbeatAge, oldest,
                status, findings, incidents, asleep, wakes, lateWakes, rings, readErrors, sampleDuration]
    }

    private static func family(_ name: String, _ kind: MetricFamily.Kind, _ help: String, unit: String? = nil) -> MetricFamily {
        MetricFamily(name: name, help: help, kind: kind, unit: unit)
    }
}

