/// A conditional write to the roles table lost: the item was created, changed or
/// deleted by someone else since it was read (optimistic concurrency on `version`).
/// Nothing of this write was applied. `credvend roles --table` exits 3 on it and the
/// admin API answers `409 conflict`; read again and retry.
public struct RoleTableConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// The message for a lost write of `clientId`, given what the writer expected.
    public static func lost(_ clientId: String, expected: RoleTableExpectation, table: String) -> RoleTableConflict {
        let what: String
        switch expected {
        case .absent: what = "was created by another writer"
        case .version(let v): what = "is no longer at version \(v) (changed or deleted by another writer)"
        }
        return RoleTableConflict(
            "the item of client_id \(JSONText.quote(clientId)) in table \(table) \(what); "
                + "nothing was written: read it again and retry"
        )
    }

    public var description: String { message }
}
