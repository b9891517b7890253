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

    public init(endpoint: AWSEndpoint, region: String, signer: SigV4Signer = SigV4Signer()) {
        self.endpoint = endpoint
        self.region = region
        self.signer = signer
    }

    /// `Action=AssumeRole&Version=2011-06-15&RoleArn=..&RoleSessionName=..&DurationSeconds=..[&Policy=..]`.
    public static func assumeRoleBody(_ parameters: AssumeRoleParameters) -> String {
        var fields: [(name: String, value: String)] = [
            ("Action", STSAction.assumeRole.rawValue), ("Version", apiVersion), ("RoleArn", parameters.roleArn),
            ("RoleSessionName", parameters.roleSessionName), ("DurationSeconds", String(parameters.durationSeconds)),
        ]
        if let policy = parameters.policy { fields.append(("Policy", policy)) }
        return FormURLEncoding.encode(fields)
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
        let body = Array(Self.assumeRoleBody(parameters).utf8)
        let fields: [(name: String, value: String)] = [("Host", endpoint.host), ("Content-Type", Self.contentType)]
        let signature = try signer.sign(
            request: SigV4Request(method: "POST", path: endpoint.path, headers: fields, body: body),
            credentials: credentials,
            region: region,
            service: "sts",
            date: date,
            normalizePath: true
        )
        return SignedAWSRequest(url: endpoint.url, method: "POST", headers: fields + signature, body: body)
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
