#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import CEveringReference

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

    deinit { munmap(base, size) }

    /// Creates the object (replacing a stale one of the same name) with both queue blocks
    /// initialised for 16-byte entries.
    public static func create(name: String, capacity: UInt32) throws(BenchError) -> BenchRegion {
        guard capacity >= 2, capacity & (capacity - 1) == 0 else {
            throw .invalidArgument("queue capacity \(capacity) must be a power of two >= 2")
        }
        let size = entriesStart + 2 * entryBytes(capacity: capacity)
        shm_unlink(name)
        let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("shm_open(\(name))", errno) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            let err = errno
            shm_unlink(name)
            throw .system("ftruncate(\(name))", err)
        }
        let base: UnsafeMutableRawPointer
        do { base = try map(fd: fd, name: name, size: size) } catch {
            shm_unlink(name)  // do not leave a sized, unmappable object behind in /dev/shm
            throw error
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
        let fd = shm_open(name, O_RDWR | O_CLOEXEC, 0)
        guard fd >= 0 else { throw .system("shm_open(\(name))", errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .system("fstat(\(name))", errno) }
        let size = Int(status.st_size)
        guard size >= entriesStart + 2 * 4096 else { throw .invalidArgument("\(name) is too small to be a benchmark region") }
        let base = try map(fd: fd, name: name, size: size)
        // Capacity is read back from queue 0's block, which the creator wrote before spawning us.
        let capacity = (base + blockOffsets[0]).assumingMemoryBound(to: ev_queue.self).pointee.capacity
        guard capacity >= 2, capacity & (capacity - 1) == 0,
              entriesStart + 2 * entryBytes(capacity: capacity) <= size else {
            munmap(base, size)
            throw .invalidArgument("\(name) has a corrupt queue block (capacity \(capacity))")
        }
        return BenchRegion(name: name, capacity: capacity, base: base, size: size)
    }

    private static func map(fd: Int32, name: String, size: Int) throws(BenchError) -> UnsafeMutableRawPointer {
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw .system("mmap(\(name))", errno)
        }
        return base
    }

    public func unlink() { shm_unlink(name) }

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
