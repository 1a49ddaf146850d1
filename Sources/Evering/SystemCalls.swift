#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Thin typed wrappers over the syscalls the ring needs: EINTR is retried (until the call
/// stops reporting it) in one place, and errno becomes a `RingError` written for the user.
/// `close` is never retried (Linux frees the fd even when it reports EINTR). A few calls
/// stay at their one use: fchmod/posix_fallocate in `SharedRegion.create`, /proc reads in
/// `ProcessIdentity`, opendir in `sharedMemoryObjectNames`.
enum SystemCalls {
    /// Calls `body` until it stops failing with EINTR; returns its result or throws the errno.
    @inline(__always)
    static func retryingInterrupts<T: BinaryInteger>(_ body: () -> T) -> (T, Int32) {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return (result, result == -1 ? errno : 0)
        }
    }

    struct FileStatus {
        var size: UInt64
        var ownerUID: UInt32
        var mode: UInt32
        var device: UInt64
        var inode: UInt64
    }

    static func shmOpen(_ name: RingName, flags: Int32, mode: UInt32) throws(RingError) -> Int32 {
        let (fd, err) = retryingInterrupts { shm_open(name.path, flags | O_CLOEXEC, mode_t(mode)) }
        if fd >= 0 { return fd }
        switch err {
        case ENOENT: throw .notFound(name.path)
        case EEXIST: throw .alreadyExists(name.path)
        case EACCES, EPERM:
            let status = try? statByName(name)
            throw .permissionDenied(name.path, owner: status.map { userName($0.ownerUID) } ?? "another user",
                                    mode: status?.mode ?? 0)
        case EINVAL, ENAMETOOLONG: throw .invalidName(name.path, reason: "rejected by shm_open (\(String(cString: strerror(err))))")
        default: throw .system(call: "shm_open(\(name.path))", errno: err)
        }
    }

    static func shmUnlink(_ name: RingName) throws(RingError) {
        if shm_unlink(name.path) == 0 { return }
        let err = errno
        switch err {
        case ENOENT: throw .notFound(name.path)
        case EACCES, EPERM:
            let status = try? statByName(name)
            throw .permissionDenied(name.path, owner: status.map { userName($0.ownerUID) } ?? "another user",
                                    mode: status?.mode ?? 0)
        default: throw .system(call: "shm_unlink(\(name.path))", errno: err)
        }
    }

    static func fileStatus(_ fd: Int32) throws(RingError) -> FileStatus {
        var st = stat()
        let (rc, err) = retryingInterrupts { fstat(fd, &st) }
        if rc != 0 { throw .system(call: "fstat", errno: err) }
        return FileStatus(st)
    }

    /// Status of /dev/shm/NAME without opening it (for owner names in errors, and to tell
    /// whether a mapped ring's name still refers to the same object).
    static func statByName(_ name: RingName) throws(RingError) -> FileStatus {
        var st = stat()
        let (rc, err) = retryingInterrupts { stat(shmDirectory + name.path, &st) }
        if rc != 0 { throw err == ENOENT ? .notFound(name.path) : .system(call: "stat(\(name.path))", errno: err) }
        return FileStatus(st)
    }

    static func truncate(_ fd: Int32, to size: UInt64) throws(RingError) {
        let (rc, err) = retryingInterrupts { ftruncate(fd, off_t(size)) }
        if rc != 0 { throw .system(call: "ftruncate(\(size) bytes)", errno: err) }
    }

    static func map(_ fd: Int32, size: Int, writable: Bool) throws(RingError) -> UnsafeMutableRawPointer {
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        guard let base = mmap(nil, size, protection, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw .system(call: "mmap(\(size) bytes)", errno: errno)
        }
        return base
    }

    static func unmap(_ base: UnsafeMutableRawPointer, size: Int) {
        // munmap only fails for arguments we never pass (unaligned base, zero size).
        let rc = munmap(base, size)
        precondition(rc == 0, "munmap of a mapping we made failed: errno \(errno)")
    }

    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)  // not retried: on Linux the descriptor is gone even after EINTR
    }

    /// The user name for a uid, or the number when the passwd database has no entry.
    static func userName(_ uid: UInt32) -> String {
        if let entry = getpwuid(uid_t(uid)), let name = entry.pointee.pw_name {
            return "\(String(cString: name)) (uid \(uid))"
        }
        return "uid \(uid)"
    }

    static let shmDirectory = "/dev/shm"
}

extension SystemCalls.FileStatus {
    init(_ st: stat) {
        self.init(size: UInt64(max(0, st.st_size)), ownerUID: UInt32(st.st_uid), mode: UInt32(st.st_mode),
                  device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
