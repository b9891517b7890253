import Foundation
import Testing

@testable import CredVendCore
@testable import CredVendHTTP

/// HTTPClient against a real TLS peer: a python `http.server` wrapped in `ssl`, requiring a
/// client certificate, with a CA and certificates made by the `openssl` command line.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct HTTPClientTLSTests {
    private struct PKI {
        let dir: TemporaryDirectory
        var ca: String { dir.file("ca.pem") }
        var otherCA: String { dir.file("other-ca.pem") }
        var serverCert: String { dir.file("server.pem") }
        var serverKey: String { dir.file("server.key") }
        var clientCert: String { dir.file("client.pem") }
        var clientKey: String { dir.file("client.key") }

        init() throws {
            dir = try TemporaryDirectory()
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            let caExt = [
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ]
            try run(
                ["openssl", "req", "-x509"] + ec + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                    "-subj", "/CN=credvend test CA",
                ] + caExt,
                in: dir.path
            )
            try run(
                ["openssl", "req", "-x509"] + ec + [
                    "-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2",
                    "-subj", "/CN=credvend other CA",
                ] + caExt,
                in: dir.path
            )
            try issue(
                "server",
                subject: "/CN=127.0.0.1",
                extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            )
            try issue("client", subject: "/CN=thing-01", extensions: "extendedKeyUsage=clientAuth\n")
        }

        private func issue(_ name: String, subject: String, extensions: String) throws {
            try Data(("basicConstraints=CA:FALSE\n" + extensions).utf8).write(
                to: URL(fileURLWithPath: dir.file("\(name).ext"))
            )
            try run(
                [
                    "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject,
                ],
                in: dir.path
            )
            try run(
                [
                    "openssl", "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-out", "\(name).pem", "-extfile", "\(name).ext",
                ],
                in: dir.path
            )
        }
    }

    private static let serverScript = """
        import http.server, os, ssl, sys
        cert, key, ca, port_file = sys.argv[1:5]
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
                body = ('{"client": "%s", "thing": "%s"}' % (subject.get("commonName"), self.headers.get("x-amzn-iot-thingname"))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.load_verify_locations(ca)
        context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """

    /// Runs `body` with the port of a TLS server that requires a client certificate from `pki.ca`.
    private func withTLSServer(_ pki: PKI, _ body: (Int) async throws -> Void) async throws {
        let portFile = pki.dir.file("port")
        let server = try BackgroundProcess(
            python: Self.serverScript,
            [pki.serverCert, pki.serverKey, pki.ca, portFile]
        )
        defer { server.stop() }
        let portText = try await blocking { waitForFile(portFile) }
        let port = try #require(portText.flatMap { Int($0) }, "the TLS server did not start")
        try await body(port)
    }

    @Test func mutualTLSWithCertificateKeyAndCA() async throws {
        let pki = try PKI()
        defer { pki.dir.remove() }
        try await withTLSServer(pki) { port in
            let request = HTTPClientRequest(
                url: "https://127.0.0.1:\(port)/role-aliases/a/credentials",
                headers: [("x-amzn-iot-thingname", "thing-01")],
                timeout: .seconds(10),
                caFile: pki.ca,
                clientCertificateFile: pki.clientCert,
                clientKeyFile: pki.clientKey
            )
            let client = CurlHTTPClient()
            let response = try await fetch(client, request)
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"client": "thing-01", "thing": "thing-01"}"#)
            #expect(response.headers["content-type"] == "application/json")
            let again = try await fetch(client, request)  // a pooled handle, TLS session kept
            #expect(again.status == 200)
        }
    }

    @Test func withoutClientCertificateTheServerRefuses() async throws {
        let pki = try PKI()
        defer { pki.dir.remove() }
        try await withTLSServer(pki) { port in
            let error = await #expect(throws: CurlError.self) {
                try await fetch(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/", timeout: .seconds(10), caFile: pki.ca)
                )
            }
            // TLS 1.3: the server refuses after the client's handshake. Usually its alert "certificate
            // required" is read (code 56, kind .tls); sometimes the close wins first (code 55, .other).
            #expect(error?.kind == .tls || error?.code == 55)
        }
    }

    @Test func untrustedServerIsATLSError() async throws {
        let pki = try PKI()
        defer { pki.dir.remove() }
        try await withTLSServer(pki) { port in
            let error = await #expect(throws: CurlError.self) {
                try await fetch(
                    HTTPClientRequest(
                        url: "https://127.0.0.1:\(port)/",
                        timeout: .seconds(10),
                        caFile: pki.otherCA,
                        clientCertificateFile: pki.clientCert,
                        clientKeyFile: pki.clientKey
                    )
                )
            }
            #expect(error?.kind == .tls)
            #expect(error?.code == 60)  // CURLE_PEER_FAILED_VERIFICATION
        }
    }

    @Test func hostNameIsVerified() async throws {
        let pki = try PKI()
        defer { pki.dir.remove() }
        try await withTLSServer(pki) { port in
            // The certificate names 127.0.0.1 only; "localhost" reaches the same socket but must not verify.
            let error = await #expect(throws: CurlError.self) {
                try await fetch(
                    HTTPClientRequest(
                        url: "https://localhost:\(port)/",
                        timeout: .seconds(10),
                        caFile: pki.ca,
                        clientCertificateFile: pki.clientCert,
                        clientKeyFile: pki.clientKey
                    )
                )
            }
            #expect(error?.kind == .tls)
            #expect(error?.code == 60)
            #expect(error?.message.contains("localhost") == true)
        }
    }

    @Test func missingClientKeyFileIsATLSError() async throws {
        let pki = try PKI()
        defer { pki.dir.remove() }
        try await withTLSServer(pki) { port in
            let error = await #expect(throws: CurlError.self) {
                try await fetch(
                    HTTPClientRequest(
                        url: "https://127.0.0.1:\(port)/",
                        timeout: .seconds(10),
                        caFile: pki.ca,
                        clientCertificateFile: pki.clientCert,
                        clientKeyFile: pki.dir.file("missing.key")
                    )
                )
            }
            #expect(error?.kind == .tls)
        }
    }
}
