import Foundation
import Synchronization
import XCTest
@testable import EveringExport

final class TextfileWriterTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("textfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// node_exporter reads the file while we rewrite it: every read must see one whole
    /// version (its first and last lines carry the same generation), never a mix or a prefix.
    func testAReaderNeverSeesAHalfWrittenFile() throws {
        let writer = TextfileWriter(directory: directory)
        try writer.write(Self.version(0))
        let done = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let torn = Mutex<[String]>([])
        let path = writer.path
        let reader = Thread {
            while !done.load(ordering: .relaxed) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    torn.withLock { $0.append("<missing>") }
                    continue
                }
                let lines = text.split(separator: "\n")
                if lines.first.map({ "\($0)" }) != lines.last.map({ "\($0)".replacingOccurrences(of: "end", with: "start") }) || !text.hasSuffix("\n") {
                    torn.withLock { $0.append(String(text.prefix(80))) }
                }
                reads.add(1, ordering: .relaxed)
            }
        }
        reader.start()
        for generation in 1...2000 { try writer.write(Self.version(generation)) }
        done.store(true, ordering: .relaxed)
        while reader.isExecuting { usleep(1000) }
        XCTAssertGreaterThan(reads.load(ordering: .relaxed), 10, "the reader must actually have raced the writer")
        XCTAssertEqual(torn.withLock { $0 }, [])
        // Only evering.prom is left: the temporary file was renamed, not copied.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["evering.prom"])
    }

    func testTheTemporaryFileIsNotCollected() {
        let writer = TextfileWriter(directory: "/var/lib/node")
        XCTAssertFalse(writer.temporaryPath.hasSuffix(".prom"))
        XCTAssertTrue(writer.temporaryPath.hasPrefix("/var/lib/node/"))
    }

    func testAMissingDirectoryIsAClearError() {
        let writer = TextfileWriter(directory: directory + "/missing")
        XCTAssertThrowsError(try writer.write("x 1\n")) { error in
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
    }

    /// A version whose size varies, so a torn read would also be a short or long one.
    private static func version(_ generation: Int) -> String {
        var text = "# start \(generation)\n"
        for i in 0..<(generation % 50 + 10) { text += "evering_queue_used{ring=\"/r\(i)\",queue=\"sq\"} \(generation)\n" }
        return text + "# end \(generation)\n"
    }
}
