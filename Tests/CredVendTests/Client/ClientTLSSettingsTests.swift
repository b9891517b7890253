import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// `CREDVEND_CA_FILE`, `CREDVEND_CLIENT_CERT` and `CREDVEND_CLIENT_KEY` (or their flags):
/// resolved into the settings, sent with the token and the vending requests, and checked
/// on disk once at start.
@Suite struct ClientTLSSettingsTests {
    static let cognito: [String: String] = [
        "IDP_TYPE": "cognito", "COGNITO_DOMAIN": "https://127.0.0.1:9443",
        "COGNITO_CLIENT_ID": "app-01", "COGNITO_CLIENT_SECRET": "s3cret-value",
        "COGNITO_RESOURCE_SERVER": "credvend", "COGNITO_CREDENTIAL_API_URL": "https://127.0.0.1:8443",
    ]

    func resolve(
        env: [String: String],
        flags: [ClientSettingKey: String] = [:]
    ) throws(ClientConfigError) -> ClientSettings {
        try ClientConfigResolver.resolve(ClientConfigSources(flags: flags, environment: env))
    }

    @Test func theVariablesAndTheirFlagsGiveTheTLSOptions() throws {
        var env = Self.cognito
        env["CREDVEND_CA_FILE"] = "/etc/credvend/ca.pem"
        env["CREDVEND_CLIENT_CERT"] = "/etc/credvend/client.pem"
        env["CREDVEND_CLIENT_KEY"] = "/etc/credvend/client.key"
        #expect(
            try resolve(env: env).tls
                == TLSClientOptions(
                    caFile: "/etc/credvend/ca.pem",
                    certificateFile: "/etc/credvend/client.pem",
                    keyFile: "/etc/credvend/client.key"
                )
        )
        let flagged = try resolve(env: env, flags: [.clientCertificate: "/other.pem", .caFile: "/other-ca.pem"])
        #expect(flagged.tls.certificateFile == "/other.pem" && flagged.tls.caFile == "/other-ca.pem")
        #expect(try resolve(env: Self.cognito).tls == TLSClientOptions())
        #expect(ClientSettingKey.caFile.flag == "--ca-file" && ClientSettingKey.clientKey.flag == "--client-key")
    }

    @Test func aKeyWithoutACertificateIsRefused() {
        var env = Self.cognito
        env["CREDVEND_CLIENT_KEY"] = "/etc/credvend/client.key"
        #expect {
            try resolve(env: env)
        } throws: { error in
            (error as? ClientConfigError)?.message.contains("CREDVEND_CLIENT_KEY (--client-key) needs") == true
        }
    }

    @Test func theTokenAndVendingRequestsCarryTheOptions() throws {
        var env = Self.cognito
        env["CREDVEND_CA_FILE"] = "/ca.pem"
        env["CREDVEND_CLIENT_CERT"] = "/client.pem"
        env["CREDVEND_CLIENT_KEY"] = "/client.key"
        let s = try resolve(env: env)
        for request in [
            OAuthTokenExchange.request(s),
            VendingExchange.request(url: s.credentialAPIURL ?? "", token: "t", tls: s.tls),
        ] {
            #expect(request.caFile == "/ca.pem")
            #expect(request.clientCertificateFile == "/client.pem")
            #expect(request.clientKeyFile == "/client.key")
        }
        let plain = try resolve(env: Self.cognito)
        #expect(OAuthTokenExchange.request(plain).clientCertificateFile == nil)
    }

    /// A token may be bound to the certificate it was fetched with: another certificate
    /// means another cached token.
    @Test func theClientCertificateSelectsTheCachedToken() throws {
        var env = Self.cognito
        let none = try resolve(env: env)
        env["CREDVEND_CLIENT_CERT"] = "/a.pem"
        let a = try resolve(env: env)
        env["CREDVEND_CLIENT_CERT"] = "/b.pem"
        let b = try resolve(env: env)
        #expect(Set([none.tokenCacheIdentity, a.tokenCacheIdentity, b.tokenCacheIdentity]).count == 3)
        #expect(a.credentialsCacheIdentity != b.credentialsCacheIdentity)
    }

    @Test func theFilesAreCheckedAtStart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["a", "b"] {
            try run(
                [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "1", "-subj", "/CN=\(name)",
                ],
                in: dir.path
            )
        }
        try TLSClientFiles.check(
            TLSClientOptions(caFile: dir.file("b.pem"), certificateFile: dir.file("a.pem"), keyFile: dir.file("a.key"))
        )
        func refusal(_ tls: TLSClientOptions) -> String {
            do {
                try TLSClientFiles.check(tls)
                return ""
            } catch {
                return error.message
            }
        }
        #expect(refusal(TLSClientOptions(caFile: dir.file("missing.pem"))).contains("CREDVEND_CA_FILE (--ca-file)"))
        #expect(refusal(TLSClientOptions(caFile: dir.file("a.key"))).contains("is not a PEM CA certificate"))
        #expect(
            refusal(TLSClientOptions(certificateFile: dir.file("a.pem"), keyFile: dir.file("b.key")))
                .contains("does not match the certificate")
        )
        #expect(refusal(TLSClientOptions(certificateFile: dir.file("a.pem"))).contains("CREDVEND_CLIENT_KEY"))
    }
}
