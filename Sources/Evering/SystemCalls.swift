#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// The package's one system-call layer (as swift-system's `Syscalls.swift`): thin typed
/// wrappers, EINTR retried (until the call stops reporting it) in one helper,
/// `retryingInterrupts`, and errno turned into a `RingError` written for the user. `close`
/// is never retried (Linux frees the fd even when it reports EINTR); `futexWait` is not
/// either (an interrupted wait returns so the caller re-checks its condition and stop flag).
/// `package` access: the inspector, the io_uring reader and the benchmarks call it too,
/// instead of keeping copies. A few calls stay at their one use: fchmod/posix_fallocate in
/// `SharedRegion.create`, opendir in `sharedMemoryObjectNames`.
package enum SystemCalls {
    /// Calls `body` until it stops failing with EINTR; returns its result and the errno (0 on success).
    @inline(__always)
    package static func retryingInterrupts<T: BinaryInteger>(_ body: () -> T) -> (T, Int32) {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return (result, result == -1 ? errno : 0)
        }
    }

    package struct FileStatus: Sendable {
        package var size: UInt64
        package var ownerUID: UInt32
        package var mode: UInt32
        package var device: UInt64
        package var inode: UInt64
    }

    package static func shmOpen(_ name: RingName, flags: Int32, mode: UInt32) throws(RingError) -> Int32 {
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

    package static func shmUnlink(_ name: RingName) throws(RingError) {
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

    package static func fileStatus(_ fd: Int32) throws(RingError) -> FileStatus {
        var st = stat()
        let (rc, err) = retryingInterrupts { fstat(fd, &st) }
        if rc != 0 { throw .system(call: "fstat", errno: err) }
        return FileStatus(st)
    }

    /// Status of /dev/shm/NAME without opening it (for owner names in errors, and to tell
    /// whether a mapped ring's name still refers to the same object).
    package static func statByName(_ name: RingName) throws(RingError) -> FileStatus {
        var st = stat()
        let (rc, err) = retryingInterrupts { stat(shmDirectory + name.path, &st) }
        if rc != 0 { throw err == ENOENT ? .notFound(name.path) : .system(call: "stat(\(name.path))", errno: err) }
        return FileStatus(st)
    }

    package static func truncate(_ fd: Int32, to size: UInt64) throws(RingError) {
        let (rc, err) = retryingInterrupts { ftruncate(fd, off_t(size)) }
        if rc != 0 { throw .system(call: "ftruncate(\(size) bytes)", errno: err) }
    }

    package static func map(_ fd: Int32, size: Int, writable: Bool) throws(RingError) -> UnsafeMutableRawPointer {
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        guard let base = mmap(nil, size, protection, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw .system(call: "mmap(\(size) bytes)", errno: errno)
        }
        return base
    }

    package static func unmap(_ base: UnsafeMutableRawPointer, size: Int) {
        // munmap only fails for arguments we never pass (unaligned base, zero size).
        let rc = munmap(base, size)
        precondition(rc == 0, "munmap of a mapping we made failed: errno \(errno)")
    }

    package static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)  // not retried: on Linux the descriptor is gone even after EINTR
    }

    /// Status of any path (nil with the errno's meaning lost: callers only need "is it there").
    package static func status(ofPath path: String) -> FileStatus? {
        var st = stat()
        let (rc, _) = retryingInterrupts { stat(path, &st) }
        return rc == 0 ? FileStatus(st) : nil
    }

    /// Reads a whole file (small /proc files, fdinfo of a big io_uring): the bytes, or the
    /// failing call and its errno. Both open and read retry EINTR.
    package static func readFile(_ path: String, chunkSize: Int = 16384) -> Result<[UInt8], ReadFailure> {
        let (fd, openError) = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return .failure(ReadFailure(call: "open", errno: openError)) }
        defer { closeDescriptor(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let (count, readError) = retryingInterrupts { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if count < 0 { return .failure(ReadFailure(call: "read", errno: readError)) }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// A failed `readFile`: which call, and its errno.
    package struct ReadFailure: Error, Sendable {
        package var call: String
        package var errno: Int32
    }

    /// A small text file (/proc/PID/stat), or nil if it cannot be read or is empty.
    package static func readSmallFile(_ path: String) -> String? {
        guard case .success(let bytes) = readFile(path, chunkSize: 4096), !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The passwd name of a uid, or nil when the database has no entry. `getpwuid_r`, not
    /// `getpwuid`: the dashboard's sampler and the CLI may ask from different threads.
    package static func passwdName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 1024)
        let status = getpwuid_r(uid_t(uid), &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }

    /// The user name for a uid as errors show it: "alice (uid 1000)", or "uid 1000".
    package static func userName(_ uid: UInt32) -> String {
        passwdName(uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
    }

    // MARK: futex (the wake-up protocol, docs/ABI.md "Wake-ups")

    /// How a `futexWait` ended. Every outcome means "re-check the condition".
    package enum FutexWaitOutcome: Equatable, Sendable {
        /// A FUTEX_WAKE (or a spurious wake-up).
        case woken
        /// The word no longer held the expected value: the waker came first.
        case valueChanged
        case timedOut
        /// A signal arrived (the caller checks its stop flag).
        case interrupted
    }

    /// Sleeps while `word` holds `expected`, at most `timeoutNanoseconds`. The word must be
    /// in a shared mapping (shared futex, keyed by page). Not retried on EINTR.
    @inline(__always)
    package static func futexWait(_ word: UnsafeMutablePointer<UInt32>, expecting expected: UInt32,
                                  timeoutNanoseconds: UInt64) -> FutexWaitOutcome {
        switch ev_futex_wait(word, expected, timeoutNanoseconds) {
        case 0: return .woken
        case -EAGAIN: return .valueChanged
        case -ETIMEDOUT: return .timedOut
        case -EINTR: return .interrupted
        case let rc:
            // EFAULT/EINVAL/ENOSYS mean a bad word address or a kernel without futexes:
            // a programming error on a pointer we formed ourselves.
            preconditionFailure("FUTEX_WAIT failed: errno \(-rc)")
        }
    }

    /// Wakes up to `count` waiters on `word`; returns how many were woken.
    @discardableResult @inline(__always)
    package static func futexWake(_ word: UnsafeMutablePointer<UInt32>, count: Int32 = 1) -> Int32 {
        let rc = ev_futex_wake(word, count)
        precondition(rc >= 0, "FUTEX_WAKE failed: errno \(-rc)")
        return rc
    }

    /// Stores 0 into `word` and wakes all its waiters in one call (FUTEX_WAKE_OP), for a
    /// third party ending another thread's sleep: a sleeper not yet in the kernel then finds
    /// 0 and does not sleep. A word of a mapping already unmapped is ignored (EFAULT).
    package static func futexClearAndWake(_ word: UnsafeMutablePointer<UInt32>) {
        let rc = ev_futex_clear_and_wake(word)
        // EFAULT: the mapping went away under a watcher racing a detach, harmless. Anything
        // else (EINVAL, ENOSYS) is a pointer we formed wrongly or a kernel without futexes.
        precondition(rc >= 0 || rc == -EFAULT, "FUTEX_WAKE_OP failed: errno \(-rc)")
    }

    // MARK: membarrier (the sleeper's side of the wake-up fence, docs/ABI.md)

    /// Registers this process for MEMBARRIER_CMD_GLOBAL_EXPEDITED (idempotent). False when
    /// the kernel (or a seccomp filter) does not offer it.
    package static func registerForGlobalMembarrier() -> Bool {
        ev_membarrier_register_global_expedited() == 0
    }

    /// A full barrier on every CPU running a registered process. False if it failed (the
    /// caller then falls back to its own fence and cannot rely on the peer's).
    package static func globalMembarrier() -> Bool {
        ev_membarrier_global_expedited() == 0
    }

    package static let shmDirectory = "/dev/shm"
}

extension SystemCalls.FileStatus {
    package init(_ st: stat) {
        self.init(size: UInt64(max(0, st.st_size)), ownerUID: UInt32(st.st_uid), mode: UInt32(st.st_mode),
                  device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
