import CredVendCrypto
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Certificate-bound tokens (RFC 8705 section 3) through the handler: every decision
/// over the connection's TLS state and client certificate, as the TLS listener fills them.
@Suite struct BoundTokenTests {
    static let certA = ClientCertificate(
        thumbprintSHA256: Base64URL.encode(SHA256.hash("certificate A")),
        subject: "CN=device-a,O=Example"
    )
    static let certB = ClientCertificate(
        thumbprintSHA256: Base64URL.encode(SHA256.hash("certificate B")),
        subject: "CN=device-b,O=Example"
    )

    /// An access token for the fixture's client whose claims hold `cnf` (none when nil).
    func token(_ f: ServeFixture, cnf: JSONValue?) throws -> String {
        var claims = JWTSigner.accessTokenClaims(
            issuer: TestKeys.issuer,
            clientId: ServeFixture.clientId,
            scopes: ["credvend/vend"],
            issuedAt: f.clock.now(),
            ttl: 3600
        )
        if let cnf { claims["cnf"] = cnf }
        return try TestKeys.rsaSigner.sign(claims: claims)
    }

    func bound(_ f: ServeFixture, to cert: ClientCertificate) throws -> String {
        try token(f, cnf: ["x5t#S256": .string(cert.thumbprintSHA256)])
    }

    func vend(
        _ f: ServeFixture,
        _ token: String,
        tls: Bool = true,
        cert: ClientCertificate?
    ) async -> HTTPResponse {
        var request = f.post(token)
        request.isTLS = tls
        request.clientCertificate = cert
        return await respond(f.app, to: request)
    }

    func message(_ r: HTTPResponse) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])?["message"] as? String ?? ""
    }

    @Test func aBoundTokenOverItsCertificateIsServed() async throws {
        let f = try ServeFixture()
        let r = await vend(f, try bound(f, to: Self.certA), cert: Self.certA)
        #expect(r.status == 200)
        #expect(r.credentials != nil)
    }

    @Test func aBoundTokenOverAnotherCertificateIsRefused() async throws {
        let f = try ServeFixture()
        let r = await vend(f, try bound(f, to: Self.certA), cert: Self.certB)
        #expect(r.status == 401)
        #expect(r.errorCode == "invalid_token")
        #expect(message(r).contains("bound to a different client certificate"))
        #expect(f.sts.issued.isEmpty)
    }

    @Test func aBoundTokenOverTLSWithoutACertificateIsRefused() async throws {
        let f = try ServeFixture()
        let r = await vend(f, try bound(f, to: Self.certA), cert: nil)
        #expect(r.status == 401)
        #expect(r.errorCode == "invalid_token")
        #expect(message(r).contains("presented none"))
    }

    @Test func aBoundTokenOverPlainHTTPIsRefused() async throws {
        let f = try ServeFixture()
        let r = await vend(f, try bound(f, to: Self.certA), tls: false, cert: nil)
        #expect(r.status == 401)
        #expect(r.errorCode == "invalid_token")
        #expect(message(r).contains("plain HTTP"))
    }

    @Test func anUnboundTokenIsServedUnlessBoundTokensAreRequired() async throws {
        let open = try ServeFixture()
        #expect(await vend(open, try token(open, cnf: nil), cert: Self.certA).status == 200)

        let strict = try ServeFixture(requireBoundTokens: true)
        let refused = await vend(strict, try token(strict, cnf: nil), cert: Self.certA)
        #expect(refused.status == 401)
        #expect(refused.errorCode == "invalid_token")
        #expect(message(refused).contains("only certificate-bound tokens"))
        #expect(await vend(strict, try bound(strict, to: Self.certA), cert: Self.certA).status == 200)
    }

    @Test(
        arguments: [
            JSONValue.string(Base64URL.encode(SHA256.hash("certificate A"))),  // not an object
            ["x5t#S256": .number(1)],
            ["x5t#S256": .string(String(Base64URL.encode(SHA256.hash("certificate A")).dropLast()))],  // 42 chars
            ["x5t#S256": .string(Base64URL.encode(SHA256.hash("certificate A")) + "=")],  // padded
            ["x5t#S256": .string("+" + Base64URL.encode(SHA256.hash("certificate A")).dropFirst())],  // base64, not url
            ["jkt": .string(Base64URL.encode(SHA256.hash("a DPoP key")))],  // a confirmation credvend cannot check
        ] as [JSONValue]
    )
    func aMalformedCnfIsRefused(cnf: JSONValue) async throws {
        let f = try ServeFixture()
        let r = await vend(f, try token(f, cnf: cnf), cert: Self.certA)
        #expect(r.status == 401)
        #expect(r.errorCode == "invalid_token")
        #expect(message(r).contains("cnf"))
    }

    /// The verified-token cache says a token is genuine, not who may present it: the
    /// binding is checked again on the cached path, against each request's certificate.
    @Test func aCachedBoundTokenOverAnotherCertificateIsRefused() async throws {
        let f = try ServeFixture()
        let token = try bound(f, to: Self.certA)
        #expect(await vend(f, token, cert: Self.certA).status == 200)
        let other = await vend(f, token, cert: Self.certB)
        #expect(other.status == 401)
        #expect(message(other).contains("bound to a different client certificate"))
        #expect(await vend(f, token, tls: false, cert: nil).status == 401)
        #expect(await vend(f, token, cert: Self.certA).status == 200)
        #expect(f.sts.issued.count == 1)
    }

    @Test func theCacheKeepsTheThumbprintOfAnAcceptedToken() throws {
        let cache = VerifiedTokenCache()
        let key = VerifiedTokenCache.Key(digest: SHA256.hash("token"))
        let token = VerifiedToken(
            clientId: "c",
            scopes: ["s"],
            exp: Date(timeIntervalSince1970: 2000),
            iat: nil,
            jti: nil,
            sub: nil,
            certificateThumbprint: Self.certA.thumbprintSHA256
        )
        cache.accept(key, token, skew: 0, keysVersion: 1, now: 1000)
        guard case .accepted(let kept)? = cache.lookup(key, keysVersion: 1, now: 1000)?.outcome else {
            Issue.record("the accepted token is not cached")
            return
        }
        #expect(kept.certificateThumbprint == Self.certA.thumbprintSHA256)
    }

    @Test func theAccessLogLineNamesTheClientCertificate() async throws {
        let f = try ServeFixture()
        #expect(await vend(f, try bound(f, to: Self.certA), cert: Self.certA).status == 200)
        #expect(await vend(f, try bound(f, to: Self.certA), cert: Self.certB).status == 401)
        let lines = f.logs.lines.filter { $0.contains(": request ") }
        #expect(lines.count == 2)
        #expect(lines.first?.contains("cert_sha256=\(Self.certA.thumbprintSHA256)") == true)
        #expect(lines.first?.contains(#"cert_subject="CN=device-a,O=Example""#) == true)
        #expect(lines.last?.contains("cert_sha256=\(Self.certB.thumbprintSHA256)") == true)
        #expect(lines.last?.contains("status=401") == true)
    }

    @Test func theAuditRecordNamesTheClientCertificate() async throws {
        let dir = TempDir()
        let f = try ServeFixture(auditPath: dir.sub("audit.log"), auditRequired: true)
        #expect(await vend(f, try bound(f, to: Self.certA), cert: Self.certB).status == 401)
        #expect(await vend(f, try token(f, cnf: nil), tls: false, cert: nil).status == 200)
        let lines = try String(contentsOfFile: dir.sub("audit.log"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let records = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records[0]["client_cert_sha256"] as? String == Self.certB.thumbprintSHA256)
        #expect(records[0]["client_cert_subject"] as? String == Self.certB.subject)
        #expect(records[0]["error"] as? String == "invalid_token")
        #expect(records[0]["client_id"] as? String == ServeFixture.clientId)
        #expect(records[1]["client_cert_sha256"] is NSNull && records[1]["client_cert_subject"] is NSNull)
    }
}
