/// One outgoing HTTP request for `HTTPClient.send`. TLS peer and host verification are
/// always on; `caFile` only chooses which roots are trusted.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in order. An empty value is sent as an empty header (not dropped).
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var connectTimeout: Duration
    /// The whole exchange, connect included.
    public var timeout: Duration
    /// PEM file of CA certificates trusted in addition to the system's store (libcurl
    /// reads it as CURLOPT_CAINFO and keeps its built-in CA directory, CURLOPT_CAPATH,
    /// which on Debian is /etc/ssl/certs); nil: the system's store alone.
    public var caFile: String?
    /// PEM client certificate and key, for mutual TLS.
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    /// Connect to this Unix socket instead of the URL's host (the URL still gives path and Host).
    public var unixSocketPath: String?
    /// A longer response body fails with `CurlError.Kind.responseTooLarge`.
    public var maxResponseBytes: Int

    public init(
        method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        connectTimeout: Duration = .seconds(5),
        timeout: Duration = .seconds(30),
        caFile: String? = nil,
        clientCertificateFile: String? = nil,
        clientKeyFile: String? = nil,
        unixSocketPath: String? = nil,
        maxResponseBytes: Int = 1 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.caFile = caFile
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.unixSocketPath = unixSocketPath
        self.maxResponseBytes = maxResponseBytes
    }
}

/// The final response of an exchange (after any `100 Continue`): the same value as a
/// server's response; `HTTPClient` gives header names lower-cased, in the order received.
public typealias HTTPClientResponse = HTTPResponse

/// A failed `HTTPClient.send`. `kind` tells callers whether a retry makes sense;
/// `message` is libcurl's error text. Never carries a request body or a header value.
/// Compared by kind and curl code only.
public struct CurlError: Error, CustomStringConvertible, Sendable, Hashable {
    /// A struct over a private enum, so a new kind is not a breaking change.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Backing: String, Sendable, Hashable {
            case couldNotConnect, timeout, tls, responseTooLarge, other
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// No connection: refused, unreachable, or the name did not resolve. Retriable.
        public static let couldNotConnect = Kind(.couldNotConnect)
        /// The connect or total timeout passed. Retriable.
        public static let timeout = Kind(.timeout)
        /// The TLS handshake failed: untrusted peer, wrong host name, bad client certificate or key.
        public static let tls = Kind(.tls)
        /// The response body was longer than `maxResponseBytes`, or its headers too long.
        public static let responseTooLarge = Kind(.responseTooLarge)
        /// Anything else (send or receive failure, malformed URL, refused option).
        public static let other = Kind(.other)

        public var description: String { backing.rawValue }
    }

    public let kind: Kind
    /// libcurl's CURLcode, 0 when the failure was found before libcurl ran.
    public let code: Int
    public let message: String

    public init(kind: Kind, code: Int, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "HTTP request failed (\(kind), curl code \(code)): \(message)" }

    public static func == (a: CurlError, b: CurlError) -> Bool { a.kind == b.kind && a.code == b.code }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(code)
    }
}

/// Sends one request and waits for the whole answer. The services take this, so
/// that tests can answer in-process; libcurl's implementation is `CurlHTTPClient`.
public protocol HTTPClient: Sendable {
    func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse
}

/// Starts a request and answers later: `start` returns at once and `completion` runs once, on
/// a thread of the client's. `serve` makes its STS calls through this (`WorkerTransfers`, on
/// the HTTP workers), so that no thread waits for STS.
public protocol HTTPTransfers: Sendable {
    func start(
        _ request: HTTPClientRequest,
        completion: @escaping @Sendable (Result<HTTPClientResponse, CurlError>) -> Void
    )
}
