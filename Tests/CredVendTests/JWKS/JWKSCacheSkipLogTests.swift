import CredVendTesting
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// The service half of skipping keys: each fetch logs one warning per skipped key,
/// naming its index, kid and reason, escaped so that one key is one line.
@Suite struct JWKSCacheSkipLogTests {
    /// An issuer that always publishes the same document.
    struct StaticJWKS: HTTPClient {
        let document: String

        func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
            HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Array(document.utf8))
        }
    }

    static func loaded(_ keys: [String]) -> (JWKSCache, LogCapture, Bool) {
        let logs = LogCapture()
        let cache = JWKSCache(
            source: .url("https://issuer.test/jwks"),
            client: StaticJWKS(document: "{\"keys\":[\(keys.joined(separator: ","))]}"),
            logger: logs.logger(),
            metrics: nil,
            clock: FixedClock()
        )
        let ok = cache.refresh(reason: "test")
        return (cache, logs, ok)
    }

    static var good: String { try! TestKeys.rsaSigner.publicJWK().json.jsonString }

    @Test func eachSkippedKeyHasALineWithItsKidAndReason() throws {
        let (cache, logs, ok) = Self.loaded([
            Self.good,
            JWKSanityTests.rsa("enc-key", #","use":"enc""#),
            JWKSanityTests.rsa("bad\nkid \"x\""),
            JWKSanityTests.rsa("bad\nkid \"x\"", #","alg":"RS384""#),
        ])
        #expect(ok)
        #expect(cache.current?.keys.kids == [TestKeys.rsaSigner.kid])
        let skips = logs.lines.filter { $0.contains("JWKS key skipped") }
        #expect(
            skips == [
                #"WARNING credvend-test: JWKS key skipped index=1 kid="enc-key" reason="use \"enc\" is not \"sig\": the key is not published for signatures""#,
                #"WARNING credvend-test: JWKS key skipped index=2 kid="bad\nkid \"x\"" reason="the kid is also on key 3 with other contents; which one the issuer signs with is ambiguous, so no key with this kid is used""#,
                #"WARNING credvend-test: JWKS key skipped index=3 kid="bad\nkid \"x\"" reason="the kid is also on key 2 with other contents; which one the issuer signs with is ambiguous, so no key with this kid is used""#,
            ]
        )
        #expect(logs.lines.allSatisfy { !$0.contains("\n") })
        #expect(
            logs.lines.contains { $0.contains("JWKS loaded") && $0.contains(#"kids=["\#(TestKeys.rsaSigner.kid)"]"#) }
        )
    }

    @Test func aSetOfOnlyBadKeysIsLoggedAndRefused() {
        let (cache, logs, ok) = Self.loaded([JWKSanityTests.rsa("tiny", n: JWKSanityTests.modulus(bits: 1024))])
        #expect(!ok)
        #expect(cache.current == nil)
        #expect(
            logs.lines.contains(
                #"WARNING credvend-test: JWKS key skipped index=0 kid="tiny" reason="RSA public key: RSA modulus is 1024 bits; at least 2048 are required""#
            )
        )
        #expect(logs.lines.contains { $0.contains("JWKS refresh failed") && $0.contains("no usable signing keys") })
    }

    @Test func manySkippedKeysAreSummedUpAfterTheFirstTwenty() {
        let bad = (0..<25).map { JWKSanityTests.rsa("k\($0)", #","use":"enc""#) }
        let (_, logs, _) = Self.loaded([Self.good] + bad)
        #expect(logs.lines.filter { $0.contains("JWKS key skipped ") }.count == JWKSCache.maxSkipLines)
        #expect(logs.lines.contains("WARNING credvend-test: JWKS keys skipped without a line of their own count=5"))
    }
}
