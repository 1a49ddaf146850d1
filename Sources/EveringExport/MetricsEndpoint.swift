import EveringInspect
import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// The latest fleet reading, written by the sampler loop and read by every scrape, so a
/// scrape never samples rings itself: its cost does not grow with the scrape rate, and a
/// status keeps the history only a steady sampler has.
public final class LatestReading: Sendable {
    private let reading = Mutex<FleetSampler.Reading?>(nil)

    public init() {}

    public func update(_ new: FleetSampler.Reading) { reading.withLock { $0 = new } }

    /// The exposition of the latest reading in `format`, timed: the time to build the text
    /// is itself a sample (`evering_scrape_duration_seconds`). Before the first reading,
    /// only that sample.
    public func exposition(_ format: ExpositionFormat) -> String {
        let started = ContinuousClock.now
        var families = reading.withLock { $0 }.map(RingMetrics.families) ?? []
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        families.append(MetricFamily(name: "evering_scrape_duration_seconds", help: "Time this scrape took to build its answer.",
                                     kind: .gauge, unit: "seconds", samples: [MetricSample([], seconds)]))
        return Exposition.render(families, format: format)
    }
}

/// `GET /metrics` over HTTP (FlyingFox), in the format the `Accept` header asks for.
public final class MetricsEndpoint: @unchecked Sendable {
    // @unchecked: `serving` is set once by start() on the caller's thread, read by stop() on the same thread.
    public let server: HTTPServer

    /// - Parameters: host must be a numeric IPv4 or IPv6 address (the exporter defaults to
    ///   loopback: ring names are information).
    public init(host: String, port: UInt16, latest: LatestReading) throws {
        let address: any SocketAddress = host.contains(":")
            ? try sockaddr_in6.inet6(ip6: host, port: port)
            : try sockaddr_in.inet(ip4: host, port: port)
        server = HTTPServer(address: address, timeout: 10, logger: .disabled)
        let routes: @Sendable (HTTPServer) async -> Void = { server in
            await server.appendRoute("GET /metrics") { request in
                let format = ExpositionFormat.negotiate(accept: request.headers[HTTPHeader("Accept")])
                return HTTPResponse(statusCode: .ok, headers: [.contentType: format.contentType],
                                    body: Data(latest.exposition(format).utf8))
            }
            await server.appendRoute("GET /") { _ in
                HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                             body: Data("evering-top exporter: metrics at /metrics\n".utf8))
            }
        }
        let server = self.server
        blocking { await routes(server) }
    }

    /// Starts serving on a detached task and returns the bound port once the socket
    /// listens; throws the server's own error (address in use, permission) if it fails
    /// first, or `ListenError.timedOut` after `timeout` seconds.
    public func start(timeout: Double = 5) throws -> UInt16 {
        let failure = Mutex<(any Error)?>(nil)
        let server = self.server
        serving = Task.detached {
            do { try await server.run() } catch { failure.withLock { $0 = error } }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if let error = failure.withLock({ $0 }) { throw error }
            if let port = blocking({ await self.boundPort() }) { return port }
            usleep(10_000)
        }
        throw ListenError.timedOut
    }

    public enum ListenError: Error, CustomStringConvertible {
        case timedOut
        public var description: String { "the metrics server did not start listening within its timeout" }
    }

    /// Stops serving (open connections are closed).
    public func stop() { serving?.cancel() }

    nonisolated(unsafe) private var serving: Task<Void, Never>?

    /// The port actually bound (useful with port 0).
    func boundPort() async -> UInt16? {
        guard let address = await server.listeningAddress else { return nil }
        switch address {
        case let .ip4(_, port): return port
        case let .ip6(_, port): return port
        default: return nil
        }
    }
}

/// Runs an async call to completion from synchronous code (never from a pool thread).
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<T?>(nil)
    Task.detached {
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0 }!
}
