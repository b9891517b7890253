import CredVendTesting
import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// The JWKS cache on its own: the unknown-kid limiter runs on the injected clock, a
/// failed fetch keeps the old keys, and each fetch is a new snapshot generation.
@Suite struct JWKSCacheTests {
    let clock = FixedClock()
    let issuer = FakeJWKS(signers: [TestKeys.rsaSigner])

    func cache() -> JWKSCache {
        JWKSCache(source: .url(issuer.url), client: issuer, logger: LogCapture().logger(), metrics: nil, clock: clock)
    }

    @Test func theUnknownKidLimiterAllowsOneRefreshPer30Seconds() {
        let jwks = cache()
        #expect(jwks.claimUnknownKidRefresh())
        #expect(!jwks.claimUnknownKidRefresh())
        clock.advance(by: 29.9)
        #expect(!jwks.claimUnknownKidRefresh())
        clock.advance(by: 0.1)
        #expect(jwks.claimUnknownKidRefresh())
        #expect(!jwks.refreshForUnknownKid())
        #expect(issuer.fetches == 0, "a claim alone fetches nothing; a refused refresh neither")
    }

    @Test func aFailedFetchKeepsTheKeysAndEachFetchIsANewGeneration() throws {
        let jwks = cache()
        #expect(jwks.refresh(reason: "test"))
        let first = try #require(jwks.current)
        #expect(first.keys.kids == [TestKeys.rsaSigner.kid])
        #expect(first.fetchedAt == clock.now())

        issuer.setFailing(true)
        #expect(!jwks.refresh(reason: "test"))
        #expect(jwks.current?.generation == first.generation)
        #expect(jwks.currentStatus.lastOutcome?.hasPrefix("failure") == true)

        issuer.setFailing(false)
        issuer.rotate(to: [TestKeys.rotatedSigner])
        #expect(jwks.refresh(reason: "test"))
        // Same instant on the fixed clock, yet a different snapshot.
        #expect(jwks.current?.fetchedAt == first.fetchedAt)
        #expect(jwks.current?.generation == first.generation + 1)
        #expect(jwks.current?.keys.kids == [TestKeys.rotatedSigner.kid])
        #expect(issuer.fetches == 3)
    }
}
