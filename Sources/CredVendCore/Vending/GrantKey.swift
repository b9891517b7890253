/// Which cached credentials of a client a request may have: role, duration and narrowing.
public struct GrantKey: Sendable, Hashable {
    public var role: String
    public var durationSeconds: Int?
    public var s3PathPrefix: [UInt8]?

    /// The record's own role, as asked for with nothing but a token.
    public static let plain = GrantKey(role: NamedRole.defaultName, durationSeconds: nil, s3PathPrefix: nil)
}
