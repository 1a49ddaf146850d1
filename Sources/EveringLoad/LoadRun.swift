#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering
import Evering

/// Entry points of the load generator for other Swift code (the CLI, the demo, the
/// benchmarks).
///
/// - In process, requester here and responder as a child process (what `evering-top
///   load` does with `--role both`):
///
///       var config = LoadConfiguration()
///       config.name = "bench-ring"; config.transport = .uds; config.limit = .count(100_000)
///       let summary = try LoadRun.runRequester(config, options: .init(spawnResponder: true,
///                                              executable: "/path/to/evering-top"))
///       print(summary.latencyNanoseconds.p50)
///
///   `executable` must be an `evering-top` binary (the child runs `load --role responder`);
///   it defaults to the running executable.
/// - Only one side: `runRequester(config, options: .init(spawnResponder: false))` and,
///   elsewhere, `runResponder(config)`.
/// - A whole run in the background (the demo): start `evering-top` with
///   `LoadRun.commandLine(config, role: .both)` as arguments (see `ChildProcess`), and
///   send it SIGINT to stop it; it drains, detaches and unlinks.
/// - Lower level: `LoadRequester` / `LoadResponder` drive any `RequesterTransport` /
///   `ResponderTransport`, e.g. a `RingRequesterTransport` over your own `Requester`.
public enum LoadRun {
    public struct RequesterOptions {
        /// Start the responder as a child process (`--role both`).
        public var spawnResponder: Bool
        /// The `evering-top` binary the child runs.
        public var executable: String
        /// Leave the ring in /dev/shm after the run (for post-mortem inspection).
        public var keep: Bool
        /// Replace an existing shm object of the same name.
        public var replace: Bool
        /// Checked every loop iteration; defaults to the SIGINT/SIGTERM flag.
        public var shouldStop: () -> Bool
        /// Called about once a second.
        public var progress: ((LoadProgress) -> Void)?
        /// Keep the evidence of a failure (the demo): after a run that failed, leave
        /// everything as it is (ring mapped and linked, requester attached, a hung
        /// responder hung) until `shouldStop`, and only then clean up. `announceHold` is
        /// called once when the hold begins.
        public var holdOnFailure: Bool
        public var announceHold: ((LoadError) -> Void)?

        public init(spawnResponder: Bool = true, executable: String = ChildProcess.currentExecutable, keep: Bool = false,
                    replace: Bool = false, shouldStop: @escaping () -> Bool = { StopSignal.isRequested },
                    progress: ((LoadProgress) -> Void)? = nil, holdOnFailure: Bool = false,
                    announceHold: ((LoadError) -> Void)? = nil) {
            self.holdOnFailure = holdOnFailure
            self.announceHold = announceHold
            self.spawnResponder = spawnResponder
            self.executable = executable
            self.keep = keep
            self.replace = replace
            self.shouldStop = shouldStop
            self.progress = progress
        }
    }

    /// Sets up the transport (creating the ring, or listening), optionally spawns the
    /// responder, runs the requester loop, and cleans up: detach/close, stop the child,
    /// unlink the ring unless `keep`. Throws only for setup failures; a run that fails
    /// midway returns a summary whose `failure` says why.
    public static func runRequester(_ config: LoadConfiguration, options: RequesterOptions = .init()) throws(LoadError) -> LoadSummary {
        try config.validate()
        let deadline = ev_monotonic_ns() &+ UInt64(config.connectTimeout.nanoseconds)
        let name: RingName
        do { name = try RingName(config.name) } catch { throw .ring(error) }
        var child: ChildProcess? = nil
        var ringCreated = false
        func spawnChild() throws(LoadError) {
            guard options.spawnResponder else { return }
            child = try ChildProcess(executable: options.executable, arguments: config.responderArguments(quiet: true),
                                     output: .discardStandardOutput)
        }
        func childExited() throws(LoadError) {
            if let child, let status = child.poll() {
                throw .responderProcessEnded(pid: child.pid, status: status)
            }
        }
        /// Run while waiting for the responder to show up. Ctrl-C ends the wait as such,
        /// not as the connect timeout expiring (during the run it drains instead).
        func waitingForResponder() throws(LoadError) {
            try childExited()
            if options.shouldStop() { throw .peerNeverArrived("stopped while waiting for a responder on \(config.name)") }
        }
        let transport: RequesterTransport
        do throws(LoadError) {
            switch config.transport {
            case .ring:
                let requester: Requester
                // --replace removes whatever has the name: make sure that is a ring, not
                // another program's object that happens to share it.
                if options.replace, let existing = ExistingObject.probe(name), !existing.mayReplace {
                    throw .nameTaken(existing.takenMessage(name, replaceRequested: true))
                }
                do {
                    requester = try Requester.create(name, configuration: RingConfiguration(
                        submissionCapacity: config.capacity, slotCount: config.effectiveSlots, bufferSize: config.bufferSize,
                        replaceExisting: options.replace))
                } catch .alreadyExists {
                    // Say what holds the name (a finished run's ring, a live one, a foreign object).
                    let message = ExistingObject.probe(name)?.takenMessage(name, replaceRequested: false)
                    throw .nameTaken(message ?? RingError.alreadyExists(name.path).description)
                } catch { throw .ring(error) }
                ringCreated = true
                transport = RingRequesterTransport(requester: requester, hangTimeout: config.hangTimeout,
                                                   batch: min(64, config.concurrency))
                try spawnChild()
                // Start the clock only once the responder is attached.
                while requester.region.sideInfo(.responder).state != .attached {
                    do throws(LoadError) { try waitingForResponder() } catch { transport.close(); throw error }
                    if ev_monotonic_ns() > deadline {
                        transport.close()
                        throw .peerNeverArrived("no responder attached to \(name) within \(DurationText.format(config.connectTimeout))")
                    }
                    FileDescriptorIO.sleep(milliseconds: 2)
                }
            case .uds:
                try spawnChild()
                let fd = try StreamEndpoints.acceptUnix(path: config.socketPath, deadline: deadline, waiting: waitingForResponder)
                transport = StreamRequesterTransport(readFD: fd, writeFD: fd, payloadBytes: config.payloadBytes,
                                                     responseSize: config.responseBytes, description: "socket \(config.socketPath)")
            case .pipe:
                try spawnChild()
                let (readFD, writeFD) = try StreamEndpoints.openRequesterFifos(
                    request: config.requestFifoPath, response: config.responseFifoPath, deadline: deadline, waiting: waitingForResponder)
                transport = StreamRequesterTransport(readFD: readFD, writeFD: writeFD, payloadBytes: config.payloadBytes,
                                                     responseSize: config.responseBytes, description: "pipe \(config.requestFifoPath)")
            }
        } catch {
            child?.waitOrKill(timeout: .zero)
            if ringCreated && !options.keep { try? unlinkRing(name) }
            throw error
        }

        var summary = LoadRequester(configuration: config, transport: transport)
            .run(shouldStop: options.shouldStop, supervise: childExited, progress: options.progress)
        if let child, case let .responderGone(detail)? = summary.failure {
            // A socket EOF or a dead ring peer says little: say how the responder process
            // ended. The ring calls its peer dead as soon as the kernel has it exiting (SIGKILL
            // pending, PF_EXITING) or a zombie, often before the 100 ms supervision reaps the
            // child: give it the moment it needs and reap it (never kill it here), so that a
            // held ring shows it dead, not a zombie of ours.
            if let status = child.waitForExit(timeout: .seconds(2)) {
                summary.failure = .responderGone(detail + " (the responder process, pid \(child.pid), \(ChildProcess.describe(status)))")
            }
        }
        if options.holdOnFailure, let failure = summary.failure {
            // Evidence kept: nothing is detached, killed or unlinked until asked to stop.
            options.announceHold?(failure)
            while !options.shouldStop() { FileDescriptorIO.sleep(milliseconds: 20) }
        }
        transport.close()
        if let child {
            // The responder leaves by itself once we detach/close; a stopped (hung) one
            // never will, and SIGKILL is the only signal a stopped process acts on.
            let hung = if case .responderHung = summary.failure { true } else { false }
            child.waitOrKill(timeout: hung ? .zero : .seconds(2))
            if child.wasKilled { summary.responderKilled = hung ? .hung : .didNotExit }
        }
        if ringCreated && !options.keep { try? unlinkRing(name) }
        return summary
    }

    /// Attaches to (or connects to) the requester and answers until it leaves.
    public static func runResponder(_ config: LoadConfiguration,
                                    shouldStop: () -> Bool = { StopSignal.isRequested }) throws(LoadError) -> ResponderReport {
        let deadline = ev_monotonic_ns() &+ UInt64(config.connectTimeout.nanoseconds)
        // Ctrl-C while waiting for the requester ends the wait as such, not as a timeout.
        func stopped() throws(LoadError) {
            if shouldStop() { throw .peerNeverArrived("stopped while waiting for a requester on \(config.name)") }
        }
        let transport: ResponderTransport
        switch config.transport {
        case .ring:
            let name: RingName
            do { name = try RingName(config.name) } catch { throw .ring(error) }
            var responder: Responder? = nil
            while responder == nil {
                do {
                    responder = try Responder.open(name)
                } catch .notFound, .notReady {
                    // Ctrl-C while waiting must not be reported as the full timeout expiring.
                    try stopped()
                    if ev_monotonic_ns() > deadline { throw .peerNeverArrived("no ring named \(name) appeared within \(DurationText.format(config.connectTimeout)); start the requester first (evering-top load \(config.name) --role requester)") }
                    FileDescriptorIO.sleep(milliseconds: 5)
                } catch {
                    throw .ring(error)
                }
            }
            // Batch only in stream mode without a per-op delay: pingpong answers each op
            // as soon as it is done, and slow-responder must publish after every sleep.
            let slow = config.faults.contains { if case .slowResponder = $0 { true } else { false } }
            transport = RingResponderTransport(responder: responder!, batch: config.mode == .stream && !slow ? 64 : 1)
        case .uds:
            let fd = try StreamEndpoints.connectUnix(path: config.socketPath, deadline: deadline, waiting: stopped)
            transport = StreamResponderTransport(readFD: fd, writeFD: fd, payloadBytes: config.payloadBytes,
                                                 responseSize: config.responseBytes, description: "socket \(config.socketPath)")
        case .pipe:
            let (readFD, writeFD) = try StreamEndpoints.openResponderFifos(
                request: config.requestFifoPath, response: config.responseFifoPath, deadline: deadline, waiting: stopped)
            transport = StreamResponderTransport(readFD: readFD, writeFD: writeFD, payloadBytes: config.payloadBytes,
                                                 responseSize: config.responseBytes, description: "pipe \(config.requestFifoPath)")
        }
        let report = LoadResponder(configuration: config, transport: transport).run(shouldStop: shouldStop)
        transport.close()
        return report
    }

    /// `evering-top` arguments that run `config` as a whole (for starting it in the
    /// background): `load NAME --role ROLE --mode ... [--json]`.
    public static func commandLine(_ config: LoadConfiguration, role: LoadConfiguration.Role = .both,
                                   json: Bool = false, keep: Bool = false, replace: Bool = false,
                                   holdOnFailure: Bool = false) -> [String] {
        var args = ["load", config.name, "--role", role.rawValue, "--mode", config.mode.rawValue,
                    "--transport", config.transport.rawValue, "--payload", String(config.payloadBytes),
                    "--concurrency", String(config.concurrency), "--capacity", String(config.capacity)]
        if let slots = config.slots { args += ["--slots", String(slots)] }
        if let rate = config.rate { args += ["--rate", String(rate)] }
        switch config.limit {
        case .duration(let d): args += ["--duration", DurationText.format(d)]
        case .count(let n): args += ["--count", String(n)]
        }
        for fault in config.faults { args += ["--fault", fault.description] }
        args += ["--drain-timeout", DurationText.format(config.drainTimeout), "--hang-timeout", DurationText.format(config.hangTimeout),
                 "--connect-timeout", DurationText.format(config.connectTimeout)]
        if !config.verify { args.append("--no-verify") }
        if json { args.append("--json") }
        if keep { args.append("--keep") }
        if replace { args.append("--replace") }
        if holdOnFailure { args.append("--hold-on-failure") }
        return args
    }
}
