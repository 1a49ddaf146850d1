#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// The few syscalls the uds/pipe transports use, each retried on EINTR and turned into
/// `LoadError`. Kept here so the transports read as protocol logic, not errno handling.
enum FileDescriptorIO {
    /// Result of a non-blocking transfer.
    enum Transfer { case bytes(Int), wouldBlock, endOfFile }

    static func read(_ fd: Int32, into pointer: UnsafeMutableRawPointer, count: Int) throws(LoadError) -> Transfer {
        while true {
            let n = Glibc.read(fd, pointer, count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case ECONNRESET: return .endOfFile
            default: throw .system(call: "read", errno: errno)
            }
        }
    }

    /// Writes what fits; EPIPE/ECONNRESET mean the reader is gone (reported as end of file).
    static func write(_ fd: Int32, from pointer: UnsafeRawPointer, count: Int) throws(LoadError) -> Transfer {
        while true {
            let n = Glibc.write(fd, pointer, count)
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EPIPE, ECONNRESET: return .endOfFile
            default: throw .system(call: "write", errno: errno)
            }
        }
    }

    /// Waits until `fd` is readable (or hung up), at most `milliseconds`; false on timeout.
    static func waitReadable(_ fd: Int32, milliseconds: Int32) throws(LoadError) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let n = Glibc.poll(&entry, 1, milliseconds)
            if n >= 0 { return n > 0 }
            if errno != EINTR { throw .system(call: "poll", errno: errno) }
        }
    }

    static func setNonBlocking(_ fd: Int32) throws(LoadError) {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw .system(call: "fcntl(O_NONBLOCK)", errno: errno) }
    }

    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: milliseconds % 1000 * 1_000_000)  // tv_nsec must stay < 1e9
        _ = nanosleep(&request, nil)
    }

    /// Fills a `sockaddr_un` for `path` and calls `body` with it.
    static func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(LoadError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw .invalidConfiguration("socket path \(path) is longer than \(capacity - 1) bytes; use a shorter ring name")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

/// How the two sides of a uds or pipe transport find each other: the requester
/// listens / makes the FIFOs (paths derived from the ring name), the responder connects.
enum StreamEndpoints {
    /// Requester side of uds: listen at `path`, accept one connection (non-blocking).
    /// `waiting` runs every 50 ms while nobody has connected (it may throw to give up).
    static func acceptUnix(path: String, deadline: UInt64, waiting: () throws(LoadError) -> Void) throws(LoadError) -> Int32 {
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw .system(call: "socket", errno: errno) }
        defer { close(listener); unlink(path) }
        let bound = try FileDescriptorIO.withUnixAddress(path) { bind(listener, $0, $1) }
        guard bound == 0 else { throw .system(call: "bind(\(path))", errno: errno) }
        guard listen(listener, 1) == 0 else { throw .system(call: "listen", errno: errno) }
        while true {
            if try FileDescriptorIO.waitReadable(listener, milliseconds: 50) {
                let fd = accept(listener, nil, nil)
                if fd >= 0 {
                    do throws(LoadError) { try FileDescriptorIO.setNonBlocking(fd) } catch { close(fd); throw error }
                    return fd
                }
                if errno != EINTR && errno != EAGAIN { throw .system(call: "accept", errno: errno) }
            }
            try waiting()
            if ev_monotonic_ns() > deadline { throw .peerNeverArrived("no responder connected to \(path) in time") }
        }
    }

    /// Responder side of uds: connect to `path`, retrying until the requester listens.
    /// `waiting` runs between tries (it may throw to give up, e.g. on Ctrl-C).
    static func connectUnix(path: String, deadline: UInt64, waiting: () throws(LoadError) -> Void = {}) throws(LoadError) -> Int32 {
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
            let rc = try FileDescriptorIO.withUnixAddress(path) { connect(fd, $0, $1) }
            if rc == 0 { return fd }
            let error = errno
            close(fd)
            guard error == ENOENT || error == ECONNREFUSED || error == EINTR else { throw .system(call: "connect(\(path))", errno: error) }
            try waiting()
            if ev_monotonic_ns() > deadline { throw .peerNeverArrived("no requester listening at \(path) in time") }
            FileDescriptorIO.sleep(milliseconds: 10)
        }
    }

    /// Requester side of pipe: make both FIFOs, then open the response FIFO for reading
    /// and the request FIFO for writing, both non-blocking. Returns (read, write).
    static func openRequesterFifos(request: String, response: String, deadline: UInt64,
                                   waiting: () throws(LoadError) -> Void) throws(LoadError) -> (Int32, Int32) {
        for path in [request, response] {
            unlink(path)
            guard mkfifo(path, 0o600) == 0 else { throw .system(call: "mkfifo(\(path))", errno: errno) }
        }
        defer { unlink(request); unlink(response) }
        let readFD = open(response, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readFD >= 0 else { throw .system(call: "open(\(response))", errno: errno) }
        var writeFD: Int32 = -1
        do throws(LoadError) {  // every exit but success closes what was opened
            while true {
                // A non-blocking open for writing fails with ENXIO until a reader has it open.
                writeFD = open(request, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if writeFD >= 0 {
                    // Our read end shows EOF until the responder opens its write end, so wait
                    // for the one-byte hello it writes right after opening both FIFOs.
                    var hello: UInt8 = 0
                    while true {
                        if case .bytes = try FileDescriptorIO.read(readFD, into: &hello, count: 1) { return (readFD, writeFD) }
                        try waiting()
                        if ev_monotonic_ns() > deadline { throw .peerNeverArrived("the responder never opened \(response)") }
                        FileDescriptorIO.sleep(milliseconds: 2)
                    }
                }
                guard errno == ENXIO || errno == EINTR else { throw .system(call: "open(\(request))", errno: errno) }
                try waiting()
                if ev_monotonic_ns() > deadline { throw .peerNeverArrived("no responder opened \(request) in time") }
                FileDescriptorIO.sleep(milliseconds: 5)
            }
        } catch {
            close(readFD)
            if writeFD >= 0 { close(writeFD) }
            throw error
        }
    }

    /// Responder side of pipe: open the request FIFO for reading and the response FIFO
    /// for writing (blocking), waiting for them to exist. Returns (read, write).
    static func openResponderFifos(request: String, response: String, deadline: UInt64,
                                   waiting: () throws(LoadError) -> Void = {}) throws(LoadError) -> (Int32, Int32) {
        while access(request, F_OK) != 0 || access(response, F_OK) != 0 {
            try waiting()
            if ev_monotonic_ns() > deadline { throw .peerNeverArrived("no requester made \(request) in time") }
            FileDescriptorIO.sleep(milliseconds: 10)
        }
        let readFD = open(request, O_RDONLY | O_CLOEXEC)
        guard readFD >= 0 else { throw .system(call: "open(\(request))", errno: errno) }
        let writeFD = open(response, O_WRONLY | O_CLOEXEC)
        guard writeFD >= 0 else { close(readFD); throw .system(call: "open(\(response))", errno: errno) }
        var hello: UInt8 = 1
        guard case .bytes(1) = try FileDescriptorIO.write(writeFD, from: &hello, count: 1) else {
            close(readFD); close(writeFD)
            throw .requesterGone("closed \(response) during the handshake")
        }
        return (readFD, writeFD)
    }
}
