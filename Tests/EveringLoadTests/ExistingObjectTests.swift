import Evering
import EveringLoad
import Foundation
import XCTest

/// What `load` says about a ring name that is already taken.
final class ExistingObjectTests: XCTestCase {
    let ring = try! RingName("taken")

    func testMessagesSayWhatHoldsTheNameAndWhatToDo() {
        let left = ExistingObject.ring(alive: []).takenMessage(ring, replaceRequested: false)
        XCTAssertTrue(left.contains("left by an earlier run") && left.contains("pass --replace"), left)
        let live = ExistingObject.ring(alive: [("requester", 10), ("responder", 11)]).takenMessage(ring, replaceRequested: false)
        XCTAssertTrue(live.contains("in use (requester pid 10, responder pid 11 alive)"), live)
        XCTAssertFalse(live.contains("pass --replace"), "replacing a live ring is not advice: \(live)")
        let foreign = ExistingObject.foreign(reason: "bad magic")
        XCTAssertFalse(foreign.mayReplace)
        XCTAssertTrue(ExistingObject.ring(alive: []).mayReplace)
        XCTAssertTrue(foreign.takenMessage(ring, replaceRequested: false).contains("not an evering ring (bad magic)"))
        XCTAssertFalse(foreign.takenMessage(ring, replaceRequested: false).contains("--replace"))
        XCTAssertTrue(foreign.takenMessage(ring, replaceRequested: true).contains("--replace removes only evering rings"))
    }

    func testProbeTellsAForeignObjectFromNothing() throws {
        let bare = "existing-object-test-\(getpid())"
        let path = "/dev/shm/" + bare
        defer { unlink(path) }
        XCTAssertNil(ExistingObject.probe(try RingName(bare)))
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 4096)))
        guard case .foreign(let reason) = ExistingObject.probe(try RingName(bare)) else {
            return XCTFail("a file of 7s is not a ring: \(String(describing: ExistingObject.probe(try RingName(bare))))")
        }
        XCTAssertTrue(reason.contains("magic"), reason)
    }
}
