/// The writes an import into the roles table comes to, planned from one consistent
/// Scan: a conditional `Put` per record that is new (the item must not exist) or
/// changed (the item must still be at the version scanned), with `replace` a
/// conditional `Delete` per item not in the records, and nothing for a record the
/// table already holds. Re-planned from a fresh Scan, an import that was cut off
/// part-way finds its written records unchanged and writes only the rest.
public struct RoleTableImportPlan: Sendable, Equatable {
    /// Ordered by client_id (bytewise): puts, then deletes.
    public var writes: [DynamoDBWrite]
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0
    /// For each write, the client_id and the record before and after (nil: none, or an
    /// item that is not a valid record), as the admin API's audit records need them.
    public var changes: [(clientId: String, before: RoleMapping?, after: RoleMapping?)] = []

    public static func == (a: RoleTableImportPlan, b: RoleTableImportPlan) -> Bool {
        a.writes == b.writes && a.added == b.added && a.updated == b.updated && a.unchanged == b.unchanged
            && a.removed == b.removed
    }

    /// `records` (already validated, client_ids distinct) over `items` (the whole table).
    /// `defaultBucket`: how the table's items read as records (`--roles-default-bucket`).
    public static func make(
        records: [RoleMapping],
        items: [[String: DynamoDBAttributeValue]],
        replace: Bool,
        defaultBucket: String?
    ) -> RoleTableImportPlan {
        var existing: [String: [String: DynamoDBAttributeValue]] = [:]
        for item in items {
            if case .string(let id)? = item["client_id"] { existing[id] = item }
        }
        func before(_ item: [String: DynamoDBAttributeValue]) -> RoleMapping? {
            try? RoleTableItem.mapping(item, defaultBucket: defaultBucket).get()
        }
        var plan = RoleTableImportPlan(writes: [])
        let ordered = records.sorted { $0.clientId.utf8.lexicographicallyPrecedes($1.clientId.utf8) }
        for record in ordered {
            let old = existing[record.clientId]
            if let old, RoleTableWrite.isUnchanged(record, existing: old) {
                plan.unchanged += 1
                continue
            }
            if old == nil { plan.added += 1 } else { plan.updated += 1 }
            plan.writes.append(RoleTableWrite.put(record, over: old))
            plan.changes.append((record.clientId, old.flatMap(before), record))
        }
        guard replace else { return plan }
        let kept = Set(records.map(\.clientId))
        let gone = existing.keys.filter { !kept.contains($0) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for id in gone {
            let old = existing[id]!
            plan.removed += 1
            plan.writes.append(RoleTableWrite.delete(id, version: RoleTableWrite.version(of: old)))
            plan.changes.append((id, before(old), nil))
        }
        return plan
    }
}
