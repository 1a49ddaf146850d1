import Evering

/// One read of an io_uring's fdinfo, with when it was taken and whether its process still
/// exists. Pure data: diagnosis and rendering work on these without touching /proc.
public struct IOUringSnapshot: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable {
        /// The fdinfo was read.
        case live
        /// The process exited (or its pid now belongs to another process).
        case processGone = "process-gone"
        /// The process lives but the fd is closed or now refers to something else.
        case ringClosed = "ring-closed"
    }

    public var instance: IOUringInstance
    /// The process when first seen, so a reused pid is not mistaken for it.
    public var process: ProcessIdentity
    /// CLOCK_MONOTONIC nanoseconds when read.
    public var takenAtNanoseconds: UInt64
    public var status: Status
    /// Empty (no ring section) unless `status == .live`.
    public var info: IOUringFDInfo

    public init(instance: IOUringInstance, process: ProcessIdentity, takenAtNanoseconds: UInt64, status: Status, info: IOUringFDInfo) {
        self.instance = instance
        self.process = process
        self.takenAtNanoseconds = takenAtNanoseconds
        self.status = status
        self.info = info
    }
}
