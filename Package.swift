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
    ],
    targets: [
        // The ABI header (single source of truth for the layout) and inline atomics/clocks.
        .target(name: "CEvering"),
        // The ring library: the only Swift module with raw pointers, atomics and syscalls.
        .target(name: "Evering", dependencies: ["CEvering"]),
        // The headless inspector: snapshots, rates, diagnosis rules. Pure over snapshots;
        // reads rings only through RingObserver (read-only). No terminal code.
        .target(name: "EveringInspect", dependencies: ["Evering", "CEvering"]),
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
                "EveringLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "EveringTests", dependencies: ["Evering", "CEvering"]),
        .testTarget(name: "EveringInspectTests", dependencies: ["EveringInspect", "Evering"]),
        .testTarget(name: "EveringLoadTests", dependencies: ["EveringLoad", "Evering", "evering-top"]),
        // Faults from `load`, diagnosed by `check`/`dump`: all through the built binary.
        .testTarget(name: "EveringEndToEndTests", dependencies: ["EveringInspect", "Evering", "evering-top"]),
    ]
)
