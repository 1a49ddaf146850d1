// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "evering-top",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "evering-top", targets: ["evering-top"]),
        .library(name: "Evering", targets: ["Evering"]),
        .library(name: "EveringInspect", targets: ["EveringInspect"]),
        .library(name: "EveringLoad", targets: ["EveringLoad"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // The ABI header (single source of truth for the layout) and inline atomics/clocks.
        .target(name: "CEvering"),
        // The ring library: the only Swift module with raw pointers, atomics and syscalls.
        .target(name: "Evering", dependencies: ["CEvering"]),
        // Benchmark only: a minimal C SPSC ring of the same design, the reference the Swift queues are measured against.
        .target(name: "CEveringReference", dependencies: ["CEvering"]),
        // Benchmarks: ring vs C reference, and (issue 6) ring vs other IPC.
        .target(name: "EveringBench", dependencies: ["Evering", "CEvering", "CEveringReference", "EveringLoad"]),
        // The headless inspector: snapshots, rates, diagnosis rules. Pure over snapshots;
        // reads rings only through RingObserver (read-only). No terminal code.
        .target(name: "EveringInspect", dependencies: ["Evering", "CEvering"]),
        // ncurses for Swift: the macros and globals Swift cannot import, as inline functions.
        .target(name: "CNcurses", linkerSettings: [.linkedLibrary("ncursesw"), .linkedLibrary("tinfo")]),
        // The dashboard's screen model: pure render functions from snapshots to a cell grid.
        .target(name: "EveringDashboard", dependencies: ["EveringInspect"]),
        // The ncurses backend: draws grids, reads keys, runs the sample/draw loop.
        .target(name: "EveringTerminal", dependencies: ["EveringDashboard", "EveringInspect", "EveringRecording", "CNcurses", "Evering"]),
        // The load generator and fault injector, callable from Swift (demo, benchmarks) and the CLI.
        .target(
            name: "EveringLoad",
            dependencies: [
                "Evering", "CEvering",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "evering-top",
            dependencies: [
                "Evering",
                "EveringInspect",
                "EveringDashboard",
                "EveringTerminal",
                "EveringIOUring",
                "EveringLoad",
                "EveringBench",
                "EveringExport",
                "EveringRecording",
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test helper: a claimant process for the cross-process side-claim race (issue 12).
        .executableTarget(name: "evering-race-helper", dependencies: ["Evering", "CEvering"]),
        // Metrics export: Prometheus text 0.0.4 and OpenMetrics 1.0, served over HTTP (FlyingFox)
        // or written for node_exporter's textfile collector.
        .target(name: "EveringExport", dependencies: [
            "EveringInspect",
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        .testTarget(name: "EveringExportTests", dependencies: ["EveringExport", "EveringInspect", "Evering"]),
        // Test helper: peers for the cross-process wake-up tests (a randomly delayed echo
        // responder, and a 1.0-style responder that never wakes its peer).
        .executableTarget(name: "EveringTestPeer", dependencies: ["Evering", "CEvering", "EveringLoad"]),
        .testTarget(name: "EveringTests", dependencies: ["Evering", "CEvering", "evering-race-helper", "evering-top", "EveringTestPeer"]),
        .testTarget(name: "EveringInspectTests", dependencies: ["EveringInspect", "Evering", "CEvering", "evering-top"]),
        .testTarget(name: "EveringDashboardTests", dependencies: ["EveringDashboard", "EveringTerminal", "EveringInspect", "EveringRecording", "Evering", "evering-top"]),
        .testTarget(name: "EveringBenchTests", dependencies: ["EveringBench", "Evering", "CEvering", "CEveringReference"]),
        .testTarget(name: "EveringLoadTests", dependencies: ["EveringLoad", "Evering", "evering-top"]),
        // Faults from `load`, diagnosed by `check`/`dump`: all through the built binary.
        .testTarget(name: "EveringEndToEndTests", dependencies: ["EveringInspect", "Evering", "EveringLoad", "evering-top"]),
        // io_uring inspection: fdinfo parser, /proc discovery, snapshots and rules (read-only).
        .target(name: "EveringIOUring", dependencies: ["Evering", "EveringInspect"]),
        // Its io_uring helper (Fixtures/UringFixture.c, a real io_uring left with unsubmitted
        // SQEs / unreaped CQEs / overflow) links liburing: the tests compile it with `cc`, so
        // building the tool itself needs ncurses only.
        // The flight recorder (issue 16): the recording format (docs/RECORDING.md), its
        // writer and reader, and a recording as one more ring source.
        .target(name: "EveringRecording", dependencies: ["EveringInspect", "EveringIOUring", "EveringDashboard", "Evering"]),
        .testTarget(name: "EveringRecordingTests", dependencies: ["EveringRecording", "EveringDashboard", "EveringInspect", "EveringIOUring", "Evering", "evering-top"]),
        .testTarget(name: "EveringIOUringTests", dependencies: ["EveringIOUring", "EveringInspect", "Evering", "evering-top"],
                    exclude: ["Fixtures"]),
    ]
)
