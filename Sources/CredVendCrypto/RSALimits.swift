/// Limits on RSA keys: below 2048 bits is forgeable in practice; above 8192 bits is
/// a verification-cost attack rather than a real key. The same holds for the public
/// exponent: verification costs one modular squaring per exponent bit, so a
/// 3071-bit exponent made each forged token 50 times dearer than e = 65537. Real
/// keys use 65537; the bound 2^31 - 1 is Go's crypto/rsa (ring stops at 2^33 - 1,
/// OpenSSL at 64 bits only for moduli over 3072 bits).
enum RSALimits {
    static let minBits = 2048
    static let maxBits = 8192
    static let maxExponentBits = 31

    /// Checks a key's size; the error explains what would be accepted.
    static func check(bits: Int, _ operation: String) throws(OpenSSLError) {
        guard bits >= minBits else {
            throw .refused(operation, "RSA modulus is \(bits) bits; at least \(minBits) are required")
        }
        guard bits <= maxBits else {
            throw .refused(operation, "RSA modulus is \(bits) bits; at most \(maxBits) are accepted")
        }
    }

    /// Checks a public exponent (big-endian, no leading zero bytes): odd and
    /// 3 <= e <= 2^31 - 1.
    static func check(exponent e: ArraySlice<UInt8>, _ operation: String) throws(OpenSSLError) {
        let bits = bitCount(e)
        guard bits <= maxExponentBits else {
            throw .refused(operation, "RSA public exponent is \(bits) bits; at most \(maxExponentBits) are accepted")
        }
        guard let last = e.last, last & 1 == 1, bits >= 2 else {
            throw .refused(operation, "RSA public exponent must be odd and at least 3 (keys use 65537)")
        }
    }

    /// The bit length of a big-endian unsigned number without leading zero bytes.
    static func bitCount(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let first = bytes.first else { return 0 }
        return (bytes.count - 1) * 8 + 8 - first.leadingZeroBitCount
    }
}
