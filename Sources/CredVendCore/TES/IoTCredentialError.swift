/// Why a request to the AWS IoT credential provider gave no credentials, in words an
/// operator can act on. Never carries a credential: the provider's own error text is
/// kept (it holds none), capped and stripped of control characters.
public struct IoTCredentialError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// 400: the request was malformed, usually a thing name the provider does not accept.
        case badRequest = "bad_request"
        /// 401: the client certificate was not accepted.
        case unauthorized
        /// 403: the certificate is inactive, not attached to the thing, or its policy does not
        /// allow `iot:AssumeRoleWithCertificate` on the role alias.
        case forbidden
        /// 404: the role alias does not exist at this endpoint.
        case notFound = "not_found"
        /// 429: too many requests.
        case throttled
        /// 5xx or another unexpected status.
        case providerError = "provider_error"
        /// A 200 whose body is not the credentials document, or credentials already expired.
        case badResponse = "bad_response"
        /// The TLS handshake failed: server not trusted by `--rootca`, or client certificate refused.
        case tls
        /// No answer: connection refused, name not resolved, timeout.
        case network
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
        switch code {
        case .badRequest, .unauthorized, .forbidden, .notFound, .tls: true
        case .throttled, .providerError, .badResponse, .network: false
        }
    }

    public var description: String { message }

    public static func == (a: IoTCredentialError, b: IoTCredentialError) -> Bool {
        a.code == b.code && a.httpStatus == b.httpStatus
    }
}
