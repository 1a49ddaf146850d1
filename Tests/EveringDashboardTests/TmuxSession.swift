import Foundation
import XCTest

/// A real terminal for end-to-end tests: a detached tmux session on a private server
/// socket (so tests never touch a user's tmux), driven with send-keys and read with
/// capture-pane.
final class TmuxSession {
    let socket: String
    let target = "dash"

    static var tmuxPath: String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts `sh` in a `width`x`height` window with the given TERM.
    init(width: Int = 120, height: Int = 40, term: String = "xterm-256color", label: String) throws {
        socket = "evt-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        // A clean environment for the shell: no user rc files, a fixed prompt, and no
        // NO_COLOR inherited from the test runner (tests that want it set it themselves).
        try run(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", target,
                 "env", "-u", "NO_COLOR", "TERM=\(term)", "PS1=$ ", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "sh"])
        try run(["set-option", "-t", target, "remain-on-exit", "on"])
    }

    deinit {
        _ = try? run(["kill-server"])
        // tmux leaves its socket file behind; remove it so test runs do not pile them up.
        unlink("\(ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp")/tmux-\(getuid())/\(socket)")
    }

    /// Runs one tmux client command and returns its output.
    ///
    /// Not through Foundation's `Process`: tmux's client forks the server, which inherits
    /// the descriptors Foundation watches to notice the client's exit, and
    /// `waitUntilExit` then hangs for as long as the server lives. posix_spawn + waitpid
    /// has no such coupling; output goes through a temporary file, not a pipe, for the
    /// same reason.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "evt-tmux-\(getpid())-\(UUID().uuidString).out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = [Self.tmuxPath!, "-L", socket] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Self.tmuxPath!, &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// Types a command line into the shell.
    func type(_ line: String) throws {
        try run(["send-keys", "-t", target, "-l", line])
        try run(["send-keys", "-t", target, "Enter"])
    }

    /// Sends keys by tmux name ("q", "Space", "Tab", "Down").
    func press(_ keys: String...) throws { try run(["send-keys", "-t", target] + keys) }

    /// The visible screen as text (with `escapes`, colours as ANSI sequences).
    func capture(escapes: Bool = false) throws -> String {
        try run(["capture-pane", "-p", "-t", target] + (escapes ? ["-e"] : []))
    }

    /// The screen for failure messages (which cannot throw).
    var screen: String { (try? capture()) ?? "<capture failed>" }

    func format(_ format: String) throws -> String {
        try run(["display-message", "-p", "-t", target, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func resize(width: Int, height: Int) throws {
        try run(["resize-window", "-t", target, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Polls the screen until `condition` holds (returns that screen) or `timeout` passes (nil).
    /// Whether the shell printed `EXIT=<digit>` at the start of a line: the typed command's
    /// own `echo EXIT=$?` wraps at a place that depends on the binary's path, and can itself
    /// start a line (`EXIT=$?`), so a bare "\nEXIT=" would match before the command ended.
    static func showsExitStatus(_ screen: String) -> Bool {
        screen.range(of: #"(^|\n)EXIT=[0-9]"#, options: .regularExpression) != nil
    }

    func waitForScreen(timeout: TimeInterval = 10, _ condition: (String) -> Bool) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            let screen = try capture()
            if condition(screen) { return screen }
            usleep(50_000)
        } while Date() < deadline
        return nil
    }
}
