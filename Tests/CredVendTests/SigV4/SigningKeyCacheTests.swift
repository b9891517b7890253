import Foundation
import Testing

@testable import CredVendCore

@Suite struct SigningKeyCacheTests {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    @Test func derivesOncePerSecretDateRegionService() throws {
        let cache = SigningKeyCache(capacity: 16)
        let first = try cache.signingKey(
            secretAccessKey: secret,
            dateStamp: "20150830",
            region: "us-east-1",
            service: "sts"
        )
        let again = try cache.signingKey(
            secretAccessKey: secret,
            dateStamp: "20150830",
            region: "us-east-1",
            service: "sts"
        )
        #expect(first == again)
        #expect(
            try first
                == SigV4SigningKey.derive(
                    secretAccessKey: secret,
                    dateStamp: "20150830",
                    region: "us-east-1",
                    service: "sts"
                )
        )
        #expect(cache.statistics.derivations == 1)

        for (s, d, r, v) in [
            (secret + "x", "20150830", "us-east-1", "sts"), (secret, "20150831", "us-east-1", "sts"),
            (secret, "20150830", "eu-west-1", "sts"), (secret, "20150830", "us-east-1", "iam"),
        ] {
            let other = try cache.signingKey(secretAccessKey: s, dateStamp: d, region: r, service: v)
            #expect(other != first)
        }
        #expect(cache.statistics == (derivations: 5, entries: 5))
    }

    @Test func staysWithinCapacity() throws {
        let cache = SigningKeyCache(capacity: 3)
        for day in 10...20 {
            _ = try cache.signingKey(
                secretAccessKey: secret,
                dateStamp: "201508\(day)",
                region: "us-east-1",
                service: "sts"
            )
            #expect(cache.statistics.entries <= 3)
        }
        #expect(cache.statistics.derivations == 11)
    }

    /// The last key handed out is checked first; a different secret, date or region after
    /// it must still find its own key (derived again only if it is not held).
    @Test func alternatingSecretsDatesAndRegionsGetTheirOwnKeys() throws {
        let cache = SigningKeyCache(capacity: 16)
        let inputs = [
            (secret, "20280229", "us-east-1"), (secret + "2", "20280229", "us-east-1"),
            (secret, "20280301", "us-east-1"), (secret, "20280301", "eu-west-1"),
        ]
        for (s, d, r) in inputs + inputs.reversed() + inputs {
            let key = try cache.signingKey(secretAccessKey: s, dateStamp: d, region: r, service: "sts")
            #expect(try key == SigV4SigningKey.derive(secretAccessKey: s, dateStamp: d, region: r, service: "sts"))
        }
        #expect(cache.statistics == (derivations: 4, entries: 4))
    }

    /// Emptying the full cache keeps the recent entry in step: the key just derived is the one held.
    @Test func theRecentKeySurvivesNoEmptying() throws {
        let cache = SigningKeyCache(capacity: 1)
        for dateStamp in ["20280229", "20280301", "20280229", "20280229"] {
            let key = try cache.signingKey(
                secretAccessKey: secret,
                dateStamp: dateStamp,
                region: "us-east-1",
                service: "sts"
            )
            #expect(
                try key
                    == SigV4SigningKey.derive(
                        secretAccessKey: secret,
                        dateStamp: dateStamp,
                        region: "us-east-1",
                        service: "sts"
                    )
            )
        }
        #expect(cache.statistics == (derivations: 3, entries: 1))
    }

    @Test func signerReusesTheKeyAcrossRequests() throws {
        let signer = SigV4Signer()
        let request = SigV4Request(method: "POST", headers: [("Host", "sts.amazonaws.com")], body: Array("a=b".utf8))
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret)
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        for offset in 0..<10 {
            _ = try signer.sign(
                request: request,
                credentials: credentials,
                region: "us-east-1",
                service: "sts",
                date: date.addingTimeInterval(Double(offset))
            )
        }
        #expect(signer.keyCache.statistics.derivations == 1)
    }

    @Test func concurrentSigningAgrees() async throws {
        let signer = SigV4Signer()
        let request = SigV4Request(method: "POST", headers: [("Host", "sts.amazonaws.com")], body: Array("a=b".utf8))
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: "tok")
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let expected = try SigV4Signer().sign(
            request: request,
            credentials: credentials,
            region: "us-east-1",
            service: "sts",
            date: date
        ).last?.value
        let results = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    try? signer.sign(
                        request: request,
                        credentials: credentials,
                        region: "us-east-1",
                        service: "sts",
                        date: date
                    ).last?.value
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(results.count == 64)
        #expect(results.allSatisfy { $0 == expected && $0 != nil })
        #expect(signer.keyCache.statistics.entries == 1)
    }
}
