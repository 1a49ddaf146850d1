#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes `evering.prom` for node_exporter's textfile collector so that a reader never
/// sees it half-written: the text goes to a temporary file in the same directory, whose
/// name does not end in `.prom` (the collector reads only `*.prom`), and `rename(2)` puts
/// it in place atomically.
public struct TextfileWriter: Sendable {
    public let directory: String
    public let fileName: String

    public init(directory: String, fileName: String = "evering.prom") {
        self.directory = directory
        self.fileName = fileName
    }

    public var path: String { directory + "/" + fileName }
    /// Same directory (rename is atomic only within one filesystem), a name the collector ignores.
    var temporaryPath: String { directory + "/." + fileName + ".tmp-\(getpid())" }

    public enum WriteError: Error, Equatable, CustomStringConvertible {
        case failed(call: String, path: String, errno: Int32)

        public var description: String {
            switch self {
            case let .failed(call, path, code):
                "cannot write the textfile: \(call) \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    public func write(_ text: String) throws(WriteError) {
        let temporary = temporaryPath
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .failed(call: "open", path: temporary, errno: errno) }
        var bytes = Array(text.utf8)
        let written: Int32? = bytes.withUnsafeMutableBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return errno }
                offset += n
            }
            return nil
        }
        if let code = written {
            _ = close(fd)
            _ = unlink(temporary)
            throw .failed(call: "write", path: temporary, errno: code)
        }
        if close(fd) != 0 {
            let code = errno
            _ = unlink(temporary)
            throw .failed(call: "close", path: temporary, errno: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw .failed(call: "rename", path: path, errno: code)
        }
    }
}
