/// A public key built once from JWK parameters and used for every request that names it.
public final class VerifyingKey: Sendable {
    let backing: OpenSSLPublicKey

    /// RSA and its size, or EC and its curve.
    public var kind: KeyKind { backing.key.kind }

    /// The exact signature length: the modulus size for RSA, 2 x coordinate for ECDSA.
    public let signatureSize: Int

    private init(_ backing: OpenSSLPublicKey) {
        self.backing = backing
        switch backing.key.kind {
        case .rsa: signatureSize = backing.key.size
        case .ec(let curve): signatureSize = 2 * curve.coordinateSize
        }
    }

    /// An RSA public key from the JWK `n` and `e` (big-endian, unsigned).
    public convenience init(rsaModulus n: [UInt8], exponent e: [UInt8]) throws(OpenSSLError) {
        let op = "RSA public key"
        let modulus = n.drop { $0 == 0 }
        let exponent = e.drop { $0 == 0 }
        try RSALimits.check(bits: RSALimits.bitCount(modulus), op)
        guard modulus.last! & 1 == 1 else { throw .refused(op, "RSA modulus is even") }
        try RSALimits.check(exponent: exponent, op)
        self.init(try OpenSSLPublicKey(rsaModulus: Array(modulus), exponent: Array(exponent), operation: op))
    }

    /// An EC public key from the JWK `crv`, `x` and `y`; the point must lie on the curve.
    public convenience init(ecCurve crv: String, x: [UInt8], y: [UInt8]) throws(OpenSSLError) {
        let op = "EC public key"
        guard let curve = ECCurve(rawValue: crv) else {
            throw .refused(
                op,
                "curve is not supported; use one of \(ECCurve.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard x.count == curve.coordinateSize, y.count == curve.coordinateSize else {
            throw .refused(op, "\(crv) coordinates must be exactly \(curve.coordinateSize) bytes each")
        }
        self.init(
            try OpenSSLPublicKey(
                ecCurve: curve,
                point: [0x04] + x + y,  // SEC 1 uncompressed point
                operation: "\(op): (x, y) is not a valid \(crv) point"
            )
        )
    }

    /// Whether `signature` (JWS form: PKCS#1 v1.5 bytes, or raw r||s for ECDSA) is a valid
    /// signature of `message` by this key under `alg`. False when the key does not fit `alg`
    /// or the signature has the wrong length. Never throws: a failure is just "no".
    public func verify<Message: Collection<UInt8>>(
        _ alg: SignatureAlgorithm,
        message: Message,
        signature: [UInt8]
    ) -> Bool {
        guard kind.fits(alg), signature.count == signatureSize else { return false }
        switch kind {
        case .rsa: return backing.verifyRSA(alg, message: message, signature: signature)
        case .ec(let curve):
            guard let der = ECDSASignature.der(raw: signature, coordinateSize: curve.coordinateSize) else {
                return false
            }
            return backing.verifyECDSA(alg, message: message, der: der)
        }
    }
}
