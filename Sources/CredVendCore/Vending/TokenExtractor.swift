import Foundation

/// Finds the access token in a vending request: `{"access_token": ...}` in the
/// body, or `Authorization: Bearer ...` with an empty body — never both.
public enum TokenExtractor {
    public static func token(body: [UInt8], authorization: String?) -> Result<String, APIError> {
        tokenBytes(body: body, authorization: authorization).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The token's bytes (a slice of the body when it came in the body). The body every client sends, `{"access_token": "<JWT>"}` with a
    /// JWT of base64url parts, is read by a byte scan with no JSON object built; any other
    /// body goes through `JSONParser`, which also refuses a member name given twice.
    public static func tokenBytes(body: [UInt8], authorization: String?) -> Result<ArraySlice<UInt8>, APIError> {
        read(body: body, authorization: authorization).map(\.token)
    }

    /// The token, and the body's JSON object when the body had to be parsed for it (nil
    /// for the plain body and for an empty one), so the request's other fields are read
    /// from the same parse (`RoleRequest.parse(fields:)`).
    public static func read(
        body: [UInt8],
        authorization: String?
    ) -> Result<(token: ArraySlice<UInt8>, fields: [String: JSONValue]?), APIError> {
        let headerToken: String?
        if let auth = authorization {
            let parts = auth.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return .failure(.invalidRequest("Authorization header must be \"Bearer <access token>\""))
            }
            headerToken = parts[1].trimmingCharacters(in: .whitespaces)
        } else {
            headerToken = nil
        }
        if let range = plainTokenRange(body) {
            if headerToken != nil {
                return .failure(.invalidRequest("send the token in the body or in the Authorization header, not both"))
            }
            return .success((body[range], nil))
        }
        let bodyIsEmpty = body.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        if bodyIsEmpty {
            guard let t = headerToken, !t.isEmpty else {
                return .failure(
                    .invalidRequest(
                        "no access token: send {\"access_token\": \"<JWT>\"} or Authorization: Bearer <JWT>"
                    )
                )
            }
            return .success((ArraySlice(t.utf8), nil))
        }
        guard let object = (try? JSONParser.parse(body))?.objectValue else {
            return .failure(.invalidRequest("request body must be a JSON object like {\"access_token\": \"<JWT>\"}"))
        }
        guard let value = object["access_token"] else {
            if let t = headerToken, !t.isEmpty { return .success((ArraySlice(t.utf8), object)) }
            return .failure(.invalidRequest("request body has no \"access_token\" field"))
        }
        guard let t = value.stringValue, !t.isEmpty else {
            return .failure(.invalidRequest("\"access_token\" must be a non-empty string"))
        }
        if headerToken != nil {
            return .failure(.invalidRequest("send the token in the body or in the Authorization header, not both"))
        }
        return .success((ArraySlice(t.utf8), object))
    }

    /// Where the token is in a body that is exactly `{"access_token":"T"}` (JSON
    /// whitespace allowed between tokens) with a non-empty T of printable ASCII without
    /// `"` or `\`: no escapes, so the string's value is its bytes. Nil for anything else.
    static func plainTokenRange(_ body: [UInt8]) -> Range<Int>? {
        let n = body.count
        var i = skipSpace(body, 0)
        guard i < n, body[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(body, i + 1)
        let name = accessTokenName
        guard i + name.count <= n, body[i..<(i + name.count)].elementsEqual(name) else { return nil }
        i = skipSpace(body, i + name.count)
        guard i < n, body[i] == UInt8(ascii: ":") else { return nil }
        i = skipSpace(body, i + 1)
        guard i < n, body[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        guard let end = ByteScan.plainStringEnd(body, from: start), end > start else { return nil }
        i = skipSpace(body, end + 1)
        guard i < n, body[i] == UInt8(ascii: "}"), skipSpace(body, i + 1) == n else { return nil }
        return start..<end
    }

    private static let accessTokenName: [UInt8] = Array("\"access_token\"".utf8)

    @inline(__always)
    private static func skipSpace(_ body: [UInt8], _ from: Int) -> Int {
        var i = from
        while i < body.count, body[i] == 0x20 || body[i] == 0x0a || body[i] == 0x0d || body[i] == 0x09 { i += 1 }
        return i
    }
}
