public import CredVendCrypto
public import Foundation

/// A request signed over and over with only its body, time and credentials changing
/// (STS's AssumeRole: the same endpoint and fields on every call). The parts of the
/// canonical request that never change (method, URI, query, the request's own header
/// lines, both signed-header lists, the scope's region and service) are made once, by the
/// general signer's own stage functions; each signature then writes the time, the session
/// token and the body's hash into one buffer, with no sort, set or join. It signs as
/// `SigV4Signer.sign` does with its defaults (every field signed but the `neverSigned`
/// ones, the token signed, no `X-Amz-Content-Sha256`): SigV4FixedRequestTests compare
/// the two over generated requests.
public struct SigV4FixedRequest: Sendable {
    /// The request's own fields, as sent.
    public let fields: [(name: String, value: String)]
    let signer: SigV4Signer
    let region: String
    let service: String
    /// `METHOD\nURI\nQUERY\n` and the header lines that sort before `x-amz-date`.
    private let head: [UInt8]
    /// The header lines between `x-amz-date` and `x-amz-security-token`.
    private let middle: [UInt8]
    /// The header lines after `x-amz-security-token`, and the blank line.
    private let tail: [UInt8]
    private let signedHeaders: [UInt8]
    private let signedHeadersWithToken: [UInt8]
    /// `/region/service/aws4_request`, after the date stamp.
    private let scopeTail: [UInt8]

    /// What `sign` writes beyond the parts counted there (field names, separators, the
    /// dates, three hex digests), rounded up.
    private static let fixedByteCount = 384
    private static let dateName = "x-amz-date"
    private static let tokenName = "x-amz-security-token"
    private static let dateLine = Array("\(dateName):".utf8)
    private static let tokenLine = Array("\(tokenName):".utf8)

    /// `fields` must name `host`; see `SigV4Signer.sign` for `normalizePath`.
    init(
        signer: SigV4Signer,
        method: String,
        path: String,
        query: [(name: String, value: String)],
        fields: [(name: String, value: String)],
        region: String,
        service: String,
        normalizePath: Bool
    ) {
        self.signer = signer
        self.fields = fields
        self.region = region
        self.service = service
        let entries = CanonicalRequest.headerEntries(
            fields.filter {
                SigV4Signer.isSigned(CanonicalRequest.lowercasedName($0.name), wanted: nil, includeContentSHA256: false)
            }
        )
        func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        let before = entries.filter { precedes($0.name, Self.dateName) }
        let between = entries.filter { precedes(Self.dateName, $0.name) && precedes($0.name, Self.tokenName) }
        let after = entries.filter { precedes(Self.tokenName, $0.name) }
        let uri = CanonicalRequest.uri(path: path, normalize: normalizePath)
        head =
            Array("\(method)\n\(uri)\n\(CanonicalRequest.queryString(query))\n".utf8)
            + Array(CanonicalRequest.headers(before).utf8)
        middle = Array(CanonicalRequest.headers(between).utf8)
        tail = Array((CanonicalRequest.headers(after) + "\n").utf8)
        let names = { (parts: [[(name: String, value: String)]]) in
            Array(parts.joined().map(\.name).joined(separator: ";").utf8)
        }
        let date = [(name: Self.dateName, value: "")]
        let token = [(name: Self.tokenName, value: "")]
        signedHeaders = names([before, date, between, after])
        signedHeadersWithToken = names([before, date, between, token, after])
        scopeTail = CredentialScope.tail(region: region, service: service)
    }

    /// The request's fields followed by the signer's (`X-Amz-Date`, `X-Amz-Security-Token`
    /// when the credentials carry a session token, `Authorization`), for `body` signed
    /// with `credentials` at `date`. Throws as `SigV4Signer.sign` does.
    public func sign(
        body: [UInt8],
        credentials: AWSCredentials,
        date: Date
    ) throws(OpenSSLError) -> [(name: String, value: String)] {
        let time = signer.dates.date(date)
        let token = credentials.sessionToken.flatMap { $0.isEmpty ? nil : CanonicalRequest.headerValue($0) }
        let signed = token == nil ? signedHeaders : signedHeadersWithToken
        let scope = CredentialScope(head: time.dateStamp, tail: scopeTail)
        let key = try signer.keyCache.signingKey(
            secretAccessKey: credentials.secretAccessKey,
            dateStamp: time.dateStamp,
            region: region,
            service: service
        )

        // The canonical request, the string to sign and the authorization, one after
        // the other in one buffer: each stage hashes or signs the one before it in place.
        var buffer = [UInt8]()
        buffer.reserveCapacity(
            head.count + middle.count + tail.count + 2 * signed.count + (token?.utf8.count ?? 0)
                + credentials.accessKeyId.utf8.count + 2 * scope.byteCount + Self.fixedByteCount
        )
        buffer += head
        buffer += Self.dateLine
        buffer += time.amzDate.utf8
        buffer.append(SigV4Bytes.newline)
        buffer += middle
        if let token {
            buffer += Self.tokenLine
            buffer += token.utf8
            buffer.append(SigV4Bytes.newline)
        }
        buffer += tail
        buffer += signed
        buffer.append(SigV4Bytes.newline)
        Hex.append(SHA256.digest(body.span), to: &buffer)
        let canonicalEnd = buffer.count
        let canonicalDigest = SHA256.digest(buffer.span.extracting(0..<canonicalEnd))

        StringToSign.append(amzDate: time.amzDate, credentialScope: scope, to: &buffer)
        Hex.append(canonicalDigest, to: &buffer)
        let stringToSignEnd = buffer.count
        let signature = try HMACSHA256.code(
            key: key,
            message: buffer.span.extracting(canonicalEnd..<stringToSignEnd)
        )

        SigV4Signer.appendAuthorization(
            accessKeyId: credentials.accessKeyId,
            credentialScope: scope,
            signedHeaders: signed,
            to: &buffer
        )
        Hex.append(signature, to: &buffer)
        let authorization = String(decoding: buffer[stringToSignEnd...], as: UTF8.self)

        var out = fields  // reserving copies it once; appending to an empty array would share it
        out.reserveCapacity(fields.count + 3)
        out.append(("X-Amz-Date", time.amzDate))
        if let token = credentials.sessionToken, !token.isEmpty { out.append(("X-Amz-Security-Token", token)) }
        out.append(("Authorization", authorization))
        return out
    }
}

extension SigV4Signer {
    /// A request of these fixed parts, to be signed many times (`SigV4FixedRequest`).
    public func fixedRequest(
        method: String,
        path: String = "/",
        query: [(name: String, value: String)] = [],
        fields: [(name: String, value: String)],
        region: String,
        service: String,
        normalizePath: Bool = true
    ) -> SigV4FixedRequest {
        SigV4FixedRequest(
            signer: self,
            method: method,
            path: path,
            query: query,
            fields: fields,
            region: region,
            service: service,
            normalizePath: normalizePath
        )
    }
}
