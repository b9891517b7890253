import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// What is served: never credentials STS handed out too close to expiry; an STS
/// refusal remembered per client and mapping with backoff; a mapping compared by bytes.
@Suite struct VendingServiceServedTests {
    // MARK: credentials too close to expiry

    @Test(arguments: [60.0, 1, 0, -10, 899])
    func credentialsWithLessThanTheBufferLeftAreA502(secondsLeft: Double) async throws {
        let f = try ServeFixture()
        f.sts.script(.expiringIn(secondsLeft))
        let refused = await f.vend(f.token())
        #expect(refused.status == 502)
        #expect(refused.errorCode == "upstream_error")
        #expect(refused.credentials == nil)
        #expect(
            refused.text.contains(secondsLeft > 0 ? "expire in \(Int(secondsLeft)) s" : "already expired"),
            "\(refused.text)"
        )
        // Not kept: the next request asks STS again and gets good ones.
        let next = await f.vend(f.token())
        #expect(next.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(next.credentials?.accessKeyId == f.sts.issued.last?.accessKeyId)
        #expect(f.refusals.count == 0, "short credentials are not a refusal")
    }

    @Test func aLongSessionWithJustOverTheBufferIsServedAndRefreshedAtTheBuffer() async throws {
        let f = try ServeFixture()
        f.sts.script(.expiringIn(960))
        #expect(await f.vend(f.token()).status == 200)
        f.clock.advance(by: 59)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 1, "still 901 s left: a hit")
        f.clock.advance(by: 1)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 2, "900 s left: refetched, never served with less than the buffer")
    }

    /// Sessions not longer than twice the buffer keep the half-life rule: they are
    /// served while they have half the session left.
    @Test(arguments: [(900, 450.0, true), (900, 449, false), (1800, 900, true), (1800, 899, false)])
    func shortSessionsNeedHalfTheSessionLeft(session: Int, secondsLeft: Double, served: Bool) async throws {
        let f = try ServeFixture()
        try f.map(to: "arn:aws:iam::123456789012:role/first", sessionDurationSeconds: session)
        f.sts.script(.expiringIn(secondsLeft))
        let response = await f.vend(f.token())
        #expect(response.status == (served ? 200 : 502), "\(response.text)")
    }

    // MARK: refusals

    @Test func threeHundredRequestsOfARefusedClientMakeOneSTSCall() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied)
        let token = f.token()
        for i in 0..<300 {
            let response = await f.vend(token)
            #expect(response.status == 502)
            #expect(response.errorCode == "upstream_error")
            #expect(response.text.contains("AccessDenied"))
            #expect(response.headers["Retry-After"] == "5", "request \(i)")
        }
        #expect(f.sts.callCount == 1)
        #expect(f.metrics.refusalsRemembered.current == 299)
        #expect(f.metrics.render().contains("credvend_sts_refusals_remembered_total 299"))
        // A remembered refusal is answered on the HTTP thread.
        #expect(try await !f.vendDirectly(token).deferred)
        // Once the wait is over STS is asked again; a success forgets the refusal.
        f.clock.advance(by: 5)
        let after = await f.vend(token)
        #expect(after.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(f.refusals.count == 0)
    }

    @Test func refusalsInARowDoubleTheWait() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied, .accessDenied, .accessDenied)
        let token = f.token()
        #expect(await f.vend(token).headers["Retry-After"] == "5")
        f.clock.advance(by: 5)
        #expect(await f.vend(token).headers["Retry-After"] == "10")
        #expect(f.sts.callCount == 2)
        f.clock.advance(by: 6)
        #expect(await f.vend(token).headers["Retry-After"] == "4")
        #expect(f.sts.callCount == 2)
        f.clock.advance(by: 4)
        #expect(await f.vend(token).headers["Retry-After"] == "20")
        #expect(f.sts.callCount == 3)
    }

    @Test func aFixedMappingIsTriedAtOnce() async throws {
        let f = try ServeFixture()
        f.sts.script(.accessDenied)
        let token = f.token()
        #expect(await f.vend(token).status == 502)
        #expect(await f.vend(token).status == 502)
        #expect(f.sts.callCount == 1)
        try f.map(to: "arn:aws:iam::123456789012:role/fixed")
        let fixed = await f.vend(token)
        #expect(fixed.status == 200)
        #expect(
            f.sts.calls.map(\.roleArn) == [
                "arn:aws:iam::123456789012:role/first", "arn:aws:iam::123456789012:role/fixed",
            ]
        )
    }

    @Test func aRefusalOfOneClientDoesNotTouchAnother() async throws {
        let f = try ServeFixture()
        try f.map("other-client", to: "arn:aws:iam::123456789012:role/other")
        f.sts.script(.accessDenied)
        #expect(await f.vend(f.token()).status == 502)
        #expect(await f.vend(f.token(clientId: "other-client")).status == 200)
        #expect(f.sts.callCount == 2)
    }

    @Test(arguments: [
        ("NoSuchEntity", 404), ("MalformedPolicyDocument", 400), ("PackedPolicyTooLarge", 400),
        ("ValidationError", 400), ("RegionDisabledException", 403),
    ])
    func refusalsAreRememberedWithSTSsCode(code: String, status: Int) async throws {
        let f = try ServeFixture()
        f.sts.script(.refusal(code: code, status: status))
        for _ in 0..<10 {
            let response = await f.vend(f.token())
            #expect(response.status == 502)
            #expect(response.text.contains(code))
            #expect(response.headers["Retry-After"] != nil)
        }
        #expect(f.sts.callCount == 1)
    }

    @Test func throttlingIsNotARefusal() async throws {
        let f = try ServeFixture()
        f.sts.script(.throttling, .throttling, .throttling)
        let first = await f.vend(f.token())
        // The STS pool's 503 (STS asked for fewer calls), not a remembered refusal's 502.
        #expect(first.status == 503 && first.errorCode == "unavailable")
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 4)
        #expect(f.metrics.refusalsRemembered.current == 0)
    }

    @Test func serverErrorsAreNotRefusals() async throws {
        let f = try ServeFixture()
        f.sts.script(.serverError(status: 500), .serverError(status: 500), .serverError(status: 500))
        #expect(await f.vend(f.token()).status == 502)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 4)
    }

    /// A bad source key is credvend's own problem, shared by every client: not remembered per client.
    @Test func aSignatureProblemIsNotARefusal() async throws {
        var wrong = FakeSTS.sourceCredentials
        wrong.secretAccessKey = "not-the-secret-sts-knows-0000000000000000"
        let f = try ServeFixture(source: wrong)
        #expect(await f.vend(f.token()).status == 502)
        #expect(await f.vend(f.token()).status == 502)
        #expect(f.sts.callCount == 2)
    }

    // MARK: mappings compared by bytes

    @Test func aPrefixChangedFromNFCToNFDGetsNewCredentials() async throws {
        let nfc = "backups/caf\u{E9}/"
        let nfd = "backups/cafe\u{301}/"
        #expect(nfc == nfd, "Swift calls them equal")
        #expect(!nfc.utf8.elementsEqual(nfd.utf8))
        let f = try ServeFixture()
        try f.map(to: "arn:aws:iam::123456789012:role/first", bucket: "logs-bucket", s3PathPrefix: nfc)
        let token = f.token()
        let before = await f.vend(token)
        try f.map(to: "arn:aws:iam::123456789012:role/first", bucket: "logs-bucket", s3PathPrefix: nfd)
        let after = await f.vend(token)
        #expect(before.status == 200 && after.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(after.credentials?.accessKeyId != before.credentials?.accessKeyId)
        let policies = f.sts.calls.map { Array(($0.policy ?? "").utf8) }
        #expect(contains(policies[0], Array("logs-bucket/\(nfc)*".utf8)))
        #expect(contains(policies[1], Array("logs-bucket/\(nfd)*".utf8)))
        #expect(!contains(policies[1], Array(nfc.utf8)))
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }
}
