/// io_uring opcode names as fdinfo prints them (IORING_OP_* without the prefix) and their
/// numbers, from include/uapi/linux/io_uring.h. Kernels before 5.16 print the number.
public enum IOUringOpcode {
    static let names = [
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
        "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
        "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
        "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
        "WRITEV_FIXED", "PIPE",
    ]

    /// Used when a kernel prints a name this table does not know; the name stays in the entry's details.
    public static let unknown: UInt16 = 0xFFFF

    /// The number for a printed opcode (`NOP`, `READ`, or `22`).
    public static func number(_ printed: String) -> UInt16 {
        if let value = UInt16(printed) { return value }
        return names.firstIndex(of: printed).map { UInt16($0) } ?? unknown
    }

    /// The name for a number, or the number as text.
    public static func name(_ number: UInt16) -> String {
        Int(number) < names.count ? names[Int(number)] : String(number)
    }
}
