/// The rules for each field of a role record. Import, `put` and the admin API
/// all go through `RoleMapping.validate(recordIndex:)`, which applies these.
/// Each rule returns nil when the value is fine, else what is wrong.
public enum RoleRules {
    public static let sessionDurationRange = 900...43200
    public static let partitions = ["aws", "aws-cn", "aws-us-gov"]
    public static let maxClientIdLength = 128
    public static let maxServerNameLength = 64
    public static let maxPrefixLength = 1024

    /// 1-128 characters of `A-Z a-z 0-9 _ + = , . @ -` (a Cognito app client id is 26 of these).
    public static func clientId(_ value: String) -> String? {
        let bytes = value.utf8
        guard (1...maxClientIdLength).contains(bytes.count), bytes.allSatisfy(isClientIdByte) else {
            return "must be 1-\(maxClientIdLength) characters of A-Z a-z 0-9 _+=,.@-"
        }
        return nil
    }

    /// `arn:<partition>:iam::<12-digit account>:role/<path/>name`.
    public static func roleArn(_ value: String) -> String? {
        let shape = "must look like arn:aws:iam::123456789012:role/NAME (partition aws, aws-cn or aws-us-gov)"
        let parts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard value.utf8.count <= 2048, parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty
        else { return shape }
        guard partitions.contains(String(parts[1])) else {
            return "partition must be one of \(partitions.joined(separator: ", ")); \(shape)"
        }
        guard parts[4].utf8.count == 12, parts[4].utf8.allSatisfy(isDigit) else {
            return "account id must be 12 digits; \(shape)"
        }
        guard parts[5].hasPrefix("role/") else { return "resource must start with role/; \(shape)" }
        let segments = parts[5].dropFirst(5).split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments where segment.isEmpty || !segment.utf8.allSatisfy(isIAMNameByte) {
            return "role path and name segments must be non-empty and use only A-Z a-z 0-9 _+=,.@-"
        }
        guard let name = segments.last, name.utf8.count <= 64 else { return "role name must be 1-64 characters" }
        guard parts[5].utf8.count - 5 - name.utf8.count <= 512 else { return "role path must be at most 512 characters" }
        return nil
    }

    /// 1-64 printable characters, no leading or trailing space.
    public static func serverName(_ value: String) -> String? {
        guard (1...maxServerNameLength).contains(value.count) else {
            return "must be 1-\(maxServerNameLength) characters"
        }
        for scalar in value.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                return "must contain only printable characters"
            default: continue
            }
        }
        if value.first?.isWhitespace == true || value.last?.isWhitespace == true {
            return "must not start or end with white space"
        }
        return nil
    }

    /// S3 general-purpose bucket naming rules.
    public static func bucket(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard (3...63).contains(bytes.count) else { return "must be 3-63 characters (S3 bucket naming rules)" }
        guard bytes.allSatisfy({ isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "may contain only lowercase letters, digits, dots and hyphens (S3 bucket naming rules)"
        }
        guard isLowerAlnum(bytes[0]), isLowerAlnum(bytes[bytes.count - 1]) else {
            return "must start and end with a lowercase letter or digit (S3 bucket naming rules)"
        }
        if value.contains("..") { return "must not contain two adjacent dots (S3 bucket naming rules)" }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isDigit) }) {
            return "must not be formatted as an IP address (S3 bucket naming rules)"
        }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where value.hasPrefix(prefix) {
            return "must not start with \(prefix) (reserved by S3)"
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where value.hasSuffix(suffix) {
            return "must not end with \(suffix) (reserved by S3)"
        }
        return nil
    }

    /// A key prefix inside the bucket: no leading `/`, no `.` or `..` segment,
    /// no IAM wildcard or policy variable, no control character, at most 1024 bytes.
    public static func s3PathPrefix(_ value: String) -> String? {
        guard (1...maxPrefixLength).contains(value.utf8.count) else {
            return "must be 1-\(maxPrefixLength) bytes (omit the field for the whole bucket)"
        }
        if value.hasPrefix("/") { return "must not start with / (S3 keys have no leading slash)" }
        if value.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            return "must not contain . or .. segments"
        }
        if value.contains("*") || value.contains("?") || value.contains("${") {
            return "must not contain *, ? or ${ (they are wildcards and variables in IAM policies)"
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        return nil
    }

    public static func sessionDuration(_ seconds: Int) -> String? {
        sessionDurationRange.contains(seconds)
            ? nil
            : "must be an integer from \(sessionDurationRange.lowerBound) to \(sessionDurationRange.upperBound) seconds"
    }

    public static func permissionProblem(_ text: String) -> String {
        "must be one of \(Permission.allCases.map(\.rawValue).joined(separator: ", ")), got \(RoleMappingJSON.quoted(String(text.prefix(40))))"
    }

    static func isClientIdByte(_ b: UInt8) -> Bool { isIAMNameByte(b) }

    /// `[\w+=,.@-]` as IAM means it: ASCII letters, digits, underscore and `+=,.@-`.
    static func isIAMNameByte(_ b: UInt8) -> Bool {
        isLowerAlnum(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || "_+=,.@-".utf8.contains(b)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isLowerAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) }
}

extension RoleMapping {
    /// Throws the first rule this record breaks, naming the field (and the
    /// record, through `recordIndex` and its client_id).
    public func validate(recordIndex: Int? = nil) throws(RoleValidationError) {
        func fail(_ field: String, _ message: String) -> RoleValidationError {
            RoleValidationError(recordIndex: recordIndex, clientId: clientId, field: field, message: message)
        }
        if let problem = RoleRules.clientId(clientId) { throw fail("client_id", problem) }
        if let problem = RoleRules.roleArn(roleArn) { throw fail("role_arn", problem) }
        if let serverName, let problem = RoleRules.serverName(serverName) { throw fail("server_name", problem) }
        if let bucket, let problem = RoleRules.bucket(bucket) { throw fail("bucket", problem) }
        if let s3PathPrefix {
            if bucket == nil { throw fail("s3_path_prefix", "needs a bucket (s3_path_prefix is a key prefix inside it)") }
            if let problem = RoleRules.s3PathPrefix(s3PathPrefix) { throw fail("s3_path_prefix", problem) }
        }
        if let problem = RoleRules.sessionDuration(sessionDurationSeconds) { throw fail("session_duration_s", problem) }
    }

    /// Builds and validates a record from text values (CLI flags, query strings):
    /// `permission` and `sessionDuration` are parsed here so their errors name the field.
    public static func parse(clientId: String, roleArn: String, serverName: String? = nil, bucket: String? = nil,
                             s3PathPrefix: String? = nil, permission: String? = nil,
                             sessionDuration: String? = nil) throws(RoleValidationError) -> RoleMapping {
        var level = Permission.write
        if let permission {
            guard let parsed = Permission(rawValue: permission) else {
                throw RoleValidationError(clientId: clientId, field: "permission",
                                          message: RoleRules.permissionProblem(permission))
            }
            level = parsed
        }
        var seconds = RoleMapping.defaultSessionDuration
        if let sessionDuration {
            guard let parsed = Int(sessionDuration) else {
                throw RoleValidationError(clientId: clientId, field: "session_duration_s",
                                          message: RoleRules.sessionDuration(0)!)
            }
            seconds = parsed
        }
        let mapping = RoleMapping(clientId: clientId, roleArn: roleArn, serverName: serverName, bucket: bucket,
                                  s3PathPrefix: s3PathPrefix, permission: level, sessionDurationSeconds: seconds)
        try mapping.validate()
        return mapping
    }
}
