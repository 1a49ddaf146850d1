#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// Says on stderr when a fault takes effect, on the clock the ring's own timestamps use,
/// so a recording (`record`, `check FILE`) can be held against the real injection time:
///
///     evering-top: fault stall-responder@2s injected at monotonic 123456789012 ns
public enum FaultInjectionLog {
    /// One line to fd 2 (a plain write: safe just before SIGSTOP or SIGKILL).
    public static func injected(_ fault: Fault, at monotonic: UInt64 = ev_monotonic_ns()) {
        let line = "evering-top: fault \(fault.description) injected at monotonic \(monotonic) ns\n"
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
