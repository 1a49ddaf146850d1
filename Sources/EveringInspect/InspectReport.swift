#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `dump --json` prints and `watch --batch --json` prints one line of: a snapshot,
/// the rates since the previous one, and the diagnosis. Schema: docs/INSPECT-JSON.md.
public struct InspectReport: Codable, Equatable, Sendable {
    /// Bumped when a field is renamed or removed (adding fields keeps the version).
    public var schemaVersion: Int
    public var snapshot: Snapshot
    public var rates: Rates?
    /// Every finding, worst first (the same ones `incidents` group).
    public var findings: [Finding]
    /// The findings grouped by root cause, worst first.
    public var incidents: [Incident]
    /// The status word (`RingStatus.of`).
    public var status: RingStatus
    /// `watch` only: every alert since the watch started (kept 30 s after it ends), with its
    /// lifecycle (active, resolved, superseded). Absent from one-shot commands.
    public var alerts: [AlertLog.Entry]?
    public var thresholds: Thresholds

    /// 2: `incidents` and `status` (a word) added; `status` was not encoded before.
    public static let currentSchemaVersion = 2

    /// How long one-shot commands (`list`, `dump`) wait between their two reads: a stall
    /// needs history, and one read cannot tell a stopped head from a busy one.
    public static let oneShotSecondSampleSeconds = 0.2

    /// Groups `findings` into incidents and computes the status word.
    public init(snapshot: Snapshot, rates: Rates? = nil, findings: [Finding], thresholds: Thresholds) {
        self.schemaVersion = Self.currentSchemaVersion
        self.snapshot = snapshot
        self.rates = rates
        self.findings = findings
        self.thresholds = thresholds
        incidents = Incident.group(findings)
        status = RingStatus.of(snapshot, incidents: incidents)
    }
}

/// The JSON coders the inspector uses: sorted keys so output is diffable.
public enum InspectJSON {
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        String(decoding: try encoder(pretty: pretty).encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
