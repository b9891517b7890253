/// A failed DynamoDB call: DynamoDB's own error (a JSON body with `__type`), a response
/// credvend could not read, or a transport failure.
///
/// `code` is the part of `__type` after `#` (`ResourceNotFoundException` from
/// `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`). DynamoDB's message is
/// kept as `Redaction` cleans it (one line, at most 300 characters, the session token
/// replaced); credvend's own messages never quote a response body. Compared by code only.
public struct DynamoDBError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// nil when no HTTP response arrived.
    public let httpStatus: Int?
    /// For `TransactionCanceledException`: one code per action of the transaction, in
    /// order (`None` for an action that did not cause it, `ConditionalCheckFailed`, ...).
    public let cancellationReasons: [String]

    /// credvend's own codes, for failures DynamoDB did not describe itself.
    public enum Code {
        public static let malformedResponse = "MalformedResponse"
        public static let network = "NetworkError"
        public static let signingFailed = "SigningFailed"
    }

    /// Worth another attempt: throttling, DynamoDB's own failures, the network.
    public static let retryableCodes: Set<String> = [
        "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "InternalServerError", "ServiceUnavailable", "LimitExceededException", Code.network,
    ]
    public static let throttlingCodes: Set<String> = [
        "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    ]
    static let deniedCodes: Set<String> = [
        "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
        "MissingAuthenticationTokenException", "ExpiredTokenException", "IncompleteSignatureException",
        "AccessDenied", "SignatureDoesNotMatch", "InvalidClientTokenId",
    ]

    public init(
        code: String,
        message: String,
        httpStatus: Int?,
        cancellationReasons: [String] = [],
        redacting secrets: [String] = []
    ) {
        self.code = Redaction.clean(code, redacting: secrets, limit: 64)
        self.message = Redaction.clean(message, redacting: secrets, limit: 300)
        self.httpStatus = httpStatus
        self.cancellationReasons = cancellationReasons.map { Redaction.clean($0, redacting: secrets, limit: 64) }
    }

    /// A write's condition did not hold: `ConditionalCheckFailedException`, or a
    /// transaction cancelled because one of its conditions did not (or another
    /// transaction on the same item was under way, `TransactionConflict`). Another writer got
    /// there first (or the item is not where the caller thought): a lost race, not a fault.
    public var isConditionFailure: Bool {
        code == "ConditionalCheckFailedException"
            || (code == "TransactionCanceledException"
                && cancellationReasons.contains { $0 == "ConditionalCheckFailed" || $0 == "TransactionConflict" })
    }

    /// No usable HTTP response (connect, TLS or timeout failure).
    public static func network(_ reason: String) -> DynamoDBError {
        DynamoDBError(code: Code.network, message: reason, httpStatus: nil)
    }

    /// The error a non-2xx response describes: its `__type` and `message` (or
    /// `Message`), or, for a body that is not such JSON, the HTTP status alone.
    public static func from(status: Int, body: [UInt8], redacting secrets: [String] = []) -> DynamoDBError {
        guard let json = try? JSONParser.parse(body), let type = json["__type"]?.stringValue else {
            return DynamoDBError(
                code: status == 429 ? "ThrottlingException" : "HTTP\(status)",
                message: "DynamoDB answered HTTP \(status) without a JSON error body",
                httpStatus: status
            )
        }
        let code = type.split(separator: "#").last.map(String.init) ?? type
        let message = json["message"]?.stringValue ?? json["Message"]?.stringValue ?? ""
        let reasons = json["CancellationReasons"]?.arrayValue?.map { $0["Code"]?.stringValue ?? "None" } ?? []
        return DynamoDBError(
            code: code,
            message: message,
            httpStatus: status,
            cancellationReasons: reasons,
            redacting: secrets
        )
    }

    public var isRetryable: Bool {
        if Self.retryableCodes.contains(code) { return true }
        guard let httpStatus else { return false }
        return httpStatus >= 500 || httpStatus == 429
    }

    /// The fixed label of `credvend_role_syncs_total` this failure counts under.
    public var outcome: String {
        if Self.throttlingCodes.contains(code) || httpStatus == 429 { return "throttled" }
        if Self.deniedCodes.contains(code) || httpStatus == 403 { return "access_denied" }
        if code == "ResourceNotFoundException" { return "table_missing" }
        if code == Code.network { return "network_error" }
        return "error"
    }

    public var description: String {
        let status = httpStatus.map { " (HTTP \($0))" } ?? ""
        return "DynamoDB \(code)\(status)" + (message.isEmpty ? "" : ": \(message)")
    }

    public static func == (a: DynamoDBError, b: DynamoDBError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
