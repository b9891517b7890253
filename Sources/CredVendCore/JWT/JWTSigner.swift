public import CredVendCrypto
public import Foundation

/// Makes compact JWS tokens (`base64url(header).base64url(payload).base64url(signature)`)
/// for the development issuer and for tests. The header is `{"alg":..., "kid":...}`.
public struct JWTSigner: Sendable {
    public let key: SigningKey
    public let kid: String
    public let algorithm: SignatureAlgorithm

    public init(key: SigningKey, kid: String, algorithm: SignatureAlgorithm = .RS256) throws(OpenSSLError) {
        guard key.kind.fits(algorithm) else {
            throw OpenSSLError(
                operation: "JWT signer",
                detail: "a \(key.kind) key cannot make \(algorithm.rawValue) signatures"
            )
        }
        self.key = key
        self.kid = kid
        self.algorithm = algorithm
    }

    public func sign(claims: [String: JSONValue]) throws(OpenSSLError) -> String {
        let header: JSONValue = ["alg": .string(algorithm.rawValue), "kid": .string(kid)]
        return try Self.compact(
            header: header.serialized(),
            payload: JSONValue.object(claims).serialized(),
            key: key,
            algorithm: algorithm
        )
    }

    /// Signs exactly the given header and payload bytes (tests use it for odd headers).
    public static func compact(
        header: [UInt8],
        payload: [UInt8],
        key: SigningKey,
        algorithm: SignatureAlgorithm
    ) throws(OpenSSLError) -> String {
        let signingInput = Base64URL.encodeToBytes(header) + [UInt8(ascii: ".")] + Base64URL.encodeToBytes(payload)
        let signature = try key.sign(algorithm, signingInput)
        return String(decoding: signingInput, as: UTF8.self) + "." + Base64URL.encode(signature)
    }

    /// The public JWK to publish for this signer (`alg` and `use: "sig"` set).
    public func publicJWK() throws(OpenSSLError) -> JWK {
        switch key.kind {
        case .rsa:
            let (n, e) = try key.rsaPublicComponents()
            return JWK(.rsa(n: n, e: e), kid: kid, alg: algorithm.rawValue, use: "sig")
        case .ec:
            let (crv, x, y) = try key.ecPublicComponents()
            return JWK(.ec(crv: crv, x: x, y: y), kid: kid, alg: algorithm.rawValue, use: "sig")
        }
    }

    /// Cognito-shaped access-token claims (docs/reference.md#dev-idp-run).
    public static func accessTokenClaims(
        issuer: String,
        clientId: String,
        scopes: [String],
        issuedAt: Date,
        ttl: TimeInterval,
        jti: String = UUID().uuidString.lowercased()
    ) -> [String: JSONValue] {
        let iat = issuedAt.timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            "iss": .string(issuer), "sub": .string(clientId), "client_id": .string(clientId),
            "token_use": "access", "iat": .number(iat), "exp": .number(iat + ttl.rounded(.down)),
            "jti": .string(jti),
        ]
        if !scopes.isEmpty { claims["scope"] = .string(scopes.joined(separator: " ")) }
        return claims
    }
}
