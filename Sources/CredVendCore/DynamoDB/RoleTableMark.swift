public import Foundation

/// What the local role store holds a copy of: a complete snapshot of `table` with
/// `digest`, applied at `appliedAt`. Written in the same transaction as the records,
/// so a store with a mark holds exactly that snapshot; a restarted replica reads it
/// to be ready (and to skip an unchanged table) before DynamoDB answers.
public struct RoleTableMark: Sendable, Equatable {
    public var table: String
    public var digest: String
    public var appliedAt: Date

    public init(table: String, digest: String, appliedAt: Date) {
        self.table = table
        self.digest = digest
        self.appliedAt = appliedAt
    }

    /// `{"applied_at":1764590000,"digest":"...","table":"..."}`.
    public var encoded: [UInt8] {
        JSONValue.object([
            "table": .string(table), "digest": .string(digest),
            "applied_at": .number(appliedAt.timeIntervalSince1970.rounded(.down)),
        ]).serialized()
    }

    /// nil for bytes that are not a mark (a damaged or foreign value reads as "no snapshot").
    public init?(encoded bytes: [UInt8]) {
        guard let json = try? JSONParser.parse(bytes), let table = json["table"]?.stringValue,
            let digest = json["digest"]?.stringValue, let at = json["applied_at"]?.numberValue
        else { return nil }
        self.init(table: table, digest: digest, appliedAt: Date(timeIntervalSince1970: at))
    }
}
