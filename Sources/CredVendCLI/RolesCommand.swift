import ArgumentParser
import CredVend
import Foundation

/// `credvend roles`: offline seeding and editing of the LMDB role store (SPEC.md section 3).
/// Safe while `credvend serve` runs on the same directory: the server sees each
/// change on its next request.
struct RolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "Seed and edit the role store (client_id -> IAM role mappings).",
        discussion: """
            The store is an LMDB directory (--db). Records are JSON objects with the fields
            client_id, role_arn (required), server_name, bucket, s3_path_prefix,
            permission (write | read-write | full, default write) and
            session_duration_s (900-43200, default 3600); see seed-data/README.md.

            get, list and export never create a store; import and put create it
            (directory mode 0700) when missing. An invalid record is refused with a
            message naming the record and the field, and nothing is written.

            Exit codes:
              0  success
              1  not found (get or delete of a client_id that has no mapping)
              2  invalid input or store error (bad JSON or field, missing file,
                 missing or unwritable store, store full, unknown flag, missing argument)
            """,
        subcommands: [
            RolesImport.self, RolesPut.self, RolesGet.self, RolesList.self, RolesDelete.self, RolesExport.self,
        ])

    @Option(name: .customLong("db"), help: ArgumentHelp(
        "Role store directory (LMDB environment).", discussion: "Default: $CREDVEND_DB, else ./credvend-data.",
        valueName: "dir"))
    var db: String?

    @Option(name: .customLong("map-size"), help: ArgumentHelp(
        "Largest size the store may grow to, in bytes (1 GiB by default).", valueName: "bytes"))
    var mapSize: Int = RoleStore.defaultMapSize

    // Reserved: `--admin-url unix:PATH|https://HOST:PORT` will select a remote
    // RoleStoreClient over the admin API (SPEC.md section 4) with the same output.

    func validate() throws {
        guard mapSize > 0 else { throw ValidationError("--map-size must be a positive number of bytes") }
    }

    /// The directory of the store: --db, else $CREDVEND_DB, else ./credvend-data.
    var directory: String {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["CREDVEND_DB"], !env.isEmpty { return env }
        return "./credvend-data"
    }

    /// The store client the subcommands use (local LMDB for now).
    func client() -> any RoleStoreClient {
        LocalRoleStoreClient(directory: directory, mapSize: mapSize)
    }
}
