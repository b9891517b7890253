public import Foundation

/// The OAuth 2.0 client_credentials grant (RFC 6749 4.4) as Cognito and Auth0
/// take it: the request to build and the answer to read. Pure.
public enum OAuthTokenExchange {
    public static let maxResponseBytes = 64 * 1024

    /// Cognito: HTTP Basic client authentication and `scope`. Auth0: the client
    /// in the form body (its default, "client_secret_post") and `audience`. The client
    /// certificate, if any, goes along (an issuer may bind the token to it, RFC 8705).
    public static func request(_ s: ClientSettings) -> HTTPClientRequest {
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        var fields: [(name: String, value: String)] = [("grant_type", "client_credentials")]
        switch s.idpType {
        case .cognito:
            // RFC 6749 2.3.1: id and secret are form-encoded before base64.
            let pair = PercentEncoding.encode(s.clientId) + ":" + PercentEncoding.encode(s.clientSecret)
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
            if let scope = s.scope, !scope.isEmpty { fields.append(("scope", scope)) }
        case .auth0:
            fields += [("client_id", s.clientId), ("client_secret", s.clientSecret)]
            if let audience = s.audience { fields.append(("audience", audience)) }
        }
        return s.tls.applied(
            to: HTTPClientRequest(
                method: "POST",
                url: s.tokenURL,
                headers: headers,
                body: Array(FormURLEncoding.encode(fields).utf8),
                connectTimeout: .seconds(5),
                timeout: .seconds(15),
                maxResponseBytes: maxResponseBytes
            )
        )
    }

    /// The token in a 2xx answer, or why there is none. `expires_in` gives the
    /// expiry; without it, the token's own `exp` claim (read, not verified: it
    /// only decides how long to cache).
    public static func parse(
        _ response: HTTPClientResponse,
        settings s: ClientSettings,
        obtainedAt: Date
    ) -> Result<CachedToken, ClientError> {
        let secrets = [s.clientSecret]
        let json = (try? JSONParser.parse(response.body))?.objectValue
        guard (200..<300).contains(response.status) else {
            var what = "HTTP \(response.status)"
            if let code = json?["error"]?.stringValue { what += " \(code)" }
            if let text = json?["error_description"]?.stringValue, !text.isEmpty { what += " (\(text))" }
            let kind: ClientError.Kind = response.status >= 500 || response.status == 429 ? .upstream : .idp
            let verb = kind == .idp ? "refused the client credentials" : "failed"
            return .failure(ClientError(kind, "the token endpoint \(s.tokenURL) \(verb): \(what)", redacting: secrets))
        }
        guard let json else {
            return .failure(
                ClientError(
                    .malformed,
                    "the token endpoint \(s.tokenURL) answered HTTP \(response.status) without a JSON object"
                )
            )
        }
        guard let token = json["access_token"]?.stringValue, ClientURL.visibleASCII(token) else {
            return .failure(
                ClientError(.malformed, "the token endpoint \(s.tokenURL) answered without a usable access_token")
            )
        }
        var expiresAt: Date?
        if let seconds = expiresIn(json["expires_in"]) {
            expiresAt = obtainedAt.addingTimeInterval(seconds)
        } else {
            expiresAt = jwtExpiry(token)
        }
        return .success(CachedToken(accessToken: token, obtainedAt: obtainedAt, expiresAt: expiresAt))
    }

    /// `expires_in` as a number, or a string of digits (some IdPs send one).
    static func expiresIn(_ value: JSONValue?) -> TimeInterval? {
        let n = value?.numberValue ?? value?.stringValue.flatMap(Double.init)
        guard let n, n.isFinite, n > 0 else { return nil }
        return n
    }

    /// A JWT's `exp`, unverified; nil for anything that is not a JWT with a numeric `exp`.
    public static func jwtExpiry(_ token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(bytes: Array(parts[1].utf8)),
            let exp = (try? JSONParser.parse(payload))?["exp"]?.numberValue, exp.isFinite, exp > 0
        else { return nil }
        return Date(timeIntervalSince1970: exp)
    }
}
