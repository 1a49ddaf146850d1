import ArgumentParser
import Evering
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
        Faults: \(Fault.kinds.joined(separator: ", ")) (T like 5s, 300ms, 200us; a bare number is seconds). \
        Every numeric flag's range is in docs/CLI.md; exit 0 ok, 1 failed run, 2 cannot attach (--role responder), 64 usage.
        """
    )

    @Argument(help: "Ring name (also names the uds socket / FIFOs under /tmp).") var name: String = "evering-demo"
    @Option(help: "pingpong (request/response, latency) or stream (one-way throughput).")
    var mode: LoadConfiguration.Mode = .pingpong
    @Option(help: "Payload bytes per op (default 16; 4 to 1MiB; suffixes K, KiB, M, MiB).",
            transform: FlagValue.size(LoadConfiguration.payloadRange))
    var payload: Int = 16
    @Option(help: "Ops in flight (default 1 for pingpong, 256 for stream; 1 to 1048576).",
            transform: FlagValue.integer(LoadConfiguration.concurrencyRange))
    var concurrency: Int?
    @Option(help: "Queue entries per queue (ring; default 1024; a power of two from 2 to 16777216).",
            transform: FlagValue.integer(LoadConfiguration.capacityRange, powerOfTwo: true))
    var capacity: UInt32 = 1024
    @Option(help: "Driver slots (ring; default concurrency + leaked ops + 8; 1 to 1048576).",
            transform: FlagValue.integer(LoadConfiguration.slotsRange))
    var slots: UInt32?
    @Option(help: "Ops per second (0.001 to 1000000000), or 'max' (the default).", transform: FlagValue.rate(LoadConfiguration.rateRange))
    var rate: Rate = Rate(perSecond: nil)
    @Option(help: "How long to run (e.g. 10s, 500ms, 2m; a bare number is seconds); default 10s unless --count is given.",
            transform: FlagValue.duration(LoadConfiguration.durationRange))
    var duration: Duration?
    @Option(help: "Stop after this many ops instead of after a duration.", transform: FlagValue.integer(LoadConfiguration.countRange))
    var count: UInt64?
    @Option(help: "both (default), requester or responder.") var role: LoadConfiguration.Role = .both
    @Option(name: .customLong("transport"), help: "ring (default), uds or pipe; a comma list (ring,uds,pipe) runs the same workload over each in turn and compares them.",
            transform: LoadOptions.parseTransports)
    var transports: TransportList = TransportList(list: [.ring])
    var transport: [LoadConfiguration.Transport] { transports.list }
    @Option(help: "Inject a fault (repeatable): KIND[@AFTER] or KIND=VALUE.", transform: LoadOptions.parseFault) var fault: [Fault] = []
    @Flag(help: "Print the summary as JSON on stdout: one object per line (one line per transport).") var json = false
    @Flag(help: "Leave the ring in /dev/shm after the run for post-mortem inspection.") var keep = false
    @Flag(help: "Replace an existing shm object of the same name.") var replace = false
    @Flag(help: "Skip payload verification (measures the transport alone).") var noVerify = false
    @Option(help: "How long a shutdown waits for in-flight ops (default 2s; 0 to 1h).",
            transform: FlagValue.duration(LoadConfiguration.drainTimeoutRange))
    var drainTimeout: Duration = .seconds(2)
    @Option(help: "Give up (and kill the responder) when its heartbeat is older than this (default 3s; 250ms to 1h).",
            transform: FlagValue.duration(LoadConfiguration.hangTimeoutRange))
    var hangTimeout: Duration = .seconds(3)
    @Option(help: ArgumentHelp("How long each side waits for the other (default 10s; 1ms to 1h).", visibility: .hidden),
            transform: FlagValue.duration(LoadConfiguration.connectTimeoutRange))
    var connectTimeout: Duration = .seconds(10)
    @Flag(help: ArgumentHelp("No summary on stdout (used for the spawned responder).", visibility: .hidden)) var quiet = false
    @Flag(help: ArgumentHelp("Stop (drain, report, clean up) when the parent process exits (used by demo).", visibility: .hidden))
    var stopWithParent = false
    @Flag(help: ArgumentHelp("After a failure keep everything as it is (ring, requester attached, a hung responder hung) until signalled (used by demo).",
                             visibility: .hidden))
    var holdOnFailure = false

    func makeConfiguration() throws(LoadError) -> LoadConfiguration {
        var config = LoadConfiguration()
        config.name = name
        config.mode = mode
        config.transport = transport.first ?? .ring
        config.payloadBytes = payload
        config.concurrency = concurrency ?? (mode == .pingpong ? 1 : 256)
        config.capacity = capacity
        config.slots = slots
        config.rate = rate.perSecond
        if let count {
            guard duration == nil else { throw .invalidConfiguration("give --duration or --count, not both") }
            config.limit = .count(count)
        } else {
            config.limit = .duration(duration ?? .seconds(10))
        }
        config.faults = fault
        config.verify = !noVerify
        config.drainTimeout = drainTimeout
        config.hangTimeout = hangTimeout
        config.connectTimeout = connectTimeout
        if role == .responder {
            // The responder only needs what shapes frames and faults; window checks are the requester's.
            try config.validateResponder()
        } else {
            for transport in transport {
                var each = config
                each.transport = transport
                try each.validate()
            }
        }
        return config
    }

    func validate() throws {
        do { _ = try RingName(name) } catch { throw ValidationError("ring name: \(error)") }
        if transport.count > 1 && role != .both { throw ValidationError("comparing transports needs --role both") }
        do { _ = try makeConfiguration() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let config = try makeConfiguration()
        StopSignal.install()
        if stopWithParent { StopSignal.stopWhenParentExits() }
        if role == .responder {
            let report: ResponderReport
            do throws(LoadError) { report = try LoadRun.runResponder(config) } catch {
                // A ring that is there but cannot be attached (not evering, no access...).
                if case let .ring(ringError) = error { throw CommandFailure.cannotAttach(ringError) }
                throw CommandFailure.failed(error.description)
            }
            if json {
                InspectAttach.emit(report.jsonLine())
            } else if !quiet {
                print("responder \(config.name): \(report.requests) requests, \(report.rejected) rejected, \(report.leaked) leaked; \(report.endReason)")
            }
            if report.failed { throw CommandFailure.failed(report.endReason) }
            if report.rejected > 0 { throw CommandFailure.failed("\(report.rejected) requests failed verification") }
            return
        }
        let showProgress = isatty(STDERR_FILENO) == 1 && !quiet
        let options = LoadRun.RequesterOptions(
            spawnResponder: role == .both, keep: keep, replace: replace,
            progress: showProgress ? { writeError($0.line()) } : nil,
            holdOnFailure: holdOnFailure,
            announceHold: { failure in
                writeError("evering-top: \(failure); holding the ring \(config.name) as it is until interrupted")
            })
        var summaries: [LoadSummary] = []
        for transport in transport where !StopSignal.isRequested {
            var config = config
            config.transport = transport
            let summary = try LoadRun.runRequester(config, options: options)
            summaries.append(summary)
            // --json: one object per line on stdout (JSON Lines); every message goes to stderr.
            if json { InspectAttach.emit(summary.jsonLine()) } else if !quiet { print(summary.text()) }
            if let failure = summary.failure { writeError("evering-top: \(failure)") }
            let mismatches = summary.errors.total - summary.errors.lost
            if mismatches > 0 { writeError("evering-top: \(mismatches) verification errors (corrupt, duplicate, reordered or rejected ops)") }
            if summary.errors.lost > 0 { writeError("evering-top: \(summary.errors.lost) ops never completed") }
            if keep && config.transport == .ring { writeError("ring \(config.name) kept in /dev/shm (remove it with: rm /dev/shm/\(config.name))") }
        }
        if summaries.count > 1 && !json && !quiet { print(LoadSummary.comparison(summaries)) }
        if summaries.contains(where: { !$0.succeeded }) { throw ExitCode(ExitStatus.failed.rawValue) }
    }
}

/// Value parsers of `load` and `demo` flags that are not plain numbers.
enum LoadOptions {
    @Sendable static func parseFault(_ text: String) throws -> Fault {
        do throws(LoadError) { return try Fault.parse(text) } catch { throw ValidationError(error.description) }
    }

    @Sendable static func parseTransports(_ text: String) throws -> TransportList {
        let list = try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            guard let value = LoadConfiguration.Transport(rawValue: String(item)) else {
                throw ValidationError("'\(item)' is not one of ring, uds, pipe")
            }
            return value
        }
        guard !list.isEmpty else { throw ValidationError("needs at least one of ring, uds, pipe") }
        return TransportList(list: list)
    }
}

/// `--transport ring,uds`: the transports to run the workload over, in order.
struct TransportList: Sendable {
    var list: [LoadConfiguration.Transport]
}

extension LoadConfiguration.Mode: ExpressibleByArgument {}
extension LoadConfiguration.Role: ExpressibleByArgument {}
