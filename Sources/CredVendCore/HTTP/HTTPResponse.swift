import Foundation

/// A complete HTTP response. The transport adds `Content-Length` (and `Date`) itself;
/// a `Content-Length` set here is ignored, and so is a header with an empty value.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// A JSON body that is already encoded.
    public static func json(status: Int = 200, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var all = headers
        all.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: all, body: bytes)
    }

    /// `value` encoded as JSON (keys sorted, so bodies are stable). An encoding failure,
    /// which is a programming error, becomes a 500 `internal_error` response.
    public static func json(
        status: Int = 200,
        _ value: some Encodable,
        headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return error(status: 500, code: "internal_error", message: "the response could not be encoded")
        }
        return json(status: status, bytes: Array(data), headers: headers)
    }

    /// The error shape of the product contract: `{"error": CODE, "message": TEXT}`.
    public static func error(
        status: Int,
        code: String,
        message: String,
        headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        json(status: status, ErrorBody(error: code, message: message), headers: headers)
    }

    /// 413 for a request whose `bodyTooLarge` is set.
    public static func payloadTooLarge(limit: Int) -> HTTPResponse {
        error(status: 413, code: "payload_too_large", message: "the request body is larger than \(limit) bytes")
    }

    /// A plain-text body (`text/plain; charset=utf-8`).
    public static func text(status: Int = 200, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var all = headers
        all.set("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: all, body: Array(text.utf8))
    }

    private struct ErrorBody: Encodable {
        let error: String
        let message: String
    }
}
