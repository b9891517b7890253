import CredVendCore
import CredVendStore
import Foundation

/// What the admin API of a `--roles-table` replica writes through: the table itself, and
/// this replica's sync, run at once after each write so the replica reads its own writes.
public struct AdminRoleTable: Sendable {
    public let store: RoleTableStore
    public let sync: RoleTableSync

    public init(store: RoleTableStore, sync: RoleTableSync) {
        self.store = store
        self.sync = sync
    }

    /// Writes through `sync`'s own DynamoDB client and credentials.
    public init(sync: RoleTableSync) { self.init(store: sync.tableStore, sync: sync) }

    /// `"3"`: the ETag of a record at item version 3 (a strong validator, quoted).
    public static func etag(_ version: Int) -> String { "\"\(version)\"" }
}

/// Role writes of a `--roles-table` replica (docs/admin.md#the-roles-table): conditional
/// writes to the table, never to the local copy. `If-Match: "N"` (the ETag a GET gave)
/// makes an update or delete conditional on the item still being at version N;
/// `If-None-Match: *` makes a PUT create-only. Without them, the write is conditional
/// on the version the replica reads just before it. A lost race is `409 conflict`.
extension AdminAPI {
    func tableWrite(
        _ route: AdminRoute,
        _ table: AdminRoleTable,
        parameters: [String: String],
        request: HTTPRequest
    ) -> AdminOutcome {
        let clientId = parameters["client_id"] ?? ""
        let expected: RoleTableExpectation?
        switch Self.precondition(request) {
        case .refusal(let bad): return bad
        case .value(let e): expected = e
        }
        let outcome = tableCall(table) { () throws -> AdminOutcome in
            switch route {
            case .putRole:
                let mapping: RoleMapping
                switch Self.record(clientId, body: request.body) {
                case .refusal(let bad): return bad
                case .value(let m): mapping = m
                }
                let (replaced, version) = try table.store.put(mapping, expecting: expected)
                var response = Self.json(replaced == nil ? 201 : 200, RoleMappingJSON.encode(mapping) + "\n")
                response.headers.set("ETag", AdminRoleTable.etag(version))
                let before = replaced.flatMap { try? table.store.record($0) }
                return AdminOutcome(response, changes: [RoleChange(clientId: clientId, before: before, after: mapping)])
            case .deleteRole:
                if let bad = Self.checkClientId(clientId) { return bad }
                if expected == .absent {
                    return AdminOutcome(APIError.invalidRequest("If-None-Match applies to PUT only").response)
                }
                var version: Int? = nil
                if case .version(let v)? = expected { version = v }
                guard let gone = try table.store.delete(clientId, version: version) else {
                    return Self.roleNotFound(clientId)
                }
                return AdminOutcome(
                    HTTPResponse(status: 204, headers: ["Cache-Control": "no-store"]),
                    changes: [RoleChange(clientId: clientId, before: try? table.store.record(gone), after: nil)]
                )
            case .importRoles:
                if expected != nil {
                    return AdminOutcome(
                        APIError.invalidRequest("If-Match and If-None-Match apply to one role").response
                    )
                }
                let records: [RoleMapping]
                let replace: Bool
                switch Self.importRequest(request) {
                case .refusal(let bad): return bad
                case .value(let parsed): (records, replace) = parsed
                }
                let plan = try table.store.importAll(records, replace: replace)
                let summary = RoleImportSummary(
                    added: plan.added,
                    updated: plan.updated,
                    unchanged: plan.unchanged,
                    removed: plan.removed
                )
                return AdminOutcome(
                    Self.json(200, Self.importBody(records.count, summary)),
                    changes: plan.changes.map { RoleChange(clientId: $0.clientId, before: $0.before, after: $0.after) }
                )
            case .listRoles, .getRole, .info, .logs:
                return AdminOutcome(APIError.notFound.response)
            }
        }
        // The table changed: this replica takes it now, not at its next interval (the sync
        // also drops the cached credentials of every changed client).
        if !outcome.changes.isEmpty { table.sync.sync() }
        return outcome
    }

    /// `If-Match: "N"` → `.version(N)`, `If-None-Match: *` → `.absent`, neither → nil.
    static func precondition(_ request: HTTPRequest) -> AdminParse<RoleTableExpectation?> {
        let ifMatch = request.headers["if-match"]
        let ifNoneMatch = request.headers["if-none-match"]
        func bad(_ message: String) -> AdminParse<RoleTableExpectation?> {
            .refusal(AdminOutcome(APIError.invalidRequest(message).response))
        }
        switch (ifMatch, ifNoneMatch) {
        case (nil, nil): return .value(nil)
        case (_?, _?): return bad("send If-Match or If-None-Match, not both")
        case (nil, let none?):
            guard none.trimmingCharacters(in: .whitespaces) == "*" else {
                return bad("If-None-Match must be * (create only)")
            }
            return .value(.absent)
        case (let match?, nil):
            var text = match.trimmingCharacters(in: .whitespaces)
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
                text = String(text.dropFirst().dropLast())
            }
            guard let version = Int(text), version >= 0, text.allSatisfy(\.isASCII) else {
                return bad("If-Match must be the ETag a GET of the role gave, e.g. \"3\"")
            }
            return .value(.version(version))
        }
    }

    /// Runs a table operation: a lost race is `409 conflict`, a record the table holds
    /// that is not valid `400`, a DynamoDB failure `502 upstream_error` (the write may or
    /// may not have been applied when the answer was lost: read the role again).
    private func tableCall(_ table: AdminRoleTable, _ body: () throws -> AdminOutcome) -> AdminOutcome {
        do {
            return try body()
        } catch let error as RoleTableConflict {
            return AdminOutcome(APIError(status: 409, code: "conflict", message: error.message).response)
        } catch let error as RoleValidationError {
            return AdminOutcome(Self.invalid(error))
        } catch let error as DynamoDBError {
            return AdminOutcome(
                APIError.upstream("the roles table \(table.store.table) could not be written: \(error)").response
            )
        } catch {
            return AdminOutcome(APIError(status: 500, code: "store_error", message: "\(error)").response)
        }
    }
}
