/// HMAC-SHA256, one shot (SigV4 key derivation and signing, audit token ids).
///
/// Throws: the key goes to the provider, which may refuse it (a FIPS provider refuses
/// short HMAC keys), and a caller must then fail its request rather than use a MAC that
/// was never computed. Only a missing HMAC or SHA-256 stops the process.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func mac<Key: Collection<UInt8>, Message: Collection<UInt8>>(
        key: Key,
        message: Message
    ) throws(OpenSSLError) -> [UInt8] {
        try hmacSHA256(key: key, message: message)
    }

    public static func mac(key: [UInt8], message: String) throws(OpenSSLError) -> [UInt8] {
        try mac(key: key, message: Array(message.utf8))
    }

    /// The code as four words, with no array made.
    public static func code(key: Span<UInt8>, message: Span<UInt8>) throws(OpenSSLError) -> SHA256Digest {
        try hmacSHA256(key: key, message: message)
    }

    /// The code under a 32-byte key, as SigV4 chains them. Each thread remembers the last
    /// such key: a code under it again resets the thread's context rather than keying it
    /// anew, which would hash the key's two pads (two of the five SHA-256 blocks of a
    /// SigV4 signature).
    public static func code(key: SHA256Digest, message: Span<UInt8>) throws(OpenSSLError) -> SHA256Digest {
        try hmacSHA256(key: key, message: message)
    }
}
