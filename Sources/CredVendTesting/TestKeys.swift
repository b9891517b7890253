public import CredVendCore
public import CredVendCrypto
public import Foundation

/// Signing keys made once per test process (RSA generation costs tens of ms), their
/// signers, and Cognito-style access tokens minted with them.
public enum TestKeys {
    public static let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"

    public static let rsa = try! SigningKey.generateRSA()
    public static let ec = try! SigningKey.generateEC(curve: .p256)
    /// A second RSA key, for rotation and for tokens the issuer never published.
    public static let otherRSA = try! SigningKey.generateRSA()
    /// P-256 under its curve's name, for the signature tests.
    public static var p256: SigningKey { ec }
    public static let otherP256 = try! SigningKey.generateEC(curve: .p256)
    public static let p384 = try! SigningKey.generateEC(curve: .p384)

    public static let rsaSigner = try! JWTSigner(key: rsa, kid: "test-rsa-1", algorithm: .RS256)
    public static let ecSigner = try! JWTSigner(key: ec, kid: "test-ec-1", algorithm: .ES256)
    public static let rotatedSigner = try! JWTSigner(key: otherRSA, kid: "test-rsa-2", algorithm: .RS256)

    /// An access token as Cognito's client-credentials flow issues it: `iss`, `client_id`,
    /// `token_use=access`, `scope`, `iat`/`exp`, and the signer's `kid` in the header.
    /// `kid` overrides the header's kid (a forged or unpublished one).
    public static func accessToken(
        clientId: String,
        scopes: [String] = ["credvend/vend"],
        issuer: String = issuer,
        issuedAt: Date,
        ttl: TimeInterval = 3600,
        signer: JWTSigner = rsaSigner,
        kid: String? = nil,
        jti: String = UUID().uuidString.lowercased()
    ) -> String {
        let claims = JWTSigner.accessTokenClaims(
            issuer: issuer,
            clientId: clientId,
            scopes: scopes,
            issuedAt: issuedAt,
            ttl: ttl,
            jti: jti
        )
        let header: JSONValue = ["alg": .string(signer.algorithm.rawValue), "kid": .string(kid ?? signer.kid)]
        return try! JWTSigner.compact(
            header: header.serialized(),
            payload: JSONValue.object(claims).serialized(),
            key: signer.key,
            algorithm: signer.algorithm
        )
    }
}
