/// The usual stored role record read in one pass over its bytes (what `RoleStore.get`
/// decodes on a cold request): a flat object of the record's own fields with plain
/// values, as `RoleMappingJSON.encode` writes it. Anything else (named roles, unknown
/// or repeated fields, escapes, nulls, a value of the wrong type, a rule broken) gives
/// nil, and the strict reading decides, so its errors are the only ones.
enum RoleRecordScanner {
    static func scan(_ bytes: [UInt8]) -> RoleMapping? {
        var strings: [String?] = [nil, nil, nil, nil, nil, nil]
        var duration: Int? = nil
        var seen = 0
        let flat = JSONObjectScanner.scan(bytes) { name, value in
            guard let field = Field(name, in: bytes), seen & (1 << field.rawValue) == 0 else { return false }
            seen |= 1 << field.rawValue
            switch (field, value) {
            case (.sessionDuration, .integer(let seconds)): duration = seconds
            case (.sessionDuration, _): return false
            case (_, .string(let r)): strings[field.rawValue] = String(decoding: bytes[r], as: UTF8.self)
            default: return false
            }
            return true
        }
        guard flat, let clientId = strings[Field.clientId.rawValue], let roleArn = strings[Field.roleArn.rawValue]
        else { return nil }
        var permission = Permission.write
        if let text = strings[Field.permission.rawValue] {
            guard let level = Permission(rawValue: text) else { return nil }
            permission = level
        }
        let mapping = RoleMapping(
            clientId: clientId,
            roleArn: roleArn,
            serverName: strings[Field.serverName.rawValue],
            bucket: strings[Field.bucket.rawValue],
            s3PathPrefix: strings[Field.s3PathPrefix.rawValue],
            permission: permission,
            sessionDurationSeconds: duration ?? RoleMapping.defaultSessionDuration
        )
        guard (try? mapping.validate()) != nil else { return nil }
        return mapping
    }

    /// The record's own fields (not `roles`); their names have distinct lengths.
    private enum Field: Int {
        case clientId, roleArn, serverName, bucket, s3PathPrefix, permission, sessionDuration

        init?(_ name: Range<Int>, in bytes: [UInt8]) {
            let field: Field
            switch name.count {
            case 9: field = .clientId
            case 8: field = .roleArn
            case 11: field = .serverName
            case 6: field = .bucket
            case 14: field = .s3PathPrefix
            case 10: field = .permission
            case 18: field = .sessionDuration
            default: return nil
            }
            guard ByteScan.equals(bytes, name, Self.names[field.rawValue]) else { return nil }
            self = field
        }

        private static let names = RoleMappingJSON.fieldNames.map { Array($0.utf8) }
    }
}
