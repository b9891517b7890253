/// A private key for the development issuer and for tests: RSA (RS256/384/512) or EC
/// P-256/P-384 (ES256/ES384).
public final class SigningKey: Sendable {
    let backing: OpenSSLPrivateKey

    /// RSA and its size, or EC and its curve.
    public var kind: KeyKind { backing.key.kind }

    private init(_ backing: OpenSSLPrivateKey) {
        self.backing = backing
    }

    /// A fresh RSA key (2048 bits unless asked otherwise; never fewer).
    public static func generateRSA(bits: Int = 2048) throws(OpenSSLError) -> SigningKey {
        let op = "RSA key generation"
        try RSALimits.check(bits: bits, op)
        return SigningKey(try OpenSSLPrivateKey(generating: .rsa(bits: bits), operation: op))
    }

    /// A fresh EC key on `curve`.
    public static func generateEC(curve: ECCurve = .p256) throws(OpenSSLError) -> SigningKey {
        SigningKey(try OpenSSLPrivateKey(generating: .ec(curve), operation: "EC key generation"))
    }

    /// Loads an unencrypted PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or traditional
    /// (`BEGIN RSA PRIVATE KEY`, `BEGIN EC PRIVATE KEY`). Encrypted keys are refused
    /// rather than prompting for a passphrase on the terminal.
    public convenience init(pem: String) throws(OpenSSLError) {
        self.init(try OpenSSLPrivateKey(pem: Array(pem.utf8), operation: "PEM private key"))
    }

    /// The private key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    public func pemPrivateKey() throws(OpenSSLError) -> String {
        String(decoding: try backing.pkcs8PEM(operation: "PEM encoding"), as: UTF8.self)
    }

    /// Big-endian `n` and `e` of an RSA key, as a JWK publishes them.
    public func rsaPublicComponents() throws(OpenSSLError) -> (n: [UInt8], e: [UInt8]) {
        guard case .rsa = kind else { throw .refused("RSA public components", "the key is \(kind), not RSA") }
        return (try backing.bignumParameter("n", padTo: 0), try backing.bignumParameter("e", padTo: 0))
    }

    /// `crv`, `x` and `y` of an EC key (coordinates padded to full size, as RFC 7518 requires).
    public func ecPublicComponents() throws(OpenSSLError) -> (crv: String, x: [UInt8], y: [UInt8]) {
        guard case .ec(let curve) = kind else { throw .refused("EC public components", "the key is \(kind), not EC") }
        return (
            curve.rawValue, try backing.bignumParameter("qx", padTo: curve.coordinateSize),
            try backing.bignumParameter("qy", padTo: curve.coordinateSize)
        )
    }

    /// The matching public key, built through the same path as a JWKS key.
    public func verifyingKey() throws(OpenSSLError) -> VerifyingKey {
        switch kind {
        case .rsa:
            let (n, e) = try rsaPublicComponents()
            return try VerifyingKey(rsaModulus: n, exponent: e)
        case .ec:
            let (crv, x, y) = try ecPublicComponents()
            return try VerifyingKey(ecCurve: crv, x: x, y: y)
        }
    }

    /// Signs `message` as JWS `alg` does: PKCS#1 v1.5 bytes for RS*, raw r||s for ES*.
    public func sign<Message: Collection<UInt8>>(
        _ alg: SignatureAlgorithm,
        _ message: Message
    ) throws(OpenSSLError) -> [UInt8] {
        let op = "\(alg.rawValue) signing"
        guard kind.fits(alg) else { throw .refused(op, "a \(kind) key cannot make \(alg.rawValue) signatures") }
        let signature = try backing.sign(alg.digest, message, operation: op)
        guard case .ec(let curve) = kind else { return signature }
        return try ECDSASignature.raw(der: signature, coordinateSize: curve.coordinateSize, operation: op)
    }

    public func signRS256(_ message: [UInt8]) throws(OpenSSLError) -> [UInt8] { try sign(.RS256, message) }

    public func signES256(_ message: [UInt8]) throws(OpenSSLError) -> [UInt8] { try sign(.ES256, message) }
}
