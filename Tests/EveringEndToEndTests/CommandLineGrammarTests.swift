import Evering
import EveringInspect
import EveringLoad
import Foundation
import XCTest

/// Issue 10 through the built binary: one grammar and one range per numeric flag (read
/// from docs/CLI.md's "Ranges" table, so code, docs and test cannot drift apart), one way
/// out (`evering-top: MESSAGE`, documented exit codes), and JSON that parses with the
/// documented keys.
final class CommandLineGrammarTests: EndToEndTestCase {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs").standardized

    struct RangeRow {
        var commands: [String]
        var flag: String
        /// For `--fault KIND@T`: the text before the value ("stall-responder@").
        var valuePrefix: String
        var kind: String
        var minimum: String
        var maximum: String
    }

    /// The rows of docs/CLI.md's "## Ranges" table.
    static func rangeTable() throws -> [RangeRow] {
        let text = try String(contentsOf: docs.appendingPathComponent("CLI.md"), encoding: .utf8)
        guard let start = text.range(of: "\n## Ranges\n") else { throw StateNotReached(description: "no Ranges section") }
        let section = text[start.upperBound...].prefix { _ in true }
        var rows: [RangeRow] = []
        for line in section.split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("| "), !line.hasPrefix("| command"), !line.hasPrefix("|---") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 5 else { continue }
            // The flag cell: "`--delay` (`-d`)" or "`--fault stall-responder@T`".
            let flagText = cells[1].split(separator: "`").first.map(String.init) ?? ""
            let parts = flagText.split(separator: " ", maxSplits: 1).map(String.init)
            rows.append(RangeRow(commands: cells[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                 flag: parts[0], valuePrefix: parts.count > 1 ? String(parts[1].dropLast()) : "",
                                 kind: cells[2], minimum: cells[3], maximum: cells[4]))
        }
        return rows
    }

    /// The arguments that reach `flag`'s parsing for `command`, with a ring that does not exist.
    func invocation(_ command: String, ring: String) -> [String] {
        switch command {
        case "attach", "dump", "check", "echo-responder": [command, ring]
        case "top": ["top"]
        case "watch": ["watch", ring, "--batch"]
        case "demo": ["demo", "--name", ring]
        case "load": ["load", ring]
        case "bench ipc": ["bench", "ipc"]
        case "bench ring": ["bench", "ring"]
        case "bench peer": ["bench", "peer", "--role", "consumer", "--shm", ring]
        case "inspect-bench": ["inspect-bench"]
        case "export": ["export", "--textfile", "/nonexistent-\(ring)"]
        case "bench fleet": ["bench", "fleet"]
        case "record": ["record", ring, "-o", "/nonexistent-\(ring)/x.evrec"]
        default: { XCTFail("docs/CLI.md names an unknown command '\(command)'"); return [command] }()
        }
    }

    static let garbage = ["", "abc", "-1", "0x10", "1e300", "1e-300", "nan", "inf"]

    /// Values outside `row`'s range or outside the grammar, for its kind.
    func badValues(_ row: RangeRow) throws -> [String] {
        var values = Self.garbage
        switch row.kind {
        case "integer", "power of two":
            let minimum = try XCTUnwrap(UInt64(row.minimum)), maximum = try XCTUnwrap(UInt64(row.maximum))
            values += ["1.5", "99999999999999999999"]
            if minimum > 0 { values.append(String(minimum - 1)) }
            if maximum < UInt64.max { values.append(String(maximum + 1)) }
            if row.kind == "power of two" { values.append(String(minimum + 1)) }
        case "decimal":
            let minimum = try XCTUnwrap(Double(row.minimum)), maximum = try XCTUnwrap(Double(row.maximum))
            values += [String(repeating: "9", count: 400), row.maximum + "1"]
            if minimum > 0 { values += ["0"] }
            _ = maximum
        case "duration":
            let minimum = try DurationText.parse(row.minimum).get(), maximum = try DurationText.parse(row.maximum).get()
            values += ["99999999999999999999s", "5h", "\(maximum.nanoseconds + 1)ns"]
            if minimum > .zero { values.append("\(minimum.nanoseconds - 1)ns") }
        case "size":
            let minimum = try ByteText.parse(row.minimum).get(), maximum = try ByteText.parse(row.maximum).get()
            values += ["99999999999999999K", "9007199254740993K", "1.5K", "\(minimum - 1)", "\(maximum + 1)"]
        default:
            XCTFail("unknown kind '\(row.kind)' for \(row.flag)")
        }
        return values
    }

    /// Outcomes filled in by several threads, each writing its own indices under the lock.
    final class Outcomes: @unchecked Sendable {
        let lock = NSLock()
        var values: [Outcome?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ outcome: Outcome) { lock.lock(); values[index] = outcome; lock.unlock() }
    }

    struct Outcome {
        var arguments: [String]
        var exited: Bool
        var status: Int32
        var stderr: String
    }

    static func runQuietly(_ arguments: [String]) -> Outcome {
        do {
            let process = try Background(arguments)
            guard poll(within: 20, { !process.isRunning }) else {
                process.kill(SIGKILL)
                process.wait()
                return Outcome(arguments: arguments, exited: false, status: -1, stderr: "still running: it got past validation")
            }
            process.wait()
            return Outcome(arguments: arguments, exited: process.process.terminationReason == .exit,
                           status: process.process.terminationStatus, stderr: process.stderr)
        } catch {
            return Outcome(arguments: arguments, exited: false, status: -1, stderr: "\(error)")
        }
    }

    /// Every bad value of every numeric flag of every subcommand: exit 64 with the
    /// `evering-top:` prefix, never a signal (a trap), and nothing left in /dev/shm.
    func testBadValuesOfEveryNumericFlagAreUsageErrorsAndCreateNothing() throws {
        let rows = try Self.rangeTable()
        XCTAssertGreaterThan(rows.count, 30, "the Ranges table in docs/CLI.md was not read")
        let ring = "e2e-sweep-\(getpid())"
        var cases: [[String]] = []
        for row in rows {
            for command in row.commands {
                for value in try badValues(row) {
                    cases.append(invocation(command, ring: ring) + [row.flag, row.valuePrefix + value])
                }
            }
        }
        let before = Set(sharedMemoryObjectNames())
        let all = cases
        let outcomes = Outcomes(count: all.count)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for index in stride(from: worker, to: all.count, by: 4) { outcomes.set(index, Self.runQuietly(all[index])) }
        }
        var failures: [String] = []
        for case let outcome? in outcomes.values {
            let line = "evering-top \(outcome.arguments.map { "'\($0)'" }.joined(separator: " "))"
            if !outcome.exited { failures.append("\(line): killed by a signal or hung (\(outcome.stderr))"); continue }
            if outcome.status != 64 { failures.append("\(line): exit \(outcome.status), not 64: \(outcome.stderr)") }
            if !outcome.stderr.hasPrefix("evering-top: ") { failures.append("\(line): stderr lacks the prefix: \(outcome.stderr)") }
            if outcome.stderr.contains("Error:") { failures.append("\(line): swift-argument-parser's own prefix: \(outcome.stderr)") }
            // Specific: the message names the flag whose value was bad.
            let flag = outcome.arguments[outcome.arguments.count - 2]
            if !outcome.stderr.contains(flag) { failures.append("\(line): the message does not name \(flag): \(outcome.stderr)") }
        }
        XCTAssertEqual(failures, [], "\(failures.count) of \(cases.count) bad values were not clean usage errors")
        let left = Set(sharedMemoryObjectNames()).subtracting(before).filter { $0.hasPrefix(ring) || $0.hasPrefix("evering-inspect-bench-") }
        XCTAssertEqual(left, [], "a usage error left objects in /dev/shm")
        print("swept \(cases.count) bad values over \(rows.count) documented flags")
    }

    /// Every option that takes a value, as `--help-hidden` lists it, is either in the Ranges
    /// table or known not to be a number: a new numeric flag cannot go undocumented.
    func testEveryNumericFlagIsInTheRangesTable() throws {
        let rows = try Self.rangeTable()
        let notNumbers: Set<String> = ["--name", "--mode", "--role", "--transport", "--fault", "--json", "--output", "--part", "--listen", "--textfile",
                                       "--shm", "--ring", "--scenario"]
        for command in ["top", "attach", "demo", "dump", "watch", "check", "load", "bench ipc", "bench ring", "bench peer",
                        "bench fleet", "inspect-bench", "echo-responder", "list", "export", "cleanup", "record"] {
            let help = try Tool.run(command.split(separator: " ").map(String.init) + ["--help-hidden"])
            XCTAssertEqual(help.status, 0, help.stderr)
            let flags = Set(help.stdout.matches(of: /(--[a-z-]+) </).map { String($0.1) })
            for flag in flags.subtracting(notNumbers) {
                XCTAssertTrue(rows.contains { $0.flag == flag && $0.commands.contains(command) },
                              "\(command) \(flag) takes a value but has no row in docs/CLI.md's Ranges table")
            }
        }
    }

    /// Values at the documented limits and special values are accepted: the sweep's
    /// values fail because they are bad, not because the flag rejects everything.
    func testLimitsAndSpecialValuesAreAccepted() throws {
        let name = try uniqueName("limits")
        let run = try Tool.run(["load", name, "--duration", "0.2", "--hang-timeout", "250ms",
                                "--payload", "1MiB", "--rate", "max", "--capacity", "2", "--fault", "stall-requester@86400"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // --drain-timeout 0 is valid (give up at once); a responder with no ring shows it got past validation.
        let drain = try Tool.run(["load", "e2e-nothing-\(getpid())", "--role", "responder", "--drain-timeout", "0",
                                  "--connect-timeout", "1ms"])
        XCTAssertEqual(drain.status, 1, drain.stderr)
        XCTAssertTrue(drain.stderr.contains("appeared within 1ms"), drain.stderr)
        let watch = try Tool.run(["watch", "nope-\(getpid())", "--batch", "-n", "0", "-d", "86400"])
        XCTAssertEqual(watch.status, 2, "valid flags, missing ring: \(watch.stderr)")
    }

    // MARK: - One way out

    func assertFails(_ arguments: [String], status: Int32, saying text: String,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let output = try Tool.run(arguments)
        XCTAssertEqual(output.status, status, "evering-top \(arguments.joined(separator: " ")): \(output.stderr)", file: file, line: line)
        XCTAssertTrue(output.stderr.hasPrefix("evering-top: "), "no prefix: \(output.stderr)", file: file, line: line)
        XCTAssertFalse(output.stderr.contains("Error:"), output.stderr, file: file, line: line)
        XCTAssertTrue(output.stderr.contains(text), "expected '\(text)' in: \(output.stderr)", file: file, line: line)
    }

    func testEverySubcommandReportsItsErrorsTheSameWay() throws {
        let missing = "e2e-missing-\(getpid())"
        let junk = "e2e-junk-\(getpid())"
        XCTAssertTrue(FileManager.default.createFile(atPath: "/dev/shm/" + junk, contents: Data(repeating: 7, count: 4096)))
        defer { unlink("/dev/shm/" + junk) }
        // Usage (64), for the root and each subcommand.
        try assertFails(["no-such-command"], status: 64, saying: "no-such-command")
        for command in [["list"], ["dump", missing], ["watch", missing, "--batch"], ["check", missing], ["attach", missing],
                        ["demo"], ["load"], ["bench", "ipc"], ["bench", "ring"], ["bench", "fleet"], ["inspect-bench"],
                        ["echo-responder", missing], ["export", "--listen", "127.0.0.1:0"], ["cleanup", missing],
                        ["record", missing, "-o", "/tmp/x.evrec"]] {
            try assertFails(command + ["--no-such-flag"], status: 64, saying: "--no-such-flag")
        }
        try assertFails(["watch", missing], status: 64, saying: "needs --batch")
        try assertFails(["record", missing, "-o", "/tmp/x.evrec", "--keep", "3"], status: 64, saying: "--keep needs --on-finding")
        try assertFails(["record", "./ring.evrec", "-o", "/tmp/x.evrec"], status: 64, saying: "names a file")
        try assertFails(["dump", missing, "--at", "1s"], status: 64, saying: "--at needs a recording")
        try assertFails(["record", missing, "-o", "/tmp/x-\(getpid()).evrec"], status: 2, saying: missing)
        try assertFails(["dump", "/nonexistent-\(getpid()).evrec"], status: 2, saying: "cannot open recording")
        try assertFails(["load", missing, "--duration", "1s", "--count", "5"], status: 64, saying: "not both")
        try assertFails(["load", missing, "--transport", "ring,uds", "--role", "requester"], status: 64, saying: "needs --role both")
        try assertFails(["load", "bad/name"], status: 64, saying: "ring name")
        try assertFails(["demo", "--name", "bad/name"], status: 64, saying: "--name")
        try assertFails(["load", missing, "--fault", "explode"], status: 64, saying: "unknown kind 'explode'")
        try assertFails(["demo", "--fault", "leak-cancel=1048576"], status: 64, saying: "slots a ring can have")
        // Cannot attach (2): missing, not evering, invalid name; for every command that attaches.
        for command in [["dump"], ["check"], ["attach"], ["echo-responder"]] {
            try assertFails(command + [missing], status: 2, saying: "no ring named /\(missing)")
            try assertFails(command + [junk], status: 2, saying: "is not an evering ring")
        }
        try assertFails(["watch", missing, "--batch"], status: 2, saying: "no ring named /\(missing)")
        try assertFails(["watch", junk, "--batch", "--json"], status: 2, saying: "is not an evering ring")
        try assertFails(["dump", "io_uring:999999999"], status: 2, saying: "999999999")
        try assertFails(["load", junk, "--role", "responder", "--connect-timeout", "1s"], status: 2, saying: "is not an evering ring")
        // A failed run (1).
        try assertFails(["load", junk, "--duration", "200ms"], status: 1, saying: "belongs to another program")
        try assertFails(["load", missing, "--role", "responder", "--connect-timeout", "100ms"], status: 1, saying: "appeared within 100ms")
        try assertFails(["load", try uniqueName("crash"), "--fault", "crash-responder@100ms", "--duration", "30s"],
                        status: 1, saying: "responder")
        try assertFails(["bench", "ring", "--quick", "--scenario", "bogus"], status: 64, saying: "unknown scenario 'bogus'")
    }

    func testCheckExitsOneOnFindingsWithTheReportOnStdout() throws {
        let name = try uniqueName("leak")
        let load = try Tool.run(["load", name, "--fault", "leak-cancel=2", "--duration", "200ms", "--keep"])
        XCTAssertEqual(load.status, 0, load.stderr)
        let check = try Tool.run(["check", name, "--stall-timeout", "100ms"])
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertTrue(check.stdout.contains("leaked-cancellations"), check.stdout)
    }

    // MARK: - JSON

    /// The keys of the first table after `heading` in a doc (first column, in backticks).
    static func documentedKeys(_ file: String, after heading: String) throws -> Set<String> {
        let text = try String(contentsOf: docs.appendingPathComponent(file), encoding: .utf8)
        guard let start = text.range(of: heading) else { return [] }
        var keys: Set<String> = []
        var inTable = false
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") { inTable = true } else if inTable { break } else { continue }
            if let key = line.split(separator: "`").dropFirst().first, line.hasPrefix("| `") { keys.insert(String(key)) }
        }
        return keys
    }

    func jsonObject(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }

    func testLoadJSONIsOneObjectPerLineWithTheDocumentedKeys() throws {
        let documented = try Self.documentedKeys("LOAD.md", after: "## JSON summary")
        XCTAssertTrue(documented.isSuperset(of: ["failure", "failureKind", "responderKilled", "opsPerSecond"]), "\(documented)")
        let name = try uniqueName("json")
        let run = try Tool.run(["load", name, "--transport", "ring,uds", "--count", "200", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, "one line per transport: \(run.stdout)")
        for (line, transport) in zip(lines, ["ring", "uds"]) {
            let object = try jsonObject(line)
            XCTAssertEqual(Set(object.keys), documented, "keys of load --json against docs/LOAD.md")
            XCTAssertEqual(object["transport"] as? String, transport)
            XCTAssertTrue(object["failure"] is NSNull)
        }
    }

    func testResponderJSONIsOneObject() throws {
        let name = try uniqueName("resp")
        let responder = try Background(["load", name, "--role", "responder", "--json", "--connect-timeout", "20s"])
        let requester = try Tool.run(["load", name, "--role", "requester", "--count", "100", "--connect-timeout", "20s"])
        XCTAssertEqual(requester.status, 0, requester.stderr)
        XCTAssertTrue(poll(within: 10) { !responder.isRunning })
        XCTAssertEqual(responder.wait(), 0, responder.stderr)
        let lines = responder.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, responder.stdout)
        let object = try jsonObject(lines[0])
        XCTAssertEqual(Set(object.keys), ["requests", "rejected", "leaked", "endReason", "failed"])
        XCTAssertEqual(object["requests"] as? Int, 100)
        let docs = try String(contentsOf: Self.docs.appendingPathComponent("LOAD.md"), encoding: .utf8)
        for key in object.keys { XCTAssertTrue(docs.contains("`\(key)`"), "\(key) is not in docs/LOAD.md") }
    }

    /// Every key of every object in the inspector's JSON appears in docs/INSPECT-JSON.md.
    func testInspectorJSONParsesAndEveryKeyIsDocumented() throws {
        let docs = try String(contentsOf: Self.docs.appendingPathComponent("INSPECT-JSON.md"), encoding: .utf8)
        let name = try uniqueName("ijson")
        let load = try startLoad(name, ["--fault", "leak-cancel=1"])
        try waitForState(name, load, "both sides attached") { $0.requester?.state == .attached && $0.responder?.state == .attached }
        var outputs: [(String, Any)] = []
        for arguments in [["dump", name, "--json"], ["check", name, "--json", "--stall-timeout", "100ms"], ["list", "--json"]] {
            let run = try Tool.run(arguments)
            XCTAssertTrue(run.status == 0 || run.status == 1, run.stderr)
            outputs.append((arguments.joined(separator: " "), try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))))
        }
        let watch = try Tool.run(["watch", name, "--batch", "--json", "-n", "2", "-d", "50ms"])
        XCTAssertEqual(watch.status, 0, watch.stderr)
        let lines = watch.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, "JSON Lines, one per sample: \(watch.stdout)")
        for line in lines { outputs.append(("watch", try jsonObject(line))) }
        var undocumented: Set<String> = []
        func visit(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    if !docs.contains("`\(key)`") && !docs.contains("\"\(key)\"") { undocumented.insert(key) }
                    visit(child)
                }
            } else if let array = value as? [Any] {
                array.forEach(visit)
            }
        }
        for (_, value) in outputs { visit(value) }
        XCTAssertEqual(undocumented, [], "keys missing from docs/INSPECT-JSON.md")
    }
}
