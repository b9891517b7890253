public import CredVendCore
import CredVendHTTP
public import CredVendStore
import CredVendSync
import Foundation

/// The role store of a running `credvend serve`, through its admin API (docs/reference.md#admin-api):
/// `unix:PATH` (the admin socket) or `https://HOST:PORT` with a bearer token
/// (plain `http://` only to a loopback host). Records are checked here by the same
/// code as in local mode, and again by the server.
public struct RemoteRoleStoreClient: RoleStoreClient {
    private enum Target {
        case unix(path: String)
        case http(base: String)
    }

    public let location: String
    private let target: Target
    private let token: String?
    private let tls: TLSClientOptions
    private let http = CurlHTTPClient(maxIdleHandles: 1)
    /// The ETag each `get` saw (a `--roles-table` replica's item version): the `put` of a
    /// read-modify-write sends it as `If-Match`, so a change in between is `409 conflict`.
    private let etags = Locked([String: String]())

    /// Checks the URL, reads the token file; throws `RemoteAdminError` with a message for the user.
    /// `tls`: the CA and the client certificate for an https:// URL (mutual TLS to the listener).
    public init(url: String, tokenFile: String?, tls: TLSClientOptions = TLSClientOptions()) throws {
        location = url
        self.tls = tls
        if url.hasPrefix("unix:") {
            let path = String(url.dropFirst("unix:".count))
            guard !path.isEmpty else { throw RemoteAdminError("--admin-url unix:PATH needs the socket's path") }
            target = .unix(path: path)
        } else {
            do {
                try URLCheck.check(url, flag: "--admin-url", allowInsecure: false)
            } catch {
                throw RemoteAdminError("\(error.message) (or unix:PATH for the admin socket)")
            }
            guard tokenFile != nil else {
                throw RemoteAdminError(
                    "--admin-url \(url) needs --admin-token-file (a file holding one admin or reader token)"
                )
            }
            target = .http(base: url.hasSuffix("/") ? String(url.dropLast()) : url)
        }
        token = try tokenFile.map(Self.readToken)
    }

    /// One raw token, the file's only line; the file must be private (mode 0600).
    private static func readToken(_ path: String) throws -> String {
        do {
            try AdminTokenFile.checkPrivate(path: path)
        } catch {
            throw RemoteAdminError("--admin-token-file: \(error.description)")
        }
        guard let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty, !token.contains(where: \.isNewline)
        else {
            throw RemoteAdminError("--admin-token-file \(path) must hold exactly one token")
        }
        return token
    }

    // MARK: RoleStoreClient

    public func get(_ clientId: String) async throws -> RoleMapping? {
        let r = try send("GET", "/admin/v1/roles/" + PercentEncoding.encode(clientId))
        if r.status == 404, Self.code(r) == "role_not_found" { return nil }
        try expect(r, [200])
        if let etag = r.headers["etag"] { etags.withLock { $0[clientId] = etag } }
        return try RoleMappingJSON.decode(Data(r.body))
    }

    public func put(_ mapping: RoleMapping) async throws {
        let etag = etags.withLock { $0[mapping.clientId] }
        let r = try send(
            "PUT",
            "/admin/v1/roles/" + PercentEncoding.encode(mapping.clientId),
            body: Array(RoleMappingJSON.encode(mapping).utf8),
            headers: etag.map { [("If-Match", $0)] } ?? []
        )
        try expect(r, [200, 201])
    }

    public func delete(_ clientId: String) async throws -> Bool {
        let r = try send("DELETE", "/admin/v1/roles/" + PercentEncoding.encode(clientId))
        if r.status == 404, Self.code(r) == "role_not_found" { return false }
        try expect(r, [204])
        return true
    }

    public func list() async throws -> [RoleMapping] {
        let r = try send("GET", "/admin/v1/roles")
        try expect(r, [200])
        return try RoleMappingJSON.decodeList(Data(r.body))
    }

    public func importAll(_ records: [RoleMapping], replace: Bool) async throws -> RoleImportSummary {
        let r = try send(
            "POST",
            "/admin/v1/roles:import?replace=\(replace)",
            body: Array(RoleMappingJSON.encodeList(records).utf8)
        )
        try expect(r, [200])
        let object = (try? JSONParser.parse(r.body))?.objectValue
        func count(_ name: String) -> Int? { object?[name]?.numberValue.flatMap { Int(exactly: $0) } }
        guard let added = count("added"), let updated = count("updated"), let unchanged = count("unchanged"),
            let removed = count("removed")
        else {
            throw RemoteAdminError("the admin API at \(location) answered the import with an unexpected body")
        }
        return RoleImportSummary(added: added, updated: updated, unchanged: unchanged, removed: removed)
    }

    // MARK: transport

    private func send(
        _ method: String,
        _ path: String,
        body: [UInt8] = [],
        headers extra: [(String, String)] = []
    ) throws -> HTTPClientResponse {
        var headers: [(String, String)] = [("Accept", "application/json")] + extra
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        var request = tls.applied(
            to: HTTPClientRequest(
                method: method,
                url: "",
                headers: headers,
                body: body,
                connectTimeout: .seconds(5),
                timeout: .seconds(60),
                maxResponseBytes: 64 << 20
            )
        )
        switch target {
        case .unix(let socket):
            request.url = "http://localhost" + path
            request.unixSocketPath = socket
        case .http(let base):
            request.url = base + path
        }
        do {
            return try http.send(request)
        } catch {
            throw RemoteAdminError("cannot reach the admin API at \(location): \(error.message)")
        }
    }

    /// A refusal in the words of the local mode: a bad record's message as it is,
    /// anything else with the status and the server's message.
    private func expect(_ r: HTTPClientResponse, _ ok: [Int]) throws {
        guard !ok.contains(r.status) else { return }
        let message = Self.message(r)
        if r.status == 409, Self.code(r) == "conflict" { throw RoleTableConflict(message ?? "conflict") }
        if r.status == 400, Self.code(r) == "invalid_request", let message { throw RemoteAdminError(message) }
        var text = "the admin API at \(location) answered HTTP \(r.status)"
        if let code = Self.code(r) { text += " \(code)" }
        if let message { text += ": \(message)" }
        throw RemoteAdminError(text)
    }

    private static func field(_ r: HTTPClientResponse, _ name: String) -> String? {
        (try? JSONParser.parse(r.body))?[name]?.stringValue
    }

    private static func code(_ r: HTTPClientResponse) -> String? { field(r, "error") }
    private static func message(_ r: HTTPClientResponse) -> String? { field(r, "message") }
}

/// A remote-mode failure, printed as `error: MESSAGE` (exit 2).
public struct RemoteAdminError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
