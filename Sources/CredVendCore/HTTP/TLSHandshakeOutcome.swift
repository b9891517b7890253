/// How a TLS handshake ended (the `outcome` label of `credvend_tls_handshakes_total`).
/// A connection counts once: `ok` when the client's Finished arrives, a certificate refusal
/// when the handshake is failed for it, `failed` when it closes without either.
public enum TLSHandshakeOutcome: String, Sendable, CaseIterable {
    case ok
    /// Anything else: a protocol version or cipher the server refuses, a non-TLS client,
    /// a client that hung up mid-handshake.
    case failed
    /// Client certificates are required and the client presented none.
    case clientCertificateMissing = "client_cert_missing"
    /// The client's certificate did not verify against the client CAs (another CA,
    /// expired, not yet valid, not for client authentication).
    case clientCertificateInvalid = "client_cert_invalid"
}
