public import CredVendCore
public import CredVendCrypto
import CredVendSystem
import Foundation

/// The development issuer's RSA-2048 signing key, its `kid` (the RFC 7638
/// thumbprint, so `dev-idp` and `dev-idp mint` agree) and its JWKS.
public struct TokenMinter: Sendable {
    public let signer: JWTSigner
    public let jwksJSON: String
    public var kid: String { signer.kid }

    public init(key: SigningKey) throws(OpenSSLError) {
        let (n, e) = try key.rsaPublicComponents()
        let thumbprint = "{\"e\":\"\(Base64URL.encode(e))\",\"kty\":\"RSA\",\"n\":\"\(Base64URL.encode(n))\"}"
        signer = try JWTSigner(key: key, kid: Base64URL.encode(SHA256.hash(thumbprint)), algorithm: .RS256)
        jwksJSON = JWKSet.document([try signer.publicJWK()])
    }

    /// Loads the PEM key at `keyPath`, or generates one and writes it there
    /// (mode 0600, atomically); with no path, a fresh key for this run.
    public static func loadOrCreate(keyPath: String?) throws -> TokenMinter {
        guard let keyPath else { return try TokenMinter(key: SigningKey.generateRSA(bits: 2048)) }
        if let data = FileManager.default.contents(atPath: keyPath) {
            return try TokenMinter(key: SigningKey(pem: String(decoding: data, as: UTF8.self)))
        }
        let key = try SigningKey.generateRSA(bits: 2048)
        try SecretFile.write(Array(try key.pemPrivateKey().utf8), to: keyPath)
        return try TokenMinter(key: key)
    }

    public func mint(claims: [String: JSONValue]) throws(OpenSSLError) -> String {
        try signer.sign(claims: claims)
    }

    /// The `cnf` claim binding a token to the certificate with this thumbprint (RFC 8705 3.1).
    public static func confirmation(thumbprint: String) -> JSONValue {
        ["x5t#S256": .string(thumbprint)]
    }

    /// The `cnf` claim for the first certificate of a PEM file (`dev-idp mint --cnf-cert`):
    /// base64url of the SHA-256 of its DER.
    public static func confirmation(certificatePEM: [UInt8]) throws(OpenSSLError) -> JSONValue {
        confirmation(thumbprint: Base64URL.encode(SHA256.hash(try X509PEM.firstCertificateDER(certificatePEM))))
    }
}
