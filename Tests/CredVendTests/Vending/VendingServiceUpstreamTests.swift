import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// 502 and 503: what the client sees when STS refuses or fails, or when credvend has
/// nothing to work with yet.
@Suite struct VendingServiceUpstreamTests {
    @Test func accessDeniedIsA502CarryingSTSsCode() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied)
        let response = await f.vend(f.token())
        #expect(response.status == 502)
        #expect(response.errorCode == "upstream_error")
        #expect(response.text.contains("AccessDenied"))
        #expect(f.sts.callCount == 1, "AccessDenied is not retried")
    }

    @Test func aWrongSourceSecretIsSignatureDoesNotMatch() async throws {
        var wrong = FakeSTS.sourceCredentials
        wrong.secretAccessKey = "not-the-secret-sts-knows-0000000000000000"
        let f = try ServeFixture(source: wrong)
        let response = await f.vend(f.token())
        #expect(response.status == 502)
        #expect(response.errorCode == "upstream_error")
        #expect(response.text.contains("SignatureDoesNotMatch"))
        #expect(f.sts.calls.map(\.errorCode) == ["SignatureDoesNotMatch"])
    }

    @Test func aServerErrorThenSuccessIsRetriedTo200() async throws {
        let f = try ServeFixture()
        f.sts.script(.serverError(status: 503), .throttling)
        let response = await f.vend(f.token())
        #expect(response.status == 200)
        #expect(f.sts.calls.map(\.errorCode) == ["ServiceUnavailable", "Throttling", nil])
        #expect(response.credentials?.accessKeyId == f.sts.issued.first?.accessKeyId)
    }

    @Test func aGarbageAnswerIsA502AndNotCached() async throws {
        let f = try ServeFixture()
        f.sts.script(.garbage)
        let token = f.token()
        let failed = await f.vend(token)
        #expect(failed.status == 502)
        #expect(failed.errorCode == "upstream_error")
        #expect(await f.vend(token).status == 200)
        #expect(f.sts.callCount == 2)
    }

    @Test func noJWKSYetIs503WithRetryAfter() async throws {
        let f = try ServeFixture(loadKeys: false)
        let response = await f.vend(f.token())
        #expect(response.status == 503)
        #expect(response.errorCode == "unavailable")
        #expect(response.headers["Retry-After"] != nil)
        #expect(f.sts.callCount == 0)
        // Once the keys are in, the same token works.
        f.jwks.refresh(reason: "test")
        #expect(await f.vend(f.token()).status == 200)
    }

    @Test func noSourceCredentialsIs503WithRetryAfter() async throws {
        let f = try ServeFixture(source: nil)
        let response = await f.vend(f.token())
        #expect(response.status == 503)
        #expect(response.errorCode == "unavailable")
        #expect(response.headers["Retry-After"] == "30")
        #expect(f.sts.callCount == 0)
        // Each one gives its STS slot back: more requests than slots are all answered.
        for _ in 0..<(f.pool.settings.concurrency + 4) {
            #expect(await f.vend(f.token()).status == 503)
        }
        #expect(f.pool.state.inFlight == 0)
    }
}
