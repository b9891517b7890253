/// SHA-256, one shot. Why not incremental: every input credvend hashes is in memory.
///
/// Never throws: hashing bytes in memory cannot fail, so a failure from OpenSSL can only
/// mean OpenSSL is broken, and stops the process with a message (`fatalError`).
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] {
        CredVendCrypto.digest(.sha256, input)
    }

    /// The common case without generic dispatch.
    public static func hash(_ input: [UInt8]) -> [UInt8] { CredVendCrypto.digest(.sha256, input) }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }

    /// The digest as four words, with no array made (SigV4's payload and canonical request).
    public static func digest(_ input: Span<UInt8>) -> SHA256Digest { sha256Digest(input) }
}

/// SHA-384, one shot; fails as `SHA256` does.
public enum SHA384 {
    public static let byteCount = 48

    public static func hash<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] { digest(.sha384, input) }

    /// The common case without generic dispatch.
    public static func hash(_ input: [UInt8]) -> [UInt8] { digest(.sha384, input) }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }
}

/// SHA-512, one shot; fails as `SHA256` does.
public enum SHA512 {
    public static let byteCount = 64

    public static func hash<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] { digest(.sha512, input) }

    /// The common case without generic dispatch.
    public static func hash(_ input: [UInt8]) -> [UInt8] { digest(.sha512, input) }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }
}

extension SignatureAlgorithm.Digest {
    /// The digest's length in bytes.
    var byteCount: Int {
        switch self {
        case .sha256: return SHA256.byteCount
        case .sha384: return SHA384.byteCount
        case .sha512: return SHA512.byteCount
        }
    }
}
