import CredVendCrypto

/// Whether a verified token may be used on this connection (RFC 8705 section 3): a
/// token bound to a certificate needs a TLS connection whose verified client
/// certificate has that thumbprint. Decided on every request, cached tokens included,
/// since a cache entry says only that the token is genuine, not who presents it.
public enum CertificateBinding {
    /// nil when the token may be used; otherwise the 401 `invalid_token` to answer.
    /// - Parameters:
    ///   - thumbprint: the token's `cnf.x5t#S256`, nil for an unbound token.
    ///   - requireBound: `--require-bound-tokens`: unbound tokens are refused.
    public static func refusal(
        thumbprint: String?,
        isTLS: Bool,
        clientCertificate: ClientCertificate?,
        requireBound: Bool
    ) -> APIError? {
        guard let thumbprint else {
            return requireBound ? .invalidToken(unboundRefused) : nil
        }
        guard isTLS else { return .invalidToken(plainHTTP) }
        guard let presented = clientCertificate else { return .invalidToken(noCertificate) }
        guard ConstantTime.equals(Array(presented.thumbprintSHA256.utf8), Array(thumbprint.utf8)) else {
            return .invalidToken(otherCertificate)
        }
        return nil
    }

    static let unboundRefused =
        "this server accepts only certificate-bound tokens (cnf.x5t#S256); get a token from an issuer "
        + "that binds it to your client certificate"
    static let plainHTTP =
        "the token is bound to a client certificate but was sent over plain HTTP; send it over HTTPS "
        + "with that certificate"
    static let noCertificate =
        "the token is bound to a client certificate but this connection presented none; connect with "
        + "the certificate the token was issued for (CREDVEND_CLIENT_CERT and CREDVEND_CLIENT_KEY)"
    static let otherCertificate =
        "the token is bound to a different client certificate than this connection presented; connect "
        + "with the certificate the token was issued for, or get a new token over this one"
}
