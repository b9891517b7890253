internal import COpenSSL

/// An EVP_PKEY and what it is, freed with its owner.
///
/// @unchecked Sendable: the key is never mutated after `init`, and OpenSSL 3 allows
/// concurrent signing and verification with one key as long as each call has its own
/// context.
final class EVPKey: @unchecked Sendable {
    let pkey: OpaquePointer
    let kind: KeyKind

    /// Takes ownership of `pkey` (freeing it on a throw): only RSA within `RSALimits`
    /// and EC on a supported curve are kept.
    init(owning pkey: OpaquePointer, operation: String) throws(OpenSSLError) {
        guard let kind = Self.kind(of: pkey) else {
            EVP_PKEY_free(pkey)
            throw .refused(operation, "only RSA and EC P-256/P-384 keys are supported")
        }
        if case .rsa(let bits) = kind {
            do { try RSALimits.check(bits: bits, operation) } catch {
                EVP_PKEY_free(pkey)
                throw error
            }
        }
        self.pkey = pkey
        self.kind = kind
    }

    deinit { EVP_PKEY_free(pkey) }

    /// PKCS#1 v1.5 signature bytes for RSA (the modulus size).
    var size: Int { Int(EVP_PKEY_get_size(pkey)) }

    /// Reads what a key is (RSA and its size, or EC and its curve); nil for anything else.
    private static func kind(of pkey: OpaquePointer) -> KeyKind? {
        switch EVP_PKEY_get_base_id(pkey) {
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(pkey)))
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else {
                ERR_clear_error()
                return nil
            }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return ECCurve.allCases.first { $0.groupName == group }.map { .ec($0) }
        default:
            return nil
        }
    }
}

extension KeyKind {
    /// The OpenSSL key type name.
    var openSSLTypeName: String {
        switch self {
        case .rsa: return "RSA"
        case .ec: return "EC"
        }
    }
}

extension ECCurve {
    /// The OpenSSL group name of a JWK curve.
    var groupName: String { self == .p256 ? "prime256v1" : "secp384r1" }
}
