/// A SHA-256 digest as four words: a cheap dictionary key (the digest is already
/// uniform, so hashing one word is enough) that turns back into its bytes.
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
        a = word(0)
        b = word(1)
        c = word(2)
        d = word(3)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(a) }  // already uniform

    /// The 32 digest bytes back.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [a, b, c, d] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift)))
            }
        }
        return out
    }
}
