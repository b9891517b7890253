public import CredVendCore
public import CredVendStore
import Dispatch
import Foundation
import Logging

/// What one admin operation came to: the response, and the role records it changed
/// (each becomes one audit record).
public struct AdminOutcome: Sendable {
    public var response: HTTPResponse
    public var changes: [RoleChange]

    public init(_ response: HTTPResponse, changes: [RoleChange] = []) {
        self.response = response
        self.changes = changes
    }
}

/// A request part read for an operation, or the answer that refuses it.
enum AdminParse<Value> {
    case value(Value)
    case refusal(AdminOutcome)
}

/// The admin operations (docs/reference.md#admin-routes), with no transport or authorization in them: those
/// are `AdminHandler`'s, which calls `perform` only for a route the policy allowed.
/// Records are read and checked by the same code as `credvend roles`
/// (`RoleMappingJSON`, `RoleMapping.validate`, `RoleStore.importAll`). A change drops
/// the client's cached credentials, so the next vending request uses the new mapping.
public final class AdminAPI: Sendable {
    public static let defaultLogLines = 100
    public static let maxLogLines = 1000

    public let roles: RoleStore
    let cache: CredentialCache?
    let logRing: LogRing?
    let info: @Sendable () -> AdminInfo
    /// Writes run here, one at a time, off the HTTP worker threads.
    let writes = DispatchQueue(label: "credvend.admin.writes")
    /// `--roles-table`: the store is a copy of this DynamoDB table, so role writes go to
    /// the table, with optimistic concurrency, and this replica syncs at once
    /// (docs/replicas.md#writing-the-table).
    let rolesTable: AdminRoleTable?

    public init(
        roles: RoleStore,
        cache: CredentialCache?,
        logRing: LogRing?,
        rolesTable: AdminRoleTable? = nil,
        info: @escaping @Sendable () -> AdminInfo
    ) {
        self.roles = roles
        self.cache = cache
        self.logRing = logRing
        self.rolesTable = rolesTable
        self.info = info
    }

    public func perform(_ route: AdminRoute, parameters: [String: String], request: HTTPRequest) -> AdminOutcome {
        if let rolesTable, route.isWrite {
            return tableWrite(route, rolesTable, parameters: parameters, request: request)
        }
        switch route {
        case .listRoles: return storeCall { AdminOutcome(Self.json(200, RoleMappingJSON.encodeList(try roles.list()))) }
        case .getRole: return getRole(parameters["client_id"] ?? "")
        case .putRole: return putRole(parameters["client_id"] ?? "", body: request.body)
        case .deleteRole: return deleteRole(parameters["client_id"] ?? "")
        case .importRoles: return importRoles(request)
        case .info: return AdminOutcome(Self.json(200, info().json.jsonString + "\n"))
        case .logs: return logs(request.query["lines"])
        }
    }

    // MARK: routes

    private func getRole(_ clientId: String) -> AdminOutcome {
        if let bad = Self.checkClientId(clientId) { return bad }
        return storeCall {
            // The version first, then the record: never a record older than its ETag.
            let version = rolesTable?.sync.version(of: clientId)
            guard let mapping = try roles.get(clientId) else { return Self.roleNotFound(clientId) }
            var response = Self.json(200, RoleMappingJSON.encode(mapping) + "\n")
            if let version { response.headers.set("ETag", AdminRoleTable.etag(version)) }
            return AdminOutcome(response)
        }
    }

    private func putRole(_ clientId: String, body: [UInt8]) -> AdminOutcome {
        let mapping: RoleMapping
        switch Self.record(clientId, body: body) {
        case .refusal(let bad): return bad
        case .value(let m): mapping = m
        }
        return storeCall {
            let previous = try roles.put(mapping)
            if previous != mapping { cache?.invalidate(clientId: clientId) }
            return AdminOutcome(
                Self.json(previous == nil ? 201 : 200, RoleMappingJSON.encode(mapping) + "\n"),
                changes: [RoleChange(clientId: clientId, before: previous, after: mapping)]
            )
        }
    }

    private func deleteRole(_ clientId: String) -> AdminOutcome {
        if let bad = Self.checkClientId(clientId) { return bad }
        return storeCall {
            guard let previous = try roles.remove(clientId) else { return Self.roleNotFound(clientId) }
            cache?.invalidate(clientId: clientId)
            return AdminOutcome(
                HTTPResponse(status: 204, headers: ["Cache-Control": "no-store"]),
                changes: [RoleChange(clientId: clientId, before: previous, after: nil)]
            )
        }
    }

    /// `POST /admin/v1/roles:import[?replace=true]`, body a JSON array of records:
    /// all or nothing, in one transaction (`RoleStore.importAll`).
    private func importRoles(_ request: HTTPRequest) -> AdminOutcome {
        let records: [RoleMapping]
        let replace: Bool
        switch Self.importRequest(request) {
        case .refusal(let bad): return bad
        case .value(let parsed): (records, replace) = parsed
        }
        return storeCall {
            let (summary, changes) = try roles.importAllReportingChanges(records, replace: replace)
            for change in changes { cache?.invalidate(clientId: change.clientId) }
            return AdminOutcome(Self.json(200, Self.importBody(records.count, summary)), changes: changes)
        }
    }

    /// The body of `POST /admin/v1/roles:import`: the records and `replace`.
    static func importRequest(_ request: HTTPRequest) -> AdminParse<([RoleMapping], Bool)> {
        let replace: Bool
        switch request.query["replace"] {
        case nil, "false", "0": replace = false
        case "true", "1": replace = true
        default:
            return .refusal(AdminOutcome(APIError.invalidRequest("replace must be true or false").response))
        }
        do {
            return .value((try RoleMappingJSON.decodeList(Data(request.body)), replace))
        } catch {
            return .refusal(AdminOutcome(invalid(error)))
        }
    }

    static func importBody(_ count: Int, _ summary: RoleImportSummary) -> String {
        "{\"imported\":\(count),\"added\":\(summary.added),\"updated\":\(summary.updated),"
            + "\"unchanged\":\(summary.unchanged),\"removed\":\(summary.removed)}\n"
    }

    /// `GET /admin/v1/logs?lines=N`: the newest N lines of the log ring (default 100,
    /// at most 1000), oldest first.
    private func logs(_ text: String?) -> AdminOutcome {
        var n = Self.defaultLogLines
        if let text {
            guard let value = Int(text), value >= 1 else {
                return AdminOutcome(
                    APIError.invalidRequest(
                        "lines must be a whole number from 1 to \(Self.maxLogLines)"
                    ).response
                )
            }
            n = min(value, Self.maxLogLines)
        }
        let lines = logRing?.latest(n) ?? []
        return AdminOutcome(Self.json(200, "{\"lines\":[" + lines.map(JSONText.quote).joined(separator: ",") + "]}\n"))
    }

    // MARK: helpers

    /// The body of `PUT /admin/v1/roles/{client_id}`: one valid record for that client_id.
    static func record(_ clientId: String, body: [UInt8]) -> AdminParse<RoleMapping> {
        if let bad = checkClientId(clientId) { return .refusal(bad) }
        let mapping: RoleMapping
        do {
            mapping = try RoleMappingJSON.decode(Data(body))
        } catch {
            return .refusal(AdminOutcome(invalid(error)))
        }
        guard mapping.clientId == clientId else {
            return .refusal(
                AdminOutcome(
                    invalid(
                        RoleValidationError(
                            clientId: mapping.clientId,
                            field: "client_id",
                            message: "differs from the client_id in the path (\(RoleMappingJSON.quoted(clientId)))"
                        )
                    )
                )
            )
        }
        return .value(mapping)
    }

    /// Runs a store operation; a store failure (LMDB, a damaged stored record) is a 500.
    private func storeCall(_ body: () throws -> AdminOutcome) -> AdminOutcome {
        do {
            return try body()
        } catch {
            return AdminOutcome(APIError(status: 500, code: "store_error", message: "\(error)").response)
        }
    }

    static func checkClientId(_ clientId: String) -> AdminOutcome? {
        guard let problem = RoleRules.clientId(clientId) else { return nil }
        return AdminOutcome(invalid(RoleValidationError(clientId: clientId, field: "client_id", message: problem)))
    }

    static func roleNotFound(_ clientId: String) -> AdminOutcome {
        AdminOutcome(
            APIError(
                status: 404,
                code: "role_not_found",
                message: "no role mapping for client_id \(RoleMappingJSON.quoted(clientId))"
            ).response
        )
    }

    /// 400 naming the record and field: `{"error":"invalid_request","message":...,"field":...,"record":...}`.
    static func invalid(_ error: RoleValidationError) -> HTTPResponse {
        var body = "{\"error\":\"invalid_request\",\"message\":\(JSONText.quote(error.description))"
        body += ",\"field\":" + (error.field.map(JSONText.quote) ?? "null")
        body += ",\"record\":" + (error.recordIndex.map(String.init) ?? "null")
        body += ",\"client_id\":" + (error.clientId.map(JSONText.quote) ?? "null") + "}\n"
        return json(400, body)
    }

    static func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
            body: Array(body.utf8)
        )
    }
}
