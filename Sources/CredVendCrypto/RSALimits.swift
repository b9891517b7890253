/// Limits on RSA keys: below 2048 bits is forgeable in practice; above 8192 bits is
/// a verification-cost attack rather than a real key.
enum RSALimits {
    static let minBits = 2048
    static let maxBits = 8192

    /// Checks a key's size; the error explains what would be accepted.
    static func check(bits: Int, _ operation: String) throws(OpenSSLError) {
        guard bits >= minBits else {
            throw .refused(operation, "RSA modulus is \(bits) bits; at least \(minBits) are required")
        }
        guard bits <= maxBits else {
            throw .refused(operation, "RSA modulus is \(bits) bits; at most \(maxBits) are accepted")
        }
    }
}
