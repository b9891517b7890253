import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// The operational endpoints next to `POST /v1/credentials`, in-process.
@Suite struct ServeApplicationRoutesTests {
    @Test func healthzAndMetrics() async throws {
        let f = try ServeFixture()
        let health = await respond(f.app, to: HTTPRequest(method: "GET", path: "/healthz"))
        #expect(health.status == 200 && health.text == "{\"status\":\"ok\"}")
        let token = f.token()
        _ = await f.vend(token)
        _ = await f.vend(token)
        let metrics = await respond(f.app, to: HTTPRequest(method: "GET", path: "/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("credvend_credential_cache_hits_total 1"))
        #expect(metrics.text.contains("credvend_credential_cache_misses_total 1"))
    }

    @Test func everyVendingAnswerCarriesARequestId() async throws {
        let f = try ServeFixture()
        let ok = await f.vend(f.token())
        let refused = await f.vend("not-a-token")
        let ids = [ok, refused].compactMap { $0.headers["X-Request-Id"] }
        #expect(ids.count == 2 && Set(ids).count == 2)
    }
}
