import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendCrypto

/// `TESConfiguration.validate` against files made by the `openssl` command line.
@Suite(.serialized) struct TESConfigurationTests {
    private struct Files {
        let dir: TemporaryDirectory

        init() throws {
            dir = try TemporaryDirectory()
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
            try run(
                ["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test CA"],
                in: dir.path
            )
            try run(
                ["openssl", "req", "-x509"] + ec + [
                    "-keyout", "device.key", "-out", "device.pem", "-subj", "/CN=thing-01",
                ],
                in: dir.path
            )
            try run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "rsa.key",
                    "-out", "rsa.pem", "-subj", "/CN=rsa-thing",
                ],
                in: dir.path
            )
        }

        func config(
            rootCA: String = "ca.pem",
            cert: String = "device.pem",
            key: String = "device.key",
            endpoint: String = "abc-ats.credentials.iot.us-east-1.amazonaws.com"
        ) -> TESConfiguration {
            TESConfiguration(
                endpoint: endpoint,
                rootCAFile: dir.file(rootCA),
                certificateFile: dir.file(cert),
                keyFile: dir.file(key),
                roleAlias: "device-role-alias",
                thingName: "thing-01",
                authzTokenFile: dir.file("token")
            )
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file(name)))
        }

        func read(_ name: String) throws -> String { try String(contentsOfFile: dir.file(name), encoding: .utf8) }
    }

    private func refusal(_ config: TESConfiguration) -> String {
        do {
            try config.validate()
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func acceptsMatchingFiles() throws {
        let f = try Files()
        defer { f.dir.remove() }
        try f.config().validate()
        try f.config(cert: "rsa.pem", key: "rsa.key").validate()
        // A root CA without its trailing newline and a two-certificate bundle.
        let ca = try f.read("ca.pem")
        try f.write("ca-no-newline.pem", String(ca.dropLast()))
        try f.config(rootCA: "ca-no-newline.pem").validate()
        try f.write("bundle.pem", ca + (try f.read("device.pem")))
        try f.config(rootCA: "bundle.pem").validate()
        #expect(try X509PEM.certificateCount(Array((ca + (try f.read("device.pem"))).utf8)) == 2)
    }

    @Test func namesTheFlagAndTheProblem() throws {
        let f = try Files()
        defer { f.dir.remove() }
        try f.write("garbage.pem", "not a certificate\n")
        let ca = try f.read("ca.pem")
        try f.write("glued.pem", String(ca.dropLast()) + ca)  // -----END CERTIFICATE----------BEGIN CERTIFICATE-----
        try f.write(
            "encrypted.key",
            try run(["openssl", "pkey", "-in", "device.key", "-aes256", "-passout", "pass:x"], in: f.dir.path)
        )
        try FileManager.default.createDirectory(atPath: f.dir.file("adir"), withIntermediateDirectories: false)
        let cases: [(TESConfiguration, String)] = [
            (f.config(rootCA: "missing.pem"), "--rootca \(f.dir.file("missing.pem")) does not exist"),
            (f.config(rootCA: "adir"), "--rootca \(f.dir.file("adir")) is a directory"),
            (f.config(rootCA: "garbage.pem"), "--rootca \(f.dir.file("garbage.pem")) is not a PEM CA certificate"),
            (f.config(rootCA: "glued.pem"), "certificate 1 of 2 cannot be read; each -----BEGIN CERTIFICATE-----"),
            (f.config(cert: "missing.pem"), "--cert \(f.dir.file("missing.pem")) does not exist"),
            (f.config(cert: "device.key"), "--cert \(f.dir.file("device.key")) is not a PEM certificate"),
            (f.config(key: "missing.key"), "--key \(f.dir.file("missing.key")) does not exist"),
            (f.config(key: "garbage.pem"), "--key \(f.dir.file("garbage.pem")) is not an unencrypted PEM private key"),
            (f.config(key: "encrypted.key"), "is not an unencrypted PEM private key"),
            (f.config(key: "ca.key"), "--key \(f.dir.file("ca.key")) does not match the certificate in --cert"),
            (f.config(cert: "rsa.pem"), "does not match the certificate"),
            (
                f.config(endpoint: "http://abc.example"),
                "--endpoint http://abc.example: the credential provider is only reachable over https"
            ),
            (f.config(endpoint: "abc.example/path"), "--endpoint \"abc.example/path\" must be a host name"),
            (f.config(endpoint: ""), "must be a host name"),
        ]
        for (config, words) in cases {
            let message = refusal(config)
            #expect(message.contains(words), "expected \(words) in: \(message)")
        }
        var alias = f.config()
        alias.roleAlias = "no/slashes"
        #expect(refusal(alias).contains("--role-alias"))
        var thing = f.config()
        thing.thingName = "thing 01"
        #expect(refusal(thing).contains("--thing-name"))
        var buffer = f.config()
        buffer.refreshBuffer = 0
        #expect(refusal(buffer).contains("--refresh-buffer"))
    }

    @Test func endpointForms() throws {
        let f = try Files()
        defer { f.dir.remove() }
        #expect(
            f.config(endpoint: "abc.credentials.iot.eu-west-1.amazonaws.com").endpointURL
                == "https://abc.credentials.iot.eu-west-1.amazonaws.com"
        )
        #expect(f.config(endpoint: "https://abc.example:8443/").endpointURL == "https://abc.example:8443")
        #expect(f.config(endpoint: "127.0.0.1:9443").endpointURL == "https://127.0.0.1:9443")
        try f.config(endpoint: "https://abc.example:8443/").validate()
        try f.config(endpoint: "127.0.0.1:9443").validate()
    }
}
