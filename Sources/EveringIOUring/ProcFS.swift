#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Evering

/// The only place this module touches the system: read-only access to /proc (file reads
/// and stat go through the package's `SystemCalls`). Each function
/// returns the errno on failure so callers can say *why* (gone, not allowed, not a ring).
enum ProcFS {
    /// Reads a whole file (fdinfo of a big ring runs to hundreds of kilobytes), through the
    /// package's one system-call layer (EINTR retried there).
    static func readFile(_ path: String) -> Result<String, ProcFSFailure> {
        switch SystemCalls.readFile(path) {
        case .failure(let failure): return .failure(ProcFSFailure(call: failure.call, path: path, errno: failure.errno))
        // Invalid UTF-8 becomes U+FFFD instead of failing: the parser copes with odd text.
        case .success(let bytes): return .success(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The target of a symbolic link such as /proc/PID/fd/FD.
    static func readLink(_ path: String) -> Result<String, ProcFSFailure> {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, $0.count - 1) }
        guard count >= 0 else { return .failure(ProcFSFailure(call: "readlink", path: path, errno: errno)) }
        return .success(String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The names in a directory, without "." and "..".
    static func listDirectory(_ path: String) -> Result<[String], ProcFSFailure> {
        guard let dir = opendir(path) else { return .failure(ProcFSFailure(call: "opendir", path: path, errno: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            // d_name is a fixed C array imported as a tuple: read it as a NUL-terminated string.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// The owner's user name (or uid as text) of a path, for "permission denied" messages.
    static func ownerName(of path: String) -> String? {
        guard let status = SystemCalls.status(ofPath: path) else { return nil }
        return SystemCalls.passwdName(status.ownerUID) ?? "uid \(status.ownerUID)"
    }

    static var effectiveUserIsRoot: Bool { geteuid() == 0 }
}

/// A failed /proc access: which call, on which path, and the errno.
struct ProcFSFailure: Error {
    var call: String
    var path: String
    var errno: Int32

    var isNotFound: Bool { errno == ENOENT || errno == ESRCH }
    var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
}
