/// The rules for each field of a role record. Import, `put` and the admin API
/// all go through `RoleMapping.validate(recordIndex:)`, which applies these
/// and the `AWSRules` the client shares (role_arn, session_duration_s).
/// Each rule returns nil when the value is fine, else what is wrong.
///
/// Every rule reads the value's UTF-8 bytes: lengths are byte counts (what
/// LMDB, IAM and S3 count), and a character is never matched as a grapheme
/// cluster, where `"/"` followed by a combining mark would not be a `/`.
public enum RoleRules {
    public static let maxClientIdBytes = 128
    public static let maxServerNameBytes = 256
    public static let maxPrefixBytes = 1024

    /// 1-128 bytes of `A-Z a-z 0-9 _ + = , . @ -` (a Cognito app client id is 26 of these).
    public static func clientId(_ value: String) -> String? {
        let bytes = value.utf8
        guard (1...maxClientIdBytes).contains(bytes.count), bytes.allSatisfy(AWSRules.isIAMNameByte) else {
            return "must be 1-\(maxClientIdBytes) bytes, each one of A-Z a-z 0-9 _+=,.@-"
        }
        return nil
    }

    /// A label: any printable text of 1-256 UTF-8 bytes. `RoleSessionName`
    /// makes what STS accepts out of it.
    public static func serverName(_ value: String) -> String? {
        guard (1...maxServerNameBytes).contains(value.utf8.count) else {
            return "must be 1-\(maxServerNameBytes) bytes of UTF-8 (got \(value.utf8.count))"
        }
        if !isPrintable(value) { return "must be printable: no control characters (U+0000-U+001F, U+007F-U+009F)" }
        return nil
    }

    /// Printable text: valid UTF-8 (every Swift `String` is; the JSON parser and
    /// the CLI refuse bytes that are not) with no control character, C0
    /// (U+0000-U+001F), DEL (U+007F) or C1 (U+0080-U+009F).
    public static func isPrintable(_ value: String) -> Bool {
        !value.unicodeScalars.contains(where: isControl)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// S3 general-purpose bucket naming rules.
    public static func bucket(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard (3...63).contains(bytes.count) else { return "must be 3-63 characters (S3 bucket naming rules)" }
        guard bytes.allSatisfy({ AWSRules.isLowerAlnum($0) || $0 == dot || $0 == UInt8(ascii: "-") }) else {
            return "may contain only lowercase letters, digits, dots and hyphens (S3 bucket naming rules)"
        }
        // ASCII from here on.
        guard AWSRules.isLowerAlnum(bytes[0]), AWSRules.isLowerAlnum(bytes[bytes.count - 1]) else {
            return "must start and end with a lowercase letter or digit (S3 bucket naming rules)"
        }
        if contains(bytes, "..") { return "must not contain two adjacent dots (S3 bucket naming rules)" }
        let labels = bytes.split(separator: dot, omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(AWSRules.isDigit) }) {
            return "must not be formatted as an IP address (S3 bucket naming rules)"
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where bytes.starts(with: prefix.utf8) {
            return "must not start with \(prefix) (reserved by S3)"
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        where bytes.reversed().starts(with: suffix.utf8.reversed()) {
            return "must not end with \(suffix) (reserved by S3)"
        }
        return nil
    }

    /// A key prefix inside the bucket: no leading `/`, no `.` or `..` segment,
    /// no IAM wildcard or policy variable, no control character, at most 1024 bytes.
    public static func s3PathPrefix(_ value: String) -> String? {
        let utf8 = value.utf8
        guard (1...maxPrefixBytes).contains(utf8.count) else {
            return "must be 1-\(maxPrefixBytes) bytes (omit the field for the whole bucket)"
        }
        if utf8.first == slash { return "must not start with / (S3 keys have no leading slash)" }
        // One pass (the record is decoded on a cold request); the problems are named in this order.
        var dotSegment = false
        var wildcard = false
        var control = false
        var segment = (bytes: 0, dots: 0)
        var previous: UInt8 = 0
        for b in utf8 {
            if b == slash {
                if segment.bytes > 0, segment.bytes <= 2, segment.dots == segment.bytes { dotSegment = true }
                segment = (0, 0)
            } else {
                segment.bytes += 1
                if b == dot { segment.dots += 1 }
            }
            if b == UInt8(ascii: "*") || b == UInt8(ascii: "?")
                || (previous == UInt8(ascii: "$") && b == UInt8(ascii: "{"))
            {
                wildcard = true
            }
            // C0 and DEL; C1 (U+0080-U+009F) is 0xC2 0x80-0x9F in UTF-8.
            if b < 0x20 || b == 0x7F || (previous == 0xC2 && b <= 0x9F) { control = true }
            previous = b
        }
        if segment.bytes > 0, segment.bytes <= 2, segment.dots == segment.bytes { dotSegment = true }
        if dotSegment { return "must not contain . or .. segments" }
        if wildcard { return "must not contain *, ? or ${ (they are wildcards and variables in IAM policies)" }
        if control { return "must not contain control characters" }
        return nil
    }

    public static let maxRoleNameBytes = 64

    /// A named role's name: 1-64 bytes of `A-Z a-z 0-9 _ . -`, and not `default`,
    /// which names the record's own role in a request.
    public static func roleName(_ value: String) -> String? {
        let bytes = value.utf8
        let allowed = { (b: UInt8) in
            AWSRules.isLowerAlnum(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || "_.-".utf8.contains(b)
        }
        guard (1...maxRoleNameBytes).contains(bytes.count), bytes.allSatisfy(allowed) else {
            return "must be 1-\(maxRoleNameBytes) bytes, each one of A-Z a-z 0-9 _.-"
        }
        if bytes.elementsEqual(NamedRole.defaultName.utf8) {
            return "must not be \"default\" (a request names the record's own role so)"
        }
        return nil
    }

    private static let dot = UInt8(ascii: ".")
    private static let slash = UInt8(ascii: "/")

    /// Whether `needle`'s bytes occur in `bytes`.
    static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard bytes.count >= n.count else { return false }
        return (0...(bytes.count - n.count)).contains { bytes[$0..<($0 + n.count)].elementsEqual(n) }
    }

    /// At most `limit` UTF-8 bytes of `value`, cut at a scalar boundary (for messages).
    static func cut(_ value: String, toBytes limit: Int) -> String {
        guard value.utf8.count > limit else { return value }
        var out = String.UnicodeScalarView()
        var used = 0
        for scalar in value.unicodeScalars {
            used += UTF8.width(scalar)
            if used > limit { break }
            out.append(scalar)
        }
        return String(out) + "..."
    }

    public static func permissionProblem(_ text: String) -> String {
        let known = Permission.allCases.map(\.rawValue).joined(separator: ", ")
        return "must be one of \(known), got \(RoleMappingJSON.quoted(cut(text, toBytes: 40)))"
    }
}

extension RoleMapping {
    /// Throws the first rule this record breaks, naming the field (and the
    /// record, through `recordIndex` and its client_id).
    public func validate(recordIndex: Int? = nil) throws(RoleValidationError) {
        try validateGrant(recordIndex: recordIndex)
        var seen: [[UInt8]: Int] = [:]
        for (i, role) in roles.enumerated() {
            func fail(_ field: String, _ message: String) -> RoleValidationError {
                RoleValidationError(
                    recordIndex: recordIndex,
                    clientId: clientId,
                    field: "roles[\(i)].\(field)",
                    message: message
                )
            }
            if let problem = RoleRules.roleName(role.name) { throw fail("name", problem) }
            if let first = seen.updateValue(i, forKey: Array(role.name.utf8)) {
                throw fail("name", "duplicate name (also roles[\(first)])")
            }
            // The same rules as the record's own role.
            do {
                try role.grant(of: clientId, serverName: serverName).validateGrant(recordIndex: recordIndex)
            } catch {
                throw fail(error.field ?? "", error.message)
            }
        }
    }

    /// The rules of the record's own fields (and, through `NamedRole.grant`, a named role's).
    private func validateGrant(recordIndex: Int?) throws(RoleValidationError) {
        func fail(_ field: String, _ message: String) -> RoleValidationError {
            RoleValidationError(recordIndex: recordIndex, clientId: clientId, field: field, message: message)
        }
        if let problem = RoleRules.clientId(clientId) { throw fail("client_id", problem) }
        if let problem = AWSRules.roleArn(roleArn) { throw fail("role_arn", problem) }
        if let serverName, let problem = RoleRules.serverName(serverName) { throw fail("server_name", problem) }
        if let bucket, let problem = RoleRules.bucket(bucket) { throw fail("bucket", problem) }
        if let s3PathPrefix {
            if bucket == nil {
                throw fail("s3_path_prefix", "needs a bucket (s3_path_prefix is a key prefix inside it)")
            }
            if let problem = RoleRules.s3PathPrefix(s3PathPrefix) { throw fail("s3_path_prefix", problem) }
        }
        if let problem = AWSRules.sessionDuration(sessionDurationSeconds) { throw fail("session_duration_s", problem) }
    }

    /// Builds and validates a record from text values (CLI flags, query strings):
    /// `permission` and `sessionDuration` are parsed here so their errors name the field.
    public static func parse(
        clientId: String,
        roleArn: String,
        serverName: String? = nil,
        bucket: String? = nil,
        s3PathPrefix: String? = nil,
        permission: String? = nil,
        sessionDuration: String? = nil
    ) throws(RoleValidationError) -> RoleMapping {
        var level = Permission.write
        if let permission {
            guard let parsed = Permission(rawValue: permission) else {
                throw RoleValidationError(
                    clientId: clientId,
                    field: "permission",
                    message: RoleRules.permissionProblem(permission)
                )
            }
            level = parsed
        }
        var seconds = RoleMapping.defaultSessionDuration
        if let sessionDuration {
            guard let parsed = Int(sessionDuration) else {
                throw RoleValidationError(
                    clientId: clientId,
                    field: "session_duration_s",
                    message: AWSRules.sessionDurationProblem
                )
            }
            seconds = parsed
        }
        let mapping = RoleMapping(
            clientId: clientId,
            roleArn: roleArn,
            serverName: serverName,
            bucket: bucket,
            s3PathPrefix: s3PathPrefix,
            permission: level,
            sessionDurationSeconds: seconds
        )
        try mapping.validate()
        return mapping
    }
}
