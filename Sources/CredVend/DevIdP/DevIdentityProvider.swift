public import CredVendCore
import CredVendCrypto
import CredVendSync
import Foundation

/// A local stand-in for a Cognito user pool (docs/reference.md#credvend-dev-idp), so that demos and tests
/// run the whole flow with no cloud account. Development only.
public final class DevIdentityProvider: HTTPHandler, Sendable {
    /// One registered app client of the clients file.
    public struct Client: Codable, Sendable {
        public var clientId: String
        public var clientSecret: String
        public var scopes: [String]

        enum CodingKeys: String, CodingKey {
            case clientId = "client_id"
            case clientSecret = "client_secret"
            case scopes
        }
    }

    private let issuerURL = Locked("")
    public let minter: TokenMinter
    private let clients: [String: Client]
    private let tokenTTL: Int
    private let jwksBody: [UInt8]
    /// `--bind-tokens`: each token is bound to the client certificate of the connection
    /// that asked for it (RFC 8705 section 3.1).
    private let bindTokens: Bool

    public init(minter: TokenMinter, clients: [Client], tokenTTL: Int = 3600, bindTokens: Bool = false) {
        self.minter = minter
        self.bindTokens = bindTokens
        self.clients = Dictionary(clients.map { ($0.clientId, $0) }, uniquingKeysWith: { a, _ in a })
        self.tokenTTL = tokenTTL
        self.jwksBody = Array(minter.jwksJSON.utf8)
    }

    public static func loadClients(path: String) throws(ConfigurationError) -> [Client] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("--clients \(path) is not readable")
        }
        do {
            let list = try JSONDecoder().decode([Client].self, from: data)
            guard !list.isEmpty else { throw ConfigurationError("--clients \(path) lists no clients") }
            return list
        } catch let e as ConfigurationError {
            throw e
        } catch {
            throw ConfigurationError(
                "--clients \(path) must be a JSON array of {\"client_id\", \"client_secret\", \"scopes\": [...]}: \(error)"
            )
        }
    }

    /// Set once the listener is bound: tokens carry it as `iss`.
    public func setIssuer(_ url: String) { issuerURL.withLock { $0 = url } }
    public var issuer: String { issuerURL.withLock { $0 } }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        switch (request.method, request.path) {
        case ("GET", "/.well-known/jwks.json"):
            return .respond(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: jwksBody))
        case ("GET", "/.well-known/openid-configuration"):
            let iss = issuer
            let doc =
                "{\"issuer\":\(JSONText.quote(iss)),\"jwks_uri\":\(JSONText.quote(iss + "/.well-known/jwks.json")),"
                + "\"token_endpoint\":\(JSONText.quote(iss + "/oauth2/token")),\"grant_types_supported\":[\"client_credentials\"]}"
            return .respond(
                HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(doc.utf8))
            )
        case ("POST", "/oauth2/token"):
            return .respond(token(request))
        case (_, "/oauth2/token"), (_, "/.well-known/jwks.json"):
            return .respond(APIError.methodNotAllowed([request.path == "/oauth2/token" ? "POST" : "GET"]).response)
        default:
            return .respond(APIError.notFound.response)
        }
    }

    private func oauthError(_ status: Int, _ code: String, _ description: String) -> HTTPResponse {
        var headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        if status == 401 { headers.append(("WWW-Authenticate", "Basic realm=\"credvend-dev-idp\"")) }
        return HTTPResponse(
            status: status,
            headers: HTTPHeaders(headers),
            body: Array(
                "{\"error\":\(JSONText.quote(code)),\"error_description\":\(JSONText.quote(description))}".utf8
            )
        )
    }

    private func token(_ request: HTTPRequest) -> HTTPResponse {
        let form = FormURLEncoding.parse(request.body)
        guard form["grant_type"] == "client_credentials" else {
            return oauthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
        }
        var id = form["client_id"]
        var secret = form["client_secret"]
        if let auth = request.headers["authorization"], auth.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            // RFC 6749 2.3.1: each is form-encoded before base64.
            id = FormURLEncoding.decode(ArraySlice(pair[..<colon].utf8))
            secret = FormURLEncoding.decode(ArraySlice(pair[pair.index(after: colon)...].utf8))
        }
        guard let id, let secret, let client = clients[id],
            ConstantTime.equals(Array(secret.utf8), Array(client.clientSecret.utf8))
        else {
            return oauthError(401, "invalid_client", "unknown client or wrong secret")
        }
        let requested = form["scope"].map { $0.split(separator: " ").map(String.init) } ?? client.scopes
        guard requested.allSatisfy(client.scopes.contains) else {
            return oauthError(400, "invalid_scope", "a requested scope is not allowed for this client")
        }
        var claims = JWTSigner.accessTokenClaims(
            issuer: issuer,
            clientId: client.clientId,
            scopes: requested,
            issuedAt: Date(),
            ttl: TimeInterval(tokenTTL)
        )
        claims["auth_time"] = claims["iat"]
        claims["version"] = .number(2)
        if bindTokens {
            guard request.isTLS, let certificate = request.clientCertificate else {
                return oauthError(
                    400,
                    "invalid_request",
                    "this issuer binds tokens to the client certificate: connect over mutual TLS with one"
                )
            }
            claims["cnf"] = TokenMinter.confirmation(thumbprint: certificate.thumbprintSHA256)
        }
        let jwt: String
        do { jwt = try minter.mint(claims: claims) } catch {
            return oauthError(500, "server_error", "could not sign the token")
        }
        let body = "{\"access_token\":\(JSONText.quote(jwt)),\"token_type\":\"Bearer\",\"expires_in\":\(tokenTTL)}"
        return HTTPResponse(
            status: 200,
            headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
            body: Array(body.utf8)
        )
    }
}
