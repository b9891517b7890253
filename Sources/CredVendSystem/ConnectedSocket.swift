import Glibc

/// The two things the HTTP transport's deadline sweeper asks of an accepted socket
/// (which libmicrohttpd owns: never closed here).
public enum ConnectedSocket {
    /// Ends both directions, so the socket's owner sees EOF and closes it itself.
    public static func shutdown(_ fd: Int32) {
        // ENOTCONN when the peer has already gone: nothing is left to do.
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// True when a TCP socket has received no data for `nanos` (TCP_INFO's time since the
    /// last data segment, in milliseconds, with 10 ms of slack for the kernel's tick);
    /// false when not known (a Unix socket).
    public static func noDataReceived(_ fd: Int32, for nanos: UInt64) -> Bool {
        var info = tcp_info()
        var size = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &size) == 0 else { return false }
        return UInt64(info.tcpi_last_data_recv) * 1_000_000 + 10_000_000 >= nanos
    }
}
