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

    /// One record from a JSON object: read from the strict parser's value, as the
    /// `Decodable` conformance reads it from JSONDecoder, without a second parse.
    public static func decode(_ data: Data) throws(RoleValidationError) -> RoleMapping {
        try decode(bytes: Array(data))
    }

    /// `decode` of the bytes as stored (what `RoleStore.get` reads on every cold request):
    /// the usual record in one pass (`RoleRecordScanner`), any other through the parser.
    public static func decode(bytes: [UInt8]) throws(RoleValidationError) -> RoleMapping {
        if let record = RoleRecordScanner.scan(bytes) { return record }
        return try RoleMapping(parsed: try checkSyntax(bytes, list: false), index: nil)
    }

    /// An import file: a JSON array of records. Every record is checked; a
    /// client_id given twice is refused too.
    public static func decodeList(_ data: Data) throws(RoleValidationError) -> [RoleMapping] {
        guard case .array(let items) = try checkSyntax(Array(data), list: true) else {
            throw RoleValidationError(message: "must be a JSON array of role records")
        }
        var records: [RoleMapping] = []
        records.reserveCapacity(items.count)
        for (index, item) in items.enumerated() { records.append(try RoleMapping(parsed: item, index: index)) }
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
}

extension RoleMappingJSON {
    /// Reads the text with the project's strict parser, which says where text goes
    /// wrong and refuses a member name given twice (JSONDecoder would keep one of the
    /// two values). Its error is "not valid JSON: line L, column C: reason", or, for a
    /// field given twice in a record, one naming the record and the field.
    static func checkSyntax(_ bytes: [UInt8], list: Bool) throws(RoleValidationError) -> JSONValue {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw RoleValidationError(message: "not valid JSON: the input is empty")
        }
        do {
            return try JSONParser.parse(bytes)
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
        try self.init(reading: DecodedMembers(container: c), index: index)
    }

    /// The same reading of a value from `JSONParser` (`RoleMappingJSON.decode`).
    init(parsed value: JSONValue, index: Int?) throws(RoleValidationError) {
        guard case .object(let members) = value else {
            throw RoleValidationError(recordIndex: index, message: "must be a JSON object (a role record)")
        }
        try self.init(reading: ParsedMembers(members: members), index: index)
    }

    /// The one reading of a record's fields, whichever parser found them.
    init<Members: RecordMembers>(reading c: Members, index: Int?) throws(RoleValidationError) {
        let namedId = c.string("client_id")
        let f = StrictFields(members: c, known: RoleMappingJSON.fieldNames) { field, message in
            RoleValidationError(recordIndex: index, clientId: namedId, field: field, message: message)
        }
        try f.refuseUnknown()
        guard let clientId = try f.string("client_id", required: true) else { throw f.fail("client_id", "is required") }
        guard let roleArn = try f.string("role_arn", required: true) else { throw f.fail("role_arn", "is required") }
        var roles: [NamedRole] = []
        if c.isPresent("roles") {
            guard let list = c.objects("roles") else { throw f.fail("roles", "must be a JSON array of named roles") }
            for (i, item) in list.enumerated() {
                guard let item else { throw f.fail("roles[\(i)]", "must be a JSON object (a named role)") }
                let r = StrictFields(members: item, known: RoleMappingJSON.namedRoleFieldNames) { field, message in
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

/// One JSON object's members as the record reader asks for them; `DecodedMembers`
/// (JSONDecoder's container) and `ParsedMembers` (JSONParser's value) answer alike,
/// as RoleRecordReadingTests check.
protocol RecordMembers {
    /// The first member not in `known`, in name order (an object's members come in no
    /// fixed order, and the error must not change from one reading to the next).
    func unknown(known: [String]) -> String?
    /// Present and not null.
    func isPresent(_ name: String) -> Bool
    /// The member's string; nil when absent or not a string.
    func string(_ name: String) -> String?
    /// The member as a whole number of Int's range (`3600`, `3600.0`, `3.6e3`); nil when
    /// absent, not a number or not whole.
    func integer(_ name: String) -> Int?
    /// The member as an array: nil when not one; an element that is not an object is
    /// nil and ends the list.
    func objects(_ name: String) -> [Self?]?
}

/// JSONDecoder's view of an object (the `Decodable` conformance).
struct DecodedMembers: RecordMembers {
    let container: KeyedDecodingContainer<FieldKey>

    func unknown(known: [String]) -> String? {
        container.allKeys.map(\.stringValue).filter { !known.contains($0) }.min()
    }

    func isPresent(_ name: String) -> Bool {
        let key = FieldKey(name)
        return container.contains(key) && !((try? container.decodeNil(forKey: key)) ?? false)
    }

    func string(_ name: String) -> String? { try? container.decode(String.self, forKey: FieldKey(name)) }

    func integer(_ name: String) -> Int? { try? container.decode(Int.self, forKey: FieldKey(name)) }

    func objects(_ name: String) -> [DecodedMembers?]? {
        guard var list = try? container.nestedUnkeyedContainer(forKey: FieldKey(name)) else { return nil }
        var out: [DecodedMembers?] = []
        while !list.isAtEnd {
            guard let item = try? list.nestedContainer(keyedBy: FieldKey.self) else {
                out.append(nil)
                break
            }
            out.append(DecodedMembers(container: item))
        }
        return out
    }
}

/// JSONParser's view of an object (`RoleMappingJSON.decode`).
struct ParsedMembers: RecordMembers {
    let members: [String: JSONValue]

    func unknown(known: [String]) -> String? { members.keys.filter { !known.contains($0) }.min() }

    func isPresent(_ name: String) -> Bool {
        guard let value = members[name] else { return false }
        return value != .null
    }

    func string(_ name: String) -> String? { members[name]?.stringValue }

    func integer(_ name: String) -> Int? { members[name]?.numberValue.flatMap { Int(exactly: $0) } }

    func objects(_ name: String) -> [ParsedMembers?]? {
        guard let items = members[name]?.arrayValue else { return nil }
        var out: [ParsedMembers?] = []
        for item in items {
            guard let object = item.objectValue else {
                out.append(nil)
                break
            }
            out.append(ParsedMembers(members: object))
        }
        return out
    }
}

/// Reads one JSON object's fields strictly (a record, or one of its named roles):
/// unknown fields, wrong types and bad enum values are refused through `fail`.
struct StrictFields<Members: RecordMembers> {
    let members: Members
    let known: [String]
    let fail: (String, String) -> RoleValidationError

    func refuseUnknown() throws(RoleValidationError) {
        if let name = members.unknown(known: known) {
            throw fail(name, "unknown field (known: \(known.joined(separator: ", ")))")
        }
    }

    /// A string field; nil when absent or null (optional fields only).
    func string(_ name: String, required: Bool = false) throws(RoleValidationError) -> String? {
        guard members.isPresent(name) else {
            if required { throw fail(name, "is required") }
            return nil
        }
        guard let value = members.string(name) else { throw fail(name, "must be a string") }
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
        guard members.isPresent("session_duration_s") else { return RoleMapping.defaultSessionDuration }
        guard let value = members.integer("session_duration_s") else {
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
