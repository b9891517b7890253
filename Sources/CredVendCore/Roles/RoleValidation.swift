/// The rules for each field of a role record. Import, `put` and the admin API
/// all go through `RoleMapping.validate(recordIndex:)`, which applies these
/// and the `AWSRules` the client shares (role_arn, session_duration_s).
/// Each rule returns nil when the value is fine, else what is wrong.
public enum RoleRules {
    public static let maxClientIdLength = 128
    public static let maxServerNameLength = 64
    public static let maxPrefixLength = 1024

    /// 1-128 characters of `A-Z a-z 0-9 _ + = , . @ -` (a Cognito app client id is 26 of these).
    public static func clientId(_ value: String) -> String? {
        let bytes = value.utf8
        guard (1...maxClientIdLength).contains(bytes.count), bytes.allSatisfy(AWSRules.isIAMNameByte) else {
            return "must be 1-\(maxClientIdLength) characters of A-Z a-z 0-9 _+=,.@-"
        }
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
        guard bytes.allSatisfy({ AWSRules.isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "may contain only lowercase letters, digits, dots and hyphens (S3 bucket naming rules)"
        }
        guard AWSRules.isLowerAlnum(bytes[0]), AWSRules.isLowerAlnum(bytes[bytes.count - 1]) else {
            return "must start and end with a lowercase letter or digit (S3 bucket naming rules)"
        }
        if value.contains("..") { return "must not contain two adjacent dots (S3 bucket naming rules)" }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(AWSRules.isDigit) }) {
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

    public static func permissionProblem(_ text: String) -> String {
        "must be one of \(Permission.allCases.map(\.rawValue).joined(separator: ", ")), got \(RoleMappingJSON.quoted(String(text.prefix(40))))"
    }
}

extension RoleMapping {
    /// Throws the first rule this record breaks, naming the field (and the
    /// record, through `recordIndex` and its client_id).
    public func validate(recordIndex: Int? = nil) throws(RoleValidationError) {
        func fail(_ field: String, _ message: String) -> RoleValidationError {
            RoleValidationError(recordIndex: recordIndex, clientId: clientId, field: field, message: message)
        }
        if let problem = RoleRules.clientId(clientId) { throw fail("client_id", problem) }
        if let problem = AWSRules.roleArn(roleArn) { throw fail("role_arn", problem) }
        if let serverName, let problem = RoleRules.serverName(serverName) { throw fail("server_name", problem) }
        if let bucket, let problem = RoleRules.bucket(bucket) { throw fail("bucket", problem) }
        if let s3PathPrefix {
            if bucket == nil { throw fail("s3_path_prefix", "needs a bucket (s3_path_prefix is a key prefix inside it)") }
            if let problem = RoleRules.s3PathPrefix(s3PathPrefix) { throw fail("s3_path_prefix", problem) }
        }
        if let problem = AWSRules.sessionDuration(sessionDurationSeconds) { throw fail("session_duration_s", problem) }
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
                                          message: AWSRules.sessionDurationProblem)
            }
            seconds = parsed
        }
        let mapping = RoleMapping(clientId: clientId, roleArn: roleArn, serverName: serverName, bucket: bucket,
                                  s3PathPrefix: s3PathPrefix, permission: level, sessionDurationSeconds: seconds)
        try mapping.validate()
        return mapping
    }
}
