import XCTest
@testable import EveringLoad

final class FaultParserTests: XCTestCase {
    func testParsesEveryKind() throws {
        XCTAssertEqual(try Fault.parse("stall-responder@5s"), .stallResponder(after: .seconds(5)))
        XCTAssertEqual(try Fault.parse("hang-responder@300ms"), .hangResponder(after: .milliseconds(300)))
        XCTAssertEqual(try Fault.parse("crash-responder@1.5s"), .crashResponder(after: .milliseconds(1500)))
        XCTAssertEqual(try Fault.parse("slow-responder=200us"), .slowResponder(delay: .microseconds(200)))
        XCTAssertEqual(try Fault.parse("leak-cancel=7"), .leakCancel(count: 7))
        XCTAssertEqual(try Fault.parse("stall-requester@2m"), .stallRequester(after: .seconds(120)))
        XCTAssertEqual(try Fault.parse("stall-responder"), .stallResponder(after: .zero), "@AFTER defaults to the start")
    }

    func testDescriptionRoundTrips() throws {
        for text in ["stall-responder@5s", "hang-responder@250ms", "crash-responder@0s", "slow-responder=200us",
                     "leak-cancel=3", "stall-requester@1500us", "slow-responder=50ns"] {
            XCTAssertEqual(try Fault.parse(text).description, text)
            XCTAssertEqual(try Fault.parse(try Fault.parse(text).description), try Fault.parse(text))
        }
    }

    func testRejectsBadInputWithSpecificReasons() {
        func reason(_ text: String) -> String {
            do { _ = try Fault.parse(text); return "parsed" } catch { return error.description }
        }
        XCTAssertTrue(reason("explode@5s").contains("unknown kind 'explode'"), reason("explode@5s"))
        XCTAssertTrue(reason("stall-responder@5").contains("not a duration"), reason("stall-responder@5"))
        XCTAssertTrue(reason("stall-responder=5s").contains("takes @AFTER"), reason("stall-responder=5s"))
        XCTAssertTrue(reason("slow-responder").contains("needs a per-op delay"), reason("slow-responder"))
        XCTAssertTrue(reason("slow-responder@5s").contains("needs a per-op delay"), reason("slow-responder@5s"))
        XCTAssertTrue(reason("leak-cancel=0").contains("from 1"), reason("leak-cancel=0"))
        XCTAssertTrue(reason("leak-cancel=x").contains("whole number"), reason("leak-cancel=x"))
        XCTAssertTrue(reason("crash-responder@-1s").contains("not a duration"), reason("crash-responder@-1s"))
    }

    func testDurationText() throws {
        XCTAssertEqual(try DurationText.parse("10s"), .seconds(10))
        XCTAssertEqual(try DurationText.parse("250ms"), .milliseconds(250))
        XCTAssertEqual(try DurationText.parse("200µs"), .microseconds(200))
        XCTAssertEqual(try DurationText.parse("0.5s"), .milliseconds(500))
        XCTAssertThrowsError(try DurationText.parse("10"))
        XCTAssertThrowsError(try DurationText.parse("s"))
        XCTAssertThrowsError(try DurationText.parse("ten seconds"))
        XCTAssertEqual(DurationText.format(.milliseconds(1500)), "1500ms")
        XCTAssertEqual(DurationText.format(.seconds(3)), "3s")
    }

    func testConfigurationValidation() {
        var config = LoadConfiguration()
        config.payloadBytes = 3
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("--payload 3")) }
        config.payloadBytes = (1 << 20) + 1
        XCTAssertThrowsError(try config.validate())
        config.payloadBytes = 16
        config.transport = .uds
        config.faults = [.leakCancel(count: 2)]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("needs --transport ring")) }
        config.transport = .ring
        config.concurrency = 8
        config.slots = 9
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("leaked ops")) }
        config.slots = nil
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual(config.effectiveSlots, 8 + 2 + 8)
        config.capacity = 100
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("power of two")) }
    }

    func testResponderArgumentsCarryOnlyResponderFaults() throws {
        var config = LoadConfiguration()
        config.name = "x"
        config.faults = [.leakCancel(count: 2), .slowResponder(delay: .microseconds(5)), .stallRequester(after: .seconds(1))]
        let args = config.responderArguments(quiet: true)
        XCTAssertEqual(args.filter { $0 == "--fault" }.count, 1)
        XCTAssertTrue(args.contains("slow-responder=5us"))
        XCTAssertTrue(args.contains("--quiet"))
        XCTAssertEqual(Array(args.prefix(4)), ["load", "x", "--role", "responder"])
    }
}
