/// A failed STS call: STS's own error (`<ErrorResponse>`), a response credvend
/// could not read, or a transport failure.
///
/// Nothing secret ever reaches `message` or `description`: credvend's own
/// messages name elements, fields and HTTP statuses, never response text (a
/// truncated success response would carry a secret key); STS's message is kept
/// as `Redaction` cleans it: one line of at most 300 characters, every string
/// passed as `redacting` (the session token or web identity token that was sent)
/// replaced by `<redacted>`. Compared by code only.
public struct STSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// STS's error code (`AccessDenied`, `Throttling`, ...) or one of `Code`'s.
    public let code: String
    public let message: String
    /// nil when no HTTP response arrived.
    public let httpStatus: Int?
    public let requestId: String?

    /// credvend's own codes, for failures STS did not describe itself.
    public enum Code {
        public static let malformedResponse = "MalformedResponse"
        public static let network = "NetworkError"
        public static let invalidEndpoint = "InvalidEndpoint"
        /// The request could not be signed (OpenSSL refused the HMAC): it was never sent.
        public static let signingFailed = "SigningFailed"
    }

    /// Codes worth another attempt whatever the HTTP status.
    public static let retryableCodes: Set<String> = [
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "IDPCommunicationError",
        "ServiceUnavailable", "InternalFailure", Code.network,
    ]

    /// STS asking for fewer calls.
    public static let throttlingCodes: Set<String> = ["Throttling", "ThrottlingException", "RequestLimitExceeded"]

    /// Codes about the credentials credvend signs with (its own, shared by every
    /// client), not about the role a client is mapped to: a new source key fixes them.
    public static let sourceCredentialCodes: Set<String> = [
        "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "IncompleteSignature",
        "MissingAuthenticationToken", "RequestExpired", "InvalidAccessKeyId", "AuthFailure",
    ]

    public static let maxMessageLength = 300

    public init(
        code: String,
        message: String,
        httpStatus: Int?,
        requestId: String? = nil,
        redacting secrets: [String] = []
    ) {
        self.code = Redaction.clean(code, redacting: secrets, limit: 64)
        self.message = Redaction.clean(message, redacting: secrets, limit: STSError.maxMessageLength)
        self.httpStatus = httpStatus
        self.requestId = requestId.map { Redaction.clean($0, redacting: secrets, limit: 128) }
    }

    /// Throttling (by code or HTTP 429), any 5xx, an identity provider STS could
    /// not reach, and network failures.
    public var isRetryable: Bool {
        if STSError.retryableCodes.contains(code) { return true }
        guard let httpStatus else { return false }
        return httpStatus >= 500 || httpStatus == 429
    }

    /// STS asking for fewer calls: a throttling code, or HTTP 429.
    public var isThrottling: Bool { STSError.throttlingCodes.contains(code) || httpStatus == 429 }

    /// STS said no to this role mapping (AccessDenied, a role that does not exist or
    /// does not trust credvend, a malformed or too large session policy, a bad
    /// duration): a 4xx STS described itself, not throttling, and not about the source
    /// credentials. Asking again with the same mapping gets the same answer.
    public var isRefusal: Bool {
        guard let httpStatus, (400..<500).contains(httpStatus), !isRetryable else { return false }
        if [Code.malformedResponse, Code.network, Code.invalidEndpoint].contains(code) { return false }
        return !STSError.sourceCredentialCodes.contains(code)
    }

    public var description: String {
        var context: [String] = []
        if let httpStatus { context.append("HTTP \(httpStatus)") }
        if let requestId { context.append("request \(requestId)") }
        let where_ = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "STS \(code)\(where_): \(message)"
    }

    public static func == (lhs: STSError, rhs: STSError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The response body was not what was expected; `reason` must not quote it.
    static func malformedResponse(_ reason: String, httpStatus: Int?) -> STSError {
        STSError(code: Code.malformedResponse, message: reason, httpStatus: httpStatus)
    }

    /// No usable HTTP response (connect, TLS or timeout failure). Retryable.
    public static func network(_ reason: String, redacting secrets: [String] = []) -> STSError {
        STSError(code: Code.network, message: reason, httpStatus: nil, redacting: secrets)
    }

    public static func invalidEndpoint(_ reason: String) -> STSError {
        STSError(code: Code.invalidEndpoint, message: reason, httpStatus: nil)
    }
}
