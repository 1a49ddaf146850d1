import ArgumentParser
import Evering

/// `evering-top cleanup NAME [--dry-run]` / `cleanup --all`: removes rings whose every side is
/// dead or cleanly gone (docs/ABI.md "Recovery").
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove evering rings whose sides are all dead or detached.",
        discussion: "A ring with a live side is kept, naming the pid (NAME: an error, exit 1; exit 2 when NAME cannot be read). The object is moved aside before it is unlinked and checked again there, so a ring being re-created under the same name is never removed. --all does this for every evering ring in /dev/shm; other objects, and rings still being created, are left alone."
    )

    @Argument(help: "Ring name (with or without the leading /).") var name: String?
    @Flag(help: "Every evering ring in /dev/shm.") var all = false
    @Flag(name: .customLong("dry-run"), help: "Say what would be removed; change nothing.") var dryRun = false

    func validate() throws {
        if all == (name != nil) { throw ValidationError("give a ring NAME or --all (not both)") }
    }

    func run() throws {
        if let name {
            let ring: RingName
            do { ring = try RingName(name) } catch { throw CommandFailure.cannotAttach(error) }
            let outcome: RingCleanup.Outcome
            do { outcome = try RingCleanup.clean(ring, dryRun: dryRun) } catch { throw CommandFailure.cannotAttach(error) }
            switch outcome {
            case .removed, .recreated: InspectAttach.emit(line(ring, outcome))
            case .kept(let live): throw CommandFailure.failed("\(ring.path) not removed: \(live)")
            case .skipped(let reason): throw CommandFailure.failed("\(ring.path) not removed: \(reason)")
            }
            return
        }
        var failures: [String] = []
        var removed = 0
        for object in sharedMemoryObjectNames() where !object.hasPrefix(".evering-cleanup-") {
            guard let ring = try? RingName(object) else { continue }
            do {
                let outcome = try RingCleanup.clean(ring, dryRun: dryRun)
                if case .skipped = outcome { continue }  // not an evering ring, or not ready yet
                if case .removed = outcome { removed += 1 }
                InspectAttach.emit(line(ring, outcome))
            } catch .notFound {
                continue  // removed by someone else meanwhile
            } catch {
                failures.append("\(ring.path): \(error)")
            }
        }
        InspectAttach.emit(dryRun ? "\(removed) ring(s) would be removed" : "\(removed) ring(s) removed")
        if !failures.isEmpty { throw CommandFailure.failed(failures.joined(separator: "; ")) }
    }

    func line(_ ring: RingName, _ outcome: RingCleanup.Outcome) -> String {
        switch outcome {
        case .removed: dryRun ? "would remove \(ring.path): no side is alive" : "removed \(ring.path): no side was alive"
        case .kept(let live): "kept \(ring.path): \(live)"
        case .recreated: "kept \(ring.path): it was re-created while being cleaned up"
        case .skipped(let reason): "skipped \(ring.path): \(reason)"
        }
    }
}
