import XCTest
@testable import EveringDashboard

/// Key handling in the help overlay: the help says "any key closes it", so every key does.
final class DashboardStateTests: XCTestCase {
    func testQAndEscCloseTheHelpInsteadOfQuitting() {
        var state = DashboardState()
        for key: DashboardKey in [.character("q"), .character("Q"), .escape, .character("h"), .end, .tab] {
            _ = state.handle(.character("?"))
            XCTAssertTrue(state.showHelp)
            XCTAssertEqual(state.handle(key), .none, "\(key) in the help must not quit or act")
            XCTAssertFalse(state.showHelp, "\(key) closes the help")
        }
        XCTAssertEqual(state.focus, .inFlight, "a key that closes the help does nothing else (Tab did not move focus)")
        // A resize while the help is up redraws it; it is not a key press.
        _ = state.handle(.character("h"))
        XCTAssertEqual(state.handle(.resize), .none)
        XCTAssertTrue(state.showHelp)
        // With the help closed, q quits as before.
        _ = state.handle(.escape)
        XCTAssertEqual(state.handle(.character("q")), .quit)
    }
}
