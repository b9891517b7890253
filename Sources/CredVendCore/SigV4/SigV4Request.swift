/// One HTTP request as the SigV4 signer sees it. Pure data: the signer neither
/// sends it nor changes it; it returns the headers to add.
public struct SigV4Request: Sendable {
    /// `GET`, `POST`, ... (used as given, so pass it upper-case).
    public var method: String
    /// The path as it appears in the request line, e.g. `/` for STS. The signer
    /// percent-encodes every byte outside the RFC 3986 unreserved set (keeping
    /// `/`), so a raw path (`/example space/`) becomes `/example%20space/`, and an
    /// already-encoded wire path is encoded once more, as AWS wants for every
    /// service but S3.
    public var path: String
    /// Query parameters, decoded (not percent-encoded), in any order.
    public var query: [(name: String, value: String)]
    /// Header fields in the order they are sent; a name may repeat. Must include
    /// `host`. `authorization`, `x-amz-date` and `x-amz-security-token` are owned
    /// by the signer: any such field here is ignored and replaced.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(
        method: String,
        path: String = "/",
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}
