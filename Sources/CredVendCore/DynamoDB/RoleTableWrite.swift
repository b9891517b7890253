/// What a conditional write of one roles-table item expects to find: no item, or the
/// item at the `version` the writer read. An item without `version` (written by
/// Terraform, the AWS CLI, ...) is at version 0.
public enum RoleTableExpectation: Sendable, Equatable {
    case absent
    case version(Int)

    /// What the item read shows: `.absent` for none, else its version.
    public init(item: [String: DynamoDBAttributeValue]?) {
        guard let item else {
            self = .absent
            return
        }
        self = .version(RoleTableWrite.version(of: item))
    }

    /// The condition DynamoDB checks atomically with the write:
    /// - absent: `attribute_not_exists(client_id)`;
    /// - version 0: the item exists and has no `version`, or `version` 0
    ///   (`attribute_exists(client_id) AND (attribute_not_exists(#v) OR #v = :v)`);
    /// - version n > 0: `#v = :v` (an item without `version` never matches).
    public var condition: DynamoDBCondition {
        switch self {
        case .absent:
            return DynamoDBCondition("attribute_not_exists(client_id)")
        case .version(0):
            return DynamoDBCondition(
                "attribute_exists(client_id) AND (attribute_not_exists(#v) OR #v = :v)",
                names: ["#v": "version"],
                values: [":v": .number("0")]
            )
        case .version(let n):
            return DynamoDBCondition("#v = :v", names: ["#v": "version"], values: [":v": .number(String(n))])
        }
    }

    /// The version the item has once a write over it succeeded.
    public var next: Int {
        switch self {
        case .absent: 1
        case .version(let n): n + 1
        }
    }
}

/// The items credvend writes to the roles table (docs/replicas.md#writing-the-table):
/// the seed's attributes (`client_id`, `role_arn`, `server_name`, `s3_path_prefix`, all
/// S), `bucket`, `permission` (S), `session_duration_s` (N), `roles` (S, the named roles
/// as JSON, only when there are any) and `version` (N), one more than the item's
/// version before. A write replaces the whole item (`PutItem`), so attributes credvend
/// does not know are carried over from the item read, not dropped.
public enum RoleTableWrite {
    /// `client_id` as the table's key.
    public static func key(_ clientId: String) -> [String: DynamoDBAttributeValue] {
        ["client_id": .string(clientId)]
    }

    /// An item's `version`; 0 when it has none (or one that is not a whole number, which
    /// the sync skips anyway: a write over it starts the count again).
    public static func version(of item: [String: DynamoDBAttributeValue]) -> Int {
        guard case .number(let n)? = item["version"], let v = Int(n), v >= 0 else { return 0 }
        return v
    }

    /// `mapping` as an item at `version`, with the unknown attributes of `existing`.
    public static func item(
        for mapping: RoleMapping,
        version: Int,
        keeping existing: [String: DynamoDBAttributeValue]?
    ) -> [String: DynamoDBAttributeValue] {
        var item = (existing ?? [:]).filter { !RoleTableItem.knownAttributes.contains($0.key) }
        item["client_id"] = .string(mapping.clientId)
        item["role_arn"] = .string(mapping.roleArn)
        if let v = mapping.serverName { item["server_name"] = .string(v) }
        if let v = mapping.bucket { item["bucket"] = .string(v) }
        if let v = mapping.s3PathPrefix { item["s3_path_prefix"] = .string(v) }
        item["permission"] = .string(mapping.permission.rawValue)
        item["session_duration_s"] = .number(String(mapping.sessionDurationSeconds))
        if !mapping.roles.isEmpty {
            let named = mapping.roles.map { RoleMappingJSON.encode($0, quote: RoleMappingJSON.quoted) }
            item["roles"] = .string("[" + named.joined(separator: ",") + "]")
        }
        item["version"] = .number(String(version))
        return item
    }

    /// The conditional `Put` of `mapping` over what was read (`existing`, nil: none).
    public static func put(_ mapping: RoleMapping, over existing: [String: DynamoDBAttributeValue]?) -> DynamoDBWrite {
        put(mapping, expecting: RoleTableExpectation(item: existing), keeping: existing)
    }

    /// The conditional `Put` of `mapping`, expecting `expectation` (the version a caller
    /// read, which may be older than `existing`, the item read now for its other attributes).
    public static func put(
        _ mapping: RoleMapping,
        expecting expectation: RoleTableExpectation,
        keeping existing: [String: DynamoDBAttributeValue]?
    ) -> DynamoDBWrite {
        .put(
            item: item(for: mapping, version: expectation.next, keeping: existing),
            condition: expectation.condition
        )
    }

    /// The conditional `Delete` of `clientId`'s item at `version`.
    public static func delete(_ clientId: String, version: Int) -> DynamoDBWrite {
        .delete(key: key(clientId), condition: RoleTableExpectation.version(version).condition)
    }

    /// Whether writing `mapping` over `existing` would change nothing but `version`.
    public static func isUnchanged(_ mapping: RoleMapping, existing: [String: DynamoDBAttributeValue]) -> Bool {
        var old = existing
        var new = item(for: mapping, version: 0, keeping: existing)
        old["version"] = nil
        new["version"] = nil
        return old == new
    }
}
