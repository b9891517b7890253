/// One HTTP request as the server hands it to an `HTTPHandler`: the whole body is
/// already read (up to the server's limit), so handlers never touch the network.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded (e.g. `/v1/credentials`).
    public var path: String
    /// The raw query string after `?`, not decoded; empty when there is none.
    public var queryString: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// `IP:port` of the peer for TCP (`[v6]:port` for IPv6), `unix` for a Unix socket.
    public var remoteAddress: String
    /// The body was longer than the server's limit: `body` holds only its first part
    /// and the handler should answer 413.
    public var bodyTooLarge: Bool
    /// The request came over TLS.
    public var isTLS: Bool
    /// The client certificate the TLS handshake verified; nil over plain HTTP or when
    /// the client presented none.
    public var clientCertificate: ClientCertificate?
    /// Who connected, for a Unix socket (SO_PEERCRED); nil over TCP.
    public var peerCredentials: PeerCredentials?

    public init(
        method: String,
        path: String,
        queryString: String = "",
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        remoteAddress: String = "",
        bodyTooLarge: Bool = false,
        isTLS: Bool = false,
        clientCertificate: ClientCertificate? = nil,
        peerCredentials: PeerCredentials? = nil
    ) {
        self.method = method
        self.path = path
        self.queryString = queryString
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.bodyTooLarge = bodyTooLarge
        self.isTLS = isTLS
        self.clientCertificate = clientCertificate
        self.peerCredentials = peerCredentials
    }

    /// The decoded query parameters in order (`+` is a space, `%XX` a byte).
    public var queryItems: [(name: String, value: String)] { QueryString.parse(queryString) }

    /// The decoded query parameters; for a repeated name the first value wins.
    public var query: [String: String] {
        var result: [String: String] = [:]
        for item in queryItems where result[item.name] == nil { result[item.name] = item.value }
        return result
    }
}

/// `application/x-www-form-urlencoded` decoding, as used by query strings.
public enum QueryString {
    public static func parse(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (name: decode(pair[..<eq]), value: decode(pair[pair.index(after: eq)...]))
            }
            return (name: decode(pair), value: "")
        }
    }

    /// Percent-decodes `text` and turns `+` into a space; text with a malformed escape,
    /// or that does not decode to UTF-8, is kept as written.
    public static func decode(_ text: Substring) -> String {
        FormURLEncoding.decode(ArraySlice(text.utf8)) ?? String(text)
    }
}
