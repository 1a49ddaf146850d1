import CEvering

/// The two ends of a ring pair. The requester owns the driver and produces into the
/// submission queue; the responder consumes submissions and produces completions.
public enum RingSide: Int, Sendable, CaseIterable, CustomStringConvertible {
    case requester = 0
    case responder = 1

    public var peer: RingSide { self == .requester ? .responder : .requester }
    public var description: String { self == .requester ? "requester" : "responder" }
}

/// The ABI version this build writes, and the major version it reads.
public let abiMajor = UInt16(EV_ABI_MAJOR)
public let abiMinor = UInt16(EV_ABI_MINOR)

/// Encoded by name ("requester", "responder"): the inspector's JSON names sides, not ABI indices.
extension RingSide: Codable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let side = RingSide.allCases.first(where: { $0.description == name }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a ring side: \(name)"))
        }
        self = side
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The ABI 1.1 writer duties (`ev_header.writer_features` bits) this build implements. A
/// side refuses a ring that requires any other bit (docs/ABI.md "Compatibility").
/// New rings require all of them (`EV_WRITER_FEATURES_1_1`).
public let supportedWriterFeatures: UInt32 = EV_WRITER_OWNER_CLAIM.rawValue | EV_WRITER_SLOT_SEQ.rawValue
