import ArgumentParser
import EveringLoad
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `evering-top load [NAME]`: real traffic on a real ring (or a socket/pipe baseline),
/// verified end to end, with fault injection for practising diagnosis.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Generate verified load on a ring (or uds/pipe baseline), optionally injecting faults.",
        discussion: """
        With --role both (default) it creates the ring, starts the responder as a child process and runs \
        the requester. Ctrl-C stops submitting, drains, prints the summary, detaches and unlinks the ring \
        (unless --keep). Exit status is non-zero on any verification error or a failed responder.
        Faults: \(Fault.kinds.joined(separator: ", ")) (T like 5s, 300ms, 200us).
        """
    )

    @Argument(help: "Ring name (also names the uds socket / FIFOs under /tmp).") var name: String = "evering-demo"
    @Option(help: "pingpong (request/response, latency) or stream (one-way throughput).")
    var mode: LoadConfiguration.Mode = .pingpong
    @Option(help: "Payload bytes per op, 4 B to 1 MiB (suffixes K, KiB, M, MiB accepted).") var payload: String = "16"
    @Option(help: "Ops in flight (default 1 for pingpong, 256 for stream).") var concurrency: Int?
    @Option(help: "Queue entries per queue (ring; power of two).") var capacity: UInt32 = 1024
    @Option(help: "Driver slots (ring; default concurrency + leaked ops + 8).") var slots: UInt32?
    @Option(help: "Ops per second, or 'max'.") var rate: String = "max"
    @Option(help: "How long to run (e.g. 10s, 500ms); default 10s unless --count is given.") var duration: String?
    @Option(help: "Stop after this many ops instead of after a duration.") var count: UInt64?
    @Option(help: "both (default), requester or responder.") var role: LoadConfiguration.Role = .both
    @Option(help: "ring (default), uds or pipe; a comma list (ring,uds,pipe) runs the same workload over each in turn and compares them.")
    var transport: String = "ring"
    @Option(help: "Inject a fault (repeatable): KIND[@AFTER] or KIND=VALUE.") var fault: [String] = []
    @Flag(help: "Print the summary as one JSON object on stdout.") var json = false
    @Flag(help: "Leave the ring in /dev/shm after the run for post-mortem inspection.") var keep = false
    @Flag(help: "Replace an existing shm object of the same name.") var replace = false
    @Flag(help: "Skip payload verification (measures the transport alone).") var noVerify = false
    @Option(help: "How long a shutdown waits for in-flight ops.") var drainTimeout: String = "2s"
    @Option(help: "Give up when the responder's heartbeat is older than this.") var hangTimeout: String = "3s"
    @Option(help: ArgumentHelp("How long each side waits for the other.", visibility: .hidden)) var connectTimeout: String = "10s"
    @Flag(help: ArgumentHelp("No summary on stdout (used for the spawned responder).", visibility: .hidden)) var quiet = false
    @Flag(help: ArgumentHelp("Stop (drain, report, clean up) when the parent process exits (used by demo).", visibility: .hidden))
    var stopWithParent = false

    func makeConfiguration() throws -> LoadConfiguration {
        var config = LoadConfiguration()
        config.name = name
        config.mode = mode
        config.transport = try transports.first ?? .ring
        config.payloadBytes = try Self.parseBytes(payload)
        config.concurrency = concurrency ?? (mode == .pingpong ? 1 : 256)
        config.capacity = capacity
        config.slots = slots
        if rate != "max" {
            guard let value = Double(rate), value > 0, value.isFinite else {
                throw ValidationError("--rate '\(rate)' must be a positive number of ops/s or 'max'")
            }
            config.rate = value
        }
        if let count {
            guard duration == nil else { throw ValidationError("give --duration or --count, not both") }
            config.limit = .count(count)
        } else {
            config.limit = .duration(try DurationText.parse(duration ?? "10s", what: "--duration"))
        }
        config.faults = try fault.map { try Fault.parse($0) }
        config.verify = !noVerify
        config.drainTimeout = try DurationText.parse(drainTimeout, what: "--drain-timeout")
        config.hangTimeout = try DurationText.parse(hangTimeout, what: "--hang-timeout")
        config.connectTimeout = try DurationText.parse(connectTimeout, what: "--connect-timeout")
        if role == .responder {
            // The responder only needs what shapes frames and faults; window checks are the requester's.
            try config.validateResponder()
        } else {
            try config.validate()
        }
        return config
    }

    var transports: [LoadConfiguration.Transport] {
        get throws {
            let list = try transport.split(separator: ",").map { item in
                guard let value = LoadConfiguration.Transport(rawValue: String(item)) else {
                    throw ValidationError("--transport '\(item)' is not one of ring, uds, pipe")
                }
                return value
            }
            guard !list.isEmpty else { throw ValidationError("--transport needs at least one of ring, uds, pipe") }
            if list.count > 1 && role != .both { throw ValidationError("comparing transports needs --role both") }
            return list
        }
    }

    /// "16", "4K", "4KiB", "1M", "1MiB" (K and KiB both mean 1024).
    static func parseBytes(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("KiB", 1024), ("MiB", 1 << 20), ("K", 1024), ("M", 1 << 20), ("B", 1), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Int(text.dropLast(suffix.count)), value >= 0 { return value * scale }
        }
        throw ValidationError("--payload '\(text)' is not a byte count like 16, 4K or 1MiB")
    }

    func validate() throws {
        do { _ = try makeConfiguration() } catch let error as LoadError { throw ValidationError(error.description) }
    }

    func run() throws {
        let config = try makeConfiguration()
        StopSignal.install()
        if stopWithParent { StopSignal.stopWhenParentExits() }
        if role == .responder {
            let report = try LoadRun.runResponder(config)
            if !quiet {
                print("responder \(config.name): \(report.requests) requests, \(report.rejected) rejected, \(report.leaked) leaked; \(report.endReason)")
            }
            if report.failed || report.rejected > 0 {
                if report.failed { writeStandardError("error: \(report.endReason)\n") }
                throw ExitCode(1)
            }
            return
        }
        let showProgress = isatty(STDERR_FILENO) == 1 && !quiet
        let options = LoadRun.RequesterOptions(
            spawnResponder: role == .both, keep: keep, replace: replace,
            progress: showProgress ? { writeStandardError($0.line() + "\n") } : nil)
        var summaries: [LoadSummary] = []
        for transport in try transports where !StopSignal.isRequested {
            var config = config
            config.transport = transport
            try config.validate()
            let summary = try LoadRun.runRequester(config, options: options)
            summaries.append(summary)
            if json { print(summary.jsonLine()) } else if !quiet { print(summary.text()) }
            if let failure = summary.failure { writeStandardError("error: \(failure)\n") }
            let mismatches = summary.errors.total - summary.errors.lost
            if mismatches > 0 { writeStandardError("error: \(mismatches) verification errors (corrupt, duplicate, reordered or rejected ops)\n") }
            if summary.errors.lost > 0 { writeStandardError("error: \(summary.errors.lost) ops never completed\n") }
            if keep && config.transport == .ring { writeStandardError("ring \(config.name) kept in /dev/shm (remove it with: rm /dev/shm/\(config.name))\n") }
        }
        if summaries.count > 1 && !json && !quiet { print(LoadSummary.comparison(summaries)) }
        if summaries.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
    }
}

extension LoadConfiguration.Mode: ExpressibleByArgument {}
extension LoadConfiguration.Role: ExpressibleByArgument {}

/// Writes to fd 2 directly (the C `stderr` global is not usable in Swift 6 mode).
private func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}
