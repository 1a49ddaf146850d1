import ArgumentParser

@main
struct EveringTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evering-top",
        abstract: "Inspect, load and benchmark evering shared-memory rings.",
        discussion: "An evering ring is a pair of SPSC queues plus a driver slot table in a POSIX shm object (see docs/ABI.md).",
        subcommands: [
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
            ExportCommand.self,
        ]
    )
}
