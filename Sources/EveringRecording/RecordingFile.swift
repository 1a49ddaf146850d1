import Foundation

/// A recording being written: the magic, then whole records, never more than `maxSize`
/// bytes including the end record, so a file cut at the limit is still valid.
///
///     let file = try RecordingFile(creating: "ring.evrec", maxSize: 100 << 20)
///     guard file.append(encoder.header(header)) else { ... }   // false: would pass maxSize
///     try file.finish(encoder.end(end))
public final class RecordingFile {
    public let path: String
    public let maxSize: Int
    public private(set) var bytesWritten = 0
    private let handle: FileHandle
    /// Records not yet written: one write(2) per ~64 KiB (or per keyframe, via `flush`)
    /// rather than one per sample. A crash loses at most this; Ctrl-C and the limits flush.
    private var pending: [UInt8] = []
    static let flushThreshold = 64 << 10
    /// Room kept for the end record so `finish` always fits.
    static let endReserve = 256

    public init(creating path: String, maxSize: Int = .max) throws(RecordingError) {
        self.path = path
        self.maxSize = maxSize
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw .cannotWrite(path: path, reason: Self.whyNotWritable(path))
        }
        do { handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path)) } catch {
            throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
        guard maxSize >= RecordingFormat.magic.count + Self.endReserve else {
            throw .cannotWrite(path: path, reason: "a maximum size of \(maxSize) bytes leaves no room for a record")
        }
        try write(RecordingFormat.magic)
    }

    /// Appends one record unless it would leave no room for the end record under
    /// `maxSize`; returns whether it was written.
    public func append(_ record: [UInt8]) throws(RecordingError) -> Bool {
        guard bytesWritten + record.count + Self.endReserve <= maxSize else { return false }
        pending.append(contentsOf: record)
        bytesWritten += record.count
        if pending.count >= Self.flushThreshold { try flush() }
        return true
    }

    /// Writes what is buffered (the recorder calls it at each keyframe: at most a second lost).
    public func flush() throws(RecordingError) {
        guard !pending.isEmpty else { return }
        do { try handle.write(contentsOf: pending) } catch {
            throw .cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes the end record and closes the file.
    public func finish(_ endRecord: [UInt8]) throws(RecordingError) {
        pending.append(contentsOf: endRecord)
        bytesWritten += endRecord.count
        try flush()
        do { try handle.close() } catch { throw .cannotWrite(path: path, reason: "\(error)") }
    }

    private func write(_ bytes: [UInt8]) throws(RecordingError) {
        pending.append(contentsOf: bytes)
        bytesWritten += bytes.count
        try flush()
    }

    private static func whyNotWritable(_ path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            return "no such directory \(directory)"
        }
        return "permission denied or not a regular file"
    }
}
