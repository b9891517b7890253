/// A role record that breaks a rule of docs/reference.md#role-records, or role JSON that
/// cannot be read. Names the record (its index in an import file and its
/// client_id, when known) and the field, so an operator can find and fix it.
public struct RoleValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Position of the record in the imported array (0-based), nil for a single record.
    public var recordIndex: Int?
    /// The record's client_id when it could be read as a string.
    public var clientId: String?
    /// The JSON field name (`role_arn`, ...), nil when the problem is the whole record or file.
    public var field: String?
    /// What is wrong and what is allowed.
    public var message: String

    public init(recordIndex: Int? = nil, clientId: String? = nil, field: String? = nil, message: String) {
        self.recordIndex = recordIndex
        self.clientId = clientId
        self.field = field
        self.message = message
    }

    /// e.g. `record 3 (client_id "5h2k..."), field "role_arn": must be ...`
    public var description: String {
        var subject: [String] = []
        if let recordIndex { subject.append("record \(recordIndex)") }
        if let clientId {
            let shown = RoleMappingJSON.quoted(RoleRules.cut(clientId, toBytes: 64))
            subject.append(recordIndex == nil ? "client_id \(shown)" : "(client_id \(shown))")
        }
        var text = subject.joined(separator: " ")
        if let field {
            text += (text.isEmpty ? "" : ", ") + "field " + RoleMappingJSON.quoted(RoleRules.cut(field, toBytes: 64))
        }
        return text.isEmpty ? message : "\(text): \(message)"
    }
}
