import Foundation
import Testing

@testable import CredVendCore

@Suite struct OAuthTokenExchangeTests {
    let cognito = ClientSettings(
        idpType: .cognito,
        domain: "https://pool.auth.eu-west-1.amazoncognito.com",
        clientId: "client:1",
        clientSecret: "s3cret/+",
        scope: "https://rs/write https://rs/read",
        credentialAPIURL: "https://v/v1/credentials"
    )
    let auth0 = ClientSettings(
        idpType: .auth0,
        domain: "https://tenant.auth0.com",
        clientId: "abc",
        clientSecret: "s3cret-value",
        audience: "https://api.example.com",
        roleArn: "arn:aws:iam::123456789012:role/x"
    )
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func header(_ r: HTTPClientRequest, _ name: String) -> String? { r.headers.first { $0.0 == name }?.1 }

    @Test func cognitoUsesHTTPBasicAndAScope() throws {
        let r = OAuthTokenExchange.request(cognito)
        #expect(r.method == "POST" && r.url == "https://pool.auth.eu-west-1.amazoncognito.com/oauth2/token")
        #expect(header(r, "Content-Type") == "application/x-www-form-urlencoded")
        let basic = try #require(header(r, "Authorization"))
        #expect(basic.hasPrefix("Basic "))
        let decoded = String(decoding: try #require(Data(base64Encoded: String(basic.dropFirst(6)))), as: UTF8.self)
        #expect(decoded == "client%3A1:s3cret%2F%2B")  // RFC 6749 2.3.1: each part form-encoded
        #expect(
            FormURLEncoding.parse(r.body) == [
                "grant_type": "client_credentials", "scope": "https://rs/write https://rs/read",
            ]
        )
    }

    @Test func auth0SendsTheClientInTheBodyWithTheAudience() {
        let r = OAuthTokenExchange.request(auth0)
        #expect(r.url == "https://tenant.auth0.com/oauth/token")
        #expect(header(r, "Authorization") == nil)
        #expect(
            FormURLEncoding.parse(r.body) == [
                "grant_type": "client_credentials", "client_id": "abc",
                "client_secret": "s3cret-value", "audience": "https://api.example.com",
            ]
        )
    }

    @Test func aTokenAndItsExpiry() throws {
        let body = #"{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":3600}"#
        let t = try OAuthTokenExchange.parse(
            HTTPClientResponse(status: 200, body: Array(body.utf8)),
            settings: cognito,
            obtainedAt: t0
        ).get()
        #expect(t.accessToken == "eyJ.x.y" && t.expiresAt == t0.addingTimeInterval(3600))
        let text = #"{"access_token":"eyJ.x.y","expires_in":"86400"}"#
        #expect(
            try OAuthTokenExchange.parse(
                HTTPClientResponse(status: 200, body: Array(text.utf8)),
                settings: auth0,
                obtainedAt: t0
            ).get().expiresAt == t0.addingTimeInterval(86400)
        )
    }

    @Test func withoutExpiresInTheJWTExpIsUsed() throws {
        let payload = Base64URL.encode(Array(#"{"exp":1800000500,"sub":"x"}"#.utf8))
        let jwt = "eyJhbGciOiJSUzI1NiJ9.\(payload).c2ln"
        let body = "{\"access_token\":\"\(jwt)\"}"
        let t = try OAuthTokenExchange.parse(
            HTTPClientResponse(status: 200, body: Array(body.utf8)),
            settings: auth0,
            obtainedAt: t0
        ).get()
        #expect(t.expiresAt == Date(timeIntervalSince1970: 1_800_000_500))
        let opaque = #"{"access_token":"opaque-token"}"#
        #expect(
            try OAuthTokenExchange.parse(
                HTTPClientResponse(status: 200, body: Array(opaque.utf8)),
                settings: auth0,
                obtainedAt: t0
            ).get().expiresAt == nil
        )
    }

    @Test func refusalsNameTheEndpointAndTheOAuthError() {
        let body = #"{"error":"invalid_client","error_description":"bad secret s3cret-value"}"#
        let r = OAuthTokenExchange.parse(
            HTTPClientResponse(status: 401, body: Array(body.utf8)),
            settings: auth0,
            obtainedAt: t0
        )
        #expect(r == .failure(ClientError(.idp, "")))
        if case .failure(let e) = r {
            #expect(
                e.message == "the token endpoint https://tenant.auth0.com/oauth/token refused the client "
                    + "credentials: HTTP 401 invalid_client (bad secret <redacted>)"
            )
        }
        let busy = OAuthTokenExchange.parse(
            HTTPClientResponse(status: 503, body: Array("<html>".utf8)),
            settings: auth0,
            obtainedAt: t0
        )
        #expect((try? busy.get()) == nil)
        if case .failure(let e) = busy { #expect(e.kind == .upstream && e.isRetryable) }
        for bad in [#"{"token_type":"Bearer"}"#, #"{"access_token":"two words"}"#, "[]", "not json"] {
            let r = OAuthTokenExchange.parse(
                HTTPClientResponse(status: 200, body: Array(bad.utf8)),
                settings: auth0,
                obtainedAt: t0
            )
            if case .failure(let e) = r { #expect(e.kind == .malformed) } else { Issue.record("accepted \(bad)") }
        }
    }
}

@Suite struct VendingExchangeTests {
    let url = "https://vend.example.com/v1/credentials"

    @Test func theTokenGoesInAJSONBody() throws {
        let r = VendingExchange.request(url: url, token: "eyJ.a\"b")
        #expect(r.method == "POST" && r.url == url)
        #expect(r.headers.contains { $0 == ("Content-Type", "application/json") })
        #expect(try JSONParser.parse(r.body)["access_token"]?.stringValue == "eyJ.a\"b")
    }

    @Test func credentialsFromA200() throws {
        let r = VendingExchange.parse(
            HTTPClientResponse(status: 200, body: CredentialProcessOutput.render(sampleCredentials)),
            url: url,
            redacting: []
        )
        #expect(try r.get() == sampleCredentials)
        let bad = VendingExchange.parse(
            HTTPClientResponse(status: 200, body: Array(#"{"Version":2}"#.utf8)),
            url: url,
            redacting: []
        )
        if case .failure(let e) = bad { #expect(e.kind == .malformed) } else { Issue.record("accepted Version 2") }
    }

    @Test func errorsKeepTheServersWordsAndKind() {
        func kind(_ status: Int, _ body: String) -> ClientError? {
            if case .failure(let e) = VendingExchange.parse(
                HTTPClientResponse(status: status, body: Array(body.utf8)),
                url: url,
                redacting: ["eyJtoken"]
            ) {
                return e
            }
            return nil
        }
        let denied = kind(403, #"{"error":"access_denied","message":"client_id x has no role mapping"}"#)
        #expect(denied == ClientError(.exchange, ""))
        #expect(
            denied?.message == "the credential API \(url) refused the request: HTTP 403 access_denied: "
                + "client_id x has no role mapping"
        )
        #expect(kind(401, #"{"error":"invalid_token","message":"token eyJtoken expired"}"#)?.kind == .tokenRejected)
        #expect(kind(401, "{}")?.message.contains("eyJtoken") == false)
        #expect(kind(503, #"{"error":"unavailable"}"#)?.kind == .upstream)
        #expect(kind(429, "")?.isRetryable == true)
        #expect(kind(404, "<html>")?.message == "the credential API \(url) refused the request: HTTP 404")
    }
}
