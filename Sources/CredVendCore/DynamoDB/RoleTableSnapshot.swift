import CredVendCrypto

/// What one complete Scan of the roles table comes to: the records to store and the items
/// skipped; `digest` tells (before any of this is built) whether anything changed.
public struct RoleTableSnapshot: Sendable, Equatable {
    /// Ordered by client_id (bytewise), one per client_id.
    public let records: [RoleMapping]
    public let skipped: [RoleTableItemProblem]
    /// Of the skipped items, those whose previous valid version was kept.
    public let keptPrevious: Int

    /// Maps every item (`RoleTableItem`); an invalid one is skipped and its record in
    /// `previous` (the store's current records by client_id), if any, is kept instead,
    /// so one bad edit never takes a working client down.
    public static func build(
        items: [[String: DynamoDBAttributeValue]],
        defaultBucket: String?,
        previous: [String: RoleMapping]
    ) -> RoleTableSnapshot {
        var byId: [String: RoleMapping] = [:]
        var skipped: [RoleTableItemProblem] = []
        var kept = 0
        for item in items {
            switch RoleTableItem.mapping(item, defaultBucket: defaultBucket) {
            case .success(let mapping):
                byId[mapping.clientId] = mapping
            case .failure(let problem):
                skipped.append(problem)
                if let id = problem.clientId, let old = previous[id], byId[id] == nil {
                    byId[id] = old
                    kept += 1
                }
            }
        }
        let records = byId.values.sorted { $0.clientId.utf8.lexicographicallyPrecedes($1.clientId.utf8) }
        return RoleTableSnapshot(records: records, skipped: skipped, keptPrevious: kept)
    }

    /// SHA-256 (hex) over the items' canonical JSON (members sorted), the items sorted
    /// bytewise, and the default bucket (a new `--roles-default-bucket` is a change).
    /// Independent of the order the pages and items came in.
    public static func digest(items: [[String: DynamoDBAttributeValue]], defaultBucket: String?) -> String {
        let texts = items.map { DynamoDBAttributeValue.json(item: $0).serialized() }
            .sorted { $0.lexicographicallyPrecedes($1) }
        var input = Array("credvend-roles-table-v1\ndefault_bucket=\(defaultBucket ?? "")\n".utf8)
        for text in texts {
            input += text
            input.append(0x0A)
        }
        return Hex.encode(SHA256.hash(input))
    }

    /// Why applying `records` over `previous` must be refused: it would remove more than
    /// half of the mappings (an emptied or recreated table, a wrong table name), unless
    /// `allowMassDelete`. nil when it may be applied.
    public static func massDeleteProblem(
        previous: Set<String>,
        records: [RoleMapping],
        allowMassDelete: Bool
    ) -> String? {
        guard !allowMassDelete, !previous.isEmpty else { return nil }
        let kept = Set(records.map(\.clientId))
        let removed = previous.subtracting(kept).count
        guard removed * 2 > previous.count else { return nil }
        return "the table would remove \(removed) of \(previous.count) mappings (more than half); "
            + "refused: check the table, or restart with --roles-allow-mass-delete"
    }
}
