/// A SHA-256 digest (or HMAC-SHA256 code) as four words, first byte most significant: a
/// cheap dictionary key (the digest is already uniform, so hashing one word is enough) and
/// a value returned on the stack, with no array made (SigV4 computes six per request).
public struct SHA256Digest: Hashable, Sendable {
    package let a: UInt64, b: UInt64, c: UInt64, d: UInt64

    /// `digest` must be 32 bytes (SHA-256).
    public init(digest: [UInt8]) {
        precondition(digest.count == 32, "a SHA-256 digest is 32 bytes")
        func word(_ i: Int) -> UInt64 {
            var w: UInt64 = 0
            for j in 0..<8 { w = w << 8 | UInt64(digest[i * 8 + j]) }
            return w
        }
        self.init(a: word(0), b: word(1), c: word(2), d: word(3))
    }

    package init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(a) }  // already uniform

    /// Equality in time independent of where the digests differ: for keys.
    package func equalsInConstantTime(_ other: SHA256Digest) -> Bool {
        (a ^ other.a) | (b ^ other.b) | (c ^ other.c) | (d ^ other.d) == 0
    }

    /// The 32 digest bytes back.
    public var bytes: [UInt8] {
        [UInt8](capacity: 32) { out in
            for w in [a, b, c, d] {
                for shift in stride(from: 56, through: 0, by: -8) {
                    out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift)))
                }
            }
        }
    }
}
