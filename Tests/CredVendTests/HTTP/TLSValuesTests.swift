import Foundation
import Testing

@testable import CredVendCore

@Suite struct TLSValuesTests {
    /// SHA-256("abc") is FIPS 180-2's example (ba7816bf...15ad); its base64url is the thumbprint.
    @Test func thumbprintIsBase64URLOfTheSHA256OfTheDER() {
        let c = ClientCertificate(der: Array("abc".utf8), subject: "CN=x")
        #expect(c.thumbprintSHA256 == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
        #expect(c.subject == "CN=x")
    }

    @Test func expiryWarningStartsFourteenDaysAhead() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func summary(daysLeft: Double) -> TLSCertificateSummary {
            TLSCertificateSummary(subject: "CN=s", notBefore: now, notAfter: now.addingTimeInterval(daysLeft * 86400))
        }
        #expect(summary(daysLeft: 14.5).daysLeftIfExpiringSoon(now: now) == nil)
        #expect(summary(daysLeft: 14).daysLeftIfExpiringSoon(now: now) == 14)
        #expect(summary(daysLeft: 3.9).daysLeftIfExpiringSoon(now: now) == 3)
        #expect(summary(daysLeft: -0.5).daysLeftIfExpiringSoon(now: now) == -1)
    }

    @Test func handshakeOutcomesAreTheMetricLabels() {
        #expect(
            TLSHandshakeOutcome.allCases.map(\.rawValue) == [
                "ok", "failed", "client_cert_missing", "client_cert_invalid",
            ]
        )
    }
}
