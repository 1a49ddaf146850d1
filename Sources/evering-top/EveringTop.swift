import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@main
struct EveringTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evering-top",
        abstract: "Inspect, load and benchmark evering shared-memory rings.",
        discussion: "An evering ring is a pair of SPSC queues plus a driver slot table in a POSIX shm object (see docs/ABI.md). Exit codes: 0 ok, 1 findings or a failed run, 2 cannot attach, 64 usage (docs/CLI.md).",
        subcommands: [
            TopCommand.self,
            AttachCommand.self,
            DemoCommand.self,
            EchoResponderCommand.self,
            BenchCommand.self,
            ListCommand.self,
            DumpCommand.self,
            WatchCommand.self,
            CheckCommand.self,
            InspectBenchCommand.self,
            LoadCommand.self,
            CleanupCommand.self,
            ExportCommand.self,
            RecordCommand.self,
            ReplayCommand.self,
        ],
        // No subcommand opens the overview, as `htop` does; `evering-top --help` still prints help.
        defaultSubcommand: TopCommand.self
    )

    /// The one way out of every subcommand: parse, run, and turn whatever was thrown
    /// into `evering-top: MESSAGE` on stderr and the documented exit code. Commands
    /// throw; nothing else calls exit().
    static func main() {
        Glibc.exit(run(Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs one command line; returns the exit status.
    static func run(_ arguments: [String]) -> Int32 {
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Help and --version are clean exits (stdout, 0); everything else from parsing
            // or validate() is a usage error, whatever type validate() threw.
            let text = fullMessage(for: error)
            if exitCode(for: error) == .success {
                print(text)
                return ExitStatus.ok.rawValue
            }
            if let failure = error as? CommandFailure {
                writeError("evering-top: \(failure.message)")
                return failure.status.rawValue
            }
            writeError(text.hasPrefix("Error: ") ? "evering-top: " + text.dropFirst("Error: ".count) : "evering-top: " + text)
            return ExitStatus.usage.rawValue
        }
        do {
            try command.run()
            return ExitStatus.ok.rawValue
        } catch let code as ExitCode {
            return code.rawValue  // the command has said what it had to say
        } catch let error as ValidationError {
            // A usage error noticed in run(): same text as one found while parsing.
            writeError("evering-top: " + error.message)
            return ExitStatus.usage.rawValue
        } catch {
            if exitCode(for: error) == .success {  // CleanExit: help for a command with subcommands
                print(fullMessage(for: error))
                return ExitStatus.ok.rawValue
            }
            let failure = CommandFailure.classify(error)
            writeError("evering-top: " + failure.message)
            return failure.status.rawValue
        }
    }
}

/// One message line to stderr (fd 2 directly: the C `stderr` global is not usable in
/// Swift 6 mode). Partial writes are continued; a closed stderr is ignored.
func writeError(_ message: String) {
    var bytes = Array((message.hasSuffix("\n") ? message : message + "\n").utf8)
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(2, raw.baseAddress! + offset, raw.count - offset)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }
}
