import ArgumentParser
import CredVend
import CredVendCore
import CredVendSystem
import Foundation

/// `credvend roles import FILE [--replace]`: a JSON array of records, all or nothing.
struct RolesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a JSON array of role records in one transaction (all or nothing).",
        discussion: """
            Records with a client_id already in the store replace it. Use - to read standard input. \
            With --admin-url the file is checked here, then sent to the server's all-or-nothing \
            import (POST /admin/v1/roles:import), which checks it again and writes it in one transaction.
            """
    )

    @ParentCommand var roles: RolesCommand

    @Argument(help: ArgumentHelp("JSON file holding an array of role records, or - for stdin.", valueName: "file"))
    var file: String

    @Flag(help: "Also remove every stored record whose client_id is not in the file.")
    var replace = false

    func run() async throws {
        try await RolesOutput.run {
            let records = try RoleMappingJSON.decodeList(try Self.read(file))
            let store = try roles.client()
            let summary = try await store.importAll(records, replace: replace)
            RolesOutput.note("imported \(records.count) records into \(store.location): \(summary)")
        }
    }

    static func read(_ file: String) throws -> Data {
        if file == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let kind = FileKind(path: file) else { throw RolesOutput.fail("cannot read \(file): no such file") }
        guard kind != .directory else { throw RolesOutput.fail("cannot read \(file): is a directory") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RolesOutput.fail("cannot read \(file): permission denied or unreadable")
        }
        return data
    }
}
