import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// The pure rules behind what is served, and the stores that apply them.
@Suite struct ServedRulesTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let nfc = "backups/caf\u{E9}/"
    let nfd = "backups/cafe\u{301}/"

    func mapping(prefix: String? = nil, server: String? = nil) -> RoleMapping {
        RoleMapping(
            clientId: "c1",
            roleArn: "arn:aws:iam::123456789012:role/a",
            serverName: server,
            bucket: prefix == nil ? nil : "logs-bucket",
            s3PathPrefix: prefix
        )
    }

    @Test func mappingsAreEqualOnlyWithEqualBytes() {
        #expect(mapping(prefix: nfc) == mapping(prefix: nfc))
        #expect(mapping(prefix: nfc) != mapping(prefix: nfd))
        #expect(mapping(server: "caf\u{E9}") != mapping(server: "cafe\u{301}"))
        #expect(mapping(prefix: nfc) != mapping(prefix: nil))
        #expect(Set([mapping(prefix: nfc), mapping(prefix: nfd), mapping(prefix: nfc)]).count == 2)
        var other = mapping(prefix: nfc)
        other.permission = .full
        #expect(other != mapping(prefix: nfc))
    }

    @Test func theCacheMissesForTheNFDSpellingOfTheCachedPrefix() {
        let cache = CredentialCache(refreshBuffer: 900)
        let creds = AWSCredentials(accessKeyId: "A", secretAccessKey: "s", sessionToken: "t", expiration: t0 + 3600)
        cache.load(mapping: mapping(prefix: nfc), now: t0, fetch: { .success(creds) }, completion: { _ in })
        #expect(cache.fresh(mapping: mapping(prefix: nfc), now: t0) != nil)
        #expect(cache.fresh(mapping: mapping(prefix: nfd), now: t0) == nil)
    }

    @Test func theCacheRefusesCredentialsTooCloseToExpiry() {
        let cache = CredentialCache(refreshBuffer: 900)
        let short = AWSCredentials(accessKeyId: "A", secretAccessKey: "s", sessionToken: "t", expiration: t0 + 60)
        let result = Collected()
        cache.load(
            mapping: mapping(),
            now: t0,
            fetch: { .success(short) },
            completion: { r in
                switch r {
                case .success: result.append("200")
                case .failure(let e): result.append("\(e.status) \(e.code)")
                }
            }
        )
        #expect(result.all == ["502 upstream_error"])
        #expect(cache.count == 0)
    }

    @Test func minimumRemainingIsTheBufferOrHalfAShortSession() {
        #expect(ServableCredentials.minimumRemaining(sessionDuration: 3600, refreshBuffer: 900) == 900)
        #expect(ServableCredentials.minimumRemaining(sessionDuration: 1800, refreshBuffer: 900) == 900)
        #expect(ServableCredentials.minimumRemaining(sessionDuration: 900, refreshBuffer: 900) == 450)
        #expect(ServableCredentials.minimumRemaining(sessionDuration: 900, refreshBuffer: 60) == 60)
        #expect(
            ServableCredentials.problem(expiration: t0 + 900, now: t0, sessionDuration: 3600, refreshBuffer: 900) == nil
        )
        #expect(
            ServableCredentials.problem(expiration: t0 + 899, now: t0, sessionDuration: 3600, refreshBuffer: 900) != nil
        )
        #expect(ServableCredentials.problem(expiration: nil, now: t0, sessionDuration: 3600, refreshBuffer: 900) != nil)
        let expired = ServableCredentials.problem(expiration: t0 - 5, now: t0, sessionDuration: 900, refreshBuffer: 900)
        #expect(expired?.contains("already expired") == true)
    }

    @Test func backoffDoublesFromFiveSecondsToFiveMinutesWithJitterDownToHalf() {
        let b = RefusalBackoff.default
        #expect((1...8).map { b.ceiling(afterRefusals: $0) } == [5, 10, 20, 40, 80, 160, 300, 300])
        #expect(b.ceiling(afterRefusals: 1000) == 300)
        #expect(b.delay(afterRefusals: 1, unitRandom: 0) == 2.5)
        #expect(b.delay(afterRefusals: 1, unitRandom: 0.5) == 3.75)
        #expect(b.delay(afterRefusals: 3, unitRandom: 1) == 20)
    }

    @Test(arguments: [
        ("AccessDenied", 403, true), ("NoSuchEntity", 404, true), ("MalformedPolicyDocument", 400, true),
        ("PackedPolicyTooLarge", 400, true), ("ValidationError", 400, true),
        ("Throttling", 400, false), ("Throttling", 429, false), ("SlowDown", 429, false),
        ("InternalFailure", 500, false),
        ("ServiceUnavailable", 503, false), ("SignatureDoesNotMatch", 403, false), ("InvalidClientTokenId", 403, false),
        ("ExpiredToken", 400, false), ("MalformedResponse", 400, false),
    ])
    func refusalsAreSTSsNoToTheMapping(code: String, status: Int, refusal: Bool) {
        #expect(STSError(code: code, message: "m", httpStatus: status).isRefusal == refusal)
    }

    @Test func networkFailuresAreNotRefusals() {
        #expect(!STSError.network("connect failed").isRefusal)
    }

    @Test func refusalMemoryIsPerClientAndMapping() {
        let memory = RefusalMemory(unitRandom: { 0 })
        let denied = STSError(code: "AccessDenied", message: "no", httpStatus: 403)
        #expect(memory.remembered(mapping(prefix: nfc), now: t0) == nil)
        let first = memory.record(mapping(prefix: nfc), denied, now: t0)
        #expect(first.count == 1 && first.until == t0 + 2.5 && first.retryAfter(now: t0) == 3)
        #expect(memory.remembered(mapping(prefix: nfc), now: t0 + 2)?.error.code == "AccessDenied")
        #expect(memory.remembered(mapping(prefix: nfc), now: t0 + 2.5) == nil)
        #expect(memory.remembered(mapping(prefix: nfd), now: t0 + 1) == nil, "another mapping is asked at once")
        #expect(memory.record(mapping(prefix: nfc), denied, now: t0 + 3).count == 2)
        #expect(memory.record(mapping(prefix: nfd), denied, now: t0 + 4).count == 1, "a changed mapping starts over")
        #expect(memory.count == 1)
        memory.forget(clientId: "c1")
        #expect(memory.count == 0)
        #expect(memory.remembered(mapping(prefix: nfd), now: t0 + 4) == nil)
    }
}
