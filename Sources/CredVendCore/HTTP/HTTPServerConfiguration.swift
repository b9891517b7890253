public import Foundation

/// Where an `HTTPServer` listens.
public enum HTTPListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A TCP address: an IP literal or host name, and a port (0 picks a free port).
    case tcp(host: String, port: Int)
    /// A Unix stream socket, created with `unixSocketMode` and `unixSocketGroup` of the
    /// configuration (0600 and the process's group unless told): the file permissions are the access control.
    case unix(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}

/// How an `HTTPServer` runs. Every limit is enforced by the transport before a handler runs.
public struct HTTPServerConfiguration: Sendable {
    public var listen: HTTPListenAddress
    /// Worker threads, each with its own epoll loop. Default: the number of cores.
    public var threadPoolSize: Int
    /// Connections open at once; more are refused at accept.
    public var connectionLimit: Int
    /// Connections open at once from one client address (IPv4 or IPv6; Unix socket peers
    /// are not counted per address); more from that address are refused at accept. 0: no limit.
    public var perAddressConnectionLimit: Int
    /// An idle connection (no bytes in either direction) is closed after this many seconds.
    public var connectionTimeoutSeconds: Int
    /// A request's head and body must be in within this many seconds, counted from the
    /// connection's accept or the end of its previous response; otherwise the connection
    /// is closed. A keep-alive connection idle between requests is held at most this long.
    public var requestDeadlineSeconds: Int
    /// Told of connections and requests the transport refuses itself.
    public var observer: (any HTTPServerObserver)?
    /// Bodies longer than this are not kept: the request reaches the handler with
    /// `bodyTooLarge` set. Default 16 KiB. A head that declares a longer Content-Length
    /// reaches the handler at once (no `100 Continue`), and its connection is closed.
    public var maxBodyBytes: Int
    /// HTTPS on this listener; nil: plain HTTP.
    public var tls: TLSServerConfiguration?
    /// A Unix socket's mode (default 0600) and group id (default: the process's), set
    /// before the socket appears at its path.
    public var unixSocketMode: UInt32 = 0o600
    public var unixSocketGroup: UInt32?
    /// Each connection's working memory in the transport, 16 KiB: a request's line and
    /// headers must fit in it, so a head over about 15 KiB is answered 431.
    public static let connectionMemoryBytes = 16 * 1024

    public init(
        listen: HTTPListenAddress,
        threadPoolSize: Int = ProcessInfo.processInfo.activeProcessorCount,
        connectionLimit: Int = 1000,
        perAddressConnectionLimit: Int = 64,
        connectionTimeoutSeconds: Int = 30,
        requestDeadlineSeconds: Int = 10,
        maxBodyBytes: Int = 16 * 1024,
        observer: (any HTTPServerObserver)? = nil,
        tls: TLSServerConfiguration? = nil
    ) {
        self.listen = listen
        self.threadPoolSize = threadPoolSize
        self.connectionLimit = connectionLimit
        self.perAddressConnectionLimit = perAddressConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.requestDeadlineSeconds = requestDeadlineSeconds
        self.maxBodyBytes = maxBodyBytes
        self.observer = observer
        self.tls = tls
    }
}

/// Why an `HTTPServer` could not start. The message names the address and what to change.
/// Compared by code only.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable, Hashable {
    /// A struct over a private enum, so a new code is not a breaking change.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Backing: String, Sendable, Hashable {
            case invalidConfiguration, invalidAddress, socketPathRefused, socketFailed, daemonStartFailed,
                alreadyRunning, tlsMaterialRefused
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// The configuration is out of range (pool size, limits).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The host could not be resolved or is not a usable address.
        public static let invalidAddress = Code(.invalidAddress)
        /// The Unix socket path is unusable: a regular file is there, its directory is
        /// missing, it is too long, or a live server already listens on it.
        public static let socketPathRefused = Code(.socketPathRefused)
        /// A socket call failed (the message carries `strerror`), e.g. the address is in use.
        public static let socketFailed = Code(.socketFailed)
        /// libmicrohttpd refused to start the daemon.
        public static let daemonStartFailed = Code(.daemonStartFailed)
        /// `start()` was called on a server that is running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// A TLS certificate, key or client-CA file is missing, unreadable, malformed, does not
        /// match (certificate and key), or the key file is open to group or others.
        public static let tlsMaterialRefused = Code(.tlsMaterialRefused)

        public var description: String { backing.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HTTP server: \(message)" }

    public static func == (a: HTTPServerError, b: HTTPServerError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
