/// The JWS signature algorithms credvend accepts (RFC 7518 section 3). Never `none`,
/// never HMAC: a verifier holding only public keys has no business with shared secrets.
public enum SignatureAlgorithm: String, Sendable, CaseIterable {
    case RS256, RS384, RS512, ES256, ES384

    /// The digest the algorithm signs with.
    public enum Digest: Sendable { case sha256, sha384, sha512 }

    public var digest: Digest {
        switch self {
        case .RS256, .ES256: return .sha256
        case .RS384, .ES384: return .sha384
        case .RS512: return .sha512
        }
    }

    /// The curve an ECDSA algorithm is bound to (RFC 7518 3.4), nil for RSA.
    public var curve: ECCurve? {
        switch self {
        case .ES256: return .p256
        case .ES384: return .p384
        case .RS256, .RS384, .RS512: return nil
        }
    }

    /// The JWK `kty` a key must have for this algorithm.
    public var keyType: String { curve == nil ? "RSA" : "EC" }

    /// The accepted names, for messages.
    public static let acceptedNames = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The elliptic curves credvend verifies on, named as JWK `crv` names them.
public enum ECCurve: String, Sendable, CaseIterable {
    case p256 = "P-256"
    case p384 = "P-384"

    /// Bytes in one coordinate (and in each of r and s of a JWS signature).
    public var coordinateSize: Int { self == .p256 ? 32 : 48 }
}

/// What kind of public key a `VerifyingKey` or `SigningKey` holds.
public enum KeyKind: Sendable, Equatable, CustomStringConvertible {
    case rsa(bits: Int)
    case ec(ECCurve)

    /// Whether a key of this kind may verify (or make) signatures of `alg`:
    /// RSA keys only RS*, EC keys only the ES* bound to their curve.
    public func fits(_ alg: SignatureAlgorithm) -> Bool {
        switch self {
        case .rsa: return alg.curve == nil
        case .ec(let curve): return alg.curve == curve
        }
    }

    public var description: String {
        switch self {
        case .rsa(let bits): return "RSA-\(bits)"
        case .ec(let curve): return "EC \(curve.rawValue)"
        }
    }
}
