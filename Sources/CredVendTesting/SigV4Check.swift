import CredVendCore
import Foundation

/// Recomputes a request's SigV4 signature from the known secret, as AWS does, and says
/// what AWS would answer when it does not hold: a fake that only compared strings
/// would let a wrong canonical request or secret through.
struct SigV4Check {
    let source: AWSCredentials
    let region: String
    let signer: SigV4Signer
    /// The service the credential scope must name (`sts`, `dynamodb`).
    var service = "sts"

    /// AWS refuses a request signed further than this from its own clock.
    static let maximumSkew: TimeInterval = 15 * 60

    /// nil when the signature is good, else AWS's refusal.
    func problem(with request: HTTPClientRequest, now: Date) -> STSReply? {
        let header = { (name: String) -> String? in request.headers.first { $0.0.lowercased() == name }?.1 }
        guard let authorization = header("authorization"), authorization.hasPrefix("AWS4-HMAC-SHA256 ") else {
            return .error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        }
        let fields = Self.fields(of: authorization)
        let scope = (fields["Credential"] ?? "").split(separator: "/").map(String.init)
        guard scope.count == 5, let signedNames = fields["SignedHeaders"], fields["Signature"] != nil,
            let amzDate = header("x-amz-date"), let date = Self.date(amzDate)
        else {
            return .error(400, "IncompleteSignature", "The request signature does not conform to AWS standards")
        }
        let token = header("x-amz-security-token")
        guard scope[0] == source.accessKeyId, token == source.sessionToken else {
            return .error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        }
        guard scope[2] == region, scope[3] == service, scope[4] == "aws4_request" else {
            return .error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region and service")
        }
        guard abs(date.timeIntervalSince(now)) <= Self.maximumSkew else {
            return .error(
                403,
                "SignatureDoesNotMatch",
                "Signature expired: \(amzDate) is more than 15 min from the server's time"
            )
        }
        let signed = Set(signedNames.split(separator: ";").map(String.init))
        let headers = request.headers.filter { signed.contains($0.0.lowercased()) }.map { (name: $0.0, value: $0.1) }
        let credentials = AWSCredentials(
            accessKeyId: source.accessKeyId,
            secretAccessKey: source.secretAccessKey,
            sessionToken: token
        )
        let expected: [(name: String, value: String)]
        do {
            expected = try signer.sign(
                request: SigV4Request(
                    method: request.method,
                    path: Self.path(of: request.url),
                    headers: headers,
                    body: request.body
                ),
                credentials: credentials,
                region: region,
                service: service,
                date: date,
                signedHeaderNames: signed
            )
        } catch {
            return .error(500, "InternalFailure", "the fake could not sign: \(error)")
        }
        guard expected.first(where: { $0.name == "Authorization" })?.value == authorization else {
            return .error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
            )
        }
        return nil
    }

    /// `Credential=..., SignedHeaders=..., Signature=...` as a dictionary.
    static func fields(of authorization: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { result[String(pair[0])] = String(pair[1]) }
        }
        return result
    }

    /// The path of an absolute URL (`/` when it has none).
    static func path(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return "/" }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...].prefix { $0 != "?" })
    }

    /// `20261201T092842Z`.
    static func date(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: digits[range], as: UTF8.self)) }
        guard let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8), let h = number(9..<11),
            let mi = number(11..<13), let s = number(13..<15)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))
    }
}
