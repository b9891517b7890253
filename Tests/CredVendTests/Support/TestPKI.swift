import Foundation

/// Certificates made with the `openssl` command for in-process TLS tests: a CA, and leaves
/// it signs (EC P-256), each with its key at mode 0600, in a temporary directory.
struct TestPKI {
    let directory: TemporaryDirectory
    let name: String
    var caCertificate: String { directory.file("\(name)-ca.pem") }

    init(_ directory: TemporaryDirectory, name: String = "ca") throws {
        self.directory = directory
        self.name = name
        try run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", directory.file("\(name)-ca.key"), "-out", caCertificate, "-subj", "/O=credvend tests/CN=\(name)",
            "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        ])
    }

    /// A leaf for `usage` (serverAuth or clientAuth); returns (certificate, key) paths.
    func issue(_ cn: String, usage: String = "serverAuth") throws -> (certificate: String, key: String) {
        let base = directory.file("\(name)-\(cn)")
        try "basicConstraints=CA:FALSE\nextendedKeyUsage=\(usage)\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
            .write(toFile: base + ".ext", atomically: true, encoding: .utf8)
        try run([
            "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/O=credvend tests/CN=\(cn)",
        ])
        try run([
            "openssl", "x509", "-req", "-in", base + ".csr", "-CA", caCertificate, "-CAkey",
            directory.file("\(name)-ca.key"), "-CAcreateserial", "-days", "2", "-extfile", base + ".ext",
            "-out", base + ".pem",
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: base + ".key")
        return (base + ".pem", base + ".key")
    }

    /// The DER of the first certificate in a PEM file.
    static func der(ofPEM path: String) throws -> [UInt8] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let body = text.components(separatedBy: "-----")[2].filter { !$0.isWhitespace }
        return Array(Data(base64Encoded: body) ?? Data())
    }
}
