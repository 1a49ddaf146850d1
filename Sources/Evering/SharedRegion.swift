#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// One mapping of a ring object, with its validated layout. Typed pointers into the
/// object are formed here and only here, from offsets `RingLayout` has checked.
///
/// A read-only region maps the object `PROT_READ` from an `O_RDONLY` descriptor: a write
/// through it would fault, so an inspector built on it cannot disturb the ring.
public final class SharedRegion: @unchecked Sendable {
    // @unchecked: the fields are immutable; the memory behind `base` is shared with other
    // processes and is only touched through the atomics and single-writer rules of the ABI.
    public let name: RingName
    public let layout: RingLayout
    public let isWritable: Bool
    public let base: UnsafeMutableRawPointer
    let mappedSize: Int
    let descriptor: Int32
    package let identity: (device: UInt64, inode: UInt64)
    /// The SIGBUS guard of a read-only mapping (`evering_guard.h`), -1 for none.
    let busGuard: Int32
    /// Start of the payload buffers and the distance between two, from the validated
    /// layout: the inlinable buffer addressing below uses them.
    @usableFromInline let buffersBase: UnsafeMutableRawPointer
    @usableFromInline let bufferStride: Int

    private init(name: RingName, layout: RingLayout, writable: Bool, base: UnsafeMutableRawPointer,
                 mappedSize: Int, descriptor: Int32, identity: (UInt64, UInt64), busGuard: Int32 = -1) {
        self.name = name
        self.layout = layout
        self.isWritable = writable
        self.base = base
        self.mappedSize = mappedSize
        self.descriptor = descriptor
        self.identity = identity
        self.busGuard = busGuard
        buffersBase = base + Int(layout.buffersOffset)
        bufferStride = Int(layout.bufferSize)
    }

    deinit {
        ev_bus_guard_unregister(busGuard)  // before the range can be reused by another mapping
        SystemCalls.unmap(base, size: mappedSize)
        SystemCalls.closeDescriptor(descriptor)
    }

    // MARK: creating and opening

    /// Creates, sizes, initialises and publishes a new ring object. The object is only
    /// marked ready (release store) after every other field is written; on any failure
    /// the half-made object is unlinked again.
    static func create(_ name: RingName, configuration: RingConfiguration) throws(RingError) -> SharedRegion {
        let layout = try RingLayout.plan(configuration)
        let flags = O_CREAT | O_EXCL | O_RDWR
        let fd: Int32
        do throws(RingError) {
            fd = try SystemCalls.shmOpen(name, flags: flags, mode: configuration.mode)
        } catch .alreadyExists(_) where configuration.replaceExisting {
            try SystemCalls.shmUnlink(name)
            fd = try SystemCalls.shmOpen(name, flags: flags, mode: configuration.mode)
        }
        do throws(RingError) {
            // shm_open's mode is filtered by the umask; set the bits the caller asked for.
            if fchmod(fd, mode_t(configuration.mode)) != 0 {
                throw RingError.system(call: "fchmod(\(String(configuration.mode, radix: 8)))", errno: errno)
            }
            try SystemCalls.truncate(fd, to: layout.totalSize)
            // Reserve the pages now: on a full /dev/shm a later store would SIGBUS instead.
            // posix_fallocate returns the error (errno untouched); a signal during a large
            // reservation gives EINTR, which is worth another try, not a failed create.
            var rc: Int32
            repeat { rc = posix_fallocate(fd, 0, off_t(layout.totalSize)) } while rc == EINTR
            if rc != 0 && rc != EOPNOTSUPP {
                throw RingError.system(call: "posix_fallocate(\(layout.totalSize) bytes in /dev/shm)", errno: rc)
            }
            // fstat before mmap: nothing left to fail once the mapping exists, so it cannot leak.
            let status = try SystemCalls.fileStatus(fd)
            let base = try SystemCalls.map(fd, size: Int(layout.totalSize), writable: true)
            let region = SharedRegion(name: name, layout: layout, writable: true, base: base,
                                      mappedSize: Int(layout.totalSize), descriptor: fd,
                                      identity: (status.device, status.inode))
            region.initialiseHeader()
            return region
        } catch {
            SystemCalls.closeDescriptor(fd)
            try? SystemCalls.shmUnlink(name)
            throw error
        }
    }

    /// Opens an existing ring. `writable: false` gives the inspector's read-only view.
    package static func open(_ name: RingName, writable: Bool) throws(RingError) -> SharedRegion {
        let fd = try SystemCalls.shmOpen(name, flags: writable ? O_RDWR : O_RDONLY, mode: 0)
        do throws(RingError) {
            let status = try SystemCalls.fileStatus(fd)
            guard status.size > 0 else { throw RingError.notReady(name.path) }
            guard status.size <= UInt64(Int.max) else {
                throw RingError.notEvering(name.path, reason: "its size \(status.size) is not mappable")
            }
            let size = Int(status.size)
            let base = try SystemCalls.map(fd, size: size, writable: writable)
            // A reader survives the object shrinking under it: faults read zeros and are counted.
            let busGuard = writable ? -1 : ev_bus_guard_register(base, size)
            if !writable && busGuard < 0 {
                SystemCalls.unmap(base, size: size)
                throw RingError.tooManyInspected(name.path, limit: Int(ev_bus_guard_capacity()))
            }
            let layout: RingLayout
            do throws(RingError) {
                layout = try RingLayout.validate(UnsafeRawBufferPointer(start: base, count: size), name: name.path)
                // Zeros read after a truncation would pass for "not ready" or "corrupt": the
                // object was a ring of `size` bytes when we mapped it.
                if ev_bus_guard_faults(busGuard) != 0 { throw RingError.truncatedWhileInspected(name.path) }
            } catch {
                let truncated = ev_bus_guard_faults(busGuard) != 0
                ev_bus_guard_unregister(busGuard)
                SystemCalls.unmap(base, size: size)
                throw truncated ? .truncatedWhileInspected(name.path) : error
            }
            return SharedRegion(name: name, layout: layout, writable: writable, base: base, mappedSize: size,
                                descriptor: fd, identity: (status.device, status.inode), busGuard: busGuard)
        } catch {
            SystemCalls.closeDescriptor(fd)
            throw error
        }
    }

    private func initialiseHeader() {
        // The object is fresh from ftruncate, so every byte (reserved fields, slots,
        // indices) is already zero. Only non-zero fields are written.
        let h = header
        h.pointee.magic = EV_MAGIC
        h.pointee.abi_major = UInt16(EV_ABI_MAJOR)
        h.pointee.abi_minor = UInt16(EV_ABI_MINOR)
        // Every side must claim by CAS and keep the slot seqlock: a writer without these
        // duties (a future one that predates them) refuses the ring (docs/ABI.md "Compatibility").
        h.pointee.writer_features = supportedWriterFeatures
        h.pointee.header_size = UInt32(layout.headerSize)
        h.pointee.total_size = layout.totalSize
        h.pointee.created_at_ns = ev_realtime_ns()
        h.pointee.creator_pid = getpid()
        h.pointee.slot_count = layout.slotCount
        h.pointee.buffer_size = layout.bufferSize
        h.pointee.slots_offset = layout.slotsOffset
        h.pointee.buffers_offset = layout.buffersOffset
        h.pointee.sq_offset = layout.submission.blockOffset
        h.pointee.cq_offset = layout.completion.blockOffset
        for queueLayout in [layout.submission, layout.completion] {
            let q = queueBlock(queueLayout)
            q.pointee.capacity = queueLayout.capacity
            q.pointee.mask = queueLayout.capacity - 1
            q.pointee.entry_size = queueLayout.entrySize
            q.pointee.entries_offset = queueLayout.entriesOffset
        }
        // Release pairs with the acquire load in RingLayout.validate: a reader that sees
        // READY sees every field written above.
        ev_store_release_u32(ev_header_ready_ptr(h), EV_READY.rawValue)
    }

    // MARK: typed views (offsets come from the validated layout)

    public var header: UnsafeMutablePointer<ev_header> { base.assumingMemoryBound(to: ev_header.self) }

    public func side(_ side: RingSide) -> UnsafeMutablePointer<ev_side> {
        (base + MemoryLayout<ev_header>.offset(of: \ev_header.sides)!).assumingMemoryBound(to: ev_side.self) + side.rawValue
    }

    public func queueBlock(_ queue: QueueLayout) -> UnsafeMutablePointer<ev_queue> {
        (base + Int(queue.blockOffset)).assumingMemoryBound(to: ev_queue.self)
    }

    public func entries(_ queue: QueueLayout) -> UnsafeMutablePointer<ev_entry> {
        (base + Int(queue.entriesOffset)).assumingMemoryBound(to: ev_entry.self)
    }

    public var slots: UnsafeMutablePointer<ev_slot> {
        (base + Int(layout.slotsOffset)).assumingMemoryBound(to: ev_slot.self)
    }

    /// The payload buffer of `slot`.
    public func buffer(slot: UInt32) -> UnsafeMutableRawBufferPointer {
        precondition(slot < layout.slotCount, "slot \(slot) out of range")
        return uncheckedBuffer(slot: slot, count: bufferStride)
    }

    /// The first `count` bytes of `slot`'s buffer, without the range check of
    /// `buffer(slot:)`: for a slot known to be in range (one the driver handed out, or one
    /// checked against `layout.slotCount`) on a hot path, where it inlines to an add.
    @inlinable
    package func uncheckedBuffer(slot: UInt32, count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffersBase + Int(slot) &* bufferStride, count: count)
    }

    // MARK: health of the mapping itself

    /// Whether the object still has at least the size we mapped. Someone truncating it
    /// under us would make reads past the new end fault (SIGBUS); readers check first.
    public var isIntact: Bool {
        if readFaulted { return false }
        guard let status = try? SystemCalls.fileStatus(descriptor) else { return false }
        return status.size >= UInt64(mappedSize)
    }

    /// Whether a read through this (read-only) mapping touched pages past the object's end
    /// since it was mapped: the object was truncated under us, and what was read after that
    /// is zeros, not the ring. Readers check this after each read pass.
    public var readFaulted: Bool { ev_bus_guard_faults(busGuard) != 0 }

    /// Whether the name still refers to this object (false once it is unlinked or
    /// replaced; the mapping itself stays valid until we unmap it).
    public var isStillLinked: Bool {
        guard let status = try? SystemCalls.statByName(name) else { return false }
        return status.device == identity.device && status.inode == identity.inode
    }
}
