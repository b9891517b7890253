import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Every row of the product's error table for `credvend serve`, through the application
/// as the HTTP server calls it: status, `error` code and the headers each row promises.
@Suite struct ServeApplicationErrorTableTests {
    func expectError(
        _ response: HTTPResponse,
        _ status: Int,
        _ code: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.errorCode == code, sourceLocation: sourceLocation)
        #expect(response.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
        #expect(response.headers["Cache-Control"] == "no-store", sourceLocation: sourceLocation)
    }

    func post(_ body: String, authorization: String? = nil) -> HTTPRequest {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let authorization { headers.add("Authorization", authorization) }
        return HTTPRequest(method: "POST", path: "/v1/credentials", headers: headers, body: Array(body.utf8))
    }

    @Test func success() async throws {
        let f = try ServeFixture()
        let response = await respond(f.app, to: f.post(f.token()))
        #expect(response.status == 200)
        #expect(response.headers["Cache-Control"] == "no-store")
        let credentials = try #require(response.credentials)
        #expect(credentials == f.sts.issued.first)
        #expect(response.text.contains("\"Version\":1"))
    }

    @Test func bearerHeaderWithEmptyBodyWorks() async throws {
        let f = try ServeFixture()
        #expect(await respond(f.app, to: post("", authorization: "Bearer \(f.token())")).status == 200)
    }

    @Test func invalidRequest() async throws {
        let f = try ServeFixture()
        expectError(await respond(f.app, to: post("not json")), 400, "invalid_request")
        expectError(await respond(f.app, to: post("")), 400, "invalid_request")
        expectError(await respond(f.app, to: post("{}")), 400, "invalid_request")
        let token = f.token()
        expectError(
            await respond(f.app, to: post("{\"access_token\":\"\(token)\"}", authorization: "Bearer \(token)")),
            400,
            "invalid_request"
        )
        #expect(f.sts.callCount == 0)
    }

    @Test func invalidToken() async throws {
        let f = try ServeFixture()
        for token in [
            "abc.def.ghi", f.token(ttl: -120), f.token(signer: TestKeys.rotatedSigner, kid: TestKeys.rsaSigner.kid),
        ] {
            let response = await f.vend(token)
            expectError(response, 401, "invalid_token")
            #expect(response.headers["WWW-Authenticate"] == "Bearer error=\"invalid_token\"")
            #expect(!response.text.contains(token))
        }
        let wrongIssuer = TestKeys.accessToken(
            clientId: ServeFixture.clientId,
            issuer: "https://evil.test",
            issuedAt: f.clock.now()
        )
        expectError(await f.vend(wrongIssuer), 401, "invalid_token")
    }

    @Test func insufficientScope() async throws {
        let f = try ServeFixture()
        let response = await f.vend(f.token(scopes: ["openid"]))
        expectError(response, 403, "insufficient_scope")
        #expect(f.sts.callCount == 0)
    }

    @Test func accessDeniedForAnUnmappedClient() async throws {
        let f = try ServeFixture()
        let response = await f.vend(f.token(clientId: "unmapped-client-000000001"))
        expectError(response, 403, "access_denied")
        #expect(f.sts.callCount == 0)
    }

    @Test func notFound() async throws {
        let f = try ServeFixture()
        expectError(await respond(f.app, to: HTTPRequest(method: "GET", path: "/v1/nothing")), 404, "not_found")
        expectError(await respond(f.app, to: HTTPRequest(method: "POST", path: "/v2/credentials")), 404, "not_found")
    }

    @Test func methodNotAllowedNamesTheAllowedMethod() async throws {
        let f = try ServeFixture()
        for method in ["GET", "PUT", "DELETE"] {
            let response = await respond(f.app, to: HTTPRequest(method: method, path: "/v1/credentials"))
            expectError(response, 405, "method_not_allowed")
            #expect(response.headers["Allow"] == "POST")
        }
        let health = await respond(f.app, to: HTTPRequest(method: "POST", path: "/healthz"))
        expectError(health, 405, "method_not_allowed")
        #expect(health.headers["Allow"] == "GET")
    }

    @Test func payloadTooLarge() async throws {
        let f = try ServeFixture()
        var request = f.post(f.token())
        request.bodyTooLarge = true
        expectError(await respond(f.app, to: request), 413, "payload_too_large")
        #expect(f.sts.callCount == 0)
    }

    @Test func upstreamErrorAndUnavailableComeThroughTheApplication() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied)
        expectError(await f.vend(f.token()), 502, "upstream_error")
        #expect(await f.vend(f.token()).headers["Retry-After"] != nil, "a remembered refusal says when to come back")
        let cold = try ServeFixture(loadKeys: false)
        let response = await cold.vend(cold.token())
        expectError(response, 503, "unavailable")
        #expect(response.headers["Retry-After"] != nil)
    }

    /// 502 rows of this change: a remembered refusal (STS's code, `Retry-After`) and
    /// credentials STS handed out too close to expiry (no `Retry-After`: ask again).
    @Test func refusalsAndShortCredentialsAre502s() async throws {
        let f = try ServeFixture()
        f.sts.script(.refusal(code: "MalformedPolicyDocument", status: 400))
        for _ in 0..<3 {
            let response = await f.vend(f.token())
            expectError(response, 502, "upstream_error")
            #expect(response.text.contains("MalformedPolicyDocument"))
            #expect(response.headers["Retry-After"] == "5")
            #expect(response.headers["X-Request-Id"] != nil)
        }
        #expect(f.sts.callCount == 1)
        let routes = await respond(f.app, to: HTTPRequest(method: "GET", path: "/metrics"))
        #expect(routes.text.contains("credvend_sts_refusals_remembered_total 2"))
        #expect(routes.text.contains("credvend_http_requests_total{route=\"/v1/credentials\",status=\"502\"} 3"))

        let short = try ServeFixture()
        short.sts.script(.expiringIn(60))
        let response = await short.vend(short.token())
        expectError(response, 502, "upstream_error")
        #expect(response.headers["Retry-After"] == nil)
        #expect(response.credentials == nil)
    }
}
