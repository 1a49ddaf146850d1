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
    public var findings: [Finding]
    public var thresholds: Thresholds

    public static let currentSchemaVersion = 1

    public init(snapshot: Snapshot, rates: Rates? = nil, findings: [Finding], thresholds: Thresholds) {
        self.schemaVersion = Self.currentSchemaVersion
        self.snapshot = snapshot
        self.rates = rates
        self.findings = findings
        self.thresholds = thresholds
    }

    /// `healthy` when there are no findings, else the worst severity.
    public var status: String {
        findings.map(\.severity).max()?.rawValue ?? "healthy"
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
