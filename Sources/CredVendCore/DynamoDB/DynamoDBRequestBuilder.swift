public import CredVendCrypto
public import Foundation

/// Builds signed DynamoDB JSON-protocol requests: `POST /`, `Content-Type:
/// application/x-amz-json-1.0`, `X-Amz-Target: DynamoDB_20120810.<Operation>`, SigV4 for
/// service `dynamodb`. Signed: `host`, `content-type`, `x-amz-target`, `x-amz-date` and,
/// with temporary source credentials, `x-amz-security-token` (as botocore signs them,
/// so a moto peer recomputes the same signature).
public struct DynamoDBRequestBuilder: Sendable {
    public static let contentType = "application/x-amz-json-1.0"
    public static let targetPrefix = "DynamoDB_20120810."

    public let endpoint: AWSEndpoint
    public let region: String
    public let signer: SigV4Signer

    /// `endpoint`: an `http(s)://host[:port][/path]` URL (the same rules as the STS endpoint).
    public init(endpoint: AWSEndpoint, region: String, signer: SigV4Signer = SigV4Signer()) {
        self.endpoint = endpoint
        self.region = region
        self.signer = signer
    }

    /// A signed request for `operation` (`Scan`, `GetItem`, `PutItem`, ...) with a JSON `body`, made at `date`.
    public func request(
        operation: String,
        body: [UInt8],
        credentials: AWSCredentials,
        date: Date
    ) throws(OpenSSLError) -> SignedAWSRequest {
        let fields: [(name: String, value: String)] = [
            ("Host", endpoint.host), ("Content-Type", Self.contentType),
            ("X-Amz-Target", Self.targetPrefix + operation),
        ]
        let signature = try signer.sign(
            request: SigV4Request(method: "POST", path: endpoint.path, headers: fields, body: body),
            credentials: credentials,
            region: region,
            service: "dynamodb",
            date: date,
            normalizePath: true
        )
        return SignedAWSRequest(url: endpoint.url, method: "POST", headers: fields + signature, body: body)
    }
}
