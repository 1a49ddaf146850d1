#if canImport(Glibc)
import Glibc
#endif
import CNcurses

/// Why the dashboard cannot run on this terminal: checked before anything is attached,
/// started or drawn, so the user gets one line that says what to use instead, not a blank
/// or garbled screen (TERM=dumb makes curses draw nothing at all).
public enum TerminalUnavailable: Error, Equatable, CustomStringConvertible {
    /// stdin or stdout is not a terminal (a script, a pipe, a file).
    case notATerminal
    /// TERM is unset or terminfo does not know it.
    case unknownTerm(String)
    /// The terminal cannot move the cursor (TERM=dumb, an Emacs shell buffer, a hardcopy).
    case noCursorAddressing(String)

    public var description: String {
        message(alternative: "use `evering-top watch NAME --batch` (a line per interval) or `evering-top dump NAME`")
    }

    /// The message with what to use instead (the overview points at `list`, not `watch`).
    public func message(alternative: String) -> String {
        switch self {
        case .notATerminal:
            return "the dashboard needs a terminal on stdin and stdout; from a script or a pipe \(alternative)"
        case let .unknownTerm(term):
            return term.isEmpty
                ? "the dashboard needs TERM to name the terminal type (it is unset); set it, or \(alternative)"
                : "the dashboard cannot drive TERM=\(term) (terminfo does not know it); set TERM to your terminal's type, or \(alternative)"
        case let .noCursorAddressing(term):
            return "the dashboard needs a terminal with cursor addressing and TERM=\(term) has none; \(alternative)"
        }
    }

    /// Throws when the dashboard cannot run on the process's terminal. Writes nothing.
    public static func check() throws(TerminalUnavailable) {
        // Without a tty on stdin, getch() returns at once (EOF) and the loop would spin with
        // no way to press q; without one on stdout the escape codes would land in a file.
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw .notATerminal }
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        switch cn_check_terminal() {
        case 0: return
        case -2: throw .noCursorAddressing(term)
        default: throw .unknownTerm(term)
        }
    }
}
