import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

/// `credvend roles`: offline seeding and editing of the LMDB role store (docs/reference.md#credvend-roles).
/// Safe while `credvend serve` runs on the same directory: the server sees each
/// change on its next request.
struct RolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "Seed and edit the role store (client_id -> IAM role mappings).",
        discussion: """
            The store is an LMDB directory (--db). Records are JSON objects with the fields \
            client_id, role_arn (required), server_name, bucket, s3_path_prefix, \
            permission (write | read-write | full, default write) and \
            session_duration_s (900-43200, default 3600); see seed-data/README.md.

            get, list and export never create a store; import and put create it \
            (directory mode 0700) when missing. An invalid record is refused with a \
            message naming the record and the field, and nothing is written.

            With --admin-url every subcommand works on a running server's store \
            through its admin API (the socket, or https with a bearer token), \
            with the same output and exit codes; see docs/admin.md.

            With --table every subcommand works on a DynamoDB roles table itself (the \
            source of truth of serve --roles-table replicas), with conditional writes; \
            see docs/replicas.md.

            Exit codes:
              0  success
              1  not found (get or delete of a client_id that has no mapping)
              2  invalid input or store error (bad JSON or field, missing file,
                 missing or unwritable store, store full, unknown flag, missing argument,
                 admin API unreachable or refusing)
              3  conflict (the table item changed since it was read; nothing written)
            """,
        subcommands: [
            RolesImport.self, RolesPut.self, RolesGet.self, RolesList.self, RolesDelete.self, RolesExport.self,
        ]
    )

    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "Role store directory (LMDB environment).",
            discussion: "Default: $CREDVEND_DB, else ./credvend-data.",
            valueName: "dir"
        )
    )
    var db: String?

    @Option(
        name: .customLong("map-size"),
        help: ArgumentHelp(
            "Largest size the store may grow to, in bytes (1 GiB by default).",
            valueName: "bytes"
        )
    )
    var mapSize: Int = LocalRoleStoreClient.defaultMapSize

    @Option(
        name: .customLong("admin-url"),
        help: ArgumentHelp(
            "Work on a running server's role store through its admin API instead of --db.",
            discussion: "unix:PATH (the server's --admin-socket) or https://HOST:PORT (with --admin-token-file); "
                + "http:// only to a loopback host.",
            valueName: "url"
        )
    )
    var adminURL: String?

    @Option(
        name: .customLong("admin-token-file"),
        help: ArgumentHelp(
            "File (mode 0600) holding one admin (or, to read, reader) token for --admin-url.",
            valueName: "file"
        )
    )
    var adminTokenFile: String?

    @Option(
        name: .customLong("admin-ca"),
        help: ArgumentHelp(
            "PEM file of the CA that signed the server's certificate (https --admin-url), besides the system's. [CREDVEND_CA_FILE]",
            valueName: "file"
        )
    )
    var adminCA: String?

    @Option(
        help: ArgumentHelp(
            "PEM client certificate for an https --admin-url that asks for one (mutual TLS). [CREDVEND_CLIENT_CERT]",
            valueName: "file"
        )
    )
    var clientCert: String?

    @Option(
        help: ArgumentHelp(
            "PEM private key of --client-cert (default: in the certificate's file). [CREDVEND_CLIENT_KEY]",
            valueName: "file"
        )
    )
    var clientKey: String?

    @Option(
        name: .customLong("table"),
        help: ArgumentHelp(
            "Work on this DynamoDB roles table instead of --db (docs/replicas.md).",
            valueName: "name"
        )
    )
    var table: String?

    @Option(
        help: ArgumentHelp(
            "AWS region of --table. [AWS_REGION] (default: us-east-1)",
            valueName: "region"
        )
    )
    var rolesTableRegion: String?

    @Option(
        help: ArgumentHelp(
            "DynamoDB endpoint URL for --table. (default: https://dynamodb.<region>.amazonaws.com)",
            valueName: "url"
        )
    )
    var dynamodbEndpoint: String?

    @Option(
        help: ArgumentHelp(
            "With --table: the bucket items without one read with, as serve's --roles-default-bucket.",
            valueName: "bucket"
        )
    )
    var rolesDefaultBucket: String?

    func validate() throws {
        guard mapSize > 0 else { throw ValidationError("--map-size must be a positive number of bytes") }
        if table != nil, db != nil || adminURL != nil {
            throw ValidationError("use one of --db, --admin-url and --table")
        }
        if table == nil, rolesTableRegion != nil || dynamodbEndpoint != nil || rolesDefaultBucket != nil {
            throw ValidationError("--roles-table-region, --dynamodb-endpoint and --roles-default-bucket need --table")
        }
        if adminURL != nil, db != nil { throw ValidationError("use --db or --admin-url, not both") }
        if adminURL == nil, adminTokenFile != nil || adminCA != nil || clientCert != nil || clientKey != nil {
            throw ValidationError("--admin-token-file, --admin-ca, --client-cert and --client-key need --admin-url")
        }
        if clientKey != nil, clientCert == nil { throw ValidationError("--client-key needs --client-cert") }
    }

    /// The directory of the store: --db, else $CREDVEND_DB, else ./credvend-data.
    var directory: String {
        if let db, !db.isEmpty { return db }
        if let env = ProcessInfo.processInfo.environment["CREDVEND_DB"], !env.isEmpty { return env }
        return "./credvend-data"
    }

    /// The store client the subcommands use: the roles table with --table, the admin API
    /// with --admin-url, else the local LMDB directory.
    func client() throws -> any RoleStoreClient {
        if let table {
            var settings = RoleTableConfiguration(table: table)
            settings.region = rolesTableRegion
            settings.endpoint = dynamodbEndpoint
            settings.defaultBucket = rolesDefaultBucket
            let region = ProcessInfo.processInfo.environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            // One line per failure on stderr, as for --db: the chain's info lines stay quiet.
            var logger = Logger(label: "credvend.roles")
            logger.logLevel = .warning
            do {
                return try TableRoleStoreClient.make(settings, defaultRegion: region ?? "us-east-1", logger: logger)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let adminURL {
            let env = ProcessInfo.processInfo.environment
            func pick(_ flag: String?, _ variable: String) -> String? {
                flag ?? env[variable].flatMap { $0.isEmpty ? nil : $0 }
            }
            let tls = TLSClientOptions(
                caFile: pick(adminCA, "CREDVEND_CA_FILE"),
                certificateFile: pick(clientCert, "CREDVEND_CLIENT_CERT"),
                keyFile: pick(clientKey, "CREDVEND_CLIENT_KEY")
            )
            do {
                try TLSClientFiles.check(
                    tls,
                    names: .init(caFile: "--admin-ca", certificate: "--client-cert", key: "--client-key")
                )
            } catch {
                throw ValidationError(error.message)
            }
            return try RemoteRoleStoreClient(url: adminURL, tokenFile: adminTokenFile, tls: tls)
        }
        return LocalRoleStoreClient(directory: directory, mapSize: mapSize)
    }
}
