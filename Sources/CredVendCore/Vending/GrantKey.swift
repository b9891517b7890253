/// Which cached credentials of a client a request may have: role, duration and narrowing.
public struct GrantKey: Sendable, Hashable {
    public var role: String
    public var durationSeconds: Int?
    public var s3PathPrefix: [UInt8]?

    /// The record's own role, as asked for with nothing but a token.
    public static let plain = GrantKey(role: NamedRole.defaultName, durationSeconds: nil, s3PathPrefix: nil)

    /// The prefix eight bytes to a combine: an array's own hash combines each byte on its
    /// own, and every cache look-up and flight of a narrowed request hashes its key.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(role)
        hasher.combine(durationSeconds)
        guard let prefix = s3PathPrefix else { return hasher.combine(-1) }
        hasher.combine(prefix.count)
        var word: UInt64 = 0
        for (i, byte) in prefix.enumerated() {
            word = word << 8 | UInt64(byte)
            if i & 7 == 7 {
                hasher.combine(word)
                word = 0
            }
        }
        hasher.combine(word)
    }
}
