/// A signed AWS request ready to send (STS, DynamoDB): the clients hand it to libcurl as
/// is. The signed fields (`Host`, `Content-Type`, `X-Amz-*`) must go out
/// byte for byte; the transport may add unsigned ones (User-Agent,
/// Content-Length) but must not send `Expect: 100-continue`.
public struct SignedAWSRequest: Sendable {
    public let url: String
    public let method: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
