import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// What `credvend serve` makes of its TLS flags, and where the TLS facts surface
/// (/metrics, /admin/v1/info).
@Suite struct ServeTLSTests {
    func configuration(listen host: String = "127.0.0.1") -> ServeConfiguration {
        var c = ServeConfiguration(issuer: "https://idp.example.com")
        c.listenHost = host
        return c
    }

    func refusal(_ c: ServeConfiguration) -> String? {
        do {
            try c.validate()
            return nil
        } catch { return error.message }
    }

    @Test func plainListenerOnlyOnLoopbackUnlessAllowed() {
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1"] {
            #expect(refusal(configuration(listen: host)) == nil)
        }
        for host in ["0.0.0.0", "10.1.2.3", "::", "vend.example.com"] {
            #expect(refusal(configuration(listen: host))?.contains("--allow-insecure-http") == true)
        }
        var allowed = configuration(listen: "0.0.0.0")
        allowed.allowInsecureHTTP = true
        #expect(refusal(allowed) == nil)
        var tls = configuration(listen: "0.0.0.0")
        tls.tlsCertificateFile = "/etc/credvend/cert.pem"
        tls.tlsKeyFile = "/etc/credvend/key.pem"
        #expect(refusal(tls) == nil)
    }

    @Test func tlsFlagsGoTogether() {
        var c = configuration()
        c.tlsCertificateFile = "/c.pem"
        #expect(refusal(c)?.contains("--tls-cert and --tls-key go together") == true)
        c.tlsCertificateFile = nil
        c.tlsKeyFile = "/k.pem"
        #expect(refusal(c)?.contains("--tls-cert and --tls-key go together") == true)
        c = configuration()
        c.clientCAFile = "/ca.pem"
        #expect(refusal(c)?.contains("--client-ca needs --tls-cert") == true)
        c = configuration()
        c.tlsCertificateFile = "/c.pem"
        c.tlsKeyFile = "/k.pem"
        c.clientCertificates = .optional
        #expect(refusal(c)?.contains("--client-cert needs --client-ca") == true)
    }

    @Test func clientCertificatesAreRequiredByDefaultWithAClientCA() {
        var c = configuration()
        #expect(c.tls == nil)
        c.tlsCertificateFile = "/c.pem"
        c.tlsKeyFile = "/k.pem"
        #expect(c.tls == TLSServerConfiguration(certificateFile: "/c.pem", keyFile: "/k.pem"))
        c.clientCAFile = "/ca.pem"
        #expect(c.tls?.clientCertificates == .required)
        #expect(c.tls?.clientCAFile == "/ca.pem")
        c.clientCertificates = .optional
        #expect(c.tls?.clientCertificates == .optional)
    }

    @Test func handshakesAreCountedByOutcome() {
        let m = ServerMetrics()
        m.tlsHandshake(.ok)
        m.tlsHandshake(.ok)
        m.tlsHandshake(.clientCertificateInvalid)
        let text = m.render()
        #expect(text.contains("credvend_tls_handshakes_total{outcome=\"ok\"} 2\n"))
        #expect(text.contains("credvend_tls_handshakes_total{outcome=\"client_cert_invalid\"} 1\n"))
        #expect(text.contains("credvend_tls_handshakes_total{outcome=\"client_cert_missing\"} 0\n"))
        #expect(text.contains("credvend_tls_handshakes_total{outcome=\"failed\"} 0\n"))
    }

    @Test func adminInfoShowsTheServerCertificate() {
        var info = AdminInfo(
            startedAt: Date(timeIntervalSince1970: 0),
            now: Date(timeIntervalSince1970: 10),
            issuer: "https://idp.example.com",
            jwksSource: "url",
            jwksLocation: "https://idp.example.com/jwks",
            jwksKeyIds: [],
            jwksFetchedAt: nil,
            jwksLastAttempt: nil,
            jwksLastOutcome: nil,
            roleStorePath: "/db",
            roleCount: 0,
            cacheEntries: 0,
            sourceOrigin: nil,
            sourceExpiration: nil,
            sourceLoaded: false,
            adminSocket: nil,
            adminTokenFile: nil,
            adminTokens: nil,
            auditLog: nil,
            auditRequired: false,
            auditWriteFailures: 0
        )
        #expect(info.json["tls"] == .null)
        info.tlsCertificate = TLSCertificateSummary(
            subject: "CN=vend.example.com,O=Example",
            notBefore: Date(timeIntervalSince1970: 1_790_000_000),
            notAfter: Date(timeIntervalSince1970: 1_800_000_000)
        )
        #expect(info.json["tls"]?["subject"]?.stringValue == "CN=vend.example.com,O=Example")
        #expect(info.json["tls"]?["not_after"]?.stringValue == "2027-01-15T08:00:00Z")
        #expect(info.json["tls"]?["not_before"]?.stringValue == "2026-09-21T14:13:20Z")
    }
}
