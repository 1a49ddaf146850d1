#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// Facts about the machine and moment of a benchmark run, for the report header.
public struct MachineDescription: Codable, Sendable {
    public var cpuModel: String
    public var onlineCPUs: Int
    public var kernel: String
    public var utcTime: String
    public var loadAverage: String
    /// Cost of one ev_monotonic_ns() (clock_gettime vDSO) call, which every round-trip
    /// sample includes once (start and stop are one call each, so one call's worth).
    public var clockReadNanoseconds: Double

    public static func current() -> MachineDescription {
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        let utc = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return MachineDescription(cpuModel: readCPUModel(), onlineCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                                  kernel: kernel, utcTime: utc, loadAverage: readFirstLine("/proc/loadavg") ?? "?",
                                  clockReadNanoseconds: measureClockRead())
    }

    static func readFirstLine(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func readCPUModel() -> String {
        guard let file = fopen("/proc/cpuinfo", "r") else { return "unknown" }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if line.hasPrefix("model name"), let colon = line.firstIndex(of: ":") {
                return String(line[line.index(after: colon)...].drop { $0 == " " })
            }
        }
        return "unknown"
    }

    static func measureClockRead() -> Double {
        let calls = 1_000_000
        var sink: UInt64 = 0
        let start = ev_monotonic_ns()
        for _ in 0..<calls { sink &+= ev_monotonic_ns() }
        let elapsed = ev_monotonic_ns() &- start
        if sink == 42 { print("") }  // keeps the loop from being optimised away
        return Double(elapsed) / Double(calls)
    }

    public var markdown: String {
        "\(cpuModel), \(onlineCPUs) online CPUs, Linux \(kernel); load average at start: \(loadAverage); " +
        "clock read: \(format(clockReadNanoseconds, 1)) ns"
    }
}
