/// A client command failed: the IdP, the vending API or STS refused or could
/// not be reached, or a file could not be written. The message says what to
/// fix; it never carries a token, a client secret or a secret key. Compared by kind only.
public struct ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A struct over a private enum, so a new kind is not a breaking change.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Backing: String, Sendable, Hashable {
            case idp, exchange, tokenRejected, upstream, network, transport, malformed, files
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// The token endpoint refused the client (wrong id, secret, scope, audience).
        public static let idp = Kind(.idp)
        /// The vending API or STS refused the exchange for a reason other than the token.
        public static let exchange = Kind(.exchange)
        /// The vending API or STS rejected the token itself (expired, unknown key): a new token may work.
        public static let tokenRejected = Kind(.tokenRejected)
        /// A 5xx or 429 answer: worth another attempt.
        public static let upstream = Kind(.upstream)
        /// No answer (connect failure, timeout, reset): worth another attempt.
        public static let network = Kind(.network)
        /// A transport failure another attempt will not fix (TLS, an oversized answer).
        public static let transport = Kind(.transport)
        /// An answer credvend cannot read.
        public static let malformed = Kind(.malformed)
        /// A local file could not be written.
        public static let files = Kind(.files)

        public var description: String { backing.rawValue }
    }

    public let kind: Kind
    public let message: String
    /// The `Retry-After` (seconds) of the last answer, when it was a 429 or 503 that had one:
    /// a daemon waits at least that long before its next attempt.
    public var retryAfter: Int?

    public init(_ kind: Kind, _ message: String, redacting secrets: [String] = []) {
        self.kind = kind
        self.message = Redaction.clean(message, redacting: secrets)
    }

    /// Whether the same request may succeed if sent again shortly.
    public var isRetryable: Bool { kind == .upstream || kind == .network }

    public var description: String { message }

    public static func == (a: ClientError, b: ClientError) -> Bool { a.kind == b.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }
}
