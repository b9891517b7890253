import ArgumentParser
import CredVend
import CredVendCore
import CredVendStore

/// `credvend roles put CLIENT_ID --role-arn ARN [...]`: create or replace one record.
struct RolesPut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Create or replace the role mapping of one client_id."
    )

    @ParentCommand var roles: RolesCommand

    @Argument(help: ArgumentHelp("The IdP app client id (the token's client_id claim).", valueName: "client-id"))
    var clientId: String

    @Option(help: ArgumentHelp("IAM role to assume, arn:aws:iam::ACCOUNT:role/NAME.", valueName: "arn"))
    var roleArn: String

    @Option(
        help: ArgumentHelp(
            "A label, any printable text of up to 256 bytes; the STS RoleSessionName is made from it.",
            valueName: "name"
        )
    )
    var serverName: String?

    @Option(help: ArgumentHelp("S3 bucket the session policy limits the credentials to.", valueName: "bucket"))
    var bucket: String?

    @Option(
        name: .customLong("s3-path-prefix"),
        help: ArgumentHelp(
            "Key prefix inside --bucket, e.g. backups/server-01/.",
            valueName: "prefix"
        )
    )
    var s3PathPrefix: String?

    @Option(help: ArgumentHelp("write, read-write or full (default write).", valueName: "level"))
    var permission: String?

    @Option(help: ArgumentHelp("Credential lifetime in seconds, 900-43200 (default 3600).", valueName: "seconds"))
    var sessionDuration: String?

    func run() async throws {
        try await RolesOutput.run {
            try RolesPutArguments.check(RolesPutArguments.raw(), clientId: clientId)
            var mapping = try RoleMapping.parse(
                clientId: clientId,
                roleArn: roleArn,
                serverName: serverName,
                bucket: bucket,
                s3PathPrefix: s3PathPrefix,
                permission: permission,
                sessionDuration: sessionDuration
            )
            // The flags set the record's own role; its named roles (set by import or the
            // admin API) stay as they are.
            let store = try roles.client()
            do {
                mapping.roles = try await store.get(clientId)?.roles ?? []
            } catch let error as LMDBError where error.code == .storeMissing {
                // No store yet, so no record: `put` creates it.
            }
            try mapping.validate()
            try await store.put(mapping)
            let kept = mapping.roles.isEmpty ? "" : " (its \(mapping.roles.count) named roles kept)"
            RolesOutput.note("stored role mapping for client_id \(RoleMappingJSON.quoted(clientId))\(kept)")
        }
    }
}

/// `credvend roles get CLIENT_ID`: the record as JSON, exit 1 when absent.
struct RolesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the role mapping of one client_id as JSON."
    )

    @ParentCommand var roles: RolesCommand

    @Argument(help: ArgumentHelp("The client_id to look up.", valueName: "client-id"))
    var clientId: String

    func run() async throws {
        try await RolesOutput.run {
            try RolesOutput.checkClientId(clientId)
            guard let mapping = try await roles.client().get(clientId) else {
                throw RolesOutput.notFoundExit(clientId)
            }
            RolesOutput.write(RoleMappingJSON.encode(mapping) + "\n")
        }
    }
}

/// `credvend roles list`: one JSON record per line, ordered by client_id.
struct RolesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print every role mapping, one JSON object per line."
    )

    @ParentCommand var roles: RolesCommand

    func run() async throws {
        try await RolesOutput.run {
            let records = try await roles.client().list()
            RolesOutput.write(records.map { RoleMappingJSON.encode($0) + "\n" }.joined())
        }
    }
}

/// `credvend roles delete CLIENT_ID`: exit 1 when there was no such record.
struct RolesDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove the role mapping of one client_id."
    )

    @ParentCommand var roles: RolesCommand

    @Argument(help: ArgumentHelp("The client_id to remove.", valueName: "client-id"))
    var clientId: String

    func run() async throws {
        try await RolesOutput.run {
            try RolesOutput.checkClientId(clientId)
            guard try await roles.client().delete(clientId) else { throw RolesOutput.notFoundExit(clientId) }
            RolesOutput.note("deleted role mapping for client_id \(RoleMappingJSON.quoted(clientId))")
        }
    }
}

/// `credvend roles export`: a JSON array that `import` takes back unchanged.
struct RolesExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print every role mapping as a JSON array that import reads back."
    )

    @ParentCommand var roles: RolesCommand

    func run() async throws {
        try await RolesOutput.run {
            RolesOutput.write(RoleMappingJSON.encodeList(try await roles.client().list()))
        }
    }
}
