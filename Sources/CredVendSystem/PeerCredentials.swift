// Who is on the other end of a Unix socket (SO_PEERCRED), for the agent's access log,
// and group names to ids, for the agent's socket groups.
import Glibc

public enum SocketPeer {
    /// The pid, uid and gid the kernel recorded for the peer of the connected Unix socket
    /// `fd` when it connected; nil when the call fails (not a Unix socket, closed).
    public static func credentials(fd: Int32) -> (pid: Int32, uid: UInt32, gid: UInt32)? {
        // struct ucred {pid_t pid; uid_t uid; gid_t gid;}: three 32-bit fields (Glibc's module
        // hides the struct behind _GNU_SOURCE, so it is read as three words).
        var words: [UInt32] = [0, 0, 0]
        var length = socklen_t(3 * MemoryLayout<UInt32>.size)
        let rc = words.withUnsafeMutableBytes { raw in
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, raw.baseAddress, &length)
        }
        guard rc == 0, length == socklen_t(3 * MemoryLayout<UInt32>.size) else { return nil }
        return (pid: Int32(bitPattern: words[0]), uid: words[1], gid: words[2])
    }
}

public enum UnixGroup {
    /// The id of the group named `name` (or `name` itself when it is a number); nil when
    /// no such group exists.
    public static func id(named name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let rc = buffer.withUnsafeMutableBufferPointer { bytes in
            getgrnam_r(name, &group, bytes.baseAddress, bytes.count, &result)
        }
        guard rc == 0, result != nil else { return nil }
        return group.gr_gid
    }
}
