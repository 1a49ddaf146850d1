@testable import EveringRecording
import XCTest

/// `record --on-finding --keep N` keeps the newest N files *of its ring*: the names it
/// writes are recognised exactly, so ring `a` never deletes ring `a-b`'s files.
final class BlackBoxFileNameTests: XCTestCase {
    func testAFileNameIsRecognisedAsItsRingsOnly() {
        let name = BlackBoxSink.fileName(ring: "/a", at: 1_795_000_000_123_000_000)
        XCTAssertTrue(name.hasPrefix("_a-") || name.hasPrefix("a-"), name)
        XCTAssertTrue(BlackBoxSink.isFile(name, of: "/a"), name)
        let other = BlackBoxSink.fileName(ring: "/a-b", at: 1_795_000_000_123_000_000)
        XCTAssertTrue(BlackBoxSink.isFile(other, of: "/a-b"), other)
        XCTAssertFalse(BlackBoxSink.isFile(other, of: "/a"), "ring a must not count a-b's file \(other)")
        XCTAssertFalse(BlackBoxSink.isFile(name, of: "/a-b"))
        XCTAssertFalse(BlackBoxSink.isFile(name.replacingOccurrences(of: ".evrec", with: ".txt"), of: "/a"))
        XCTAssertFalse(BlackBoxSink.isFile(String(name.dropLast(7)) + "x.evrec", of: "/a"), "not a timestamp")
    }
}
