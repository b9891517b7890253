import Foundation

/// Finds the access token in a vending request: `{"access_token": ...}` in the
/// body, or `Authorization: Bearer ...` with an empty body — never both.
public enum TokenExtractor {
    public static func token(body: [UInt8], authorization: String?) -> Result<String, APIError> {
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
        let bodyIsEmpty = body.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        if bodyIsEmpty {
            guard let t = headerToken, !t.isEmpty else {
                return .failure(.invalidRequest("no access token: send {\"access_token\": \"<JWT>\"} or Authorization: Bearer <JWT>"))
            }
            return .success(t)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(.invalidRequest("request body must be a JSON object like {\"access_token\": \"<JWT>\"}"))
        }
        guard let value = object["access_token"] else {
            if let t = headerToken, !t.isEmpty { return .success(t) }
            return .failure(.invalidRequest("request body has no \"access_token\" field"))
        }
        guard let t = value as? String, !t.isEmpty else {
            return .failure(.invalidRequest("\"access_token\" must be a non-empty string"))
        }
        if headerToken != nil {
            return .failure(.invalidRequest("send the token in the body or in the Authorization header, not both"))
        }
        return .success(t)
    }
}
