import CredVendCrypto
import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendHTTP
@testable import CredVendSync

/// HTTPS and mTLS through the real transport (libmicrohttpd with GnuTLS) on loopback,
/// with libcurl as the client and certificates made by openssl.
@Suite(.timeLimit(.minutes(2)))
struct TLSServerTests {
    final class Handshakes: HTTPServerObserver {
        let counts = Locked<[TLSHandshakeOutcome: Int]>([:])
        func connectionRefused(_ reason: ConnectionRefusal) {}
        func malformedRequest() {}
        func tlsHandshake(_ outcome: TLSHandshakeOutcome) { counts.withLock { $0[outcome, default: 0] += 1 } }
        subscript(_ outcome: TLSHandshakeOutcome) -> Int { counts.withLock { $0[outcome, default: 0] } }
    }

    /// Answers with what the transport told it about the connection.
    struct PeerHandler: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HandlerResult {
            .respond(
                HTTPResponse(
                    status: 200,
                    headers: [
                        "X-TLS": request.isTLS ? "yes" : "no",
                        "X-Thumbprint": request.clientCertificate?.thumbprintSHA256 ?? "(none)",
                        "X-Subject": request.clientCertificate?.subject ?? "(none)",
                    ]
                )
            )
        }
    }

    func withTLSServer<T>(
        _ tls: TLSServerConfiguration,
        observer: Handshakes,
        _ body: (HTTPServer, Int) async throws -> T
    ) async throws -> T {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                listen: .tcp(host: "127.0.0.1", port: 0),
                threadPoolSize: 2,
                observer: observer,
                tls: tls
            ),
            handler: PeerHandler()
        )
        try server.start()
        defer { server.stop(gracePeriod: .zero) }
        return try await body(server, server.boundPort ?? 0)
    }

    @Test func mutualTLSHandsTheVerifiedCertificateToTheHandler() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pki = try TestPKI(dir)
        let server = try pki.issue("localhost")
        let client = try pki.issue("device-1", usage: "clientAuth")
        let stranger = try TestPKI(dir, name: "other").issue("intruder", usage: "clientAuth")
        let observer = Handshakes()
        let tls = TLSServerConfiguration(
            certificateFile: server.certificate,
            keyFile: server.key,
            clientCAFile: pki.caCertificate
        )
        try await withTLSServer(tls, observer: observer) { http, port in
            let url = "https://localhost:\(port)/who"
            let response = try await fetch(
                HTTPClientRequest(
                    url: url,
                    caFile: pki.caCertificate,
                    clientCertificateFile: client.certificate,
                    clientKeyFile: client.key
                )
            )
            #expect(response.status == 200)
            #expect(response.headers["x-tls"] == "yes")
            let der = try TestPKI.der(ofPEM: client.certificate)
            #expect(response.headers["x-thumbprint"] == Base64URL.encode(SHA256.hash(der)))
            #expect(response.headers["x-subject"] == "CN=device-1,O=credvend tests")
            #expect(http.tlsCertificate?.subject == "CN=localhost,O=credvend tests")

            await #expect(throws: (any Error).self) {
                try await fetch(HTTPClientRequest(url: url, caFile: pki.caCertificate))
            }
            await #expect(throws: (any Error).self) {
                try await fetch(
                    HTTPClientRequest(
                        url: url,
                        caFile: pki.caCertificate,
                        clientCertificateFile: stranger.certificate,
                        clientKeyFile: stranger.key
                    )
                )
            }
            #expect(observer[.ok] == 1)
            #expect(observer[.clientCertificateMissing] == 1)
            #expect(observer[.clientCertificateInvalid] == 1)
        }
    }

    @Test func optionalClientCertificatesAdmitAConnectionWithout() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pki = try TestPKI(dir)
        let server = try pki.issue("localhost")
        let observer = Handshakes()
        let tls = TLSServerConfiguration(
            certificateFile: server.certificate,
            keyFile: server.key,
            clientCAFile: pki.caCertificate,
            clientCertificates: .optional
        )
        try await withTLSServer(tls, observer: observer) { _, port in
            let response = try await fetch(
                HTTPClientRequest(url: "https://localhost:\(port)/who", caFile: pki.caCertificate)
            )
            #expect(response.headers["x-tls"] == "yes")
            #expect(response.headers["x-thumbprint"] == "(none)")
            #expect(observer[.ok] == 1)
        }
    }

    @Test func reloadSwapsTheCertificateAndAFailedOneKeepsTheOld() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pki = try TestPKI(dir)
        let first = try pki.issue("first")
        let second = try pki.issue("second")
        let live = (dir.file("live.pem"), dir.file("live.key"))
        func install(_ pair: (certificate: String, key: String)) throws {
            try? FileManager.default.removeItem(atPath: live.0)
            try? FileManager.default.removeItem(atPath: live.1)
            try FileManager.default.copyItem(atPath: pair.certificate, toPath: live.0)
            try FileManager.default.copyItem(atPath: pair.key, toPath: live.1)
        }
        try install(first)
        let tls = TLSServerConfiguration(certificateFile: live.0, keyFile: live.1)
        try await withTLSServer(tls, observer: Handshakes()) { http, port in
            #expect(http.tlsCertificate?.subject == "CN=first,O=credvend tests")
            try install(second)
            #expect(try http.reloadTLS()?.subject == "CN=second,O=credvend tests")
            let response = try await fetch(
                HTTPClientRequest(url: "https://localhost:\(port)/", caFile: pki.caCertificate)
            )
            #expect(response.status == 200)
            // The key of another certificate: refused, the current material stays.
            try FileManager.default.removeItem(atPath: live.1)
            try FileManager.default.copyItem(atPath: first.key, toPath: live.1)
            #expect(throws: HTTPServerError(.tlsMaterialRefused, "")) { try http.reloadTLS() }
            #expect(http.tlsCertificate?.subject == "CN=second,O=credvend tests")
        }
    }

    @Test func materialIsCheckedBeforeAnythingListens() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pki = try TestPKI(dir)
        let server = try pki.issue("localhost")
        let other = try pki.issue("other")
        func refusal(_ tls: TLSServerConfiguration) -> String? {
            do {
                _ = try HTTPServer.checkTLS(tls)
                return nil
            } catch {
                #expect(error.code == .tlsMaterialRefused)
                return error.message
            }
        }
        let good = TLSServerConfiguration(certificateFile: server.certificate, keyFile: server.key)
        #expect(refusal(good) == nil)
        #expect(try HTTPServer.checkTLS(good).notAfter > Date())

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: server.key)
        #expect(refusal(good)?.contains("chmod 600") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: server.key)
        #expect(refusal(good) == nil)

        let mismatched = TLSServerConfiguration(certificateFile: server.certificate, keyFile: other.key)
        #expect(refusal(mismatched)?.contains("is not the key of") == true)

        let garbage = dir.file("garbage.pem")
        try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect(
            refusal(TLSServerConfiguration(certificateFile: garbage, keyFile: server.key))?
                .contains("TLS certificate file \(garbage)") == true
        )
        let badCA = TLSServerConfiguration(
            certificateFile: server.certificate,
            keyFile: server.key,
            clientCAFile: garbage
        )
        #expect(refusal(badCA)?.contains("client CA file") == true)
        let missing = TLSServerConfiguration(certificateFile: dir.file("none.pem"), keyFile: server.key)
        #expect(refusal(missing)?.contains("does not exist") == true)
    }
}
