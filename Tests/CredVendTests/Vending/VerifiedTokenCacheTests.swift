import CredVendSync
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendCrypto
@testable import CredVendStore

@Suite struct VerifiedTokenCacheTests {
    static func key(_ text: String) -> VerifiedTokenCache.Key { .init(digest: SHA256.hash(text)) }

    static func token(exp: Double) -> VerifiedToken {
        VerifiedToken(clientId: "c1", scopes: [], exp: Date(timeIntervalSince1970: exp), iat: nil, jti: nil, sub: nil)
    }

    @Test func anAcceptanceLivesUntilExpPlusSkewAndNoLonger() {
        let cache = VerifiedTokenCache()
        let k = Self.key("t1")
        cache.accept(k, Self.token(exp: 1000), skew: 60, keysVersion: 1, now: 900)
        guard case .accepted(let t)? = cache.lookup(k, keysVersion: 1, now: 1059)?.outcome else {
            Issue.record("miss")
            return
        }
        #expect(t.clientId == "c1")
        #expect(cache.lookup(k, keysVersion: 1, now: 1060)?.outcome == nil)
        #expect(cache.count == 0)  // dead entries are dropped on sight
    }

    @Test func anotherKeySetIsAMiss() {
        let cache = VerifiedTokenCache()
        let k = Self.key("t1")
        cache.accept(k, Self.token(exp: 1000), skew: 0, keysVersion: 1, now: 900)
        #expect(cache.lookup(k, keysVersion: 2, now: 901)?.outcome == nil)
    }

    @Test func onlyRefusalsThatCannotHealAreKept() {
        let cache = VerifiedTokenCache(refusalTTL: 300)
        for code in [JWTError.Code.badSignature, .expired, .wrongIssuer, .unknownKid] {
            let k = Self.key("r-\(code)")
            cache.refuse(k, JWTError(code, "x"), keysVersion: 1, now: 0)
            guard case .refused(let e)? = cache.lookup(k, keysVersion: 1, now: 299)?.outcome else {
                Issue.record("\(code)")
                continue
            }
            #expect(e.code == code)
            #expect(cache.lookup(k, keysVersion: 1, now: 300)?.outcome == nil)
        }
        for code in [JWTError.Code.notYetValid, .issuedInFuture] {
            let k = Self.key("r-\(code)")
            cache.refuse(k, JWTError(code, "x"), keysVersion: 1, now: 0)
            #expect(cache.lookup(k, keysVersion: 1, now: 1)?.outcome == nil)
        }
    }

    @Test func staysWithinItsCapacity() {
        let cache = VerifiedTokenCache(capacity: 640)
        for i in 0..<10_000 { cache.accept(Self.key("t\(i)"), Self.token(exp: 1e9), skew: 0, keysVersion: 1, now: 0) }
        #expect(cache.count <= 640)
        #expect(cache.count >= 500)
        // The newest entries are there.
        #expect(cache.lookup(Self.key("t9999"), keysVersion: 1, now: 0)?.outcome != nil)
    }

    @Test func capacityZeroKeepsNothing() {
        let cache = VerifiedTokenCache(capacity: 0)
        cache.accept(Self.key("t"), Self.token(exp: 1e9), skew: 0, keysVersion: 1, now: 0)
        #expect(cache.lookup(Self.key("t"), keysVersion: 1, now: 0)?.outcome == nil)
    }
}

extension VerifiedTokenCache.Outcome: Equatable {
    static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.accepted(let x), .accepted(let y)): x == y
        case (.refused(let x), .refused(let y)): x == y
        default: false
        }
    }
}

@Suite struct DigestKeyTests {
    @Test func bytesRoundTrip() {
        let digest = SHA256.hash("record")
        #expect(VerifiedTokenCache.Key(digest: digest).bytes == digest)
    }
}

/// A thread's copies of its repeated hits answer exactly what the shard would.
@Suite struct VerifiedTokenCacheThreadCopyTests {
    static func key(_ text: String) -> VerifiedTokenCache.Key { .init(digest: SHA256.hash(text)) }

    static func token(_ client: String, exp: Double, jti: String? = nil) -> VerifiedToken {
        VerifiedToken(clientId: client, scopes: [], exp: Date(timeIntervalSince1970: exp), iat: nil, jti: jti, sub: nil)
    }

    static func client(_ outcome: VerifiedTokenCache.Outcome?) -> String? {
        guard case .accepted(let t)? = outcome else { return nil }
        return t.clientId
    }

    @Test func aRepeatedHitStillDiesAtExpPlusSkewAndWithAnotherKeySet() {
        let cache = VerifiedTokenCache()
        let k = Self.key("hot")
        cache.accept(
            k,
            Self.token("c1", exp: 1000, jti: "a-jti-longer-than-fifteen-bytes"),
            skew: 60,
            keysVersion: 1,
            now: 900
        )
        for now in [901.0, 902, 903, 1059] {
            #expect(Self.client(cache.lookup(k, keysVersion: 1, now: now)?.outcome) == "c1")
        }
        guard case .accepted(let t)? = cache.lookup(k, keysVersion: 1, now: 1000)?.outcome else {
            Issue.record("miss")
            return
        }
        #expect(t.jti == "a-jti-longer-than-fifteen-bytes")
        #expect(cache.lookup(k, keysVersion: 2, now: 1001)?.outcome == nil)
        #expect(cache.lookup(k, keysVersion: 1, now: 1060)?.outcome == nil)
    }

    @Test func anEntryStoredAfterTheCopyWasMadeIsWhatTheNextHitAnswers() {
        let cache = VerifiedTokenCache()
        let k = Self.key("hot")
        cache.accept(k, Self.token("c1", exp: 1000), skew: 0, keysVersion: 1, now: 900)
        for _ in 0..<3 { #expect(Self.client(cache.lookup(k, keysVersion: 1, now: 901)?.outcome) == "c1") }
        cache.accept(k, Self.token("c2", exp: 1000), skew: 0, keysVersion: 1, now: 902)
        #expect(Self.client(cache.lookup(k, keysVersion: 1, now: 903)?.outcome) == "c2")
        cache.refuse(k, JWTError(.badSignature, "x"), keysVersion: 1, now: 904)
        guard case .refused(let e)? = cache.lookup(k, keysVersion: 1, now: 905)?.outcome else {
            Issue.record("the refusal stored last is not what the lookup answered")
            return
        }
        #expect(e.code == .badSignature)
    }

    @Test func manyThreadsHittingOneTokenAndOthersAllGetTheirOwnAnswers() {
        let cache = VerifiedTokenCache()
        let keys = (0..<200).map { Self.key("t\($0)") }
        for (i, k) in keys.enumerated() {
            cache.accept(k, Self.token("c\(i)", exp: 1000), skew: 0, keysVersion: 1, now: 900)
        }
        let wrong = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for n in 0..<5000 {
                let i = n % 3 == 0 ? (n * 7 + t) % keys.count : 0
                if Self.client(cache.lookup(keys[i], keysVersion: 1, now: 950)?.outcome) != "c\(i)" {
                    wrong.withLock { $0 += 1 }
                }
            }
        }
        #expect(wrong.withLock { $0 } == 0)
    }
}
