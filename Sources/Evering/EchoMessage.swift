/// A 16-byte self-checking message (sequence number + checksum of it) used by the
/// library's cross-process tests and the echo responder.
public struct EchoMessage: Equatable, Sendable {
    public static let size = 16
    public var sequence: UInt64

    public init(sequence: UInt64) { self.sequence = sequence }

    /// A 64-bit mix of the sequence number (splitmix64 finaliser): any flipped bit of a
    /// sequence changes the checksum.
    public static func checksum(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size)
        buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: Self.checksum(sequence).littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Nil when the buffer is short or the checksum does not match.
    public static func decode(_ buffer: UnsafeRawBufferPointer) -> EchoMessage? {
        guard buffer.count >= size else { return nil }
        let sequence = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let sum = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        return sum == checksum(sequence) ? EchoMessage(sequence: sequence) : nil
    }
}
