import CEvering

/// What `create` is asked to build. Capacities are queue entries; every op needs one
/// driver slot, and each slot owns one payload buffer of `bufferSize` bytes.
public struct RingConfiguration: Sendable, Equatable {
    public var submissionCapacity: UInt32
    public var completionCapacity: UInt32
    public var slotCount: UInt32
    public var bufferSize: UInt32
    /// Permission bits of the shm object; 0600 keeps other users out.
    public var mode: UInt32
    /// Remove an existing object of the same name instead of failing with `alreadyExists`.
    public var replaceExisting: Bool

    public init(submissionCapacity: UInt32 = 1024, completionCapacity: UInt32? = nil, slotCount: UInt32 = 256,
                bufferSize: UInt32 = 4096, mode: UInt32 = 0o600, replaceExisting: Bool = false) {
        self.submissionCapacity = submissionCapacity
        self.completionCapacity = completionCapacity ?? submissionCapacity
        self.slotCount = slotCount
        self.bufferSize = bufferSize
        self.mode = mode
        self.replaceExisting = replaceExisting
    }
}

/// Where one queue lives in the object.
public struct QueueLayout: Equatable, Sendable {
    /// Offset of the `ev_queue` control block.
    public var blockOffset: UInt64
    public var capacity: UInt32
    public var entrySize: UInt32
    public var entriesOffset: UInt64
    public var mask: UInt64 { UInt64(capacity) - 1 }
    public var entriesByteCount: UInt64 { UInt64(capacity) * UInt64(entrySize) }
}

/// The validated geometry of a ring object. Produced either from a configuration
/// (`plan`) or from an untrusted header (`validate`); nothing else forms pointers.
public struct RingLayout: Equatable, Sendable {
    public var totalSize: UInt64
    public var headerSize: UInt64
    public var submission: QueueLayout
    public var completion: QueueLayout
    public var slotCount: UInt32
    public var slotsOffset: UInt64
    public var bufferSize: UInt32
    public var buffersOffset: UInt64

    /// Largest object `create` agrees to make (tmpfs is memory).
    public static let maxTotalSize: UInt64 = 16 << 30

    /// Lays out a new ring: header page, then SQ entries, CQ entries, slots and buffers,
    /// each section aligned to 4096 bytes.
    public static func plan(_ config: RingConfiguration) throws(RingError) -> RingLayout {
        for (label, capacity) in [("submission capacity", config.submissionCapacity),
                                  ("completion capacity", config.completionCapacity)] {
            guard capacity >= 2, capacity <= EV_MAX_CAPACITY, capacity & (capacity - 1) == 0 else {
                throw .invalidConfiguration("\(label) \(capacity) must be a power of two from 2 to \(EV_MAX_CAPACITY)")
            }
        }
        guard config.slotCount >= 1, config.slotCount <= EV_MAX_SLOTS else {
            throw .invalidConfiguration("slot count \(config.slotCount) must be from 1 to \(EV_MAX_SLOTS)")
        }
        guard config.bufferSize <= EV_MAX_BUFFER_SIZE, config.bufferSize % EV_BUFFER_ALIGN == 0 else {
            throw .invalidConfiguration("buffer size \(config.bufferSize) must be a multiple of \(EV_BUFFER_ALIGN) up to \(EV_MAX_BUFFER_SIZE)")
        }
        let entry = UInt64(EV_ENTRY_SIZE)
        let sqEntries = UInt64(EV_HEADER_PAGE)
        let cqEntries = alignUp(sqEntries + UInt64(config.submissionCapacity) * entry)
        let slots = alignUp(cqEntries + UInt64(config.completionCapacity) * entry)
        let buffers = alignUp(slots + UInt64(config.slotCount) * UInt64(EV_SLOT_SIZE))
        let total = alignUp(buffers + UInt64(config.slotCount) * UInt64(config.bufferSize))
        guard total <= maxTotalSize else {
            throw .invalidConfiguration("the ring would need \(total) bytes; the limit is \(maxTotalSize) (fewer slots or smaller buffers)")
        }
        return RingLayout(
            totalSize: total, headerSize: UInt64(EV_HEADER_PAGE),
            submission: QueueLayout(blockOffset: UInt64(EV_SQ_BLOCK_OFFSET), capacity: config.submissionCapacity,
                                    entrySize: EV_ENTRY_SIZE, entriesOffset: sqEntries),
            completion: QueueLayout(blockOffset: UInt64(EV_CQ_BLOCK_OFFSET), capacity: config.completionCapacity,
                                    entrySize: EV_ENTRY_SIZE, entriesOffset: cqEntries),
            slotCount: config.slotCount, slotsOffset: slots,
            bufferSize: config.bufferSize, buffersOffset: buffers)
    }

    /// Validates an untrusted object. `bytes` is the mapped object (possibly shorter than a
    /// header); every field is checked before any pointer is formed from it.
    ///
    /// - Throws: `notReady` for an object still being created, `notEvering` for foreign
    ///   bytes, `unsupportedVersion`, `truncated`, or `layoutOutOfBounds` naming the field.
    public static func validate(_ bytes: UnsafeRawBufferPointer, name: String) throws(RingError) -> RingLayout {
        let size = UInt64(bytes.count)
        guard size >= 8, let base = bytes.baseAddress else {
            if size == 0 { throw .notReady(name) }
            throw .notEvering(name, reason: "it is only \(size) bytes long")
        }
        let magic = base.loadUnaligned(as: UInt64.self)
        if magic != EV_MAGIC {
            if magic == 0 { throw .notReady(name) }  // zero-filled: ftruncate done, header not yet written
            throw .notEvering(name, reason: "its first 8 bytes are 0x\(String(magic, radix: 16)), not the evering magic")
        }
        guard size >= UInt64(MemoryLayout<ev_header>.size) else {
            throw .truncated(name, expected: UInt64(EV_HEADER_PAGE), actual: size)
        }
        let headerPointer = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: ev_header.self)
        // Acquire pairs with the creator's release store of `ready`, which it makes after
        // writing every other header field: if we see READY we see the whole header.
        let ready = ev_load_acquire_u32(ev_header_ready_ptr(headerPointer))
        let header = headerPointer.pointee
        guard header.abi_major == EV_ABI_MAJOR else {
            throw .unsupportedVersion(name, major: header.abi_major, minor: header.abi_minor)
        }
        guard ready == EV_READY.rawValue else {
            if ready == EV_NOT_READY.rawValue { throw .notReady(name) }
            throw .layoutOutOfBounds(name, field: "ready", detail: "holds \(ready), which is neither 0 nor 1")
        }
        let headerSize = UInt64(header.header_size)
        guard headerSize >= UInt64(EV_HEADER_PAGE), headerSize % UInt64(EV_SECTION_ALIGN) == 0 else {
            throw .layoutOutOfBounds(name, field: "header_size", detail: "is \(headerSize); it must be a multiple of 4096, at least 4096")
        }
        guard header.total_size <= size else {
            throw .truncated(name, expected: header.total_size, actual: size)
        }
        guard header.total_size == size else {
            throw .layoutOutOfBounds(name, field: "total_size", detail: "says \(header.total_size) bytes but the object has \(size)")
        }
        guard headerSize <= size else { throw .truncated(name, expected: headerSize, actual: size) }

        func queue(_ label: String, _ blockOffset: UInt64) throws(RingError) -> QueueLayout {
            let blockSize = UInt64(MemoryLayout<ev_queue>.size)
            guard blockOffset % UInt64(EV_CACHE_LINE) == 0, blockOffset >= UInt64(MemoryLayout<ev_header>.size),
                  blockOffset <= headerSize - blockSize else {
                throw .layoutOutOfBounds(name, field: "\(label)_offset", detail: "is \(blockOffset); the queue block must lie cache-line aligned inside the header page")
            }
            let block = UnsafeRawPointer(base + Int(blockOffset)).assumingMemoryBound(to: ev_queue.self).pointee
            let capacity = block.capacity
            guard capacity >= 2, capacity <= EV_MAX_CAPACITY, capacity & (capacity &- 1) == 0 else {
                throw .layoutOutOfBounds(name, field: "\(label).capacity", detail: "is \(capacity); it must be a power of two from 2 to \(EV_MAX_CAPACITY)")
            }
            guard block.mask == capacity - 1 else {
                throw .layoutOutOfBounds(name, field: "\(label).mask", detail: "is \(block.mask) but capacity is \(capacity)")
            }
            guard block.entry_size == EV_ENTRY_SIZE else {
                throw .layoutOutOfBounds(name, field: "\(label).entry_size", detail: "is \(block.entry_size); ABI 1 entries are \(EV_ENTRY_SIZE) bytes")
            }
            let layout = QueueLayout(blockOffset: blockOffset, capacity: capacity, entrySize: block.entry_size,
                                     entriesOffset: block.entries_offset)
            try section("\(label).entries_offset", start: layout.entriesOffset, length: layout.entriesByteCount)
            return layout
        }
        func section(_ field: String, start: UInt64, length: UInt64) throws(RingError) {
            let (end, overflow) = start.addingReportingOverflow(length)
            guard start % UInt64(EV_CACHE_LINE) == 0, start >= headerSize, !overflow, end <= size else {
                throw .layoutOutOfBounds(name, field: field, detail: "places \(length) bytes at \(start), outside the \(size)-byte object (or misaligned, or inside the header page)")
            }
        }

        let submission = try queue("sq", header.sq_offset)
        let completion = try queue("cq", header.cq_offset)
        guard submission.blockOffset + UInt64(MemoryLayout<ev_queue>.size) <= completion.blockOffset
                || completion.blockOffset + UInt64(MemoryLayout<ev_queue>.size) <= submission.blockOffset else {
            throw .layoutOutOfBounds(name, field: "cq_offset", detail: "overlaps the submission queue block")
        }
        guard header.slot_count >= 1, header.slot_count <= EV_MAX_SLOTS else {
            throw .layoutOutOfBounds(name, field: "slot_count", detail: "is \(header.slot_count); it must be from 1 to \(EV_MAX_SLOTS)")
        }
        try section("slots_offset", start: header.slots_offset, length: UInt64(header.slot_count) * UInt64(EV_SLOT_SIZE))
        guard header.buffer_size % EV_BUFFER_ALIGN == 0, header.buffer_size <= EV_MAX_BUFFER_SIZE else {
            throw .layoutOutOfBounds(name, field: "buffer_size", detail: "is \(header.buffer_size); it must be a multiple of \(EV_BUFFER_ALIGN) up to \(EV_MAX_BUFFER_SIZE)")
        }
        try section("buffers_offset", start: header.buffers_offset,
                    length: UInt64(header.slot_count) * UInt64(header.buffer_size))

        let layout = RingLayout(totalSize: size, headerSize: headerSize, submission: submission, completion: completion,
                                slotCount: header.slot_count, slotsOffset: header.slots_offset,
                                bufferSize: header.buffer_size, buffersOffset: header.buffers_offset)
        if let overlap = layout.firstOverlap() {
            throw .layoutOutOfBounds(name, field: overlap.1, detail: "overlaps \(overlap.0)")
        }
        return layout
    }

    /// The four variable sections as (field, start, length), for overlap checks and docs.
    public var sections: [(name: String, start: UInt64, length: UInt64)] {
        [("sq entries", submission.entriesOffset, submission.entriesByteCount),
         ("cq entries", completion.entriesOffset, completion.entriesByteCount),
         ("slots", slotsOffset, UInt64(slotCount) * UInt64(EV_SLOT_SIZE)),
         ("buffers", buffersOffset, UInt64(slotCount) * UInt64(bufferSize))]
    }

    func firstOverlap() -> (String, String)? {
        let sorted = sections.filter { $0.length > 0 }.sorted { $0.start < $1.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.start + a.length > b.start {
            return (a.name, b.name)
        }
        return nil
    }

    static func alignUp(_ value: UInt64) -> UInt64 {
        let align = UInt64(EV_SECTION_ALIGN)
        return (value + align - 1) & ~(align - 1)
    }
}
