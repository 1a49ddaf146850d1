/// Everything the environment can do to a ring operation, as values with messages a
/// user can act on. Programmer mistakes (a negative count, an op id from another ring)
/// trap instead.
public enum RingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name breaks the POSIX shm naming rules we accept.
    case invalidName(String, reason: String)
    /// `create` found an object under this name and was not asked to replace it.
    case alreadyExists(String)
    /// No shared-memory object has this name.
    case notFound(String)
    /// The object exists but this process may not open it in the requested mode.
    case permissionDenied(String, owner: String, mode: UInt32)
    /// The object is not an evering ring (wrong magic, random bytes, another program's object).
    case notEvering(String, reason: String)
    /// The creator has not published the ring yet (or died before it did).
    case notReady(String)
    /// A ring with an ABI major version this build does not speak.
    case unsupportedVersion(String, major: UInt16, minor: UInt16)
    /// The object is smaller than its header says (or than any ring can be).
    case truncated(String, expected: UInt64, actual: UInt64)
    /// A header field points outside the object or breaks a layout rule.
    case layoutOutOfBounds(String, field: String, detail: String)
    /// A configuration asked of `create` is impossible.
    case invalidConfiguration(String)
    /// The peer process is gone (killed, crashed, or its pid now belongs to someone else).
    case peerDead(side: RingSide, pid: Int32)
    /// The peer detached cleanly; nothing more will arrive.
    case peerDetached(side: RingSide)
    /// Another live process is attached as this side already.
    case sideTaken(side: RingSide, pid: Int32)
    /// The ring requires writer duties (ABI 1.1 `writer_features` bits) this build does not
    /// implement: attaching as a side could break the protocol, so it is refused.
    case unsupportedWriterFeatures(String, bits: UInt32)
    /// The peer published an impossible index (ABI 1.1 robustness rules): `value` is outside
    /// `low...high`, the range a working peer can have reached. The ring cannot be trusted.
    /// Indirect: its payload is the largest of all cases, and every typed-throws path that
    /// carries a `RingError` (the load's hot loops included) would pay for its size.
    indirect case corruptPeer(queue: String, field: String, writer: RingSide?, value: UInt64, low: UInt64, high: UInt64)
    /// The object was truncated while this process read it (it was a ring of the size we
    /// mapped); what was read is not the ring.
    case truncatedWhileInspected(String)
    /// This process already reads as many rings as its SIGBUS guard can protect; reading
    /// one more unguarded could kill it if that object were truncated.
    case tooManyInspected(String, limit: Int)
    /// A blocking call gave up after its timeout.
    case timedOut
    /// A blocking call ended because `StopRequest.request()` was called (SIGINT, SIGTERM).
    case stopRequested
    /// A system call failed in a way none of the cases above describes.
    case system(call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidName(name, reason):
            return "invalid ring name '\(name)': \(reason)"
        case let .alreadyExists(name):
            return "a shared-memory object named \(name) already exists (pass --replace to remove it first, or pick another name)"
        case let .notFound(name):
            return "no ring named \(name) (no such object in /dev/shm)"
        case let .permissionDenied(name, owner, mode):
            return "permission denied opening \(name): it belongs to \(owner) with mode \(String(mode & 0o777, radix: 8)); run as that user or as root"
        case let .notEvering(name, reason):
            return "\(name) is not an evering ring: \(reason)"
        case let .notReady(name):
            return "\(name) is not ready: its creator has not finished setting it up, or died while doing so (if it stays like this, nothing is creating it: remove it with rm /dev/shm\(name))"
        case let .unsupportedVersion(name, major, minor):
            return "\(name) uses evering ABI \(major).\(minor); this build reads ABI \(abiMajor).x only"
        case let .truncated(name, expected, actual):
            return "\(name) is truncated: its header needs \(expected) bytes but the object has \(actual)"
        case let .layoutOutOfBounds(name, field, detail):
            return "\(name) has a corrupt header: \(field) \(detail)"
        case let .invalidConfiguration(reason):
            return "invalid ring configuration: \(reason)"
        case let .peerDead(side, pid):
            return "the \(side) (pid \(pid)) died without detaching"
        case let .peerDetached(side):
            return "the \(side) detached from the ring"
        case let .sideTaken(side, pid):
            return "the \(side) side is already attached by live process \(pid); one process per side"
        case .stopRequested:
            return "stopped on request (signal)"
        case let .unsupportedWriterFeatures(name, bits):
            return "\(name) requires writer features 0x\(String(bits, radix: 16)) that this build does not implement (it implements 0x\(String(supportedWriterFeatures, radix: 16))); attach with a newer evering, or only inspect it"
        case let .corruptPeer(queue, field, writer, value, low, high):
            return "corrupt ring: the \(queue) queue's \(field), written by \(writer.map { "the \($0)" } ?? "its peer"), holds \(value) but must lie in \(low)...\(high); stopped rather than read phantom entries"
        case let .tooManyInspected(name, limit):
            return "cannot read \(name): this process already reads \(limit) rings, the most its guard against truncated objects (SIGBUS) can protect; close some first"
        case let .truncatedWhileInspected(name):
            return "\(name) was truncated (or emptied) while being inspected; it can no longer be read safely"
        case .timedOut:
            return "timed out waiting on the ring"
        case let .system(call, errno):
            return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
