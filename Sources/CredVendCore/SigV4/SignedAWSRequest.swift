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

extension SignedAWSRequest {
    /// The request as an `HTTPClient` sends it, with the 3 s connect timeout of every AWS
    /// call credvend makes: an endpoint that does not accept in 3 s is tried again, not waited for.
    public func clientRequest(timeout: Duration, maxResponseBytes: Int = 1 << 20) -> HTTPClientRequest {
        HTTPClientRequest(
            method: method,
            url: url,
            headers: headers.map { ($0.name, $0.value) },
            body: body,
            connectTimeout: .seconds(3),
            timeout: timeout,
            maxResponseBytes: maxResponseBytes
        )
    }
}
