import CDispatch  // owns `struct stat` once Dispatch is in the module (MemberImportVisibility)
// The listening sockets that CredVendHTTP hands to libmicrohttpd (MHD_OPTION_LISTEN_SOCKET).
// credvend binds them itself so that a Unix socket exists with mode 0600 before anyone can
// connect, and so that a bind failure is reported with the address and errno text.
import Glibc

/// Why a listening socket could not be made; the message names the address.
public struct ListenSocketError: Error, Sendable {
    public enum Code: Sendable {
        /// The host could not be resolved or is not a usable address.
        case invalidAddress
        /// The Unix socket path is unusable: a file that is not a socket is there, its
        /// directory is missing, it is too long, or a live server already listens on it.
        case socketPathRefused
        /// A socket call failed (the message carries `strerror`), e.g. the address is in use.
        case socketFailed
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// A bound, listening, non-blocking socket. Until the HTTP server hands `fd` to MHD, the
/// socket belongs to this object and `close()` closes it.
public final class ListenSocket {
    public let fd: Int32
    /// The port actually bound (TCP), or nil (Unix).
    public let port: Int?
    /// The socket file and its identity, so that stop removes only the file it created.
    private let unixPath: String?
    private let unixIdentity: (dev: UInt, ino: UInt)?

    private init(fd: Int32, port: Int?, unixPath: String? = nil, unixIdentity: (dev: UInt, ino: UInt)? = nil) {
        self.fd = fd
        self.port = port
        self.unixPath = unixPath
        self.unixIdentity = unixIdentity
    }

    // MARK: TCP

    /// `display` names the address in messages.
    public static func tcp(host: String, port: Int, display: String) throws(ListenSocketError) -> ListenSocket {
        guard (0...65535).contains(port) else {
            throw ListenSocketError(.invalidAddress, "port \(port) of \(host) is not in 0-65535")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ListenSocketError(
                .invalidAddress,
                "cannot resolve listen host \(host): \(String(cString: gai_strerror(rc)))"
            )
        }
        defer { freeaddrinfo(first) }

        var lastError = ListenSocketError(.invalidAddress, "no usable address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            do throws(ListenSocketError) {
                return try bindTCP(info.pointee, display: display)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bindTCP(_ info: addrinfo, display: String) throws(ListenSocketError) -> ListenSocket {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw socketError("socket() for \(display)") }
        do throws(ListenSocketError) {
            var on: Int32 = 1
            try check(
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)),
                "setsockopt(SO_REUSEADDR) for \(display)"
            )
            if info.ai_family == AF_INET6 {
                try check(
                    setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size)),
                    "setsockopt(IPV6_V6ONLY) for \(display)"
                )
            }
            try check(bind(fd, info.ai_addr, info.ai_addrlen), "cannot bind \(display)")
            try listenNonBlocking(fd, display: display)
            return ListenSocket(fd: fd, port: try boundPort(fd, display: display))
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    private static func boundPort(_ fd: Int32, display: String) throws(ListenSocketError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try check(rc, "getsockname() for \(display)")
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    // MARK: Unix

    /// Refuses a path that is not a socket or whose directory is missing; removes a stale
    /// socket (one nobody listens on); binds in a fresh 0700 directory beside the path, sets
    /// `mode` (0600 unless told) and `group` (the process's unless told), and links it into
    /// place, so the socket is never reachable with a wider mode or another group.
    public static func unix(
        path: String,
        mode: UInt32 = 0o600,
        group: UInt32? = nil
    ) throws(ListenSocketError) -> ListenSocket {
        let display = "unix socket \(path)"
        let directory = parentDirectory(of: path)
        let template = "\(directory)/.cvXXXXXX"  // + "/s" when bound there
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard !path.isEmpty, !path.hasSuffix("/"), path.utf8.count < capacity, template.utf8.count + 2 < capacity else {
            throw ListenSocketError(
                .socketPathRefused,
                "\(display): the path is empty, a directory, or too long for a Unix socket"
            )
        }
        var st = Glibc.stat()
        guard stat(directory, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
            throw ListenSocketError(.socketPathRefused, "\(display): directory \(directory) does not exist")
        }
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw ListenSocketError(
                    .socketPathRefused,
                    "\(display): a file that is not a socket is in the way; remove it or choose another path"
                )
            }
            if socketIsLive(path) {
                throw ListenSocketError(.socketPathRefused, "\(display): another server is listening on it")
            }
            guard unlink(path) == 0 || errno == ENOENT else { throw socketError("cannot remove stale \(display)") }
        }

        var templateBytes = Array(template.utf8CString)
        guard
            let tmpDir = templateBytes.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({
                String(cString: $0)
            })
        else {
            throw socketError("cannot create a private directory in \(directory) for \(display)")
        }
        let tmpPath = tmpDir + "/s"
        defer {
            _ = unlink(tmpPath)
            _ = rmdir(tmpDir)
        }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw socketError("socket() for \(display)") }
        do throws(ListenSocketError) {
            try withUnixAddress(tmpPath) { address, length throws(ListenSocketError) in
                try check(bind(fd, address, length), "cannot bind \(display)")
            }
            try check(chmod(tmpPath, mode_t(mode & 0o777)), "chmod \(String(mode, radix: 8)) \(display)")
            if let group {
                try check(chown(tmpPath, uid_t.max, gid_t(group)), "chown to group \(group) \(display)")
            }
            // link, not rename: it fails (EEXIST) rather than replace a file that appeared meanwhile.
            guard link(tmpPath, path) == 0 else {
                throw errno == EEXIST
                    ? ListenSocketError(.socketPathRefused, "\(display): a file appeared at the path while binding")
                    : socketError("cannot move \(display) into place")
            }
            try check(lstat(path, &st), "stat \(display)")
            try listenNonBlocking(fd, display: display)
            return ListenSocket(
                fd: fd,
                port: nil,
                unixPath: path,
                unixIdentity: (dev: UInt(st.st_dev), ino: UInt(st.st_ino))
            )
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    /// Removes the socket file, if it is still the one this object created.
    public func removeSocketFile() {
        guard let path = unixPath, let identity = unixIdentity else { return }
        var st = Glibc.stat()
        if lstat(path, &st) == 0, UInt(st.st_dev) == identity.dev, UInt(st.st_ino) == identity.ino {
            _ = unlink(path)
        }
    }

    /// Closes the socket while it belongs to this object: before MHD took it, or after
    /// MHD handed it back.
    public func close() {
        _ = Glibc.close(fd)
        removeSocketFile()
    }

    private static func socketIsLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { _ = Glibc.close(fd) }
        return (try? withUnixAddress(path) { address, length in connect(fd, address, length) == 0 }) ?? false
    }

    private static func withUnixAddress<R>(
        _ path: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(ListenSocketError) -> R
    ) throws(ListenSocketError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw ListenSocketError(.socketPathRefused, "unix socket \(path): the path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        return try withUnsafePointer(to: &address) { pointer throws(ListenSocketError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(ListenSocketError) in
                try body(address, length)
            }
        }
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    // MARK: Shared

    /// MHD's worker threads all accept on this socket, so it must not block.
    private static func listenNonBlocking(_ fd: Int32, display: String) throws(ListenSocketError) {
        try check(listen(fd, SOMAXCONN), "listen() on \(display)")
        let flags = fcntl(fd, F_GETFL)
        try check(flags, "fcntl(F_GETFL) on \(display)")
        try check(fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(O_NONBLOCK) on \(display)")
    }

    private static func check(_ rc: Int32, _ what: @autoclosure () -> String) throws(ListenSocketError) {
        if rc < 0 { throw socketError(what()) }
    }

    private static func socketError(_ what: String) -> ListenSocketError {
        let code = errno
        return ListenSocketError(.socketFailed, "\(what): \(String(cString: strerror(code)))")
    }
}
