#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Evering

/// Why a benchmark run could not produce a trustworthy figure.
public enum BenchError: Error, CustomStringConvertible, Equatable {
    case invalidArgument(String)
    case system(String, Int32)
    /// The peer process failed to start, exited badly, or never became ready.
    case peer(String)
    /// Entries arrived out of order or corrupted: the run's timing is discarded.
    case verification(String)
    case timedOut(String)

    public var description: String {
        switch self {
        case .invalidArgument(let why): return "invalid argument: \(why)"
        case .system(let call, let err): return "\(call) failed: \(String(cString: strerror(err))) (errno \(err))"
        case .peer(let why): return "benchmark peer: \(why)"
        case .verification(let why): return "verification failed: \(why)"
        case .timedOut(let what): return "timed out: \(what)"
        }
    }
}

extension BenchError {
    /// A ring-library system-call error, as the benchmark reports it.
    init(_ error: RingError) {
        if case .system(let call, let err) = error { self = .system(call, err) } else { self = .invalidArgument(error.description) }
    }
}
