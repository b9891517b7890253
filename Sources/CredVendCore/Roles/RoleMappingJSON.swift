public import Foundation

/// The JSON form of role records: strict reading (unknown fields, wrong types
/// and rule breaks are refused, naming record and field) and one canonical
/// writing (fixed key order, absent optionals omitted), so that
/// export → import → export gives the same bytes.
public enum RoleMappingJSON {
    /// The record's fields, in the order they are written.
    public static let fieldNames = [
        "client_id", "role_arn", "server_name", "bucket", "s3_path_prefix", "permission", "session_duration_s", "roles",
    ]

    /// A named role's fields, in the order they are written.
    public static let namedRoleFieldNames = [
        "name", "role_arn", "bucket", "s3_path_prefix", "permission", "session_duration_s",
    ]

    /// One record, on one line: `{"client_id":"...","role_arn":"...",...}`.
    public static func encode(_ m: RoleMapping) -> String { encode(m, quote: quoted) }

    /// The same, with `quote` writing each string (the audit log's `LogEscaping.jsonString`).
    public static func encode(_ m: RoleMapping, quote quoted: (String) -> String) -> String {
        var out = "{"
        func field(_ name: String, _ value: String) {
            if out.count > 1 { out += "," }
            out += "\"\(name)\":" + value
        }
        field("client_id", quoted(m.clientId))
        field("role_arn", quoted(m.roleArn))
        if let v = m.serverName { field("server_name", quoted(v)) }
        if let v = m.bucket { field("bucket", quoted(v)) }
        if let v = m.s3PathPrefix { field("s3_path_prefix", quoted(v)) }
        field("permission", quoted(m.permission.rawValue))
        field("session_duration_s", String(m.sessionDurationSeconds))
        if !m.roles.isEmpty {
            field("roles", "[" + m.roles.map { encode($0, quote: quoted) }.joined(separator: ",") + "]")
        }
        return out + "}"
    }

    /// One named role: `{"name":"...","role_arn":"...",...}`, absent optionals omitted.
    static func encode(_ r: NamedRole, quote quoted: (String) -> String) -> String {
        var parts = ["\"name\":" + quoted(r.name), "\"role_arn\":" + quoted(r.roleArn)]
        if let v = r.bucket { parts.append("\"bucket\":" + quoted(v)) }
        if let v = r.s3PathPrefix { parts.append("\"s3_path_prefix\":" + quoted(v)) }
        parts.append("\"permission\":" + quoted(r.permission.rawValue))
        parts.append("\"session_duration_s\":" + String(r.sessionDurationSeconds))
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A JSON array, one record per line, ending in a newline; what export prints and import reads.
    public static func encodeList(_ records: [RoleMapping]) -> String {
        records.isEmpty ? "[]\n" : "[\n" + records.map { "  " + encode($0) }.joined(separator: ",\n") + "\n]\n"
    }

    /// One record from a JSON object.
    public static func decode(_ data: Data) throws(RoleValidationError) -> RoleMapping {
        try checkSyntax(data, list: false)
        do {
            return try JSONDecoder().decode(RoleMapping.self, from: data)
        } catch let error as RoleValidationError {
            throw error
        } catch {
            throw RoleValidationError(message: describe(error, expecting: "a JSON object (one role record)"))
        }
    }

    /// An import file: a JSON array of records. Every record is checked; a
    /// client_id given twice is refused too.
    public static func decodeList(_ data: Data) throws(RoleValidationError) -> [RoleMapping] {
        try checkSyntax(data, list: true)
        let records: [RoleMapping]
        do {
            records = try JSONDecoder().decode([RoleMapping].self, from: data)
        } catch let error as RoleValidationError {
            throw error
        } catch {
            throw RoleValidationError(message: describe(error, expecting: "a JSON array of role records"))
        }
        var seen: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            if let first = seen.updateValue(index, forKey: record.clientId) {
                throw RoleValidationError(
                    recordIndex: index,
                    clientId: record.clientId,
                    field: "client_id",
                    message: "duplicate client_id (also record \(first))"
                )
            }
        }
        return records
    }

    /// A JSON string literal (one escaping rule for the whole code base).
    public static func quoted(_ s: String) -> String { JSONText.quote(s) }

    private static func describe(_ error: any Error, expecting: String) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context)? where context.codingPath.isEmpty:
            return "must be \(expecting)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .keyNotFound(_, let context)?:
            return "must be \(expecting) (\(context.debugDescription))"
        default:
            return "could not read JSON: \(error)"
        }
    }
}

extension RoleMappingJSON {
    /// Reads the text with the project's strict parser before JSONDecoder, which
    /// neither says where text goes wrong nor refuses a member name given twice
    /// (it would keep one of the two values). Its error is "not valid JSON: line L,
    /// column C: reason", or, for a field given twice in a record, one naming the
    /// record and the field.
    static func checkSyntax(_ data: Data, list: Bool) throws(RoleValidationError) {
        let bytes = Array(data)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw RoleValidationError(message: "not valid JSON: the input is empty")
        }
        do {
            _ = try JSONParser.parse(bytes)
        } catch {
            let before = bytes[..<min(error.offset, bytes.count)]
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = before.count - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            if let name = error.duplicateName {
                // A record's field: the top-level object, or an element of the top-level array.
                var recordIndex: Int? = nil
                var inRecord = error.path[...]
                if list, case .index(let i)? = inRecord.first {
                    recordIndex = i
                    inRecord = inRecord.dropFirst()
                }
                // The record's own field, or one of a named role (`roles[i].field`).
                var field: String? = nil
                if inRecord.isEmpty {
                    field = name
                } else if inRecord.count == 2, inRecord.first == .member("roles"),
                    case .index(let i)? = inRecord.last
                {
                    field = "roles[\(i)].\(name)"
                }
                if let field, !list || recordIndex != nil {
                    throw RoleValidationError(
                        recordIndex: recordIndex,
                        field: field,
                        message: "given more than once (line \(line), column \(column)); a field may appear only once"
                    )
                }
            }
            throw RoleValidationError(message: "not valid JSON: line \(line), column \(column): \(error.reason)")
        }
    }
}

extension RoleMapping {
    /// Strict: refuses unknown fields and wrong types, applies the defaults
    /// (permission write, 3600 s), then `validate`s. Errors name the record
    /// (its index when decoded as part of an array) and the field.
    public init(from decoder: any Decoder) throws {
        let index = decoder.codingPath.last?.intValue
        guard let c = try? decoder.container(keyedBy: FieldKey.self) else {
            throw RoleValidationError(recordIndex: index, message: "must be a JSON object (a role record)")
        }
        let namedId = try? c.decode(String.self, forKey: FieldKey("client_id"))
        let f = StrictFields(container: c, known: RoleMappingJSON.fieldNames) { field, message in
            RoleValidationError(recordIndex: index, clientId: namedId, field: field, message: message)
        }
        try f.refuseUnknown()
        guard let clientId = try f.string("client_id", required: true) else { throw f.fail("client_id", "is required") }
        guard let roleArn = try f.string("role_arn", required: true) else { throw f.fail("role_arn", "is required") }
        var roles: [NamedRole] = []
        let rolesKey = FieldKey("roles")
        if c.contains(rolesKey), !((try? c.decodeNil(forKey: rolesKey)) ?? false) {
            guard var list = try? c.nestedUnkeyedContainer(forKey: rolesKey) else {
                throw f.fail("roles", "must be a JSON array of named roles")
            }
            while !list.isAtEnd {
                let i = list.currentIndex
                guard let item = try? list.nestedContainer(keyedBy: FieldKey.self) else {
                    throw f.fail("roles[\(i)]", "must be a JSON object (a named role)")
                }
                let r = StrictFields(container: item, known: RoleMappingJSON.namedRoleFieldNames) { field, message in
                    f.fail("roles[\(i)].\(field)", message)
                }
                try r.refuseUnknown()
                guard let name = try r.string("name", required: true) else { throw r.fail("name", "is required") }
                guard let arn = try r.string("role_arn", required: true) else {
                    throw r.fail("role_arn", "is required")
                }
                roles.append(
                    NamedRole(
                        name: name,
                        roleArn: arn,
                        bucket: try r.string("bucket"),
                        s3PathPrefix: try r.string("s3_path_prefix"),
                        permission: try r.permission(),
                        sessionDurationSeconds: try r.sessionDuration()
                    )
                )
            }
        }
        self.init(
            clientId: clientId,
            roleArn: roleArn,
            serverName: try f.string("server_name"),
            bucket: try f.string("bucket"),
            s3PathPrefix: try f.string("s3_path_prefix"),
            permission: try f.permission(),
            sessionDurationSeconds: try f.sessionDuration(),
            roles: roles
        )
        try validate(recordIndex: index)
    }
}

/// Reads one JSON object's fields strictly (a record, or one of its named roles):
/// unknown fields, wrong types and bad enum values are refused through `fail`.
struct StrictFields {
    let container: KeyedDecodingContainer<FieldKey>
    let known: [String]
    let fail: (String, String) -> RoleValidationError

    func refuseUnknown() throws(RoleValidationError) {
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw fail(key.stringValue, "unknown field (known: \(known.joined(separator: ", ")))")
        }
    }

    private func present(_ name: String) -> Bool {
        let key = FieldKey(name)
        return container.contains(key) && !((try? container.decodeNil(forKey: key)) ?? false)
    }

    /// A string field; nil when absent or null (optional fields only).
    func string(_ name: String, required: Bool = false) throws(RoleValidationError) -> String? {
        guard present(name) else {
            if required { throw fail(name, "is required") }
            return nil
        }
        guard let value = try? container.decode(String.self, forKey: FieldKey(name)) else {
            throw fail(name, "must be a string")
        }
        return value
    }

    /// `permission`, write when absent.
    func permission() throws(RoleValidationError) -> Permission {
        guard let text = try string("permission") else { return .write }
        guard let level = Permission(rawValue: text) else {
            throw fail("permission", RoleRules.permissionProblem(text))
        }
        return level
    }

    /// `session_duration_s`, 3600 when absent.
    func sessionDuration() throws(RoleValidationError) -> Int {
        guard present("session_duration_s") else { return RoleMapping.defaultSessionDuration }
        guard let value = try? container.decode(Int.self, forKey: FieldKey("session_duration_s")) else {
            throw fail("session_duration_s", AWSRules.sessionDurationProblem + ", not a string or fraction")
        }
        return value
    }
}

/// Any JSON object key, so unknown fields can be listed and refused.
struct FieldKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
