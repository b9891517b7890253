import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendCrypto

/// Every case of the AWS SigV4 test suite: canonical request, string to sign and
/// Authorization header must match the suite's files byte for byte.
///
/// Path normalization is on for every case, the `normalize-path/` ones included:
/// AWS normalizes the path for every service except S3 (the suite's
/// `normalize-path/normalize-path.txt`), and STS, the one service credvend
/// signs for, is not S3, so `AssumeRoleRequestBuilder` signs with it on. STS
/// requests use the path `/`, which normalization leaves unchanged, so the
/// choice cannot alter an STS signature. `SigV4StageTests` covers it off.
///
/// Session tokens: `post-sts-header-before` has `X-Amz-Security-Token` in its
/// `.req` (it is signed); `post-sts-header-after` has it only in its `.sreq`
/// (added after signing). The test picks the placement from where the token is.
@Suite struct SigV4SuiteTests {
    static let signer = SigV4Signer()

    /// Two cases whose files contradict each other: their `.sts` is not built
    /// from their `.creq` (the last line is not the SHA-256 of the `.creq`).
    /// Their `.sts` and `.sreq` were computed from the `.sreq`'s headers, i.e.
    /// without `Content-Length`, and for `-parameters` with the content type
    /// `...; charset=utf8` (no hyphen); that `.authz` even lists
    /// `content-length` in SignedHeaders next to a signature not made over it.
    /// Other signers skip both cases; here the `.creq` is checked against the
    /// request as written, and the `.sts`, the `.sreq`'s Authorization and the
    /// `.authz` signature against the request as it was really signed. The test
    /// also checks the contradiction is still there, so this table cannot go
    /// stale silently.
    static let inconsistentCases: [String: SignedAs] = [
        "post-x-www-form-urlencoded": SignedAs(contentType: nil),
        "post-x-www-form-urlencoded-parameters": SignedAs(
            contentType: "application/x-www-form-urlencoded; charset=utf8"
        ),
    ]

    /// The headers an inconsistent case was really signed with: the `.req`'s
    /// without `Content-Length`, and with `contentType` when given.
    struct SignedAs: Sendable {
        let contentType: String?

        func apply(to headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
            headers.compactMap { field in
                switch field.name.lowercased() {
                case "content-length": return nil
                case "content-type": return (field.name, contentType ?? field.value)
                default: return field
                }
            }
        }
    }

    @Test func suiteIsComplete() {
        #expect(SigV4Suite.caseNames.count == 31, "found: \(SigV4Suite.caseNames)")
        for name in [
            "post-sts-token/post-sts-header-before", "post-sts-token/post-sts-header-after",
            "normalize-path/get-relative-relative", "normalize-path/get-slashes",
            "get-header-value-multiline",
        ] + Self.inconsistentCases.keys {
            #expect(SigV4Suite.caseNames.contains(name), "missing case \(name)")
        }
    }

    @Test(arguments: SigV4Suite.caseNames)
    func suiteCase(_ name: String) throws {
        let testCase = try SigV4Suite.load(name)
        #expect(testCase.request.values(of: "X-Amz-Date") == [SigV4Suite.amzDate])

        var credentials = SigV4Suite.credentials
        var placement = SecurityTokenPlacement.signed
        if let token = testCase.request.values(of: "X-Amz-Security-Token").first {
            credentials.sessionToken = token
        } else if let token = testCase.signedRequest.values(of: "X-Amz-Security-Token").first {
            credentials.sessionToken = token
            placement = .appendedAfterSigning
        }
        func sign(_ headers: [(name: String, value: String)]) throws -> SigV4Signature {
            let request = testCase.request
            return try Self.signer.signature(
                request: SigV4Request(
                    method: request.method,
                    path: request.path,
                    query: request.query,
                    headers: headers.filter {
                        !["x-amz-date", "x-amz-security-token"].contains($0.name.lowercased())
                    },
                    body: request.body
                ),
                credentials: credentials,
                region: SigV4Suite.region,
                service: SigV4Suite.service,
                date: SigV4Suite.date,
                normalizePath: true,
                securityToken: placement
            )
        }

        let result = try sign(testCase.request.headers)
        #expect(result.canonicalRequest == testCase.canonicalRequest)

        let signed: SigV4Signature
        if let signedAs = Self.inconsistentCases[(name as NSString).lastPathComponent] {
            #expect(
                Hex.encode(SHA256.hash(testCase.canonicalRequest))
                    != testCase.stringToSign.split(separator: "\n").last.map(String.init),
                "the suite's files agree now: drop this case from inconsistentCases"
            )
            signed = try sign(signedAs.apply(to: testCase.request.headers))
            #expect(signed.stringToSign == testCase.stringToSign)
            #expect([signed.authorization] == testCase.signedRequest.values(of: "Authorization"))
            #expect(signed.signature == testCase.authorization.components(separatedBy: "Signature=").last)
        } else {
            signed = result
            #expect(result.stringToSign == testCase.stringToSign)
            #expect(result.authorization == testCase.authorization)
        }

        // The headers the signer adds are exactly the suite's signed request
        // (`.sreq`) minus its request (`.req`).
        let original = Set(testCase.request.headers.map { HeaderKey($0.name, $0.value) })
        let expectedAdded = Set(testCase.signedRequest.headers.map { HeaderKey($0.name, $0.value) })
            .subtracting(original)
        let added = Set(signed.headers.map { HeaderKey($0.name, $0.value) }).subtracting(original)
        #expect(added == expectedAdded)
        #expect(signed.headers.map(\.name).last == "Authorization")
    }
}

/// A header field compared case-insensitively by name, by trimmed value.
struct HeaderKey: Hashable, CustomStringConvertible {
    let name: String
    let value: String
    init(_ name: String, _ value: String) {
        self.name = name.lowercased()
        self.value = value.trimmingCharacters(in: .whitespaces)
    }
    var description: String { "\(name): \(value)" }
}
