import EveringInspect
import XCTest
@testable import EveringDashboard

final class ScreenGridTests: XCTestCase {
    func testPutClipsAtTheEdgesInsteadOfTrapping() {
        var grid = ScreenGrid(width: 5, height: 2)
        let end = grid.put("abcdefg", x: 2, y: 0)
        XCTAssertEqual(grid.text(row: 0), "  abc")
        XCTAssertEqual(end, 5)
        grid.put("xy", x: -1, y: 1)
        XCTAssertEqual(grid.text(row: 1), "y    ")
        grid.put("zz", x: 0, y: 7)  // off the grid: ignored
        XCTAssertEqual(grid.text, "  abc\ny")
    }

    func testControlCharactersAreNeutralised() {
        var grid = ScreenGrid(width: 4, height: 1)
        grid.put("a\u{1b}[", x: 0, y: 0)
        XCTAssertEqual(grid.text(row: 0), "a?[ ")
    }

    func testStyleRunsSplitWhereTheStyleChanges() {
        var grid = ScreenGrid(width: 6, height: 1)
        grid.put("ab", x: 0, y: 0, style: .bold)
        grid.put("cd", x: 2, y: 0, style: TextStyle(.critical))
        let runs = grid.styleRuns(row: 0)
        XCTAssertEqual(runs.map(\.text), ["ab", "cd", "  "])
        XCTAssertEqual(runs.map(\.x), [0, 2, 4])
        XCTAssertEqual(runs[1].style.role, .critical)
    }

    func testFormattingKeepsColumnsNarrow() {
        XCTAssertEqual(Formatting.count(999), "999")
        XCTAssertEqual(Formatting.count(1234), "1.2k")
        XCTAssertEqual(Formatting.count(12_345_678), "12.3M")
        XCTAssertEqual(Formatting.count(0.5), "0.5")
        XCTAssertEqual(Formatting.bytes(4096), "4.0 KiB")
        XCTAssertEqual(Formatting.duration(nanoseconds: 1_500_000), "1.5ms")
        XCTAssertEqual(Formatting.duration(nanoseconds: 125_000_000_000), "2m05s")
        XCTAssertEqual(Formatting.percent(1, of: 1000), "1%")
        XCTAssertEqual(Formatting.percent(999, of: 1000), "99%")
        XCTAssertEqual(Formatting.fit("abcdef", 4), "abc…")
        XCTAssertEqual(Formatting.fit("ab", 4, alignRight: true), "  ab")
    }

    func testFormattingCountSurvivesNonFiniteRates() {
        // A rate over a zero interval would be inf or NaN; Int(_:) on either traps.
        XCTAssertEqual(Formatting.count(Double.infinity), "-")
        XCTAssertEqual(Formatting.count(Double.nan), "-")
        XCTAssertEqual(Formatting.count(-Double.infinity), "-")
    }

    func testGaugeMarksHeadAndTailAndFillsTheWrappedSpan() {
        // capacity 8 in 8 cells: head at 6, tail at 10 (= index 2): occupied 6,7,0,1.
        let gauge = Gauge(head: 6, tail: 10, capacity: 8)
        XCTAssertEqual(gauge.occupied(width: 8), [true, true, false, false, false, false, true, true])
        var grid = ScreenGrid(width: 8, height: 2)
        gauge.draw(x: 0, y: 0, width: 8, glyphs: .ascii, color: false, into: &grid)
        XCTAssertEqual(grid.text(row: 0), "  T   H ")
        XCTAssertEqual(grid.text(row: 1), "##    ##")
    }

    func testEmptyGaugeStillShowsBothMarks() {
        var grid = ScreenGrid(width: 4, height: 2)
        Gauge(head: 3, tail: 3, capacity: 4).draw(x: 0, y: 0, width: 4, glyphs: .ascii, color: true, into: &grid)
        XCTAssertEqual(grid.text(row: 0), "  TH")
        XCTAssertEqual(grid.text(row: 1), "....")
    }

    func testSparklineScalesAndNeverHidesSmallValues() {
        XCTAssertEqual(Sparkline.levels([0, 1, 50, 100], width: 4, levels: 9), [0, 1, 4, 8])
        XCTAssertEqual(Sparkline.levels([5, 6, 7], width: 2, levels: 9), [7, 8])  // last `width` values
        XCTAssertEqual(Sparkline.levels([0, 0], width: 2, levels: 9), [0, 0])
    }

    func testKeysChangeStateAsTheFooterPromises() {
        var state = DashboardState(interval: 1)
        XCTAssertEqual(state.handle(.character("q")), .quit)
        XCTAssertEqual(state.handle(.character(" ")), .none)
        XCTAssertTrue(state.paused)
        _ = state.handle(.character("p"))
        XCTAssertFalse(state.paused)
        XCTAssertEqual(state.handle(.character("+")), .intervalChanged)
        XCTAssertEqual(state.interval, 0.5)
        _ = state.handle(.character("-"))
        _ = state.handle(.character("-"))
        XCTAssertEqual(state.interval, 2)
        XCTAssertEqual(state.sort, .age)
        _ = state.handle(.character("s"))
        XCTAssertEqual(state.sort, .slot)
        XCTAssertEqual(state.focus, .inFlight)
        _ = state.handle(.tab)
        XCTAssertEqual(state.focus, .alerts)
        _ = state.handle(.tab)
        XCTAssertEqual(state.focus, .submission)
        _ = state.handle(.backTab)
        XCTAssertEqual(state.focus, .alerts)
        _ = state.handle(.down)
        _ = state.handle(.pageDown, pageSize: 5)
        XCTAssertEqual(state.scrollOffset(.alerts), 6)
        _ = state.handle(.up)
        XCTAssertEqual(state.scrollOffset(.alerts), 5)
        XCTAssertEqual(state.handle(.character("r")), .resetPeaks)
        _ = state.handle(.character("?"))
        XCTAssertTrue(state.showHelp)
        XCTAssertEqual(state.handle(.character("x")), .none)  // any key closes help
        XCTAssertFalse(state.showHelp)
    }
}
