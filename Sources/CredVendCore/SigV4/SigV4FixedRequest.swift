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
    private let scopeSuffix: [UInt8]

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
        scopeSuffix = Array("/\(region)/\(service)/aws4_request".utf8)
    }

    /// The request's fields followed by the signer's (`X-Amz-Date`, `X-Amz-Security-Token`
    /// when the credentials carry a session token, `Authorization`), for `body` signed
    /// with `credentials` at `date`. Throws as `SigV4Signer.sign` does.
    public func sign(
        body: [UInt8],
        credentials: AWSCredentials,
        date: Date
    ) throws(OpenSSLError) -> [(name: String, value: String)] {
        let time = SigV4Date(date)
        let token = credentials.sessionToken.flatMap { $0.isEmpty ? nil : CanonicalRequest.headerValue($0) }
        let signed = token == nil ? signedHeaders : signedHeadersWithToken

        var canonical = [UInt8]()
        canonical.reserveCapacity(
            head.count + middle.count + tail.count + signed.count + (token?.utf8.count ?? 0) + 128
        )
        canonical += head
        canonical += Self.dateLine
        canonical += time.amzDate.utf8
        canonical.append(SigV4Bytes.newline)
        canonical += middle
        if let token {
            canonical += Self.tokenLine
            canonical += token.utf8
            canonical.append(SigV4Bytes.newline)
        }
        canonical += tail
        canonical += signed
        canonical.append(SigV4Bytes.newline)
        Hex.append(SHA256.hash(body), to: &canonical)

        var scope = [UInt8]()
        scope.reserveCapacity(time.dateStamp.utf8.count + scopeSuffix.count)
        scope += time.dateStamp.utf8
        scope += scopeSuffix
        let stringToSign = StringToSign.bytes(
            amzDate: time.amzDate,
            credentialScope: scope,
            canonicalRequest: canonical
        )
        let key = try signer.keyCache.signingKey(
            secretAccessKey: credentials.secretAccessKey,
            dateStamp: time.dateStamp,
            region: region,
            service: service
        )
        let authorization = SigV4Signer.authorization(
            accessKeyId: credentials.accessKeyId,
            credentialScope: scope,
            signedHeaders: signed,
            signature: try SigV4SigningKey.signature(signingKey: key, stringToSign: stringToSign)
        )
        var out = [(name: String, value: String)]()
        out.reserveCapacity(fields.count + 3)
        out += fields
        out.append(("X-Amz-Date", time.amzDate))
        if let token = credentials.sessionToken, !token.isEmpty { out.append(("X-Amz-Security-Token", token)) }
        out.append(("Authorization", String(decoding: authorization, as: UTF8.self)))
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
