#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import CEveringReference
import Evering

/// The benchmark's own shared-memory object: a control block and two raw queues (an
/// `ev_queue` block plus an array of 16-byte entries each), laid out like a ring's queues
/// but without the driver, so the Swift `QueueProducer`/`QueueConsumer` and the C
/// reference ring run on identical memory.
///
///     [0, 64)        evbench_control
///     512            ev_queue block of queue 0 (driver -> peer)
///     896            ev_queue block of queue 1 (peer -> driver)
///     4096           entries of queue 0
///     4096 + E       entries of queue 1   (E = capacity * 16 rounded up to a page)
public final class BenchRegion: @unchecked Sendable {
    // @unchecked: the pointers are into a MAP_SHARED mapping; each queue is used by one
    // thread per process (SPSC) and the control block follows the protocol in its header.
    public let name: String
    public let capacity: UInt32
    let base: UnsafeMutableRawPointer
    let size: Int

    static let blockOffsets = [512, 896]
    static let entriesStart = 4096

    /// Bytes of one queue's entry array, page aligned.
    static func entryBytes(capacity: UInt32) -> Int {
        (Int(capacity) * MemoryLayout<evref_entry>.stride + 4095) & ~4095
    }

    private init(name: String, capacity: UInt32, base: UnsafeMutableRawPointer, size: Int) {
        self.name = name
        self.capacity = capacity
        self.base = base
        self.size = size
    }

    deinit { SystemCalls.unmap(base, size: size) }

    /// Creates the object (replacing a stale one of the same name) with both queue blocks
    /// initialised for 16-byte entries. Mapped through the package's one system-call layer,
    /// as rings are.
    public static func create(name: String, capacity: UInt32) throws(BenchError) -> BenchRegion {
        guard capacity >= 2, capacity & (capacity - 1) == 0 else {
            throw .invalidArgument("queue capacity \(capacity) must be a power of two >= 2")
        }
        let size = entriesStart + 2 * entryBytes(capacity: capacity)
        let base: UnsafeMutableRawPointer
        do throws(RingError) {
            let shmName = try RingName(name)
            try? SystemCalls.shmUnlink(shmName)
            let fd = try SystemCalls.shmOpen(shmName, flags: O_CREAT | O_EXCL | O_RDWR, mode: 0o600)
            defer { SystemCalls.closeDescriptor(fd) }
            do throws(RingError) {
                try SystemCalls.truncate(fd, to: UInt64(size))
                base = try SystemCalls.map(fd, size: size, writable: true)
            } catch {
                try? SystemCalls.shmUnlink(shmName)  // do not leave a sized, unmappable object behind in /dev/shm
                throw error
            }
        } catch {
            throw BenchError(error)
        }
        let region = BenchRegion(name: name, capacity: capacity, base: base, size: size)
        for queue in 0..<2 {
            let block = region.queueBlock(queue)
            block.pointee.capacity = capacity
            block.pointee.mask = capacity - 1
            block.pointee.entry_size = UInt32(MemoryLayout<evref_entry>.stride)
            block.pointee.entries_offset = UInt64(entriesStart + queue * entryBytes(capacity: capacity))
        }
        return region
    }

    /// Opens the object the driver created (the peer's side).
    public static func open(name: String) throws(BenchError) -> BenchRegion {
        let base: UnsafeMutableRawPointer
        let size: Int
        do throws(RingError) {
            let fd = try SystemCalls.shmOpen(try RingName(name), flags: O_RDWR, mode: 0)
            defer { SystemCalls.closeDescriptor(fd) }
            size = Int(clamping: try SystemCalls.fileStatus(fd).size)
            guard size >= entriesStart + 2 * 4096 else { throw RingError.notEvering(name, reason: "too small to be a benchmark region") }
            base = try SystemCalls.map(fd, size: size, writable: true)
        } catch {
            throw BenchError(error)
        }
        // Capacity is read back from queue 0's block, which the creator wrote before spawning us.
        let capacity = (base + blockOffsets[0]).assumingMemoryBound(to: ev_queue.self).pointee.capacity
        guard capacity >= 2, capacity & (capacity - 1) == 0,
              entriesStart + 2 * entryBytes(capacity: capacity) <= size else {
            SystemCalls.unmap(base, size: size)
            throw .invalidArgument("\(name) has a corrupt queue block (capacity \(capacity))")
        }
        return BenchRegion(name: name, capacity: capacity, base: base, size: size)
    }

    public func unlink() { if let shmName = try? RingName(name) { try? SystemCalls.shmUnlink(shmName) } }

    public var control: UnsafeMutablePointer<evbench_control> {
        base.assumingMemoryBound(to: evbench_control.self)
    }

    public func queueBlock(_ queue: Int) -> UnsafeMutablePointer<ev_queue> {
        (base + Self.blockOffsets[queue]).assumingMemoryBound(to: ev_queue.self)
    }

    public func entries(_ queue: Int) -> UnsafeMutablePointer<evref_entry> {
        (base + Self.entriesStart + queue * Self.entryBytes(capacity: capacity)).assumingMemoryBound(to: evref_entry.self)
    }
}
