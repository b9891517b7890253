/// The session policy that narrows vended credentials to a mapping's S3 prefix
/// (docs/reference.md#sts-assumerole): write = PutObject; read-write = +GetObject;
/// full = +DeleteObject on the objects and ListBucket on the bucket, limited by
/// `s3:prefix`. The effective permissions are the intersection of this policy
/// and the role's own.
public enum SessionPolicy {
    /// Compact JSON with a fixed key order, or nil when the mapping has no
    /// bucket (the role's own policy then applies unnarrowed). A leading `/` of
    /// the prefix is dropped: S3 keys do not start with one.
    ///
    /// Written in one pass into one buffer: every cold request with a bucket sends one, and
    /// the statements built as strings, arrays of actions and joins cost some 14,000
    /// instructions and a dozen allocations.
    public static func json(for mapping: RoleMapping) -> String? {
        guard let bucket = mapping.bucket, !bucket.isEmpty else { return nil }
        let prefix = mapping.s3PathPrefix ?? ""
        // Whole characters: a `/` that a combining mark follows is no slash and stays.
        let slashes = prefix.prefix { $0 == "/" }.utf8.count
        let full = mapping.permission == .full
        var out: [UInt8] = []
        out.reserveCapacity(320 + 2 * (bucket.utf8.count + prefix.utf8.count))
        out += #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject""#.utf8
        if mapping.permission != .write { out += #","s3:GetObject""#.utf8 }
        if full { out += #","s3:DeleteObject""#.utf8 }
        out += #"],"Resource":"arn:aws:s3:::"#.utf8
        appendEscaped(bucket, to: &out)
        out.append(UInt8(ascii: "/"))
        appendEscaped(prefix, dropping: slashes, to: &out)
        out += #"*"}"#.utf8
        if full {
            out += #",{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::"#.utf8
            appendEscaped(bucket, to: &out)
            out += #"","Condition":{"StringLike":{"s3:prefix":[""#.utf8
            appendEscaped(prefix, dropping: slashes, to: &out)
            out += #"*"]}}}"#.utf8
        }
        out += "]}".utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` escaped as `JSONText` escapes it, without its quotes and its first `dropping`
    /// bytes (slashes, which escape to themselves): escaping goes byte by byte, so the
    /// pieces of a string literal may be escaped one at a time, with no string joined first.
    private static func appendEscaped(_ text: String, dropping: Int = 0, to out: inout [UInt8]) {
        let start = out.count
        JSONText.appendQuoted(text, to: &out)
        out.removeLast()
        out.removeSubrange(start..<(start + 1 + dropping))
    }
}
