/// The client certificate a TLS connection verified, as the request path needs it: the
/// RFC 8705 thumbprint that certificate-bound tokens name, and the subject for the logs.
public struct ClientCertificate: Sendable, Hashable {
    /// base64url (no padding) of the SHA-256 of the certificate's DER: `cnf.x5t#S256`.
    public var thumbprintSHA256: String
    /// The subject distinguished name, RFC 4514 form (e.g. `CN=device-1,O=Example`).
    public var subject: String

    public init(thumbprintSHA256: String, subject: String) {
        self.thumbprintSHA256 = thumbprintSHA256
        self.subject = subject
    }
}
