#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Evering
import EveringExport
import FlyingSocks
import EveringInspect
import EveringLoad

/// `evering-top export`: every ring's state as Prometheus/OpenMetrics metrics, served over
/// HTTP and/or written for node_exporter's textfile collector. Read-only, as the inspector.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every ring's metrics for Prometheus (HTTP /metrics or a node_exporter textfile).",
        discussion: """
            A background sampler reads every ring (read-only) each interval; a scrape returns its latest \
            reading, in OpenMetrics 1.0 when the Accept header asks for it and in the Prometheus text \
            format 0.0.4 otherwise. Metric names: docs/MONITORING.md. Stops on Ctrl-C or SIGTERM.
            """
    )

    @Option(help: "Serve /metrics on HOST:PORT (numeric address; IPv6 as [::1]:PORT). Loopback unless told otherwise.")
    var listen: String?
    @Option(help: "Write DIR/evering.prom every interval (atomically) for node_exporter's textfile collector.")
    var textfile: String?
    static let delayRange: ClosedRange<Duration> = .milliseconds(50) ... .seconds(3600)
    @Option(name: [.customShort("d"), .customLong("delay")],
            help: "Time between samples (default 1s; 50ms to 1h; a bare number is seconds).",
            transform: FlagValue.duration(delayRange))
    var delay: Duration = .seconds(1)
    @OptionGroup var diagnosis: DiagnosisOptions

    func validate() throws {
        guard listen != nil || textfile != nil else {
            throw ValidationError("give --listen HOST:PORT (e.g. 127.0.0.1:9464), --textfile DIR, or both")
        }
        if let listen { _ = try Self.parseListen(listen) }
    }

    /// `HOST:PORT` or `[V6]:PORT`.
    static func parseListen(_ text: String) throws -> (host: String, port: UInt16) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ValidationError("--listen '\(text)' is not HOST:PORT or [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ValidationError("--listen '\(text)' is not HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText) else { throw ValidationError("--listen '\(text)': the port must be 0 to 65535") }
        return (String(host), port)
    }

    func run() throws {
        FileLimits.raiseOpenFileLimit()  // one descriptor per ring is kept open between samples
        StopSignal.install()
        let latest = LatestReading()
        // Enough history to look back over the stall timeout at this interval (the rules do).
        let fleet = FleetSampler(thresholds: diagnosis.thresholds,
                                 historyCapacity: max(8, Int((diagnosis.stallTimeout.seconds / delay.seconds).rounded(.up)) * 2 + 2))
        latest.update(fleet.sample())
        var endpoint: MetricsEndpoint?
        if let listen {
            let (host, port) = try Self.parseListen(listen)
            let server = try MetricsEndpoint(host: host, port: port, latest: latest)
            let bound: UInt16
            do { bound = try server.start() } catch let SocketError.failed(call, _, message) {
                throw CommandFailure.failed("cannot listen on \(listen): \(call.lowercased()) failed: \(message)")
            } catch {
                throw CommandFailure.failed("cannot listen on \(listen): \(error)")
            }
            endpoint = server
            let shown = host.contains(":") ? "[\(host)]" : host
            writeStandardError("evering-top export: serving http://\(shown):\(bound)/metrics\n")
        }
        let writer = textfile.map { TextfileWriter(directory: $0) }
        let period = UInt64(delay.nanoseconds)
        var next = Clock.monotonicNanoseconds
        while !StopSignal.isRequested {
            if let writer {
                do { try writer.write(latest.exposition(.prometheusText)) } catch { throw CommandFailure.failed(error.description) }
            }
            next &+= period
            while !StopSignal.isRequested && Clock.monotonicNanoseconds < next {
                sleepUntil(min(next, Clock.monotonicNanoseconds + 50_000_000))
            }
            latest.update(fleet.sample())
        }
        endpoint?.stop()
    }
}

/// Writes to fd 2 directly (the C `stderr` global is not usable in Swift 6 mode).
private func writeStandardError(_ text: String) {
    var line = text
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

enum FileLimits {
    /// Raises the soft RLIMIT_NOFILE to the hard limit (1,024 by default is too few for a
    /// machine with a thousand rings, each held open between samples).
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
