/// How a client's HTTPS requests authenticate the server and themselves: extra trust
/// anchors and a client certificate for mutual TLS (`CREDVEND_CA_FILE`,
/// `CREDVEND_CLIENT_CERT`, `CREDVEND_CLIENT_KEY`). Peer and host verification stay on
/// whatever is set here; there is no switch to turn them off.
public struct TLSClientOptions: Sendable, Equatable {
    /// PEM CA certificates trusted in addition to the system's store.
    public var caFile: String?
    /// PEM client certificate; it may hold the key too, when `keyFile` is nil.
    public var certificateFile: String?
    /// PEM private key of `certificateFile`.
    public var keyFile: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// `request` with these options (each one set here replaces the request's).
    public func applied(to request: HTTPClientRequest) -> HTTPClientRequest {
        var r = request
        if let caFile { r.caFile = caFile }
        if let certificateFile { r.clientCertificateFile = certificateFile }
        if let keyFile { r.clientKeyFile = keyFile }
        return r
    }
}
