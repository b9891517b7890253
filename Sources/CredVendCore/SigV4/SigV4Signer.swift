public import CredVendCrypto
public import Foundation

/// Where a session token goes. The SigV4 suite's `post-sts-token` folder has one
/// case of each: `post-sts-header-before` signs `X-Amz-Security-Token`,
/// `post-sts-header-after` adds it after the signature is computed. botocore
/// (and hence moto, which re-signs with botocore) signs it, so `.signed` is the
/// default and what credvend uses for STS.
public enum SecurityTokenPlacement: Sendable {
    case signed
    case appendedAfterSigning
}

/// The result of signing, with every intermediate stage (tests compare them to
/// the AWS suite's `.creq`, `.sts` and `.authz` files).
struct SigV4Signature {
    let canonicalRequest: String
    let stringToSign: String
    let signature: String
    let authorization: String
    /// The header fields to add to the request, `Authorization` last.
    let headers: [(name: String, value: String)]
}

/// AWS Signature Version 4, header-based. Pure: time is a parameter, nothing is
/// read from the environment. Safe to share across threads; derived signing
/// keys are cached per instance.
public final class SigV4Signer: Sendable {
    /// Never signed, whatever the caller asks: botocore's
    /// `SIGNED_HEADERS_BLACKLIST`. moto refuses a signature over `user-agent`,
    /// `expect` or `connection`, and proxies or libcurl may change these.
    static let neverSigned: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]
    /// Set by the signer; the request's own fields of these names are ignored.
    static let ownedBySigner: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]

    let keyCache: SigningKeyCache
    let dates = SigV4DateCache()

    public init(keyCacheCapacity: Int = 16) {
        keyCache = SigningKeyCache(capacity: keyCacheCapacity)
    }

    /// Signs `request` and returns the header fields to add to it:
    /// `X-Amz-Date`, `X-Amz-Security-Token` (when `credentials` carry a session
    /// token), `X-Amz-Content-Sha256` (with `includeContentSHA256`) and
    /// `Authorization`. Throws when OpenSSL refuses to compute the HMAC: the request
    /// must then fail rather than go out unsigned.
    ///
    /// - Parameters:
    ///   - normalizePath: resolve `.`/`..` and repeated slashes in the path before
    ///     encoding it. AWS wants this for every service but S3.
    ///   - signedHeaderNames: the request fields to sign (case-insensitive); nil
    ///     signs them all. `host` and the signer's own fields are always signed,
    ///     the `neverSigned` ones never.
    ///   - securityToken: whether the session token header is signed (default) or
    ///     appended after signing.
    public func sign(
        request: SigV4Request,
        credentials: AWSCredentials,
        region: String,
        service: String,
        date: Date,
        normalizePath: Bool = true,
        signedHeaderNames: Set<String>? = nil,
        securityToken: SecurityTokenPlacement = .signed,
        includeContentSHA256: Bool = false
    ) throws(OpenSSLError) -> [(name: String, value: String)] {
        try signature(
            request: request,
            credentials: credentials,
            region: region,
            service: service,
            date: date,
            normalizePath: normalizePath,
            signedHeaderNames: signedHeaderNames,
            securityToken: securityToken,
            includeContentSHA256: includeContentSHA256
        ).headers
    }

    /// `sign` with every stage kept.
    func signature(
        request: SigV4Request,
        credentials: AWSCredentials,
        region: String,
        service: String,
        date: Date,
        normalizePath: Bool = true,
        signedHeaderNames: Set<String>? = nil,
        securityToken: SecurityTokenPlacement = .signed,
        includeContentSHA256: Bool = false
    ) throws(OpenSSLError) -> SigV4Signature {
        let time = dates.date(date)
        let payloadHash = CanonicalRequest.hashedPayload(request.body)
        let token = credentials.sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        let wanted = signedHeaderNames.map { Set($0.map { $0.lowercased() }) }

        var toSign = request.headers.filter { field in
            SigV4Signer.isSigned(
                CanonicalRequest.lowercasedName(field.name),
                wanted: wanted,
                includeContentSHA256: includeContentSHA256
            )
        }
        var added: [(name: String, value: String)] = [("X-Amz-Date", time.amzDate)]
        if let token { added.append(("X-Amz-Security-Token", token)) }
        if includeContentSHA256 { added.append(("X-Amz-Content-Sha256", payloadHash)) }
        toSign += added.filter { !($0.name == "X-Amz-Security-Token" && securityToken == .appendedAfterSigning) }

        let entries = CanonicalRequest.headerEntries(toSign)
        let signedHeaders = CanonicalRequest.signedHeaders(entries)
        let canonicalRequest = CanonicalRequest.make(
            method: request.method,
            uri: CanonicalRequest.uri(path: request.path, normalize: normalizePath),
            queryString: CanonicalRequest.queryString(request.query),
            canonicalHeaders: CanonicalRequest.headers(entries),
            signedHeaders: signedHeaders,
            hashedPayload: payloadHash
        )
        let scope = StringToSign.credentialScope(dateStamp: time.dateStamp, region: region, service: service)
        let stringToSign = StringToSign.make(
            amzDate: time.amzDate,
            credentialScope: scope,
            canonicalRequest: canonicalRequest
        )
        let key = try keyCache.signingKey(
            secretAccessKey: credentials.secretAccessKey,
            dateStamp: time.dateStamp,
            region: region,
            service: service
        )
        let signature = try SigV4SigningKey.signature(signingKey: key, stringToSign: stringToSign)
        let authorization = SigV4Signer.authorization(
            accessKeyId: credentials.accessKeyId,
            credentialScope: scope,
            signedHeaders: signedHeaders,
            signature: signature
        )
        return SigV4Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            authorization: authorization,
            headers: added + [("Authorization", authorization)]
        )
    }

    /// Whether a request field of this (lower-cased) name is signed: `host` always, the
    /// signer's own and the `neverSigned` fields never, the others when `wanted` (nil: all).
    static func isSigned(_ name: String, wanted: Set<String>?, includeContentSHA256: Bool) -> Bool {
        if SigV4Signer.ownedBySigner.contains(name) || SigV4Signer.neverSigned.contains(name) { return false }
        if includeContentSHA256 && name == "x-amz-content-sha256" { return false }
        return name == "host" || wanted?.contains(name) ?? true
    }

    /// Task 4: `AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=a;b, Signature=hex`.
    static func authorization(
        accessKeyId: String,
        credentialScope: String,
        signedHeaders: String,
        signature: String
    ) -> String {
        var out = [UInt8]()
        appendAuthorization(
            accessKeyId: accessKeyId,
            credentialScope: CredentialScope(head: credentialScope, tail: []),
            signedHeaders: Array(signedHeaders.utf8),
            to: &out
        )
        out += signature.utf8
        return String(decoding: out, as: UTF8.self)
    }

    private static let credentialPart = Array("\(StringToSign.algorithm) Credential=".utf8)
    private static let signedHeadersPart = Array(", SignedHeaders=".utf8)
    private static let signaturePart = Array(", Signature=".utf8)

    /// `authorization` up to `Signature=` at the end of `out`; the signature's hex goes after it.
    static func appendAuthorization(
        accessKeyId: String,
        credentialScope: CredentialScope,
        signedHeaders: [UInt8],
        to out: inout [UInt8]
    ) {
        out += credentialPart
        out += accessKeyId.utf8
        out.append(UInt8(ascii: "/"))
        credentialScope.append(to: &out)
        out += signedHeadersPart
        out += signedHeaders
        out += signaturePart
    }
}
