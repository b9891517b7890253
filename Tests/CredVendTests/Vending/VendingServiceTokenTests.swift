import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// Token checks that depend on time and on the issuer's keys: a cached verification
/// still expires, and unknown kids refresh the JWKS at most once per 30 s.
@Suite struct VendingServiceTokenTests {
    @Test func aCachedVerifiedTokenStillExpires() async throws {
        let f = try ServeFixture()
        let token = f.token(ttl: 300)
        #expect(await f.vend(token).status == 200)
        f.clock.advance(by: 300 + 30)  // past exp, within the 60 s skew
        #expect(await f.vend(token).status == 200)
        f.clock.advance(by: 31)  // past exp + skew
        let late = try await f.vendDirectly(token)
        #expect(!late.deferred)
        #expect(late.outcome.response.status == 401)
        #expect(late.outcome.errorCode == "invalid_token")
        #expect(late.outcome.response.headers["WWW-Authenticate"] == "Bearer error=\"invalid_token\"")
    }

    @Test func aStormOfForgedKidsCostsAtMostOneFetchAndNoThreadHop() async throws {
        let f = try ServeFixture()
        let fetchesAtStart = f.issuer.fetches
        let first = try await f.vendDirectly(f.token(signer: TestKeys.rotatedSigner, kid: "forged-0"))
        #expect(first.deferred, "the first unknown kid may refresh the JWKS, off the HTTP thread")
        #expect(first.outcome.response.status == 401)
        #expect(f.issuer.fetches == fetchesAtStart + 1)

        var hops = 0
        for n in 1...50 {
            f.clock.advance(by: 0.5)  // 25 s in all: still inside the 30 s window
            let storm = try await f.vendDirectly(f.token(signer: TestKeys.rotatedSigner, kid: "forged-\(n)"))
            if storm.deferred { hops += 1 }
            #expect(storm.outcome.response.status == 401)
        }
        #expect(hops == 0)
        #expect(f.issuer.fetches == fetchesAtStart + 1)
    }

    @Test func aRotatedKeyIsPickedUpByTheNextAllowedRefresh() async throws {
        let f = try ServeFixture()
        let fetchesAtStart = f.issuer.fetches
        // A forged kid uses up the refresh window first.
        _ = try await f.vendDirectly(f.token(kid: "forged"))
        #expect(f.issuer.fetches == fetchesAtStart + 1)

        f.issuer.rotate(to: [TestKeys.rsaSigner, TestKeys.rotatedSigner])
        f.clock.advance(by: 10)
        let rotated = f.token(signer: TestKeys.rotatedSigner)
        let tooSoon = try await f.vendDirectly(rotated)
        #expect(!tooSoon.deferred && tooSoon.outcome.response.status == 401)
        #expect(f.issuer.fetches == fetchesAtStart + 1, "a second refresh inside 30 s")

        f.clock.advance(by: 21)
        let later = try await f.vendDirectly(rotated)
        #expect(later.deferred)
        #expect(later.outcome.response.status == 200)
        #expect(f.issuer.fetches == fetchesAtStart + 2)
        #expect(await f.vend(rotated).status == 200)
        #expect(f.issuer.fetches == fetchesAtStart + 2)
    }

    @Test func anECKeyFromTheJWKSVerifiesToo() async throws {
        let f = try ServeFixture()
        #expect(await f.vend(f.token(signer: TestKeys.ecSigner)).status == 200)
        // A key the issuer stopped publishing is not honoured after a refresh.
        f.issuer.rotate(to: [TestKeys.rsaSigner])
        f.jwks.refresh(reason: "test")
        #expect(await f.vend(f.token(signer: TestKeys.ecSigner)).status == 401)
    }
}
