/// The session policy that narrows vended credentials to a mapping's S3 prefix
/// (docs/reference.md#sts-assumerole): write = PutObject; read-write = +GetObject;
/// full = +DeleteObject on the objects and ListBucket on the bucket, limited by
/// `s3:prefix`. The effective permissions are the intersection of this policy
/// and the role's own.
public enum SessionPolicy {
    /// Compact JSON with a fixed key order, or nil when the mapping has no
    /// bucket (the role's own policy then applies unnarrowed). A leading `/` of
    /// the prefix is dropped: S3 keys do not start with one.
    public static func json(for mapping: RoleMapping) -> String? {
        guard let bucket = mapping.bucket, !bucket.isEmpty else { return nil }
        var prefix = Substring(mapping.s3PathPrefix ?? "")
        while prefix.hasPrefix("/") { prefix = prefix.dropFirst() }

        var objectActions = ["s3:PutObject"]
        if mapping.permission != .write { objectActions.append("s3:GetObject") }
        if mapping.permission == .full { objectActions.append("s3:DeleteObject") }

        var statements = [
            statement(actions: objectActions, resource: "arn:aws:s3:::\(bucket)/\(prefix)*")
        ]
        if mapping.permission == .full {
            statements.append(
                statement(
                    actions: ["s3:ListBucket"],
                    resource: "arn:aws:s3:::\(bucket)",
                    condition: #"{"StringLike":{"s3:prefix":[\#(string("\(prefix)*"))]}}"#
                )
            )
        }
        return #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }

    private static func statement(actions: [String], resource: String, condition: String? = nil) -> String {
        var out =
            #"{"Effect":"Allow","Action":[\#(actions.map(string).joined(separator: ","))],"Resource":\#(string(resource))"#
        if let condition { out += #","Condition":\#(condition)"# }
        return out + "}"
    }

    static func string(_ text: String) -> String { JSONText.quote(text) }
}
