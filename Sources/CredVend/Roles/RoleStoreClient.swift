public import CredVendCore
public import CredVendStore

/// What the `credvend roles` subcommands need from a role store: the local LMDB
/// directory, or a running server's admin API (`--admin-url`, docs/reference.md#admin-api,
/// `RemoteRoleStoreClient`), with the same output and exit codes.
public protocol RoleStoreClient: Sendable {
    /// Where the records live, for messages: the directory or the admin URL.
    var location: String { get }
    func get(_ clientId: String) async throws -> RoleMapping?
    func put(_ mapping: RoleMapping) async throws
    /// False when there was no mapping.
    func delete(_ clientId: String) async throws -> Bool
    func list() async throws -> [RoleMapping]
    func importAll(_ records: [RoleMapping], replace: Bool) async throws -> RoleImportSummary
}

/// The role store in a local LMDB directory. Each call opens the store the way
/// it needs it: reads open it read-only and never create it; `delete` needs it
/// to exist; `put` and `import` create it when missing.
public struct LocalRoleStoreClient: RoleStoreClient {
    public static let defaultMapSize = RoleStore.defaultMapSize

    public let directory: String
    public let mapSize: Int

    public init(directory: String, mapSize: Int) {
        self.directory = directory
        self.mapSize = mapSize
    }

    public var location: String { directory }

    public func get(_ clientId: String) async throws -> RoleMapping? {
        try open(readOnly: true).get(clientId)
    }

    public func put(_ mapping: RoleMapping) async throws {
        try open(create: true).put(mapping)
    }

    public func delete(_ clientId: String) async throws -> Bool {
        try open(create: false).delete(clientId)
    }

    public func list() async throws -> [RoleMapping] {
        try open(readOnly: true).list()
    }

    public func importAll(_ records: [RoleMapping], replace: Bool) async throws -> RoleImportSummary {
        try open(create: true).importAll(records, replace: replace)
    }

    private func open(readOnly: Bool = false, create: Bool = false) throws(LMDBError) -> RoleStore {
        try RoleStore(directory: directory, mapSize: mapSize, readOnly: readOnly, create: create)
    }
}
