import ArgumentParser
import CredVendCore
import Foundation

/// Output and failure handling shared by the `roles` subcommands: results on
/// stdout, one message per failure on stderr, exit codes of `RolesCommand`.
enum RolesOutput {
    static let notFound: Int32 = 1
    static let invalid: Int32 = 2
    static let conflict: Int32 = 3

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    /// Prints `error: message` on stderr and returns the exit to throw.
    static func fail(_ message: String, code: Int32 = invalid) -> ExitCode {
        note("error: \(message)")
        return ExitCode(code)
    }

    /// Runs a subcommand body, turning every error into one stderr line and exit code 2
    /// (3 for a write that lost a race on the roles table).
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as RoleValidationError {
            throw fail(error.description)
        } catch let error as RoleTableConflict {
            throw fail("conflict: \(error.message)", code: conflict)
        } catch {
            throw fail("\(error)")
        }
    }

    /// Refuses a client_id argument that no record could have (exit 2, not 1).
    static func checkClientId(_ clientId: String) throws {
        if let problem = RoleRules.clientId(clientId) {
            throw RoleValidationError(clientId: clientId, field: "client_id", message: problem)
        }
    }

    static func notFoundExit(_ clientId: String) -> ExitCode {
        fail("no role mapping for client_id \(RoleMappingJSON.quoted(clientId))", code: notFound)
    }
}
