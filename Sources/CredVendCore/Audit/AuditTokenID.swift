/// How the audit log names a token without holding it: HMAC-SHA256 under a key the
/// token's holder does not know, of the token's `jti` (a verified token that has one)
/// or of the whole token (no `jti`, or a token that failed verification, whose
/// claims are not to be trusted). Someone with the key can recompute it for a
/// token or jti they already have; nobody can get a token back from it.
public struct AuditTokenID: Sendable, Equatable {
    public enum Source: String, Sendable { case jti, token }

    public let hex: String
    public let source: Source

    public init(hex: String, source: Source) {
        self.hex = hex
        self.source = source
    }
}
