/// A validated POSIX shared-memory object name, always stored with its leading `/`.
///
///     let name = try RingName("evering-demo")            // "/evering-demo"
///     let same = try RingName("/dev/shm/evering-demo")   // "/evering-demo" (as `ls /dev/shm` shows it)
public struct RingName: Hashable, Sendable, CustomStringConvertible {
    /// The name as `shm_open` wants it, with one leading `/`.
    public let path: String

    /// Longest name (without the leading `/`) we accept; NAME_MAX is 255 and
    /// /dev/shm paths should stay comfortably below it.
    public static let maxLength = 200

    /// Where Linux shows POSIX shm objects; a name given as a path there is the object's name.
    public static let shmDirectory = "/dev/shm/"

    public init(_ raw: String) throws(RingError) {
        // `/dev/shm/NAME` (pasted from `ls` or tab completion) names the object NAME.
        let unprefixed = raw.hasPrefix(Self.shmDirectory) ? String(raw.dropFirst(Self.shmDirectory.count)) : raw
        let bare = unprefixed.hasPrefix("/") ? String(unprefixed.dropFirst()) : unprefixed
        if bare.isEmpty { throw .invalidName(raw, reason: "the name is empty") }
        if bare.contains("/") { throw .invalidName(raw, reason: "only a leading '/' is allowed") }
        if bare == "." || bare == ".." { throw .invalidName(raw, reason: "'.' and '..' are not object names") }
        if bare.utf8.count > Self.maxLength {
            throw .invalidName(raw, reason: "longer than \(Self.maxLength) bytes")
        }
        if bare.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw .invalidName(raw, reason: "control characters are not allowed")
        }
        path = "/" + bare
    }

    /// The name without its leading `/`, as `ls /dev/shm` shows it.
    public var bare: String { String(path.dropFirst()) }
    public var description: String { path }
}
