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
        XCTAssertEqual(try? Fault.parse("stall-responder@5"), .stallResponder(after: .seconds(5)), "a bare number is seconds")
        XCTAssertTrue(reason("stall-responder@5x").contains("is not a duration"), reason("stall-responder@5x"))
        XCTAssertTrue(reason("stall-responder@2d").contains("is not a duration"), reason("stall-responder@2d"))
        XCTAssertTrue(reason("stall-responder@86401").contains("from 0s to 86400s"), reason("stall-responder@86401"))
        XCTAssertTrue(reason("slow-responder=0").contains("from 1ns to 60s"), reason("slow-responder=0"))
        XCTAssertTrue(reason("leak-cancel=1048577").contains("from 1 to 1048576"), reason("leak-cancel=1048577"))
        XCTAssertTrue(reason("leak-cancel=0x10").contains("whole number"), reason("leak-cancel=0x10"))
        XCTAssertTrue(reason("stall-responder=5s").contains("takes @AFTER"), reason("stall-responder=5s"))
        XCTAssertTrue(reason("slow-responder").contains("needs a per-op delay"), reason("slow-responder"))
        XCTAssertTrue(reason("slow-responder@5s").contains("needs a per-op delay"), reason("slow-responder@5s"))
        XCTAssertTrue(reason("leak-cancel=0").contains("from 1"), reason("leak-cancel=0"))
        XCTAssertTrue(reason("leak-cancel=x").contains("whole number"), reason("leak-cancel=x"))
        XCTAssertTrue(reason("crash-responder@-1s").contains("is not a duration"), reason("crash-responder@-1s"))
    }

    func testDurationText() throws {
        XCTAssertEqual(try DurationText.parse("10s").get(), .seconds(10))
        XCTAssertEqual(try DurationText.parse("250ms").get(), .milliseconds(250))
        XCTAssertEqual(try DurationText.parse("200µs").get(), .microseconds(200))
        XCTAssertEqual(try DurationText.parse("200us").get(), .microseconds(200))
        XCTAssertEqual(try DurationText.parse("0.5s").get(), .milliseconds(500))
        XCTAssertEqual(try DurationText.parse("10").get(), .seconds(10), "a bare number is seconds")
        XCTAssertEqual(try DurationText.parse("1.5").get(), .milliseconds(1500))
        XCTAssertEqual(try DurationText.parse("2m").get(), .seconds(120))
        XCTAssertEqual(try DurationText.parse("0.0000000015").get(), .nanoseconds(2), "rounded to the nearest nanosecond")
        XCTAssertEqual(try DurationText.parse("1.23456789123456789123456789s").get(), .nanoseconds(1_234_567_891))
        for malformed in ["", "s", "ten seconds", "-1s", "+1s", "0x10", "1e3", "1e300", "1e-300", "nan", "inf", "1h", "1 s", ".", "1.2.3"] {
            XCTAssertEqual(DurationText.parse(malformed), .failure(.malformed), malformed)
        }
        for huge in ["9223372036854775808ns", "99999999999999999999", "153722867281m", String(repeating: "9", count: 400) + "s"] {
            XCTAssertEqual(DurationText.parse(huge), .failure(.outOfRange), huge)
        }
        XCTAssertEqual(try DurationText.parse("9223372036854775807ns").get(), .nanoseconds(Int64.max))
        XCTAssertEqual(DurationText.format(.milliseconds(1500)), "1500ms")
        XCTAssertEqual(DurationText.format(.seconds(3)), "3s")
    }

    func testByteTextAndNumbers() throws {
        XCTAssertEqual(try ByteText.parse("16").get(), 16)
        XCTAssertEqual(try ByteText.parse("16B").get(), 16)
        XCTAssertEqual(try ByteText.parse("4K").get(), 4096)
        XCTAssertEqual(try ByteText.parse("4KiB").get(), 4096)
        XCTAssertEqual(try ByteText.parse("1M").get(), 1 << 20)
        XCTAssertEqual(try ByteText.parse("1MiB").get(), 1 << 20)
        for malformed in ["", "K", "1.5K", "-4", "0x10", "1e3", "4 K", "4k", "nan"] {
            XCTAssertEqual(ByteText.parse(malformed), .failure(.malformed), malformed)
        }
        XCTAssertEqual(ByteText.parse("99999999999999999K"), .failure(.outOfRange))
        XCTAssertEqual(ByteText.parse("9007199254740993K"), .success(9_007_199_254_740_993 * 1024), "fits; the range check rejects it")
        XCTAssertEqual(ByteText.parse("18446744073709551616"), .failure(.outOfRange))
        XCTAssertEqual(NumberText.integer("18446744073709551615"), .success(.max))
        XCTAssertEqual(NumberText.decimal("0.25"), .success(0.25))
        for malformed in ["1e300", "1e-300", "nan", "inf", "-1", "0x10", "", "."] {
            XCTAssertEqual(NumberText.decimal(malformed), .failure(.malformed), malformed)
        }
        XCTAssertEqual(NumberText.decimal(String(repeating: "9", count: 400)), .failure(.outOfRange))
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
        // Leaked ops count against the slot table (once a run-time error, now a usage error).
        config.capacity = 1024
        config.faults = [.leakCancel(count: 1 << 20)]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("slots a ring can have"), "\($0)") }
        config.faults = [.leakCancel(count: 1), .leakCancel(count: 2)]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("given twice"), "\($0)") }
        config.faults = []
        config.rate = 1e-300
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("--rate"), "\($0)") }
        config.rate = nil
        config.hangTimeout = .milliseconds(10)
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("--hang-timeout 10ms"), "\($0)") }
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
