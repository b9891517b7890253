/// Whether a requested S3 prefix lies inside a role's: the narrowed session policy
/// must never reach an object the role's own does not (docs/reference.md#named-roles).
///
/// Inside means on path segments, bytes compared exactly: the role's prefix is the
/// request's, or the request's goes on from it at a `/` (or the role's ends in `/`).
/// So `logs` holds `logs` and `logs/a`, never `logs2`, though `logs*` in IAM would.
/// The request's prefix obeys the record rules too (`RoleRules.s3PathPrefix`): no
/// `.`/`..` segment, no `*`, `?` or `${`, which an IAM policy would read as
/// wildcards and variables and so widen.
public enum S3PrefixNarrowing {
    /// nil when `prefix` may narrow `grant`, else why not.
    public static func problem(_ prefix: String, inside grant: RoleMapping) -> String? {
        if grant.bucket == nil { return "cannot narrow a role without a bucket" }
        if let problem = RoleRules.s3PathPrefix(prefix) { return problem }
        guard let own = grant.s3PathPrefix else { return nil }
        let asked = Array(prefix.utf8)
        let base = Array(own.utf8)
        let inside =
            asked.starts(with: base)
            && (asked.count == base.count || base.last == UInt8(ascii: "/") || asked[base.count] == UInt8(ascii: "/"))
        return inside ? nil : "must lie inside the role's prefix \(RoleMappingJSON.quoted(own)) (never wider)"
    }
}
