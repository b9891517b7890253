/// Why a request to the AWS IoT credential provider gave no credentials, in words an
/// operator can act on. Never carries a credential: the provider's own error text is
/// kept (it holds none), capped and stripped of control characters.
public struct IoTCredentialError: Error, CustomStringConvertible, Sendable, Hashable {
    /// A struct over a private enum, so a new code is not a breaking change;
    /// `description` is the name logged as `code`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Backing: String, Sendable, Hashable {
            case badRequest = "bad_request"
            case unauthorized, forbidden
            case notFound = "not_found"
            case throttled
            case providerError = "provider_error"
            case badResponse = "bad_response"
            case tls, network
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// 400: the request was malformed, usually a thing name the provider does not accept.
        public static let badRequest = Code(.badRequest)
        /// 401: the client certificate was not accepted.
        public static let unauthorized = Code(.unauthorized)
        /// 403: the certificate is inactive, not attached to the thing, or its policy does not
        /// allow `iot:AssumeRoleWithCertificate` on the role alias.
        public static let forbidden = Code(.forbidden)
        /// 404: the role alias does not exist at this endpoint.
        public static let notFound = Code(.notFound)
        /// 429: too many requests.
        public static let throttled = Code(.throttled)
        /// 5xx or another unexpected status.
        public static let providerError = Code(.providerError)
        /// A 200 whose body is not the credentials document, or credentials already expired.
        public static let badResponse = Code(.badResponse)
        /// The TLS handshake failed: server not trusted by `--rootca`, or client certificate refused.
        public static let tls = Code(.tls)
        /// No answer: connection refused, name not resolved, timeout.
        public static let network = Code(.network)

        public var description: String { backing.rawValue }
    }

    public let code: Code
    /// The provider's HTTP status, when it answered.
    public let httpStatus: Int?
    public let message: String

    public init(_ code: Code, httpStatus: Int? = nil, _ message: String) {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
    }

    /// A refusal that a retry will not cure until someone changes the device or the cloud
    /// configuration; retried slowly. The others are passing and retried soon.
    public var needsOperator: Bool {
        switch code.backing {
        case .badRequest, .unauthorized, .forbidden, .notFound, .tls: true
        case .throttled, .providerError, .badResponse, .network: false
        }
    }

    public var description: String { message }

    public static func == (a: IoTCredentialError, b: IoTCredentialError) -> Bool {
        a.code == b.code && a.httpStatus == b.httpStatus
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(httpStatus)
    }
}
