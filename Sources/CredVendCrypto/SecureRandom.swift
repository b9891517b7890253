/// Cryptographically secure random bytes (tokens, jitter seeds, request ids).
public enum SecureRandom {
    /// Throws when the generator cannot be seeded or `count` is beyond what OpenSSL takes.
    public static func bytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
        try randomBytes(count)
    }
}
