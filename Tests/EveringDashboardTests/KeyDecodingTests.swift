import CNcurses
import EveringDashboard
@testable import EveringTerminal
import XCTest

/// ncurses key codes to dashboard keys: the one piece of input handling that is not
/// `DashboardState.handle` (tested with the state).
final class KeyDecodingTests: XCTestCase {
    func testKeyCodesDecode() {
        XCTAssertNil(TerminalScreen.decode(ERR), "no key within the timeout")
        XCTAssertEqual(TerminalScreen.decode(KEY_RESIZE), .resize)
        XCTAssertEqual(TerminalScreen.decode(KEY_UP), .up)
        XCTAssertEqual(TerminalScreen.decode(KEY_NPAGE), .pageDown)
        XCTAssertEqual(TerminalScreen.decode(KEY_PPAGE), .pageUp)
        XCTAssertEqual(TerminalScreen.decode(KEY_BTAB), .backTab)
        XCTAssertEqual(TerminalScreen.decode(9), .tab)
        XCTAssertEqual(TerminalScreen.decode(Int32(UInt8(ascii: "q"))), .character("q"))
        XCTAssertEqual(TerminalScreen.decode(Int32(UInt8(ascii: " "))), .character(" "))
        XCTAssertEqual(TerminalScreen.decode(Int32(UInt8(ascii: "+"))), .character("+"))
        XCTAssertEqual(TerminalScreen.decode(KEY_F0 + 6), .function(6), "the overview's F6")
        XCTAssertEqual(TerminalScreen.decode(13), .enter, "Return, with nonl()")
        XCTAssertEqual(TerminalScreen.decode(KEY_ENTER), .enter)
        XCTAssertEqual(TerminalScreen.decode(127), .backspace)
        XCTAssertEqual(TerminalScreen.decode(KEY_BACKSPACE), .backspace)
        XCTAssertNil(TerminalScreen.decode(KEY_F0 + 20), "unbound keys are ignored")
        XCTAssertNil(TerminalScreen.decode(KEY_IC), "unbound keys are ignored")
    }

    func testMonochromePaletteKeepsStatesApartWithAttributes() {
        let palette = ColorPalette(colors: false)
        XCTAssertEqual(palette.resolve(TextStyle(.critical)).bits & Int32(TextAttributes.reverse.rawValue),
                       Int32(TextAttributes.reverse.rawValue))
        XCTAssertEqual(palette.resolve(TextStyle(.warning)).bits & Int32(TextAttributes.bold.rawValue),
                       Int32(TextAttributes.bold.rawValue))
        XCTAssertEqual(palette.resolve(TextStyle(.slotFree)).bits & Int32(TextAttributes.dim.rawValue),
                       Int32(TextAttributes.dim.rawValue))
        XCTAssertEqual(palette.resolve(TextStyle(.good)).pair, 0, "no colour pairs without colour")
        let coloured = ColorPalette(colors: true)
        XCTAssertEqual(coloured.resolve(TextStyle(.critical)).pair, Int16(ColorRole.critical.rawValue) + 1)
    }
}
