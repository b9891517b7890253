/// X.509 certificates in PEM files, checked before they are handed to libcurl so that a
/// bad file is a clear message at start-up rather than a TLS failure later.
public enum X509PEM {
    /// The number of certificates in a PEM bundle. Throws when there is none, or when a
    /// `-----BEGIN CERTIFICATE-----` block cannot be read (bad base64, markers not on lines
    /// of their own). A missing newline at the very end is fine.
    public static func certificateCount(_ pem: [UInt8]) throws(OpenSSLError) -> Int {
        let op = "PEM certificate"
        let count = try PEM.certificateCount(pem, operation: op)
        let markers = occurrences(of: Array("-----BEGIN CERTIFICATE-----".utf8), in: pem)
        guard count >= markers else {
            throw .refused(
                op,
                "certificate \(count + 1) of \(markers) cannot be read; each -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- must be on a line of its own"
            )
        }
        guard count > 0 else { throw .refused(op, "no PEM certificate (-----BEGIN CERTIFICATE-----) in it") }
        return count
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard haystack.count >= needle.count else { return 0 }
        return (0...(haystack.count - needle.count)).count { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// The DER bytes of the first certificate in `pem`, whose SHA-256 is the certificate's
    /// RFC 8705 thumbprint. Throws when there is no readable certificate.
    public static func firstCertificateDER(_ pem: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        try PEM.firstCertificateDER(pem, operation: "PEM certificate")
    }

    /// Whether `keyPEM`, an unencrypted PEM private key, is the private half of the first
    /// certificate in `certificatePEM`. Throws when either cannot be read.
    public static func keyMatchesCertificate(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(OpenSSLError) -> Bool {
        try PEM.keyMatchesCertificate(certificatePEM: certificatePEM, keyPEM: keyPEM)
    }
}
