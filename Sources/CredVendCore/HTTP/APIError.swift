/// An error as the API shows it: `{"error": CODE, "message": TEXT}` with the
/// status and headers of docs/reference.md#errors. Messages never carry a token or
/// secret. Compared by status and code only.
public struct APIError: Error, Sendable, Hashable {
    public let status: Int
    public let code: String
    public let message: String
    public var headers: [(String, String)] = []

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func == (a: APIError, b: APIError) -> Bool { a.status == b.status && a.code == b.code }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(code)
    }

    public static func invalidRequest(_ m: String) -> APIError {
        APIError(status: 400, code: "invalid_request", message: m)
    }
    public static func invalidToken(_ m: String) -> APIError {
        APIError(
            status: 401,
            code: "invalid_token",
            message: m,
            headers: [("WWW-Authenticate", "Bearer error=\"invalid_token\"")]
        )
    }
    public static func insufficientScope(_ m: String) -> APIError {
        APIError(
            status: 403,
            code: "insufficient_scope",
            message: m,
            headers: [("WWW-Authenticate", "Bearer error=\"insufficient_scope\"")]
        )
    }
    public static func accessDenied(_ m: String) -> APIError {
        APIError(status: 403, code: "access_denied", message: m)
    }
    public static let notFound = APIError(status: 404, code: "not_found", message: "no such endpoint")
    public static func methodNotAllowed(_ allowed: [String]) -> APIError {
        APIError(
            status: 405,
            code: "method_not_allowed",
            message: "use \(allowed.joined(separator: " or "))",
            headers: [("Allow", allowed.joined(separator: ", "))]
        )
    }
    public static let payloadTooLarge = APIError(
        status: 413,
        code: "payload_too_large",
        message: "request body is larger than 16 KiB"
    )
    public static func upstream(_ m: String) -> APIError { APIError(status: 502, code: "upstream_error", message: m) }
    public static func unavailable(_ m: String, retryAfter: Int = 5) -> APIError {
        APIError(status: 503, code: "unavailable", message: m, headers: [("Retry-After", String(retryAfter))])
    }

    public var response: HTTPResponse {
        var h = headers
        h.append(("Content-Type", "application/json"))
        h.append(("Cache-Control", "no-store"))
        let body = "{\"error\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}"
        return HTTPResponse(status: status, headers: HTTPHeaders(h), body: Array(body.utf8))
    }
}
