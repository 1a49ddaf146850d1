extension IOUringFDInfo {
    /// Parses the text of /proc/PID/fdinfo/FD. Total: any text gives a value (possibly with
    /// no ring section and everything in `unparsedLines`); nothing here can trap.
    ///
    /// Shape: top-level lines are `Key:<tab or spaces>value` starting in column 0. A few
    /// keys open a section (`SQEs`, `CQEs`, `UserFiles`, `UserBufs`, `PollList`,
    /// `CqOverflowList`, `Personalities`) whose items are the following *indented* lines.
    public init(parsing text: String) {
        self.init()
        var section: Section = .none
        // Any newline (Swift treats "\r\n" as one Character); NUL bytes from odd sources dropped.
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.filter { $0 != "\r" && $0 != "\0" }
            if line.allSatisfy(\.isWhitespace) { continue }
            if line.first!.isWhitespace {
                addItem(Substring(line), to: section)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                unparsedLines.append(String(line))
                continue
            }
            let key = String(line[..<colon].trimmingSpaces)
            let value = String(line[line.index(after: colon)...].trimmingSpaces)
            fields.append(Field(key: key, value: value))
            section = assign(key: key, value: value)
        }
    }

    private enum Section { case none, sqes, cqes, overflow, pollList, other }

    /// Stores a known top-level field and says which section (if any) its header opens.
    /// A value that does not parse leaves an earlier value of the same key in place.
    private mutating func assign(key: String, value: String) -> Section {
        switch key {
        case "SqMask": sqMask = FDInfoNumber.u32(value) ?? sqMask
        case "SqHead": sqHead = FDInfoNumber.u32(value) ?? sqHead
        case "SqTail": sqTail = FDInfoNumber.u32(value) ?? sqTail
        case "CachedSqHead": cachedSqHead = FDInfoNumber.u32(value) ?? cachedSqHead
        case "CqMask": cqMask = FDInfoNumber.u32(value) ?? cqMask
        case "CqHead": cqHead = FDInfoNumber.u32(value) ?? cqHead
        case "CqTail": cqTail = FDInfoNumber.u32(value) ?? cqTail
        case "CachedCqTail": cachedCqTail = FDInfoNumber.u32(value) ?? cachedCqTail
        case "SQEs": sqeCount = FDInfoNumber.count(value); return .sqes
        case "CQEs": cqeCount = FDInfoNumber.count(value); return .cqes
        case "SqThread": sqThreadPID = FDInfoNumber.i32(value) ?? sqThreadPID
        case "SqThreadCpu": sqThreadCPU = FDInfoNumber.i32(value) ?? sqThreadCPU
        case "SqTotalTime": sqTotalTime = FDInfoNumber.unsigned(value) ?? sqTotalTime
        case "SqWorkTime": sqWorkTime = FDInfoNumber.unsigned(value) ?? sqWorkTime
        case "UserFiles": userFiles = FDInfoNumber.count(value); return .other
        case "UserBufs": userBuffers = FDInfoNumber.count(value); return .other
        case "PollList": return .pollList
        case "CqOverflowList": overflowListPresent = true; return .overflow
        case "NAPI": napi = value
        case "Personalities": return .other
        default: break
        }
        return .none
    }

    private mutating func addItem(_ line: Substring, to section: Section) {
        switch section {
        case .sqes:
            if let entry = Self.parseEntry(line) { sqes.append(entry) } else { unparsedLines.append(String(line)) }
        case .cqes:
            if let entry = Self.parseEntry(line) { cqes.append(entry) } else { unparsedLines.append(String(line)) }
        case .overflow:
            if let entry = Self.parseEntry(line) { overflow.append(entry) } else { unparsedLines.append(String(line)) }
        case .pollList:
            pollList.append(String(line.trimmingSpaces))
        case .other:
            break  // file names, buffer addresses, credentials: not needed, not an error
        case .none:
            unparsedLines.append(String(line))
        }
    }

    /// Parses `  3: opcode:NOP, fd:-1, ..., buf_index:0 user_data:2000` (index, then
    /// `key:value` pairs separated by commas and/or spaces) and `  user_data=1, res=0, flags=0`.
    /// Nil when no pair is found.
    static func parseEntry(_ line: Substring) -> IOUringEntry? {
        var rest = line.trimmingSpaces
        var index: UInt32?
        // A leading "N:" is the ring index; "user_data:1" is not (its prefix is not a number).
        if let colon = rest.firstIndex(of: ":"), let number = FDInfoNumber.u32(rest[..<colon]) {
            index = number
            rest = rest[rest.index(after: colon)...]
        }
        var fields: [IOUringFDInfo.Field] = []
        for token in rest.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            guard let separator = token.firstIndex(where: { $0 == ":" || $0 == "=" }) else { continue }
            let key = token[..<separator]
            guard !key.isEmpty else { continue }
            fields.append(.init(key: String(key), value: String(token[token.index(after: separator)...])))
        }
        return fields.isEmpty ? nil : IOUringEntry(index: index, fields: fields)
    }
}
