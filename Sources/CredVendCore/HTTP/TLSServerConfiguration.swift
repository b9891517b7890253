/// HTTPS on a listener: the files the server's certificate, key and client CAs come from.
/// The transport reads them at start and again on `HTTPServer.reloadTLS()` (SIGHUP).
public struct TLSServerConfiguration: Sendable, Equatable {
    /// Whether a client must present a certificate that verifies against the client CAs.
    public enum ClientCertificates: String, Sendable, Equatable, CaseIterable {
        /// A connection without a valid certificate fails the handshake.
        case required
        /// A connection may present none; one it presents must verify.
        case optional
    }

    /// PEM: the server certificate first, then any intermediates (a "fullchain" file).
    public var certificateFile: String
    /// PEM private key of the certificate; must not be readable by group or others.
    public var keyFile: String
    /// PEM CA certificates client certificates are verified against; nil: none asked for.
    public var clientCAFile: String?
    /// Applies only with `clientCAFile`.
    public var clientCertificates: ClientCertificates

    public init(
        certificateFile: String,
        keyFile: String,
        clientCAFile: String? = nil,
        clientCertificates: ClientCertificates = .required
    ) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.clientCertificates = clientCertificates
    }
}
