/// The `cnf` claim of a certificate-bound access token (RFC 8705 section 3.1):
/// `{"x5t#S256": THUMBPRINT}`, the base64url SHA-256 of the client certificate's DER.
/// Read only after the signature verified (check 5), like every other claim.
enum CertificateConfirmation {
    /// The thumbprint a token is bound to, nil for an unbound token (no `cnf`).
    /// A `cnf` credvend cannot honour is a refusal, never a bearer token: a token bound
    /// to a proof credvend cannot check must not be usable without that proof.
    static func thumbprint(_ cnf: JSONValue?) throws(JWTError) -> String? {
        guard let cnf else { return nil }
        guard let members = cnf.objectValue else {
            throw JWTError(.invalidClaim, "token cnf must be a JSON object (RFC 7800)")
        }
        guard let value = members["x5t#S256"] else {
            throw JWTError(
                .invalidClaim,
                "token cnf has no x5t#S256; credvend accepts only certificate-bound confirmation (RFC 8705)"
            )
        }
        guard let text = value.stringValue, isThumbprint(text) else {
            throw JWTError(
                .invalidClaim,
                "token cnf.x5t#S256 must be the 43-character base64url SHA-256 of a certificate"
            )
        }
        return text
    }

    /// 43 characters of strict, unpadded base64url: the encoding of 32 bytes.
    static func isThumbprint(_ text: String) -> Bool {
        text.utf8.count == 43 && Base64URL.decode(bytes: text.utf8)?.count == 32
    }
}
