public import CredVendCrypto
public import Foundation

/// The parameters of one AssumeRole call.
public struct AssumeRoleParameters: Sendable, Equatable {
    public var roleArn: String
    public var roleSessionName: String
    public var durationSeconds: Int
    /// A session policy (JSON), e.g. from `SessionPolicy.json(for:)`.
    public var policy: String?

    public init(roleArn: String, roleSessionName: String, durationSeconds: Int, policy: String? = nil) {
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.durationSeconds = durationSeconds
        self.policy = policy
    }

    /// The call for a role mapping (docs/reference.md#sts-assumerole).
    public init(mapping: RoleMapping) {
        self.init(
            roleArn: mapping.roleArn,
            roleSessionName: RoleSessionName.make(serverName: mapping.serverName, clientId: mapping.clientId),
            durationSeconds: mapping.sessionDurationSeconds,
            policy: SessionPolicy.json(for: mapping)
        )
    }
}

/// Builds STS query-protocol requests (POST, form body, API version 2011-06-15).
///
/// AssumeRole is signed with SigV4, service `sts`, with path normalization on:
/// AWS normalizes paths for every service except S3, and STS's path is `/`,
/// which normalization leaves as is. Signed: `host`, `content-type`,
/// `x-amz-date` and, with temporary source credentials, `x-amz-security-token`
/// (signed, as botocore does; moto re-signs with botocore to check).
public struct AssumeRoleRequestBuilder: Sendable {
    public static let apiVersion = "2011-06-15"
    public static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    public let endpoint: AWSEndpoint
    public let region: String
    public let signer: SigV4Signer
    /// Every AssumeRole goes to the same endpoint with the same fields: their part of
    /// the canonical request is made once, here.
    private let assumeRoleRequest: SigV4FixedRequest

    public init(endpoint: AWSEndpoint, region: String, signer: SigV4Signer = SigV4Signer()) {
        self.endpoint = endpoint
        self.region = region
        self.signer = signer
        assumeRoleRequest = signer.fixedRequest(
            method: "POST",
            path: endpoint.path,
            fields: [("Host", endpoint.host), ("Content-Type", Self.contentType)],
            region: region,
            service: "sts",
            normalizePath: true
        )
    }

    /// `Action=AssumeRole&Version=2011-06-15&RoleArn=..&RoleSessionName=..&DurationSeconds=..[&Policy=..]`.
    public static func assumeRoleBody(_ parameters: AssumeRoleParameters) -> String {
        String(decoding: assumeRoleBodyBytes(parameters), as: UTF8.self)
    }

    private static let assumeRolePrefix = Array(
        "Action=\(STSAction.assumeRole.rawValue)&Version=\(apiVersion)&RoleArn=".utf8
    )

    /// `assumeRoleBody` written straight into the bytes sent: the form encoding of
    /// `FormURLEncoding.encode`, without a string per field.
    static func assumeRoleBodyBytes(_ parameters: AssumeRoleParameters) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(
            assumeRolePrefix.count + 64 + 3 * (parameters.roleArn.utf8.count + parameters.roleSessionName.utf8.count)
                + 3 * (parameters.policy?.utf8.count ?? 0)
        )
        out += assumeRolePrefix
        PercentEncoding.append(parameters.roleArn, to: &out)
        out += "&RoleSessionName=".utf8
        PercentEncoding.append(parameters.roleSessionName, to: &out)
        out += "&DurationSeconds=".utf8
        PercentEncoding.append(String(parameters.durationSeconds), to: &out)
        if let policy = parameters.policy {
            out += "&Policy=".utf8
            PercentEncoding.append(policy, to: &out)
        }
        return out
    }

    /// `Action=AssumeRoleWithWebIdentity&Version=..&RoleArn=..&RoleSessionName=..&WebIdentityToken=..&DurationSeconds=..`.
    public static func assumeRoleWithWebIdentityBody(
        roleArn: String,
        roleSessionName: String,
        webIdentityToken: String,
        durationSeconds: Int
    ) -> String {
        FormURLEncoding.encode([
            ("Action", STSAction.assumeRoleWithWebIdentity.rawValue), ("Version", apiVersion), ("RoleArn", roleArn),
            ("RoleSessionName", roleSessionName), ("WebIdentityToken", webIdentityToken),
            ("DurationSeconds", String(durationSeconds)),
        ])
    }

    /// A signed AssumeRole request made with the source `credentials` at `date`; throws
    /// when it cannot be signed.
    public func assumeRole(
        _ parameters: AssumeRoleParameters,
        credentials: AWSCredentials,
        date: Date
    ) throws(OpenSSLError) -> SignedAWSRequest {
        let body = Self.assumeRoleBodyBytes(parameters)
        let headers = try assumeRoleRequest.sign(body: body, credentials: credentials, date: date)
        return SignedAWSRequest(url: endpoint.url, method: "POST", headers: headers, body: body)
    }

    /// An AssumeRoleWithWebIdentity request: unsigned, the token is the credential.
    public func assumeRoleWithWebIdentity(
        roleArn: String,
        roleSessionName: String,
        webIdentityToken: String,
        durationSeconds: Int
    ) -> SignedAWSRequest {
        let body = Self.assumeRoleWithWebIdentityBody(
            roleArn: roleArn,
            roleSessionName: roleSessionName,
            webIdentityToken: webIdentityToken,
            durationSeconds: durationSeconds
        )
        return SignedAWSRequest(
            url: endpoint.url,
            method: "POST",
            headers: [("Host", endpoint.host), ("Content-Type", Self.contentType)],
            body: Array(body.utf8)
        )
    }
}
