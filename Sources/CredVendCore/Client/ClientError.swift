/// A client command failed: the IdP, the vending API or STS refused or could
/// not be reached, or a file could not be written. The message says what to
/// fix; it never carries a token, a client secret or a secret key.
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The token endpoint refused the client (wrong id, secret, scope, audience).
        case idp
        /// The vending API or STS refused the exchange for a reason other than the token.
        case exchange
        /// The vending API or STS rejected the token itself (expired, unknown key): a new token may work.
        case tokenRejected
        /// A 5xx or 429 answer: worth another attempt.
        case upstream
        /// No answer (connect failure, timeout, reset): worth another attempt.
        case network
        /// A transport failure another attempt will not fix (TLS, an oversized answer).
        case transport
        /// An answer credvend cannot read.
        case malformed
        /// A local file could not be written.
        case files
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String, redacting secrets: [String] = []) {
        self.kind = kind
        self.message = Redaction.clean(message, redacting: secrets)
    }

    /// Whether the same request may succeed if sent again shortly.
    public var isRetryable: Bool { kind == .upstream || kind == .network }

    public var description: String { message }

    public static func == (a: ClientError, b: ClientError) -> Bool { a.kind == b.kind && a.message == b.message }
}

/// Makes text from a peer safe to show: one line, at most `limit` characters,
/// every given secret replaced by `<redacted>`.
public enum Redaction {
    public static func clean(_ text: String, redacting secrets: [String], limit: Int = 400) -> String {
        var out = text
        for secret in secrets where secret.count >= 4 {
            out = out.replacing(secret, with: "<redacted>")
        }
        out = String(String.UnicodeScalarView(out.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        }))
        return out.count > limit ? String(out.prefix(limit - 1)) + "…" : out
    }
}
