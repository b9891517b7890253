import CredVendCrypto
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// dev-idp's certificate-bound tokens: `--bind-tokens` at the token endpoint, and
/// `mint --cnf-cert` (the thumbprint a PEM file's certificate gives).
@Suite struct DevIdPBoundTokenTests {
    static let minter = try! TokenMinter(key: TestKeys.rsa)
    static let client = DevIdentityProvider.Client(clientId: "app-01", clientSecret: "s3cret", scopes: ["write"])
    static let certificate = ClientCertificate(
        thumbprintSHA256: Base64URL.encode(SHA256.hash("the device's certificate")),
        subject: "CN=device-1"
    )

    func tokenRequest(tls: Bool, certificate: ClientCertificate?) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            path: "/oauth2/token",
            headers: [
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + Data("app-01:s3cret".utf8).base64EncodedString(),
            ],
            body: Array("grant_type=client_credentials".utf8),
            isTLS: tls,
            clientCertificate: certificate
        )
    }

    /// The verified claims of the access token in a 200 answer of the token endpoint.
    func verifiedToken(_ idp: DevIdentityProvider, _ response: HTTPResponse) throws -> VerifiedToken {
        #expect(response.status == 200)
        let body = try #require(try JSONParser.parse(response.body).objectValue)
        let jwt = try #require(body["access_token"]?.stringValue)
        let keys = try JWKSet(jwks: Array(Self.minter.jwksJSON.utf8))
        return try JWTVerifier(issuer: idp.issuer).verify(token: jwt, keys: keys, now: Date())
    }

    func provider(bind: Bool) -> DevIdentityProvider {
        let idp = DevIdentityProvider(minter: Self.minter, clients: [Self.client], bindTokens: bind)
        idp.setIssuer("https://127.0.0.1:9443")
        return idp
    }

    @Test func bindTokensBindsToTheConnectionsCertificate() async throws {
        let idp = provider(bind: true)
        let response = await respond(idp, to: tokenRequest(tls: true, certificate: Self.certificate))
        let token = try verifiedToken(idp, response)
        #expect(token.certificateThumbprint == Self.certificate.thumbprintSHA256)
    }

    @Test func bindTokensRefusesAConnectionWithoutACertificate() async throws {
        let idp = provider(bind: true)
        for request in [tokenRequest(tls: true, certificate: nil), tokenRequest(tls: false, certificate: nil)] {
            let response = await respond(idp, to: request)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("\"invalid_request\""))
        }
    }

    @Test func withoutBindTokensTokensAreUnbound() async throws {
        let idp = provider(bind: false)
        let response = await respond(idp, to: tokenRequest(tls: true, certificate: Self.certificate))
        #expect(try verifiedToken(idp, response).certificateThumbprint == nil)
    }

    /// `mint --cnf-cert`'s thumbprint is what `openssl x509 -outform DER | sha256 | base64url` says.
    @Test func theCnfOfAPEMCertificateIsItsDERThumbprint() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "c.key", "-out", "c.pem", "-days", "1", "-subj", "/CN=device-1",
            ],
            in: dir.path
        )
        let expected = try run(
            [
                "sh", "-c",
                "openssl x509 -in c.pem -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\\n'",
            ],
            in: dir.path
        )
        #expect(expected.count == 43)
        let pem = try #require(FileManager.default.contents(atPath: dir.file("c.pem")))
        let cnf = try TokenMinter.confirmation(certificatePEM: Array(pem))
        #expect(cnf == ["x5t#S256": .string(expected)])

        var claims = JWTSigner.accessTokenClaims(
            issuer: "https://127.0.0.1:9443",
            clientId: "app-01",
            scopes: [],
            issuedAt: Date(),
            ttl: 600
        )
        claims["cnf"] = cnf
        let keys = try JWKSet(jwks: Array(Self.minter.jwksJSON.utf8))
        let token = try JWTVerifier(issuer: "https://127.0.0.1:9443")
            .verify(token: try Self.minter.mint(claims: claims), keys: keys, now: Date())
        #expect(token.certificateThumbprint == expected)
    }

    @Test func aFileWithoutACertificateIsRefused() {
        #expect(throws: OpenSSLError.self) {
            try TokenMinter.confirmation(certificatePEM: Array("not a certificate\n".utf8))
        }
    }
}
