import ArgumentParser
import Evering
import EveringInspect
import EveringIOUring

/// `evering-top list`: every evering ring in /dev/shm with its sides, fill and status.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List evering rings in /dev/shm (read-only; never deletes anything).",
        discussion: "Objects are identified by their magic through a read-only attach. Status is OK, STUCK, DEAD (a side died), STALE (both sides gone), NOT READY, UNREADABLE or NO ACCESS."
    )

    @Flag(help: "Also show objects that are not evering rings.") var all = false
    @Flag(help: "Print a JSON array (schema in docs/INSPECT-JSON.md).") var json = false
    @Flag(name: .customLong("io-uring"), help: "List the kernel io_urings of visible processes instead (pid, command, fd, SQ/CQ fill).")
    var ioUring = false

    func run() throws {
        if ioUring {
            let listing = IOUringListing.scan()
            InspectAttach.emit(json ? try InspectJSON.encode(listing, pretty: true) : listing.renderText())
            return
        }
        let listings = RingDirectory.scan().filter { all || $0.kind != .notEvering }
        if json {
            InspectAttach.emit(try InspectJSON.encode(listings, pretty: true))
        } else if listings.isEmpty {
            InspectAttach.emit(all ? "/dev/shm is empty" : "no evering rings in /dev/shm (--all shows other objects)")
        } else {
            InspectAttach.emit(ReportText.list(listings, color: InspectAttach.colorOutput))
        }
    }
}
