/// The self-checking payload every request and response carries, so loss, duplication,
/// reordering and corruption are all detected end to end.
///
/// A payload carries a *tag*: the op's sequence number plus two flag bits (bit 63: this
/// is a response; bit 62: the responder rejected the request). Layout by payload size:
///
/// - 16 bytes or more: `[tag u64 LE][checksum u64 LE][body]`. The body is a pattern
///   derived from the tag; the checksum (four interleaved multiply-rotate chains seeded
///   by the tag) covers every body byte: a single flipped bit anywhere is always caught,
///   other damage with probability 1 - 2^-64. With exactly 16 bytes (no body) the
///   checksum is `mix(tag ^ constant)` (one mix rather than a four-chain hash of nothing).
/// - 8 to 15 bytes: `[tag u64 LE][first N-8 bytes of mix(tag)]`: the full sequence and
///   flags are verified, plus 0-7 bytes of check over them; there is no body.
/// - 4 to 7 bytes: `[low 30 bits of the sequence | response<<31 | rejected<<30, u32 LE]`
///   followed by N-4 bytes of mix(tag): the sequence is verified modulo 2^30 (enough to
///   see any loss, duplicate or reordering within a billion ops), corruption only where
///   it changes those 4 bytes or the check bytes.
public enum PayloadFormat {
    public static let responseBit: UInt64 = 1 << 63
    public static let rejectedBit: UInt64 = 1 << 62
    public static let sequenceMask: UInt64 = rejectedBit - 1
    /// Size of the stream-mode acknowledgement on uds/pipe (a response payload with no body).
    public static let acknowledgementSize = 16

    /// What a checked payload said.
    public struct Decoded: Equatable, Sendable {
        /// The sequence number, truncated to `sequenceBits`.
        public var sequence: UInt64
        public var sequenceBits: Int
        public var isResponse: Bool
        public var isRejected: Bool

        /// Whether `sequence` (as far as this payload carries it) is `expected`.
        public func matches(_ expected: UInt64) -> Bool {
            let mask: UInt64 = sequenceBits >= 62 ? sequenceMask : (1 << UInt64(sequenceBits)) - 1
            return sequence == expected & mask
        }
    }

    public static func tag(sequence: UInt64, response: Bool, rejected: Bool = false) -> UInt64 {
        (sequence & sequenceMask) | (response ? responseBit : 0) | (rejected ? rejectedBit : 0)
    }

    /// Writes a payload for `tag` filling all of `buffer` (at least 4 bytes).
    @inline(__always)
    public static func encode(tag: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count == 16 {
            // No body: the checksum covers the tag alone (see `headerOnlyChecksum`). Inlined:
            // it is the whole per-op verification cost of a 16-byte stream.
            buffer.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: headerOnlyChecksum(tag).littleEndian, toByteOffset: 8, as: UInt64.self)
        } else {
            encodeOtherSizes(tag: tag, into: buffer)
        }
    }

    @inline(never)
    static func encodeOtherSizes(tag: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        let n = buffer.count
        precondition(n >= 4, "payloads are at least 4 bytes")
        if n >= 16 {
            buffer.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt64.self)
            var hash = BodyHash(tag: tag)
            var word = mix(tag ^ 0x5851_F42D_4C95_7F2D)  // body pattern start: differs per tag
            let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
            var offset = 16
            while offset + 32 <= n {
                let w0 = word, w1 = word &+ increment, w2 = word &+ 2 &* increment, w3 = word &+ 3 &* increment
                buffer.storeBytes(of: w0.littleEndian, toByteOffset: offset, as: UInt64.self)
                buffer.storeBytes(of: w1.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
                buffer.storeBytes(of: w2.littleEndian, toByteOffset: offset + 16, as: UInt64.self)
                buffer.storeBytes(of: w3.littleEndian, toByteOffset: offset + 24, as: UInt64.self)
                hash.add(w0, w1, w2, w3)
                word = word &+ 4 &* increment
                offset += 32
            }
            var lane = 0
            while offset + 8 <= n {
                buffer.storeBytes(of: word.littleEndian, toByteOffset: offset, as: UInt64.self)
                hash.add(word, lane: lane)
                lane += 1
                word = word &+ increment
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < n {
                let byte = UInt8(truncatingIfNeeded: word >> shift)
                buffer[offset] = byte
                tail |= UInt64(byte) << shift
                shift += 8
                offset += 1
            }
            if shift > 0 { hash.add(tail, lane: lane) }
            buffer.storeBytes(of: hash.value.littleEndian, toByteOffset: 8, as: UInt64.self)
        } else if n >= 8 {
            buffer.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt64.self)
            storeCheckBytes(mix(tag), into: buffer, from: 8)
        } else {
            let packed = packed32(tag)
            buffer.storeBytes(of: packed.littleEndian, toByteOffset: 0, as: UInt32.self)
            storeCheckBytes(mix(UInt64(packed)), into: buffer, from: 4)
        }
    }

    /// Checks a payload; nil when it is too short or its check bytes do not match.
    @inline(__always)
    public static func decode(_ buffer: UnsafeRawBufferPointer) -> Decoded? {
        if buffer.count == 16 {
            let tag = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            let stored = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            guard headerOnlyChecksum(tag) == stored else { return nil }
            return decoded(tag)
        }
        return decodeOtherSizes(buffer)
    }

    @inline(never)
    static func decodeOtherSizes(_ buffer: UnsafeRawBufferPointer) -> Decoded? {
        let n = buffer.count
        guard n >= 4 else { return nil }
        if n >= 16 {
            let tag = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            let stored = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            var hash = BodyHash(tag: tag)
            var offset = 16
            func word(_ at: Int) -> UInt64 { UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
            while offset + 32 <= n {
                hash.add(word(offset), word(offset + 8), word(offset + 16), word(offset + 24))
                offset += 32
            }
            var lane = 0
            while offset + 8 <= n {
                hash.add(word(offset), lane: lane)
                lane += 1
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < n {
                tail |= UInt64(buffer[offset]) << shift
                shift += 8
                offset += 1
            }
            if shift > 0 { hash.add(tail, lane: lane) }
            guard hash.value == stored else { return nil }
            return decoded(tag)
        } else if n >= 8 {
            let tag = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            guard checkBytesMatch(mix(tag), in: buffer, from: 8) else { return nil }
            return decoded(tag)
        } else {
            let packed = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            guard checkBytesMatch(mix(UInt64(packed)), in: buffer, from: 4) else { return nil }
            return Decoded(sequence: UInt64(packed & 0x3FFF_FFFF), sequenceBits: 30,
                           isResponse: packed & (1 << 31) != 0, isRejected: packed & (1 << 30) != 0)
        }
    }

    /// The checksum of a 16-byte payload (tag and checksum, no body). `mix` is a bijection,
    /// so any change to the tag changes the expected checksum and any change to the
    /// checksum alone no longer matches: every corruption of the 16 bytes that does not
    /// happen to produce another valid (tag, mix(tag)) pair is caught (1 - 2^-64 for random
    /// damage, every single-bit flip). One `mix` instead of the eight a `BodyHash` over an
    /// empty body costs, which matters at tens of millions of payloads a second.
    @inline(__always)
    static func headerOnlyChecksum(_ tag: UInt64) -> UInt64 {
        mix(tag ^ 0x2545_F491_4F6C_DD1D)
    }

    static func decoded(_ tag: UInt64) -> Decoded {
        Decoded(sequence: tag & sequenceMask, sequenceBits: 62,
                isResponse: tag & responseBit != 0, isRejected: tag & rejectedBit != 0)
    }

    static func packed32(_ tag: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: tag & 0x3FFF_FFFF)
            | (tag & responseBit != 0 ? 1 << 31 : 0) | (tag & rejectedBit != 0 ? 1 << 30 : 0)
    }

    static func storeCheckBytes(_ check: UInt64, into buffer: UnsafeMutableRawBufferPointer, from start: Int) {
        for i in start..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: check >> UInt64(8 * (i - start))) }
    }

    static func checkBytesMatch(_ check: UInt64, in buffer: UnsafeRawBufferPointer, from start: Int) -> Bool {
        for i in start..<buffer.count where buffer[i] != UInt8(truncatingIfNeeded: check >> UInt64(8 * (i - start))) {
            return false
        }
        return true
    }

    /// The checksum over tag and body: four independent chains (word i feeds chain i % 4)
    /// so a large payload is hashed at several words per cycle rather than one chain's
    /// multiply latency per word; the chains are folded with `mix` at the end. Every step
    /// is a bijection of the changed word, so any single changed word (any flipped bit)
    /// changes its chain and therefore the result.
    struct BodyHash {
        var h0: UInt64, h1: UInt64, h2: UInt64, h3: UInt64

        init(tag: UInt64) {
            h0 = mix(tag)
            h1 = mix(tag ^ 0x1111_1111_1111_1111)
            h2 = mix(tag ^ 0x2222_2222_2222_2222)
            h3 = mix(tag ^ 0x3333_3333_3333_3333)
        }

        @inline(__always)
        mutating func add(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
            h0 = step(h0, w0)
            h1 = step(h1, w1)
            h2 = step(h2, w2)
            h3 = step(h3, w3)
        }

        @inline(__always)
        mutating func add(_ word: UInt64, lane: Int) {
            switch lane {
            case 0: h0 = step(h0, word)
            case 1: h1 = step(h1, word)
            case 2: h2 = step(h2, word)
            default: h3 = step(h3, word)
            }
        }

        var value: UInt64 { mix(h0 ^ mix(h1 ^ mix(h2 ^ mix(h3)))) }
    }

    /// One step of the body hash: xor then multiply by an odd constant (a bijection, so
    /// no two different words collapse), rotated so high bits feed back into low ones.
    @inline(__always)
    static func step(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let h = (hash ^ word) &* 0x0000_0100_0000_01B3
        return (h << 29) | (h >> 35)
    }

    /// splitmix64's finaliser: every input bit affects every output bit.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
